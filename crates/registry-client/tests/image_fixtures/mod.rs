//! Small, deterministic OCI images built in memory for the layout and image
//! tests: a config and two gzip layers per platform (one layer shared by
//! every image, one unique to its seed), optionally under an index.

use std::io::Write;

use oci_digest::Digest;
use oci_manifest::{Descriptor, MediaType, Platform};
use registry_client::layout::{LayoutTag, OciLayout};
use serde_json::json;

/// One blob: its bytes, digest and media type.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub(crate) media_type: MediaType,
    pub(crate) content: Vec<u8>,
    pub(crate) digest: Digest,
}

impl Blob {
    fn new(media_type: MediaType, content: Vec<u8>) -> Blob {
        Blob {
            digest: Digest::sha256(&content),
            media_type,
            content,
        }
    }

    pub(crate) fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.media_type.clone(),
            self.digest.clone(),
            self.content.len() as u64,
        )
    }
}

/// An image manifest with its blobs, or an index with its children.
#[derive(Debug, Clone)]
pub(crate) struct TestImage {
    pub(crate) manifest: Blob,
    /// Config and layers (empty for an index).
    pub(crate) blobs: Vec<Blob>,
    /// Platform images (empty for a single image).
    pub(crate) children: Vec<TestImage>,
}

impl TestImage {
    pub(crate) fn digest(&self) -> &Digest {
        &self.manifest.digest
    }

    pub(crate) fn descriptor(&self) -> Descriptor {
        self.manifest.descriptor()
    }

    /// Every blob and child manifest below this one, deduplicated.
    pub(crate) fn all_blobs(&self) -> Vec<&Blob> {
        let mut out: Vec<&Blob> = Vec::new();
        for child in &self.children {
            out.push(&child.manifest);
            out.extend(child.all_blobs());
        }
        out.extend(self.blobs.iter());
        let mut seen = std::collections::HashSet::new();
        out.retain(|b| seen.insert(b.digest.clone()));
        out
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

/// A layer whose uncompressed content is `text` repeated to `len` bytes.
fn layer(text: &str, len: usize) -> (Blob, Digest) {
    let raw: Vec<u8> = text.bytes().cycle().take(len).collect();
    (
        Blob::new(MediaType::OciLayerGzip, gzip(&raw)),
        Digest::sha256(&raw),
    )
}

/// `len` bytes that gzip cannot shrink (xorshift noise seeded by `seed`).
fn noise(seed: &str, len: usize) -> Vec<u8> {
    let mut state = seed.bytes().fold(0x9e37_79b9_7f4a_7c15u64, |s, b| {
        (s ^ u64::from(b)).rotate_left(5) | 1
    });
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A single-platform image. `layer_len` sets the unique layer's size.
pub(crate) fn single(seed: &str, os: &str, architecture: &str, layer_len: usize) -> TestImage {
    let (top, top_diff) = layer(&format!("{seed} {os}/{architecture}\n"), layer_len);
    single_with(seed, os, architecture, top, top_diff)
}

/// [`single`] whose unique layer is `layer_len` bytes of noise: as large on
/// the wire as on disk.
pub(crate) fn single_incompressible(seed: &str, layer_len: usize) -> TestImage {
    let raw = noise(seed, layer_len);
    let top = Blob::new(MediaType::OciLayerGzip, gzip(&raw));
    single_with(seed, "linux", "amd64", top, Digest::sha256(&raw))
}

fn single_with(seed: &str, os: &str, architecture: &str, top: Blob, top_diff: Digest) -> TestImage {
    let (base, base_diff) = layer("shared base layer\n", 4096);
    let config = json!({
        "architecture": architecture,
        "os": os,
        "config": { "Env": [format!("SEED={seed}")], "Labels": { "seed": seed } },
        "rootfs": { "type": "layers", "diff_ids": [base_diff, top_diff] },
        "history": [ { "created_by": "base" }, { "created_by": seed } ]
    });
    let config = Blob::new(MediaType::OciConfig, serde_json::to_vec(&config).expect("json"));
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MediaType::OciManifest.as_str(),
        "config": config.descriptor(),
        "layers": [base.descriptor(), top.descriptor()],
    });
    TestImage {
        manifest: Blob::new(
            MediaType::OciManifest,
            serde_json::to_vec(&manifest).expect("json"),
        ),
        blobs: vec![config, base, top],
        children: Vec::new(),
    }
}

/// An index of one image per `os/arch[/variant]`.
pub(crate) fn index(seed: &str, platforms: &[&str]) -> TestImage {
    let children: Vec<TestImage> = platforms
        .iter()
        .map(|p| {
            let platform: Platform = p.parse().expect("platform");
            single(seed, platform.os(), platform.architecture(), 10_000)
        })
        .collect();
    let entries: Vec<Descriptor> = children
        .iter()
        .zip(platforms)
        .map(|(child, p)| child.descriptor().with_platform(p.parse().expect("platform")))
        .collect();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MediaType::OciIndex.as_str(),
        "manifests": entries,
    });
    TestImage {
        manifest: Blob::new(MediaType::OciIndex, serde_json::to_vec(&manifest).expect("json")),
        blobs: Vec::new(),
        children,
    }
}

/// Writes `image` (children first) into `layout` and tags it.
pub(crate) async fn write(layout: &OciLayout, image: &TestImage, tag: &str) {
    for blob in image.all_blobs() {
        layout
            .write_blob(&blob.digest, &blob.content)
            .await
            .expect("write blob");
    }
    layout
        .write_blob(&image.manifest.digest, &image.manifest.content)
        .await
        .expect("write manifest");
    let tag: LayoutTag = tag.parse().expect("tag");
    layout.set_tag(&tag, image.descriptor()).await.expect("tag");
}

/// Runs a program and returns its stdout, failing with everything it said.
pub(crate) fn run(program: &str, args: &[&str]) -> String {
    let path = skiff_integration::require(program);
    let output = std::process::Command::new(path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
