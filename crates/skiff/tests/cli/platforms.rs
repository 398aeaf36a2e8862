//! Lists and indexes: every platform travels unless `--platform` picks one.

use serde_json::{json, Value};
use skiff_integration::{RandomImage, Registry};

use super::util::{sha256, Skiff};

/// A layout holding an OCI index (tag `1`) over two images, as linux/amd64 and linux/arm64.
fn index_layout(dir: &std::path::Path, amd64: &RandomImage, arm64: &RandomImage) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for image in [amd64, arm64] {
        for entry in std::fs::read_dir(image.layout_dir().join("blobs/sha256")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), blobs.join(entry.file_name())).unwrap();
        }
    }
    let entry = |image: &RandomImage, arch: &str| {
        json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": image.manifest().digest(),
            "size": image.manifest().size(),
            "platform": {"architecture": arch, "os": "linux"}
        })
    };
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [entry(amd64, "amd64"), entry(arm64, "arm64")]
    }))
    .unwrap();
    let digest = sha256(&index);
    std::fs::write(blobs.join(digest.trim_start_matches("sha256:")), &index).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let top = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": digest,
        "size": index.len(),
        "annotations": {"org.opencontainers.image.ref.name": "1"}
    }]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    digest
}

fn layers(image: &RandomImage) -> Value {
    json!(image.layers().iter().map(|l| l.digest()).collect::<Vec<_>>())
}

#[test]
fn indexes_move_whole_or_by_platform() {
    let registry = Registry::anonymous();
    let amd64 = RandomImage::build("multi/amd64", &[300]);
    let arm64 = RandomImage::build("multi/arm64", &[400, 50]);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("index-layout");
    let index_digest = index_layout(&dir, &amd64, &arm64);
    let skiff = Skiff::new();
    let list = registry.reference("multi/app:1");

    let pushed = skiff.ok_text(&["push", "-q", &format!("{}:1", dir.display()), &list]);
    assert_eq!(pushed, index_digest);
    assert_eq!(sha256(&skiff.ok(&["inspect", "--raw", &list])), index_digest);

    // inspect resolves the platform; its Digest stays the list's, as skopeo's does.
    for (platform, image) in [("linux/amd64", &amd64), ("linux/arm64", &arm64)] {
        let summary: Value =
            serde_json::from_slice(&skiff.ok(&["inspect", "--platform", platform, &list])).unwrap();
        assert_eq!(summary["Digest"], index_digest.as_str());
        assert_eq!(summary["Layers"], layers(image), "{platform}");
    }
    let stderr = skiff.fails(&["inspect", "--platform", "linux/s390x", &list], 1);
    assert!(
        stderr.contains("linux/s390x") && stderr.contains("linux/arm64"),
        "{stderr}"
    );

    // One platform: the destination holds that image, not the list.
    let arm = registry.reference("multi/arm:1");
    let copied = skiff.ok_text(&["copy", "-q", "--platform", "linux/arm64", &list, &arm]);
    assert_eq!(copied, arm64.manifest().digest());

    // Everything: the list and both images, into a layout and back out.
    let all = work.path().join("all");
    let oci = format!("oci:{}:1", all.display());
    assert_eq!(skiff.ok_text(&["copy", "-q", &list, &oci]), index_digest);
    let again = registry.reference("multi/again:1");
    assert_eq!(skiff.ok_text(&["copy", "-q", &oci, &again]), index_digest);
    let summary: Value =
        serde_json::from_slice(&skiff.ok(&["inspect", "--platform", "linux/amd64", &again])).unwrap();
    assert_eq!(summary["Layers"], layers(&amd64));
}
