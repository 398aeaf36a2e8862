//! `convert`: schema1 <-> schema2/OCI through v1-compat, checked by skopeo.

use http::Method;
use serde_json::Value;
use skiff_integration::{FaultProxy, ImageFormat, ImageRef, Registry, Route, Skopeo};

use super::util::Skiff;

#[test]
fn schema2_and_oci_convert_to_the_bytes_skopeo_writes() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let pushed = skopeo.push_random_image(&registry, "fmt/app:oci", &[300, 40], ImageFormat::Oci);
    let source = ImageRef::registry(&registry, "fmt/app:oci");

    let ours = skiff.ok_text(&[
        "convert",
        "-q",
        "--to",
        "v2s2",
        pushed.reference(),
        &registry.reference("fmt/app:ours"),
    ]);
    let theirs = skopeo
        .copy(
            &source,
            &ImageRef::registry(&registry, "fmt/app:theirs"),
            Some(ImageFormat::V2s2),
        )
        .unwrap();
    assert_eq!(ours, theirs);
    let inspected = skopeo
        .inspect(&ImageRef::registry(&registry, "fmt/app:ours"))
        .unwrap();
    assert_eq!(inspected["Digest"], ours.as_str());

    // And back: the OCI manifest skopeo pushed, byte for byte.
    let back = skiff.ok_text(&[
        "convert",
        "-q",
        "--to",
        "oci",
        &registry.reference("fmt/app:ours"),
        &registry.reference("fmt/app:back"),
    ]);
    assert_eq!(back, pushed.digest());
}

#[test]
fn schema1_converts_to_oci_with_a_config_from_its_history_and_back() {
    let registry = Registry::builder().schema1().start();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let pushed = skopeo.push_random_image(&registry, "old/app:v1", &[700, 90], ImageFormat::V2s1);

    let destination = registry.reference("new/app:v1");
    skiff.ok_text(&["convert", "-q", "--to", "oci", pushed.reference(), &destination]);
    let raw: Value = serde_json::from_slice(&skiff.ok(&["inspect", "--raw", &destination])).unwrap();
    assert_eq!(raw["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    let layers: Vec<&str> = pushed.image().layers().iter().map(|l| l.digest()).collect();
    let converted: Vec<&str> = raw["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap())
        .collect();
    assert_eq!(converted, layers);
    let config: Value = serde_json::from_slice(&skiff.ok(&["inspect", "--config", &destination])).unwrap();
    assert_eq!(
        config["rootfs"]["diff_ids"],
        serde_json::json!(pushed.image().diff_ids())
    );
    // skopeo reads what we wrote, and agrees on the image.
    let theirs = skopeo
        .inspect(&ImageRef::registry(&registry, "new/app:v1"))
        .unwrap();
    let original = skopeo
        .inspect(&ImageRef::registry(&registry, "old/app:v1"))
        .unwrap();
    for key in ["Architecture", "Os", "Layers"] {
        assert_eq!(theirs[key], original[key], "{key}");
    }

    // To schema1 again: signed with a key of our own, and skopeo reads it.
    let again = registry.reference("again/app:v1");
    skiff.ok_text(&["convert", "-q", "--to", "v2s1", &destination, &again]);
    let raw = skiff.ok(&["inspect", "--raw", &again]);
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("manifest.json");
    std::fs::write(&file, &raw).unwrap();
    let signatures = skiff.ok_text(&["verify", "--file", file.to_str().unwrap()]);
    assert_eq!(signatures.lines().count(), 1, "{signatures}");
    let theirs = skopeo
        .inspect(&ImageRef::registry(&registry, "again/app:v1"))
        .unwrap();
    assert_eq!(theirs["Layers"], original["Layers"]);
}

#[test]
fn schema1_cannot_go_into_a_layout() {
    let skiff = Skiff::new();
    let stderr = skiff.fails(
        &["convert", "--to", "v2s1", "127.0.0.1:1/a:1", "oci:somewhere:1"],
        2,
    );
    assert!(stderr.contains("cannot hold schema1"), "{stderr}");
}

#[test]
fn schema1_layers_are_downloaded_once_whether_copied_or_mounted() {
    let registry = Registry::builder().schema1().start();
    let pushed = Skopeo::new().push_random_image(&registry, "once/app:v1", &[70_000, 900], ImageFormat::V2s1);
    let proxy = FaultProxy::start(&registry);
    let skiff = Skiff::new();
    let layers = pushed.image().layers().len();
    let blob_gets = || proxy.count(&Method::GET, Route::Blob);

    // Into a layout: one download per layer feeds both the diffID scan and the write.
    let work = tempfile::tempdir().unwrap();
    let layout = format!("oci:{}:v1", work.path().join("layout").display());
    let source = proxy.reference("once/app:v1");
    skiff.ok_text(&["convert", "-q", "--jobs", "1", "--to", "oci", &source, &layout]);
    assert_eq!(blob_gets(), layers, "each layer downloaded once");
    for layer in pushed.image().layers() {
        let hex = layer.digest().strip_prefix("sha256:").unwrap();
        assert!(
            work.path().join("layout/blobs/sha256").join(hex).is_file(),
            "{hex}"
        );
    }

    // Within the registry the layers are mounted, and still read once each for the scan.
    let before = blob_gets();
    skiff.ok_text(&[
        "convert",
        "-q",
        "--to",
        "v2s2",
        &source,
        &proxy.reference("twice/app:v1"),
    ]);
    assert_eq!(blob_gets() - before, layers, "each layer downloaded once");
    let config: Value =
        serde_json::from_slice(&skiff.ok(&["inspect", "--config", &proxy.reference("twice/app:v1")]))
            .unwrap();
    assert_eq!(
        config["rootfs"]["diff_ids"],
        serde_json::json!(pushed.image().diff_ids())
    );
}
