//! Small images made up on the spot: an OCI image layout in a temp dir whose layers are gzipped tars
//! of pseudo-random bytes, the same bytes for the same seed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use ring::digest::{digest, SHA256};
use serde_json::{json, Value};

/// The tag the layout's only image carries.
pub const LAYOUT_TAG: &str = "latest";

/// `Accept` for manifest requests naming every manifest type, so a registry serves whatever it
/// holds (distribution answers 404 to a request that does not accept the stored type).
pub const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.v1+prettyjws, \
    application/vnd.docker.distribution.manifest.v1+json";

/// A blob as a manifest names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    digest: String,
    size: u64,
}

impl BlobInfo {
    fn of(bytes: &[u8]) -> BlobInfo {
        BlobInfo {
            digest: sha256(bytes),
            size: bytes.len() as u64,
        }
    }

    /// `sha256:HEX`.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// An OCI image layout holding one image (tag [`LAYOUT_TAG`]), removed on drop.
#[derive(Debug)]
pub struct RandomImage {
    dir: tempfile::TempDir,
    manifest: BlobInfo,
    config: BlobInfo,
    layers: Vec<BlobInfo>,
    diff_ids: Vec<String>,
}

impl RandomImage {
    /// Builds an image with one layer per entry of `layer_sizes` (each a tar of one file of that
    /// many pseudo-random bytes). The same `seed` and sizes give byte-identical blobs.
    pub fn build(seed: &str, layer_sizes: &[usize]) -> RandomImage {
        RandomImage::build_for(seed, layer_sizes, "linux/amd64")
    }

    /// [`RandomImage::build`] for another platform, `OS/ARCH[/VARIANT]`, written into its config.
    pub fn build_for(seed: &str, layer_sizes: &[usize], platform: &str) -> RandomImage {
        RandomImage::build_with(seed, &[], layer_sizes, platform, LayerCompression::Gzip)
    }

    /// An image whose first layers are shared: each `(LAYER_SEED, SIZE)` of `shared` is the
    /// same blob in every image built with it (whatever the image's own seed), followed by
    /// layers of `own_sizes` as [`RandomImage::build`] makes them.
    pub fn build_sharing(seed: &str, shared: &[(&str, usize)], own_sizes: &[usize]) -> RandomImage {
        RandomImage::build_with(seed, shared, own_sizes, "linux/amd64", LayerCompression::Gzip)
    }

    /// [`RandomImage::build`] with zstd-compressed layers, typed
    /// `application/vnd.oci.image.layer.v1.tar+zstd`.
    pub fn build_zstd(seed: &str, layer_sizes: &[usize]) -> RandomImage {
        RandomImage::build_with(seed, &[], layer_sizes, "linux/amd64", LayerCompression::Zstd)
    }

    fn build_with(
        seed: &str,
        shared: &[(&str, usize)],
        layer_sizes: &[usize],
        platform: &str,
        compression: LayerCompression,
    ) -> RandomImage {
        let mut parts = platform.split('/');
        let os = parts.next().unwrap_or("linux");
        let architecture = parts.next().unwrap_or("amd64");
        let variant = parts.next();
        let dir = tempfile::Builder::new()
            .prefix("image-")
            .tempdir()
            .expect("temp dir for an image");
        let blobs = dir.path().join("blobs").join("sha256");
        std::fs::create_dir_all(&blobs).expect("create blobs/sha256");
        let mut rng = fastrand::Rng::with_seed(seed_number(seed));

        let mut layers = Vec::new();
        let mut diff_ids = Vec::new();
        for (index, &(layer_seed, size)) in shared.iter().enumerate() {
            let tar = layer_tar(
                &mut fastrand::Rng::with_seed(seed_number(layer_seed)),
                index,
                size,
            );
            diff_ids.push(sha256(&tar));
            layers.push(write_blob(&blobs, &compression.compress(&tar)));
        }
        for (index, &size) in layer_sizes.iter().enumerate() {
            let index = shared.len() + index;
            let tar = layer_tar(&mut rng, index, size);
            diff_ids.push(sha256(&tar));
            layers.push(write_blob(&blobs, &compression.compress(&tar)));
        }

        let history: Vec<Value> = (0..layers.len())
            .map(|i| json!({ "created": "1970-01-01T00:00:00Z", "created_by": format!("layer {i}") }))
            .collect();
        let mut config = json!({
            "created": "1970-01-01T00:00:00Z",
            "architecture": architecture,
            "os": os,
            "config": { "Env": ["PATH=/usr/bin:/bin"], "Labels": { "org.skiff.test.seed": seed } },
            "rootfs": { "type": "layers", "diff_ids": diff_ids },
            "history": history,
        });
        if let Some(variant) = variant {
            config["variant"] = Value::from(variant);
        }
        let config = write_blob(&blobs, config.to_string().as_bytes());

        let layer_descriptors: Vec<Value> = layers
            .iter()
            .map(|l| json!({ "mediaType": compression.media_type(), "digest": l.digest, "size": l.size }))
            .collect();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": { "mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": config.digest, "size": config.size },
            "layers": layer_descriptors,
        });
        let manifest = write_blob(&blobs, manifest.to_string().as_bytes());

