//! Legacy docker-archives (Docker before 1.10: `repositories`, `ID/json`, `ID/layer.tar`,
//! no `manifest.json`), which skopeo cannot read: skiff reads each tagged image as the chain
//! of its v1 images, and what it puts in a registry or a modern archive skopeo reads, with
//! the layers and diffIDs that went in.

use std::path::Path;

use serde_json::Value;
use skiff_integration::{file_names, gunzip, v1_id, ImageRef, LegacyArchive, Registry, Skopeo};

use super::util::{sha256, Skiff};

/// How long one command may take before its test fails.
const LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// The blob `digest` of the OCI layout `dir`.
fn blob(dir: &Path, digest: &str) -> Vec<u8> {
    let path = dir.join("blobs/sha256").join(&digest["sha256:".len()..]);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `LegacyArchive::two_images` written to `legacy.tar` in `dir`, and its path.
fn two_images(dir: &Path) -> (LegacyArchive, String) {
    let legacy = LegacyArchive::two_images();
    let archive = dir.join("legacy.tar");
    legacy.builder().write_to(&archive);
    (legacy, archive.display().to_string())
}

#[test]
fn a_legacy_archive_goes_to_a_registry_and_skopeo_reads_the_layers_that_went_in() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let (legacy, archive) = two_images(work.path());

    for (name, top, repo) in [
        ("team/one:1", "one", "legacy/one:1"),
        ("@1", "two", "legacy/two:2"),
    ] {
        let source = format!("docker-archive:{archive}:{name}");
        let diff_ids = legacy.diff_ids(&v1_id(top));
        let inspected: Value =
            serde_json::from_str(&skiff.ok_text_within(&["inspect", &source], LIMIT)).unwrap();
        assert_eq!(inspected["Layers"], serde_json::json!(diff_ids), "{source}");
        assert_eq!(inspected["Architecture"], "amd64");
        assert_eq!(inspected["Os"], "linux");
        assert_eq!(inspected["Env"], serde_json::json!(["PATH=/usr/bin:/bin"]));

        let digest = skiff.ok_text_within(&["copy", "-q", &source, &registry.reference(repo)], LIMIT);
        let pushed = ImageRef::registry(&registry, repo);
        let by_skopeo = skopeo.inspect(&pushed).unwrap();
        assert_eq!(by_skopeo["Digest"], digest.as_str(), "{source}");
        // The layers went as the archive holds them: uncompressed, their digests the diffIDs.
        assert_eq!(by_skopeo["Layers"], serde_json::json!(diff_ids), "{source}");

        // skopeo pulls it into a layout: the config's diffIDs and each layer's content are
        // what the archive held.
        let layout = work.path().join(format!("oci-{top}"));
        skopeo
            .copy(
                &pushed,
                &ImageRef::local(format!("oci:{}:x", layout.display())),
                None,
            )
            .unwrap();
        let index: Value =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        let manifest: Value =
            serde_json::from_slice(&blob(&layout, index["manifests"][0]["digest"].as_str().unwrap()))
                .unwrap();
        let config: Value =
            serde_json::from_slice(&blob(&layout, manifest["config"]["digest"].as_str().unwrap())).unwrap();
        assert_eq!(config["rootfs"]["diff_ids"], serde_json::json!(diff_ids));
        let chain = legacy.chain(&v1_id(top));
        let layers = manifest["layers"].as_array().unwrap();
        assert_eq!(layers.len(), chain.len());
        for (layer, image) in layers.iter().zip(chain) {
            let stored = blob(&layout, layer["digest"].as_str().unwrap());
            let content = match layer["mediaType"].as_str().unwrap() {
                t if t.ends_with("gzip") => gunzip(&stored),
                _ => stored,
            };
            assert_eq!(content, image.layer, "{source}: layer of {}", image.id);
            assert_eq!(sha256(&content), sha256(&image.layer));
        }
    }
}

#[test]
fn a_legacy_image_becomes_a_modern_docker_archive_and_oci_archive_that_skopeo_reads() {
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let (legacy, archive) = two_images(work.path());
    let source = format!("docker-archive:{archive}:team/two:2");
    let diff_ids = legacy.diff_ids(&v1_id("two"));
    let modern = format!(
        "docker-archive:{}:team/two:2",
        work.path().join("modern.tar").display()
    );
    let oci = format!("oci-archive:{}:two", work.path().join("oci.tar").display());
    // A copy keeps the Docker manifest; skopeo finds only OCI manifests in an OCI archive,
    // so that one is converted on the way.
    for (command, destination) in [(&["copy"][..], &modern), (&["convert", "--to", "oci"][..], &oci)] {
        let args: Vec<&str> = command
            .iter()
            .copied()
            .chain(["-q", &source, destination])
            .collect();
        let digest = skiff.ok_text_within(&args, LIMIT);
        let by_skopeo = skopeo.inspect(&ImageRef::local(destination.as_str())).unwrap();
        assert_eq!(by_skopeo["Layers"], serde_json::json!(diff_ids), "{destination}");
        assert_eq!(
            skiff.ok_text_within(&["digest", destination], LIMIT),
            digest,
            "{destination}: read back as written"
        );
    }
    // `skiff save` takes legacy images too: both in one archive, the shared layers once.
    let saved = work.path().join("saved.tar");
    let out = skiff.run_within(
        &[
            "save",
            "-q",
            "--output",
            &saved.display().to_string(),
            &format!("docker-archive:{archive}:team/one:1"),
            &source,
        ],
        LIMIT,
    );
    assert!(out.status.success(), "{}", super::util::describe(&out));
    for (name, top) in [("team/one:1", "one"), ("team/two:2", "two")] {
        let by_name = format!("docker-archive:{}:{name}", saved.display());
        let by_skopeo = skopeo.inspect(&ImageRef::local(&by_name)).unwrap();
        assert_eq!(
            by_skopeo["Layers"],
            serde_json::json!(legacy.diff_ids(&v1_id(top)))
        );
    }
    assert_eq!(
        file_names(work.path()),
        ["legacy.tar", "modern.tar", "oci.tar", "saved.tar"]
    );
}
