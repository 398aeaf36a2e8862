//! Shared test utilities: clients tuned for tests, names on a harness registry, small images.

use std::time::Duration;

use bytes::Bytes;
use oci_digest::Digest;
use oci_manifest::{MediaType, Reference};
use registry_client::{Client, ClientBuilder, NetworkEnv, RepositoryRef, RetryPolicy};

/// Retries fast, so fault tests do not wait for production backoffs.
pub(crate) fn builder() -> ClientBuilder {
    Client::builder()
        // Hermetic: no proxy, certificate directory or registries.conf of this machine.
        .environment(NetworkEnv::default())
        .retry_policy(
            RetryPolicy::default()
                .with_max_retries(3)
                .with_delays(Duration::from_millis(10), Duration::from_millis(50))
                .with_max_retry_after(Duration::from_secs(2))
                .with_rate_limit_deadline(Duration::from_secs(3)),
        )
        .idle_timeout(Duration::from_secs(5))
}

/// A hermetic transport that also trusts the CA certificates in `ca`.
#[cfg(feature = "tls")]
pub(crate) fn trusting(ca: &std::path::Path) -> registry_client::HyperTransport {
    registry_client::HyperTransport::builder()
        .environment(NetworkEnv::default())
        .ca_file(ca)
        .build()
        .expect("transport builds")
}

pub(crate) fn client() -> Client {
    builder().build().expect("client builds")
}

pub(crate) fn repo(host: &str, name: &str) -> RepositoryRef {
    format!("{host}/{name}").parse().expect("valid repository")
}

pub(crate) fn reference(host: &str, name: &str) -> Reference {
    format!("{host}/{name}").parse().expect("valid reference")
}

/// Deterministic pseudo-random bytes.
pub(crate) fn bytes_of(seed: u64, len: usize) -> Bytes {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..len).map(|_| rng.u8(..)).collect::<Vec<u8>>().into()
}

/// Pushes a config and one layer, then an OCI manifest for them under `tag`; returns the
/// manifest bytes and digest.
pub(crate) async fn push_image(
    client: &Client,
    repository: &RepositoryRef,
    tag: &str,
    seed: u64,
) -> (Bytes, Digest) {
    let config = Bytes::from(format!(
        r#"{{"architecture":"amd64","os":"linux","seed":{seed}}}"#
    ));
    let layer = bytes_of(seed, 2048);
    let config_digest = client
        .push_blob_bytes(repository, config.clone())
        .await
        .expect("push config");
    let layer_digest = client
        .push_blob_bytes(repository, layer.clone())
        .await
        .expect("push layer");
    let manifest = oci_manifest_bytes(&config_digest, config.len(), &[(layer_digest, layer.len())], None);
    let reference = repository.tagged(tag).expect("tag");
    let digest = client
        .put_manifest(&reference, &MediaType::OciManifest, manifest.clone())
        .await
        .expect("put manifest");
    (manifest, digest)
}

/// An OCI image manifest, optionally with a `subject` and `artifactType`.
pub(crate) fn oci_manifest_bytes(
    config: &Digest,
    config_size: usize,
    layers: &[(Digest, usize)],
    subject: Option<(&Digest, usize, &str)>,
) -> Bytes {
    let layers: Vec<serde_json::Value> = layers
        .iter()
        .map(|(digest, size)| {
            serde_json::json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": digest.as_str(),
                "size": size,
            })
        })
        .collect();
    let mut manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config.as_str(),
            "size": config_size,
        },
        "layers": layers,
    });
    if let Some((digest, size, artifact_type)) = subject {
        manifest["artifactType"] = artifact_type.into();
        manifest["subject"] = serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest.as_str(),
            "size": size,
        });
    }
    serde_json::to_vec(&manifest).expect("json").into()
}
