//! Certificate directories against a real `docker-registry` that requires a client certificate
//! (`http.tls.clientcas`): the explicit directory, the per-host defaults under the injected home
//! and system root, and a half-configured directory.

use std::path::Path;

use registry_client::{Client, Error, HyperTransport, NetworkEnv};
use skiff_integration::Registry;

use crate::util::{builder, push_image, reference, repo};

/// A client whose transport reads certificate directories from `env` (and `dir`, if given).
fn client_with(env: NetworkEnv, dir: Option<&Path>) -> Client {
    let mut transport = HyperTransport::builder().environment(env);
    if let Some(dir) = dir {
        transport = transport.cert_dir(dir);
    }
    builder().transport(transport.build().unwrap()).build().unwrap()
}

/// Copies the registry's certificate directory (CA and client pair) to `to`.
fn copy_cert_dir(registry: &Registry, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(registry.tls().unwrap().cert_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[tokio::test]
async fn an_explicit_cert_dir_gives_the_ca_and_the_client_certificate() {
    let registry = Registry::builder().mutual_tls().start();
    let dir = registry.tls().unwrap().cert_dir();
    let client = client_with(NetworkEnv::default(), Some(dir));
    let (bytes, _) = push_image(&client, &repo(registry.addr(), "mtls/app"), "v1", 90).await;
    let fetched = client
        .get_manifest(&reference(registry.addr(), "mtls/app:v1"))
        .await
        .unwrap();
    assert_eq!(fetched.bytes(), &bytes);

    // The CA alone verifies the server, but the registry refuses a client without a certificate.
    let ca_only = HyperTransport::builder()
        .environment(NetworkEnv::default())
        .ca_file(registry.tls().unwrap().ca_cert())
        .build()
        .unwrap();
    let without = builder().transport(ca_only).build().unwrap();
    let error = without.ping(registry.addr()).await.unwrap_err();
    registry.ensure(
        registry.log().contains("certificate"),
        format!("the registry saw a handshake without a certificate: {error}"),
    );
}

#[tokio::test]
async fn per_host_directories_come_from_the_home_and_the_system_root() {
    let registry = Registry::builder().mutual_tls().start();
    for place in [
        ".config/containers/certs.d",
        "etc/containers/certs.d",
        "etc/docker/certs.d",
    ] {
        let root = tempfile::tempdir().unwrap();
        copy_cert_dir(&registry, &root.path().join(place).join(registry.addr()));
        let env = if place.starts_with(".config") {
            NetworkEnv {
                home: Some(root.path().to_owned()),
                ..NetworkEnv::default()
            }
        } else {
            NetworkEnv {
                system_root: Some(root.path().to_owned()),
                ..NetworkEnv::default()
            }
        };
        let client = client_with(env, None);
        client
            .ping(registry.addr())
            .await
            .unwrap_or_else(|e| panic!("{place}: {e}"));
    }
}

#[tokio::test]
async fn a_client_certificate_without_its_key_fails_naming_the_file() {
    let registry = Registry::builder().mutual_tls().start();
    let home = tempfile::tempdir().unwrap();
    let dir = home
        .path()
        .join(".config/containers/certs.d")
        .join(registry.addr());
    copy_cert_dir(&registry, &dir);
    std::fs::remove_file(dir.join("client.key")).unwrap();
    let client = client_with(
        NetworkEnv {
            home: Some(home.path().to_owned()),
            ..NetworkEnv::default()
        },
        None,
    );
    let error = client.ping(registry.addr()).await.unwrap_err();
    match error.root() {
        Error::CertificateFile { path, reason } => {
            assert_eq!(path, &dir.join("client.cert"));
            assert!(reason.contains("without its key"), "{reason}");
        }
        other => panic!("expected the certificate file error, got {other:?}"),
    }
    assert!(error.to_string().contains("client.cert"), "{error}");
    assert_eq!(client.request_counts().total(), 1, "one attempt, not retried");
}
