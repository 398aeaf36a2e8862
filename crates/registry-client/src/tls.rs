//! TLS configuration: the system roots plus the user's CA files and the host's certificate
//! directory, with `ring` as the one crypto provider, and the deliberately unverified variant used
//! only for user-marked insecure hosts.
//!
//! The system store is read when the first server certificate is to be verified, not when the
//! client is built: parsing it costs a few milliseconds of CPU (every PEM file of the system's
//! certificate directory), which a run that meets no TLS server (a local plain-http registry,
//! whose verified-https attempt fails before any certificate) never pays. Verification itself
//! is rustls's own [`WebPkiServerVerifier`] over the same roots as ever.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::certs::{pem_certificates, HostCerts};
use crate::error::Error;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The roots every verified connection trusts: the certificates of the user's CA files, read
/// when the client is built (a broken file is the build's error), and the system's (when
/// enabled), read on first use.
#[derive(Debug)]
pub(crate) struct BaseRoots {
    ca_files: RootCertStore,
    system: bool,
    all: OnceLock<RootCertStore>,
}

impl BaseRoots {
    /// Every root: the system's (read now, the first time) and the CA files'.
    fn all(&self) -> &RootCertStore {
        self.all.get_or_init(|| {
            let mut roots = RootCertStore::empty();
            if self.system {
                // Unreadable system certificates are skipped: one broken file in the system
                // store must not make every registry unreachable, and a missing root surfaces
                // as a handshake error.
                let native = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(native.certs);
            }
            roots.roots.extend(self.ca_files.roots.iter().cloned());
            tracing::debug!(roots = roots.len(), "trusted roots loaded");
            roots
        })
    }
}

/// The roots every verified connection trusts: the system's (when enabled, read on first use)
/// and the certificates in `ca_files` (read now).
pub(crate) fn base_roots(ca_files: &[PathBuf], system_roots: bool) -> Result<Arc<BaseRoots>, Error> {
    let mut roots = RootCertStore::empty();
    for path in ca_files {
        let ca_error = |reason: String| Error::CaFile {
            path: path.clone(),
            reason,
        };
        for cert in pem_certificates(path).map_err(ca_error)? {
            roots.add(cert).map_err(|e| ca_error(e.to_string()))?;
        }
    }
    Ok(Arc::new(BaseRoots {
        ca_files: roots,
        system: system_roots,
        all: OnceLock::new(),
    }))
}

/// A client config: verifying servers against `roots` plus the host's certificate-directory
/// CAs, or (for user-marked insecure hosts) not verifying them; presenting the host's client
/// certificate when its directory has one.
pub(crate) fn client_config(
    roots: &Arc<BaseRoots>,
    host: &HostCerts,
    verify: bool,
    dir: Option<&Path>,
) -> Result<ClientConfig, Error> {
    let provider = provider();
    let builder =
        ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let builder = if verify {
        let mut host_roots = RootCertStore::empty();
        for cert in &host.cas {
            host_roots.add(cert.clone()).map_err(|e| Error::CertificateFile {
                path: dir.map(Path::to_owned).unwrap_or_default(),
                reason: e.to_string(),
            })?;
        }
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(WebPkiOnFirstUse {
                base: Arc::clone(roots),
                host: host_roots,
                signatures: HandshakeSignatures(Arc::clone(&provider)),
                provider,
                verifier: OnceLock::new(),
            }))
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyServerCertificate {
                signatures: HandshakeSignatures(provider),
            }))
    };
    match &host.client {
        None => Ok(builder.with_no_client_auth()),
        Some((chain, key)) => builder
            .with_client_auth_cert(chain.clone(), key.clone_key())
            .map_err(|e| Error::CertificateFile {
                path: dir.map(Path::to_owned).unwrap_or_default(),
                reason: format!("the client certificate and key do not fit together: {e}"),
            }),
    }
}

/// rustls's [`WebPkiServerVerifier`] over the base roots and the host's CAs, built when the
/// first certificate arrives (see the module documentation).
#[derive(Debug)]
struct WebPkiOnFirstUse {
    base: Arc<BaseRoots>,
    host: RootCertStore,
    provider: Arc<CryptoProvider>,
    signatures: HandshakeSignatures,
    /// `None` when there is no root at all: every certificate is then of an unknown issuer.
    verifier: OnceLock<Option<Arc<WebPkiServerVerifier>>>,
}

impl WebPkiOnFirstUse {
    fn verifier(&self) -> Result<&Arc<WebPkiServerVerifier>, rustls::Error> {
        self.verifier
            .get_or_init(|| {
                let mut roots = self.base.all().clone();
                roots.roots.extend(self.host.roots.iter().cloned());
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&self.provider))
                    .build()
                    .ok()
            })
            .as_ref()
            .ok_or(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))
    }
}

impl ServerCertVerifier for WebPkiOnFirstUse {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.schemes()
    }
}

#[derive(Debug)]
struct AnyServerCertificate {
    signatures: HandshakeSignatures,
}

/// The handshake-signature checks both verifiers make the same way: the provider's algorithms,
/// whatever is decided about the certificate itself.
#[derive(Debug)]
struct HandshakeSignatures(Arc<CryptoProvider>);

impl HandshakeSignatures {
    fn tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl ServerCertVerifier for AnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_files_must_hold_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        for path in [missing, empty] {
            match base_roots(std::slice::from_ref(&path), false) {
                Err(Error::CaFile { path: reported, .. }) => assert_eq!(reported, path),
                other => panic!("{}: {other:?}", path.display()),
            }
        }
    }

    #[test]
    fn configs_build_with_the_ring_provider() {
        let roots = base_roots(&[], false).unwrap();
        for verify in [true, false] {
            assert!(client_config(&roots, &HostCerts::default(), verify, None).is_ok());
        }
    }
}
