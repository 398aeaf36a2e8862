//! How Go writes backspace and form feed, as the skopeo the tests run writes
//! them: the vector that pins `oci_manifest::go_json`.
//!
//! Go before 1.22 escapes the two as `\u0008` and `\u000c`, Go 1.22 and later
//! as `\b` and `\f`, and an image ID is the digest of such bytes. Converting a
//! schema1 image to schema2 makes skopeo write a new config: the top layer's
//! v1 fields copied as raw JSON (their escapes kept as written) and a history
//! entry per layer, decoded and encoded again by Go. Both must come out as
//! ours do.

use std::path::Path;

use oci_digest::{known, Digest};
use oci_manifest::{go_json, Flavour, ImageManifest, Schema1, Schema1Layout};
use skiff_integration::{ImageFormat, ImageRef, Skopeo};
use v1_compat::{schema1_to_config, V1History};

/// Text with the characters whose escape changed in Go 1.22, some Go escapes
/// for HTML, and a control character Go always writes as `\u00XX`.
const TRICKY: &str = "back\u{8}space form\u{c}feed <b> & \u{1}";

/// A `dir:` image directory holding `manifest` and `blobs`.
fn write_dir(dir: &Path, manifest: &[u8], blobs: &[&[u8]]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("version"), "Directory Transport Version: 1.1\n").unwrap();
    std::fs::write(dir.join("manifest.json"), manifest).unwrap();
    for blob in blobs {
        std::fs::write(dir.join(Digest::sha256(blob).encoded()), blob).unwrap();
    }
}

fn dir_ref(dir: &Path) -> ImageRef {
    ImageRef::local(format!("dir:{}", dir.display()))
}

#[test]
fn skopeo_escapes_backspace_and_form_feed_as_we_do() {
    let dir = tempfile::tempdir().unwrap();
    // One layer, the gzipped empty tar, whose v1 metadata holds the text in
    // fields Go copies raw (top level) and encodes again (the history).
    let v1 = serde_json::json!({
        "id": "d0c4f1eb7dc8f4dae2b45fe5c0cf4cfc70e5be85d933f5f5f4deb59f134fb520",
        "created": "2016-09-23T18:08:50Z",
        "author": TRICKY,
        "comment": TRICKY,
        "container_config": {"Cmd": ["/bin/sh", "-c", TRICKY]},
        "os": "linux",
        "architecture": "amd64",
    })
    .to_string();
    let layers = [(known::empty_tar_gzip(), v1.as_str())];
    let schema1 = Schema1::new(
        Schema1Layout::Docker,
        "library/escapes",
        "latest",
        "amd64",
        layers,
    )
    .unwrap();
    let source = dir.path().join("schema1");
    write_dir(&source, schema1.as_bytes(), &[&known::EMPTY_TAR_GZIP_BYTES]);

    let converted = dir.path().join("schema2");
    Skopeo::new()
        .copy(&dir_ref(&source), &dir_ref(&converted), Some(ImageFormat::V2s2))
        .unwrap_or_else(|failure| panic!("{failure}"));
    let manifest = std::fs::read(converted.join("manifest.json")).unwrap();
    let manifest = ImageManifest::from_slice(Flavour::Docker, &manifest).unwrap();
    let theirs = std::fs::read(converted.join(manifest.config().digest().encoded())).unwrap();
    let theirs = String::from_utf8(theirs).unwrap();

    // The history entry Go wrote: the text escaped the way this Go escapes it.
    let escaped = String::from_utf8(go_json::to_vec(TRICKY).unwrap()).unwrap();
    assert!(
        theirs.contains(&format!("\"author\":{escaped}")),
        "skopeo's Go escapes the text otherwise than oci_manifest::go_json ({escaped}): {theirs}"
    );
    assert!(
        escaped.contains("\\u0008") && escaped.contains("\\u000c"),
        "{escaped}"
    );

    // And the whole config, so the image ID, byte for byte.
    let history = V1History::from_schema1(&schema1).unwrap();
    let ours = schema1_to_config(&history, &[known::empty_tar()]).unwrap();
    assert_eq!(String::from_utf8_lossy(ours.bytes()), theirs);
}