        let index = json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest.digest, "size": manifest.size,
                "annotations": { "org.opencontainers.image.ref.name": LAYOUT_TAG },
            }],
        });
        write_file(&dir.path().join("index.json"), index.to_string().as_bytes());
        write_file(
            &dir.path().join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        );
        RandomImage {
            dir,
            manifest,
            config,
            layers,
            diff_ids,
        }
    }

    /// The layout directory.
    pub fn layout_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `oci:DIR:latest`, the skopeo name of the image.
    pub fn oci_reference(&self) -> String {
        format!("oci:{}:{LAYOUT_TAG}", self.dir.path().display())
    }

    /// The OCI manifest in the layout.
    pub fn manifest(&self) -> &BlobInfo {
        &self.manifest
    }

    /// The image config.
    pub fn config(&self) -> &BlobInfo {
        &self.config
    }

    /// The compressed layers, base first.
    pub fn layers(&self) -> &[BlobInfo] {
        &self.layers
    }

    /// `sha256:` digests of the uncompressed layer tars, base first.
    pub fn diff_ids(&self) -> &[String] {
        &self.diff_ids
    }

    /// Where the blob with `digest` (`sha256:HEX`) lives in the layout.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.dir.path().join("blobs").join("sha256").join(hex)
    }

    /// The bytes of the blob with `digest`.
    pub fn blob(&self, digest: &str) -> Vec<u8> {
        let path = self.blob_path(digest);
        std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }
}

/// `sha256:HEX` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    let hash = digest(&SHA256, bytes);
    let hex: String = hash.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn seed_number(seed: &str) -> u64 {
    let hash = digest(&SHA256, seed.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_ref()[..8]);
    u64::from_le_bytes(first)
}

/// A tar of one file, with fixed metadata so the bytes depend only on the random content.
fn layer_tar(rng: &mut fastrand::Rng, index: usize, size: usize) -> Vec<u8> {
    let mut content = vec![0u8; size];
    rng.fill(&mut content);
    let mut header = tar::Header::new_gnu();
    header.set_size(size as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_data(&mut header, format!("data-{index}.bin"), content.as_slice())
        .expect("append to an in-memory tar");
    builder.into_inner().expect("finish an in-memory tar")
}

/// How a [`RandomImage`]'s layers are compressed.
#[derive(Debug, Clone, Copy)]
enum LayerCompression {
    Gzip,
    Zstd,
}

impl LayerCompression {
    fn compress(self, tar: &[u8]) -> Vec<u8> {
        match self {
            LayerCompression::Gzip => gzip(tar),
            LayerCompression::Zstd => zstd::encode_all(tar, 3).expect("zstd in memory"),
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            LayerCompression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            LayerCompression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
}

/// `bytes` gzipped (fast level).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

/// `bytes` gunzipped.
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut out).expect("valid gzip");
    out
}

fn write_blob(blobs: &Path, bytes: &[u8]) -> BlobInfo {
    let info = BlobInfo::of(bytes);
    write_file(&blobs.join(&info.digest["sha256:".len()..]), bytes);
    info
}

fn write_file(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_blobs_other_seed_other_blobs() {
        let a = RandomImage::build("repo:one", &[10, 2000]);
        let b = RandomImage::build("repo:one", &[10, 2000]);
        let c = RandomImage::build("repo:two", &[10, 2000]);
        assert_eq!(a.layers(), b.layers());
        assert_eq!(a.manifest(), b.manifest());
        assert_ne!(a.layers()[1], c.layers()[1]);
    }

    #[test]
    fn layout_is_complete_and_digests_match_contents() {
        let image = RandomImage::build("layout", &[0, 100]);
        let index: Value =
            serde_json::from_slice(&std::fs::read(image.layout_dir().join("index.json")).unwrap()).unwrap();
        assert_eq!(index["manifests"][0]["digest"], image.manifest().digest());
        let all = [image.manifest(), image.config()]
            .into_iter()
            .chain(image.layers());
        for blob in all {
            let bytes = image.blob(blob.digest());
            assert_eq!(sha256(&bytes), blob.digest());
            assert_eq!(bytes.len() as u64, blob.size());
        }
        let config: Value = serde_json::from_slice(&image.blob(image.config().digest())).unwrap();
        assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
        assert!(image.oci_reference().ends_with(":latest"));
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
