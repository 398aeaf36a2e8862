//! Certificates for the TLS registry: a throw-away CA, a server certificate it signs (valid for
//! `127.0.0.1`, `localhost` and the proxy-only name `registry.test`) and a client certificate it
//! signs for mutual TLS, written as PEM files.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A name only the harness's forward proxy resolves (to `127.0.0.1`): a client that reaches a
/// registry by this name went through the proxy. The test certificates are valid for it.
pub const PROXY_ONLY_HOST: &str = "registry.test";

/// The PEM files of a test CA and of a server certificate signed by it.
pub struct TlsFiles {
    ca_cert: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    cert_dir: PathBuf,
    /// The server certificate and key (PKCS#8) in DER, for the harness's own TLS listeners.
    server_der: (Vec<u8>, Vec<u8>),
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFiles")
            .field("ca_cert", &self.ca_cert)
            .finish_non_exhaustive()
    }
}

impl TlsFiles {
    /// Makes a new CA and server certificate and writes them under `dir` (which must exist).
    ///
    /// `cert_dir()` is a directory holding `ca.crt` and the client certificate pair
    /// `client.cert` + `client.key`, the shape `skopeo --dest-cert-dir` and Docker's `certs.d`
    /// expect.
    pub fn generate(dir: &Path) -> TlsFiles {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "skiff integration test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca_params.self_signed(&ca_key).expect("self-sign the CA");

        let server_key = KeyPair::generate().expect("server key");
        let mut params = CertificateParams::new(vec!["localhost".to_owned(), PROXY_ONLY_HOST.to_owned()])
            .expect("server parameters");
        params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
        params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = params
            .signed_by(&server_key, &ca, &ca_key)
            .expect("sign the server certificate");

        let client_key = KeyPair::generate().expect("client key");
        let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("client parameters");
        client_params
            .distinguished_name
            .push(DnType::CommonName, "skiff integration test client");
        client_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = client_params
            .signed_by(&client_key, &ca, &ca_key)
            .expect("sign the client certificate");

        let cert_dir = dir.join("certs.d");
        std::fs::create_dir_all(&cert_dir).expect("create the client certificate directory");
        let files = TlsFiles {
            ca_cert: dir.join("ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.cert"),
            client_key: dir.join("client.key"),
            cert_dir,
            server_der: (server.der().to_vec(), server_key.serialize_der()),
        };
        write(&files.ca_cert, &ca.pem());
        write(&files.cert_dir.join("ca.crt"), &ca.pem());
        write(&files.server_cert, &server.pem());
        write(&files.server_key, &server_key.serialize_pem());
        for dir in [dir, files.cert_dir.as_path()] {
            write(&dir.join("client.cert"), &client.pem());
            write(&dir.join("client.key"), &client_key.serialize_pem());
        }
        files
    }

    /// The CA certificate (PEM): what a client must trust.
    pub fn ca_cert(&self) -> &Path {
        &self.ca_cert
    }

    /// A directory holding `ca.crt`, `client.cert` and `client.key` (for `--cert-dir` style
    /// options).
    pub fn cert_dir(&self) -> &Path {
        &self.cert_dir
    }

    /// The server certificate (PEM).
    pub fn server_cert(&self) -> &Path {
        &self.server_cert
    }

    /// The server's private key (PEM).
    pub fn server_key(&self) -> &Path {
        &self.server_key
    }

    /// The client certificate for mutual TLS (PEM), also in [`TlsFiles::cert_dir`].
    pub fn client_cert(&self) -> &Path {
        &self.client_cert
    }

    /// The client certificate's private key (PEM), also in [`TlsFiles::cert_dir`].
    pub fn client_key(&self) -> &Path {
        &self.client_key
    }
}

impl TlsFiles {
    /// A TLS acceptor presenting the server certificate (for in-process https listeners).
    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        let (cert, key) = &self.server_der;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(cert.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.clone())),
            )
            .expect("rustls accepts the certificate rcgen made");
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}
