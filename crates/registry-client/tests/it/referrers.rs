//! Referrers: docker-registry 2.8 has no referrers API, so the tag schema fallback answers.

use oci_manifest::MediaType;
use registry_client::referrers_tag;
use skiff_integration::Registry;

use crate::util::{client, oci_manifest_bytes, push_image, repo};

#[tokio::test]
async fn referrers_fall_back_to_the_tag_schema() {
    let registry = Registry::anonymous();
    let client = client();
    let repository = repo(registry.addr(), "ref/app");
    let (subject_bytes, subject) = push_image(&client, &repository, "v1", 40).await;

    let none = client.referrers(&repository, &subject, None).await.unwrap();
    assert!(none.descriptors().is_empty());
    assert!(none.from_tag_schema());

    // A signature-like artifact whose subject is the image, listed in the fallback index.
    let config = client.push_blob_bytes(&repository, &b"{}"[..]).await.unwrap();
    let signature = oci_manifest_bytes(
        &config,
        2,
        &[],
        Some((&subject, subject_bytes.len(), "application/vnd.example.signature")),
    );
    let signature_digest = client
        .put_manifest(
            &repository
                .digested(&oci_digest::Digest::sha256(&signature))
                .unwrap(),
            &MediaType::OciManifest,
            signature.clone(),
        )
        .await
        .unwrap();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": signature_digest.as_str(),
            "size": signature.len(),
            "artifactType": "application/vnd.example.signature",
        }],
    });
    let index_reference = repository.tagged(&referrers_tag(&subject)).unwrap();
    client
        .put_manifest(
            &index_reference,
            &MediaType::OciIndex,
            serde_json::to_vec(&index).unwrap(),
        )
        .await
        .unwrap();

    let all = client.referrers(&repository, &subject, None).await.unwrap();
    assert_eq!(all.descriptors().len(), 1);
    assert_eq!(all.descriptors()[0].digest(), &signature_digest);
    let signatures = client
        .referrers(&repository, &subject, Some("application/vnd.example.signature"))
        .await
        .unwrap();
    assert_eq!(signatures.descriptors().len(), 1);
    let sboms = client
        .referrers(&repository, &subject, Some("application/vnd.example.sbom"))
        .await
        .unwrap();
    assert!(sboms.descriptors().is_empty());
}
