//! The demo's image: a two-platform OCI image layout built deterministically
//! (same bytes, same digests on every machine), one small layer per platform.

use std::io::Write;
use std::path::Path;

use oci_digest::Digest;
use oci_manifest::{Descriptor, Flavour, ImageIndex, ImageManifest, MediaType, Platform};

/// The platforms the demo image carries.
const PLATFORMS: &[(&str, &str)] = &[("linux", "amd64"), ("linux", "arm64")];

/// Writes the image as an OCI layout in `dir`, tagged `tag`; returns the index digest.
pub(crate) fn write_layout(dir: &Path, tag: &str) -> Result<Digest, String> {
    let blobs = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs).map_err(|e| format!("creating {}: {e}", blobs.display()))?;
    let put = |bytes: &[u8]| -> Result<Digest, String> {
        let digest = Digest::sha256(bytes);
        let path = blobs.join(digest.encoded());
        std::fs::write(&path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))?;
        Ok(digest)
    };
    let mut children = Vec::new();
    for (os, arch) in PLATFORMS {
        let tar = layer_tar(&format!("hello from skiff on {os}/{arch}\n"))?;
        let diff_id = Digest::sha256(&tar);
        let layer = gzip(&tar)?;
        let layer_digest = put(&layer)?;
        let config = serde_json::json!({
            "created": "2026-01-01T00:00:00Z",
            "architecture": arch,
            "os": os,
            "config": {
                "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                "Cmd": ["cat", "/hello.txt"],
                "Labels": {"org.opencontainers.image.title": "skiff demo"}
            },
            "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
            "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "skiff demo: COPY hello.txt /"}]
        });
        let config = serde_json::to_vec(&config).map_err(|e| e.to_string())?;
        let config_digest = put(&config)?;
        let manifest = ImageManifest::new(
            Flavour::Oci,
            Descriptor::new(MediaType::OciConfig, config_digest, config.len() as u64),
            vec![Descriptor::new(
                MediaType::OciLayerGzip,
                layer_digest,
                layer.len() as u64,
            )],
        )
        .map_err(|e| e.to_string())?;
        let manifest_digest = put(manifest.as_bytes())?;
        children.push(
            Descriptor::new(
                MediaType::OciManifest,
                manifest_digest,
                manifest.as_bytes().len() as u64,
            )
            .with_platform(Platform::new(os, arch)),
        );
    }
    let index = ImageIndex::new(Flavour::Oci, children).map_err(|e| e.to_string())?;
    let index_digest = put(index.as_bytes())?;
    let layout_index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": MediaType::OciIndex.as_str(),
            "digest": index_digest.to_string(),
            "size": index.as_bytes().len(),
            "annotations": {"org.opencontainers.image.ref.name": tag}
        }]
    });
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.join(name), bytes).map_err(|e| format!("writing {name}: {e}"))
    };
    write("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    write(
        "index.json",
        &serde_json::to_vec(&layout_index).map_err(|e| e.to_string())?,
    )?;
    Ok(index_digest)
}

/// A tar archive holding `/hello.txt`, with fixed metadata so its bytes never change.
fn layer_tar(text: &str) -> Result<Vec<u8>, String> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(1_767_225_600); // 2026-01-01
    header.set_uid(0);
    header.set_gid(0);
    builder
        .append_data(&mut header, "hello.txt", text.as_bytes())
        .map_err(|e| format!("building the demo layer: {e}"))?;
    builder
        .into_inner()
        .map_err(|e| format!("building the demo layer: {e}"))
}

/// Gzip with a zero timestamp, so the compressed bytes are reproducible.
fn gzip(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).map_err(|e| e.to_string())?;
    encoder.finish().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_image_is_reproducible_and_parses() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = write_layout(a.path(), "1.0").unwrap();
        let second = write_layout(b.path(), "1.0").unwrap();
        assert_eq!(first, second, "same bytes, same digest on every run");
        let bytes = std::fs::read(a.path().join("blobs/sha256").join(first.encoded())).unwrap();
        let index = oci_manifest::Manifest::parse(&bytes, None).unwrap();
        assert_eq!(index.manifests().unwrap().len(), PLATFORMS.len());
        let arm = index
            .find_platform(&Platform::new("linux", "arm64"))
            .expect("an arm64 child");
        assert!(a
            .path()
            .join("blobs/sha256")
            .join(arm.digest().encoded())
            .is_file());
    }
}
