//! Manifests: PUT, GET by tag and digest (byte-exact), HEAD, DELETE, and the peer's images.

use oci_manifest::MediaType;
use registry_client::ErrorCode;
use skiff_integration::{ImageFormat, Registry, Skopeo};

use crate::util::{client, push_image, reference, repo};

#[tokio::test]
async fn put_get_head_delete() {
    let registry = Registry::anonymous();
    let client = client();
    let repository = repo(registry.addr(), "team/app");
    let (bytes, digest) = push_image(&client, &repository, "v1", 10).await;
    assert_eq!(digest, oci_digest::Digest::sha256(&bytes));

    let by_tag = client
        .get_manifest(&reference(registry.addr(), "team/app:v1"))
        .await
        .unwrap();
    assert_eq!(by_tag.bytes(), &bytes);
    assert_eq!(by_tag.media_type(), &MediaType::OciManifest);
    assert_eq!(by_tag.digest(), &digest);
    assert!(by_tag.parse().unwrap().config().is_some());

    let pinned = repository.digested(&digest).unwrap();
    let by_digest = client.get_manifest(&pinned).await.unwrap();
    assert_eq!(by_digest, by_tag);

    let head = client.head_manifest(&pinned).await.unwrap();
    assert_eq!(head.digest(), Some(&digest));
    assert_eq!(head.size(), Some(bytes.len() as u64));
    assert_eq!(head.media_type(), Some(&MediaType::OciManifest));

    client.delete_manifest(&repository, &digest).await.unwrap();
    let error = client.get_manifest(&pinned).await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
    let error = client.head_manifest(&pinned).await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
}

#[tokio::test]
async fn missing_tags_report_the_registry_diagnostics() {
    let registry = Registry::anonymous();
    let client = client();
    push_image(&client, &repo(registry.addr(), "team/app"), "v1", 11).await;
    let error = client
        .get_manifest(&reference(registry.addr(), "team/app:nope"))
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
    assert_eq!(error.diagnostics()[0].code(), &ErrorCode::ManifestUnknown);
    assert!(!error.is_unauthorized() && !error.is_denied() && !error.is_rate_limited());
    let message = error.to_string();
    assert!(
        message.contains("MANIFEST_UNKNOWN") && message.contains("team/app"),
        "{message}"
    );
}

#[tokio::test]
async fn images_pushed_by_the_peer_read_byte_exactly() {
    let registry = Registry::anonymous();
    let client = client();
    let skopeo = Skopeo::new();
    for (format, name) in [
        (ImageFormat::Oci, "peer/oci:1"),
        (ImageFormat::V2s2, "peer/v2s2:1"),
    ] {
        let pushed = skopeo.push_random_image(&registry, name, &[512, 1024], format);
        let fetched = client
            .get_manifest(&reference(registry.addr(), name))
            .await
            .unwrap();
        assert_eq!(fetched.digest().as_str(), pushed.digest(), "{name}");
        let expected_type = match format {
            ImageFormat::Oci => MediaType::OciManifest,
            _ => MediaType::DockerSchema2,
        };
        assert_eq!(fetched.media_type(), &expected_type, "{name}");
        let manifest = fetched.parse().unwrap();
        let repository = repo(registry.addr(), name.split(':').next().unwrap());
        for layer in manifest.layer_descriptors().unwrap() {
            let blob = client.get_blob(&repository, layer.digest()).await.unwrap();
            assert_eq!(blob.bytes(1 << 20).await.unwrap().len() as u64, layer.size());
        }
    }
}

#[tokio::test]
async fn signed_schema1_digests_are_of_the_payload() {
    let registry = Registry::builder().schema1().start();
    let client = client();
    let pushed = Skopeo::new().push_random_image(&registry, "old/app:1", &[256], ImageFormat::V2s1);
    let by_tag = client
        .get_manifest(&reference(registry.addr(), "old/app:1"))
        .await
        .unwrap();
    assert_eq!(by_tag.media_type(), &MediaType::DockerSchema1Signed);
    assert_eq!(by_tag.digest().as_str(), pushed.digest());
    assert_ne!(
        by_tag.digest(),
        &oci_digest::Digest::sha256(by_tag.bytes()),
        "signatures are not digested"
    );
    let pinned = reference(registry.addr(), &format!("old/app@{}", pushed.digest()));
    // The registry signs schema1 afresh on every GET: the signatures differ, the payload not.
    let by_digest = client.get_manifest(&pinned).await.unwrap();
    assert_eq!(by_digest.digest(), by_tag.digest());
    assert_eq!(
        by_digest.parse().unwrap().digested_bytes(),
        by_tag.parse().unwrap().digested_bytes()
    );
}
