//! Agreement with skopeo on a real registry: inspect output for every
//! manifest format, and both directions of schema1 conversion.

use std::path::Path;

use oci_digest::Digest;
use oci_manifest::MediaType;
use serde_json::Value;
use v1_compat::{config_to_schema1, scan_layer, schema1_to_config, InspectSummary, V1History};

use crate::oci_layout::write_image;
use crate::registry::{copy, copy_to_dir, skopeo, Registry};
use crate::util::{schema1, schema1_history};

const REPOSITORY: &str = "demo/img";

/// The image pushed to a fresh registry as `v2s2`, `v2s1` and `oci`.
struct Fixture {
    registry: Registry,
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let registry = Registry::start();
        let dir = tempfile::tempdir().unwrap();
        let layout = dir.path().join("layout");
        write_image(&layout);
        for format in ["v2s2", "v2s1", "oci"] {
            let src = format!("oci:{}:v1", layout.display());
            copy(&src, &registry.image(REPOSITORY, format), Some(format));
        }
        Fixture { registry, dir }
    }

    /// A `dir:` copy of one tag: its manifest exactly as served, and its blobs.
    fn download(&self, tag: &str) -> std::path::PathBuf {
        let target = self.dir.path().join(format!("dir-{tag}"));
        copy_to_dir(&self.registry.image(REPOSITORY, tag), &target);
        target
    }

    fn inspect(&self, tag: &str, extra: &[&str]) -> Vec<u8> {
        let image = self.registry.image(REPOSITORY, tag);
        let mut args = vec!["inspect", "--tls-verify=false"];
        args.extend(extra);
        args.push(&image);
        skopeo(&args)
    }
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

fn blob(dir: &Path, digest: &Digest) -> Vec<u8> {
    read(dir, digest.encoded())
}

fn digests(values: &Value) -> Vec<Digest> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().parse().unwrap())
        .collect()
}

/// Our summary, with the manifest digest and tag list taken from skopeo's
/// (both come from the manifest and the registry, not from this crate).
fn assert_inspect_agrees(
    fixture: &Fixture,
    tag: &str,
    ours: impl FnOnce(Digest, Vec<String>) -> InspectSummary,
) {
    let expected = String::from_utf8(fixture.inspect(tag, &[])).unwrap();
    let parsed: Value = serde_json::from_str(&expected).unwrap();
    let digest: Digest = parsed["Digest"].as_str().unwrap().parse().unwrap();
    let tags: Vec<String> = parsed["RepoTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    let summary = ours(digest, tags);
    assert_eq!(
        summary.to_skopeo_json(),
        expected.trim_end_matches('\n'),
        "inspect of {tag}"
    );
}

#[test]
fn agrees_with_skopeo() {
    let fixture = Fixture::new();
    let name = fixture.registry.name(REPOSITORY);

    // Inspect: schema2 and OCI from the config, schema1 from v1 history.
    for tag in ["v2s2", "oci"] {
        let dir = fixture.download(tag);
        let manifest: Value = serde_json::from_slice(&read(&dir, "manifest.json")).unwrap();
        let config = blob(
            &dir,
            &manifest["config"]["digest"].as_str().unwrap().parse().unwrap(),
        );
        let layers = digests(&Value::Array(
            manifest["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["digest"].clone())
                .collect(),
        ));
        assert_inspect_agrees(&fixture, tag, |digest, tags| {
            let config_type = MediaType::from(manifest["config"]["mediaType"].as_str().unwrap());
            InspectSummary::from_config(&name, digest, tags, &config_type, &config, layers).unwrap()
        });
    }
    let s1_dir = fixture.download("v2s1");
    let history: V1History = schema1_history(&read(&s1_dir, "manifest.json"));
    assert_inspect_agrees(&fixture, "v2s1", |digest, tags| {
        InspectSummary::from_schema1(&name, digest, tags, &schema1(&read(&s1_dir, "manifest.json"))).unwrap()
    });

    // schema1 -> schema2: skopeo's converted config, byte for byte.
    let diff_ids: Vec<Digest> = history
        .content_layers()
        .map(|layer| {
            let content = blob(&s1_dir, layer.blob_sum());
            scan_layer(content.as_slice(), layer.blob_sum())
                .unwrap()
                .diff_id()
                .clone()
        })
        .collect();
    let ours = schema1_to_config(&history, &diff_ids).unwrap();
    copy(
        &fixture.registry.image(REPOSITORY, "v2s1"),
        &fixture.registry.image(REPOSITORY, "from-v2s1"),
        Some("v2s2"),
    );
    let theirs = fixture.inspect("from-v2s1", &["--config", "--raw"]);
    assert_eq!(
        String::from_utf8_lossy(ours.bytes()),
        String::from_utf8_lossy(&theirs)
    );

    // schema2 -> schema1: the same layers and v1 history skopeo pushed.
    let s2_dir = fixture.download("v2s2");
    let manifest: Value = serde_json::from_slice(&read(&s2_dir, "manifest.json")).unwrap();
    let config = blob(
        &s2_dir,
        &manifest["config"]["digest"].as_str().unwrap().parse().unwrap(),
    );
    let layers: Vec<Digest> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().parse().unwrap())
        .collect();
    let converted = config_to_schema1(&config, &layers, REPOSITORY, "v2s1").unwrap();
    let skopeo_s1: Value = serde_json::from_slice(&read(&s1_dir, "manifest.json")).unwrap();
    let their_layers: Vec<&str> = skopeo_s1["fsLayers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["blobSum"].as_str().unwrap())
        .collect();
    let their_history: Vec<&str> = skopeo_s1["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["v1Compatibility"].as_str().unwrap())
        .collect();
    let our_layers: Vec<&str> = converted.fs_layers().iter().map(Digest::as_str).collect();
    assert_eq!(our_layers, their_layers);
    assert_eq!(converted.history(), their_history.as_slice());
}
