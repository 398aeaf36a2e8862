//! The docker-archive format: `manifest.json`, and the image manifest an
//! archive's image is read as.

use oci_digest::Digest;
use oci_manifest::MediaType;
use serde::{Deserialize, Serialize};

/// `manifest.json` is an array of these, one per image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ManifestItem {
    /// The member holding the image config.
    #[serde(rename = "Config")]
    pub(crate) config: String,
    /// The image's names, `NAME:TAG`.
    #[serde(rename = "RepoTags", default, deserialize_with = "null_as_empty")]
    pub(crate) repo_tags: Vec<String>,
    /// The members holding the layers, bottom first.
    #[serde(rename = "Layers", default, deserialize_with = "null_as_empty")]
    pub(crate) layers: Vec<String>,
}

/// `"RepoTags": null`, as Docker writes for an untagged image, is no tags.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(deserializer)?.unwrap_or_default())
}

/// The name of `manifest.json`.
pub(crate) const MANIFEST_JSON: &str = "manifest.json";

/// The media type Docker gives uncompressed layers (`docker save` stores them so).
pub(crate) use crate::image::DOCKER_LAYER_TAR;

/// A descriptor as containerd's importer writes it: Go's `ocispec.Descriptor` order.
#[derive(Serialize)]
struct Entry<'a> {
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    digest: &'a Digest,
    size: u64,
}

#[derive(Serialize)]
struct Synthesised<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    config: Entry<'a>,
    layers: Vec<Entry<'a>>,
}

/// The Docker schema2 manifest of an archived image: its config, and each
/// layer as stored (`(media type, digest, size)`), serialised as containerd's
/// `ctr images import` serialises the manifest it makes for the same image,
/// so both name it by the same digest.
pub(crate) fn image_manifest(config: (&Digest, u64), layers: &[(MediaType, Digest, u64)]) -> Vec<u8> {
    let manifest = Synthesised {
        schema_version: 2,
        media_type: MediaType::DockerSchema2.as_str(),
        config: Entry {
            media_type: MediaType::DockerContainerConfig.as_str(),
            digest: config.0,
            size: config.1,
        },
        layers: layers
            .iter()
            .map(|(media_type, digest, size)| Entry {
                media_type: media_type.as_str(),
                digest,
                size: *size,
            })
            .collect(),
    };
    serde_json::to_vec(&manifest).expect("a manifest of digests and sizes serialises")
}

/// The digest a member name `blobs/ALG/HEX` (an OCI layout's blob path, as
/// `ctr images export` and Docker 25 name layers) gives, if it is one.
pub(crate) fn digest_in_name(name: &str) -> Option<Digest> {
    let rest = name.trim_start_matches("./").strip_prefix("blobs/")?;
    let (algorithm, encoded) = rest.split_once('/')?;
    Digest::parse(&format!("{algorithm}:{encoded}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_is_containerds() {
        let config = Digest::sha256(b"{}");
        let layer = Digest::sha256(b"layer");
        let bytes = image_manifest(
            (&config, 2),
            &[(MediaType::from(DOCKER_LAYER_TAR), layer.clone(), 5)],
        );
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            format!(
                "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\
                 \"config\":{{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"{config}\",\"size\":2}},\
                 \"layers\":[{{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar\",\"digest\":\"{layer}\",\"size\":5}}]}}"
            )
        );
    }

    #[test]
    fn manifest_json_reads_what_docker_writes() {
        let text = r#"[{"Config":"a.json","RepoTags":null,"Layers":["x/layer.tar"]},{"Config":"b.json","RepoTags":["busybox:latest"],"Layers":[],"Parent":"","LayerSources":{}}]"#;
        let items: Vec<ManifestItem> = serde_json::from_str(text).unwrap();
        assert!(items[0].repo_tags.is_empty());
        assert_eq!(items[1].repo_tags, ["busybox:latest"]);
        assert_eq!(
            serde_json::to_string(&items[1]).unwrap(),
            r#"{"Config":"b.json","RepoTags":["busybox:latest"],"Layers":[]}"#
        );
    }

    #[test]
    fn blob_paths_name_their_digest() {
        let digest = Digest::sha256(b"x");
        assert_eq!(
            digest_in_name(&format!("blobs/sha256/{}", digest.encoded())),
            Some(digest)
        );
        assert_eq!(digest_in_name("abc/layer.tar"), None);
        assert_eq!(digest_in_name("blobs/sha256/short"), None);
    }
}
