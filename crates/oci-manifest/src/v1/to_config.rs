//! Schema1 v1 history -> image config, byte for byte as Docker builds it.
//!
//! The config is the top layer's v1Compatibility with the v1-only fields
//! removed, plus `history` (one entry per v1 layer, base first) and `rootfs`
//! (the diffIDs). Docker writes it with Go's `json.Marshal` of a map of raw
//! values, which fixes the bytes and therefore the image ID: keys sorted,
//! the top layer's values copied compacted but otherwise unchanged, and the
//! new parts encoded with Go's escaping.

use oci_digest::Digest;
use serde::Serialize;

use super::{Timestamp, V1History, V1Metadata};
use crate::go_json::{self, RawObject};
use crate::Error;

/// Top-level v1Compatibility fields that have no place in an image config.
const V1_ONLY_FIELDS: [&str; 6] = ["id", "parent", "parent_id", "layer_id", "throwaway", "Size"];

/// The first Docker release whose v1Compatibility Docker converts as it is;
/// older ones it re-encodes through its own structs first.
const FIRST_RAW_CONVERTIBLE_DOCKER: &str = "1.8.3";

/// An image config and its digest, which is the image ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageConfigBlob {
    bytes: Vec<u8>,
    digest: Digest,
}

impl ImageConfigBlob {
    /// Wraps config bytes, computing their digest.
    pub fn new(bytes: Vec<u8>) -> ImageConfigBlob {
        let digest = Digest::sha256(&bytes);
        ImageConfigBlob { bytes, digest }
    }

    /// The config JSON, exactly as it is to be stored.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The config's digest: the image ID.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Gives back the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// One image-config history entry, fields in Docker's order.
#[derive(Serialize)]
struct HistoryEntry<'a> {
    created: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    #[serde(skip_serializing_if = "String::is_empty")]
    created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    empty_layer: bool,
}

/// The image config's `rootfs`.
#[derive(Serialize)]
struct RootFs<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "<[Digest]>::is_empty")]
    diff_ids: &'a [Digest],
}

/// Whether dotted version `a` sorts before `b`, comparing numeric parts the
/// way Docker does (a part that is not a number counts as 0).
fn version_less_than(a: &str, b: &str) -> bool {
    let part = |parts: &[&str], i: usize| parts.get(i).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0);
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (part(&a, i), part(&b, i));
        if x != y {
            return x < y;
        }
    }
    false
}

/// Builds the image config of a schema1 image from its v1 history and the
/// diffIDs of its content layers (base first, one per layer not marked
/// `throwaway`).
///
/// The bytes equal those Docker and containers/image produce, so the digest is
/// the image ID they report.
pub fn schema1_to_config(history: &V1History, diff_ids: &[Digest]) -> Result<ImageConfigBlob, Error> {
    let content_layers = history.content_layers().count();
    if content_layers != diff_ids.len() {
        return Err(Error::DiffIdCount {
            non_empty_layers: content_layers,
            diff_ids: diff_ids.len(),
        });
    }
    build(history, diff_ids, V1Metadata::throwaway)
}

/// Builds the image config `docker load` builds for the top of a chain of v1
/// images read from a legacy archive (Docker before 1.10: `ID/json` and
/// `ID/layer.tar` directories): every v1 image is a layer, its diffID the
/// digest of its uncompressed `layer.tar` (each [`V1Layer`]'s blob digest),
/// and no history entry is empty (`throwaway` is a schema1 notion that
/// Docker's legacy loader ignores).
///
/// [`V1Layer`]: super::V1Layer
pub fn legacy_to_config(history: &V1History) -> Result<ImageConfigBlob, Error> {
    let diff_ids: Vec<Digest> = history
        .layers()
        .iter()
        .map(|layer| layer.blob_sum().clone())
        .collect();
    build(history, &diff_ids, |_| false)
}

/// Docker's `MakeConfigFromV1Config`: the top layer's v1 JSON without its v1-only fields,
/// plus `rootfs` and one `history` entry per layer (`empty` says which are empty layers).
fn build(
    history: &V1History,
    diff_ids: &[Digest],
    empty: impl Fn(&V1Metadata) -> bool,
) -> Result<ImageConfigBlob, Error> {
    let top = history.top();
    if let Some(version) = top.metadata().docker_version() {
        if version_less_than(version, FIRST_RAW_CONVERTIBLE_DOCKER) {
            return Err(Error::LegacyDockerVersion {
                docker_version: version.to_owned(),
            });
        }
    }

    let entries: Vec<HistoryEntry<'_>> = history
        .layers()
        .iter()
        .map(|layer| {
            let v1 = layer.metadata();
            HistoryEntry {
                created: v1.created().copied().unwrap_or_default(),
                author: v1.author(),
                created_by: v1.created_by(),
                comment: v1.comment(),
                empty_layer: empty(v1),
            }
        })
        .collect();
    let rootfs = RootFs {
        kind: "layers",
        diff_ids,
    };

    let mut config: RawObject =
        go_json::parse_raw_object(top.v1_compatibility()).map_err(|source| Error::V1Json {
            layer: history.layers().len() - 1,
            source,
        })?;
    for field in V1_ONLY_FIELDS {
        config.remove(field);
    }
    config.insert("rootfs".to_owned(), go_json::raw(go_json::to_string(&rootfs)));
    config.insert("history".to_owned(), go_json::raw(go_json::to_string(&entries)));
    Ok(ImageConfigBlob::new(
        go_json::raw_object_to_string(&config).into_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::V1Layer;

    #[test]
    fn docker_version_comparison() {
        let cases = [
            ("1.8.2", true),
            ("1.8.3", false),
            ("1.8.3-rc1", true),
            ("1.10.0", false),
            ("0.9", true),
            ("1.8", true),
            ("17.03.1-ce", false),
            ("dev", true),
        ];
        for (version, older) in cases {
            assert_eq!(version_less_than(version, "1.8.3"), older, "{version}");
        }
    }

    fn id(n: u32) -> String {
        format!("{n:064x}")
    }

    fn history(tops: &[&str]) -> V1History {
        let layers = tops
            .iter()
            .enumerate()
            .map(|(i, json)| V1Layer::new(Digest::sha256(json.as_bytes()), (*json).to_owned(), i).unwrap())
            .collect();
        V1History::new(layers).unwrap()
    }

    #[test]
    fn builds_go_bytes_from_generated_history() {
        let base = format!(
            r#"{{"id":"{}","created":"2020-01-02T03:04:05.100Z","author":"A <a@b>","container_config":{{"Cmd":["/bin/sh","-c","a && b"]}}}}"#,
            id(1)
        );
        let top = format!(
            r#"{{ "parent" : "{}", "id":"{}", "Size": 7, "throwaway": true, "layer_id": "x", "parent_id": "y",
               "os":"linux", "config": {{ "Env": ["A=<1>"] }}, "created":"2020-01-02T03:04:06Z", "comment":"c",
               "container_config":{{"Cmd":"/bin/sh -c #(nop) ENV A=<1>"}}, "architecture": "amd64" }}"#,
            id(1),
            id(2)
        );
        let h = history(&[&base, &top]);
        let diff = Digest::sha256(b"diff");
        let config = schema1_to_config(&h, std::slice::from_ref(&diff)).unwrap();
        let expected = format!(
            concat!(
                r#"{{"architecture":"amd64","comment":"c","config":{{"Env":["A=\u003c1\u003e"]}},"#,
                r#""container_config":{{"Cmd":"/bin/sh -c #(nop) ENV A=\u003c1\u003e"}},"#,
                r#""created":"2020-01-02T03:04:06Z","#,
                r#""history":[{{"created":"2020-01-02T03:04:05.1Z","author":"A \u003ca@b\u003e","#,
                r#""created_by":"/bin/sh -c a \u0026\u0026 b"}},"#,
                r#"{{"created":"2020-01-02T03:04:06Z","created_by":"/bin/sh -c #(nop) ENV A=\u003c1\u003e","#,
                r#""comment":"c","empty_layer":true}}],"#,
                r#""os":"linux","rootfs":{{"type":"layers","diff_ids":["{}"]}}}}"#
            ),
            diff
        );
        assert_eq!(std::str::from_utf8(config.bytes()).unwrap(), expected);
        assert_eq!(config.digest(), &Digest::sha256(expected.as_bytes()));
    }

    #[test]
    fn missing_created_is_go_zero_time() {
        let h = history(&[&format!(r#"{{"id":"{}"}}"#, id(1))]);
        let config = schema1_to_config(&h, &[Digest::sha256(b"d")]).unwrap();
        let text = String::from_utf8(config.into_bytes()).unwrap();
        assert!(
            text.starts_with(r#"{"history":[{"created":"0001-01-01T00:00:00Z"}],"rootfs":"#),
            "{text}"
        );
    }

    #[test]
    fn diff_id_count_must_match_content_layers() {
        let base = format!(r#"{{"id":"{}"}}"#, id(1));
        let top = format!(r#"{{"id":"{}","parent":"{}","throwaway":true}}"#, id(2), id(1));
        let h = history(&[&base, &top]);
        let err = schema1_to_config(&h, &[]).unwrap_err();
        assert!(matches!(
            err,
            Error::DiffIdCount {
                non_empty_layers: 1,
                diff_ids: 0
            }
        ));
    }

    #[test]
    fn legacy_docker_is_refused_rather_than_misconverted() {
        let h = history(&[&format!(r#"{{"id":"{}","docker_version":"1.6.2"}}"#, id(1))]);
        let err = schema1_to_config(&h, &[Digest::sha256(b"d")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the top layer was written by Docker 1.6.2; configs from Docker older than 1.8.3 cannot be converted byte-exactly"
        );
    }

    #[test]
    fn legacy_chains_give_every_layer_a_diff_id() {
        let base = format!(
            r##"{{"id":"{}","container_config":{{"Cmd":["/bin/sh","-c","#(nop) ADD file"]}}}}"##,
            id(1)
        );
        let top = format!(
            r#"{{"id":"{}","parent":"{}","throwaway":true,"docker_version":"1.9.1","Size":0}}"#,
            id(2),
            id(1)
        );
        let layers = [base, top]
            .iter()
            .enumerate()
            .map(|(i, json)| {
                V1Layer::new(Digest::sha256(format!("layer {i}").as_bytes()), json.clone(), i).unwrap()
            })
            .collect();
        let h = V1History::new(layers).unwrap();
        let config = legacy_to_config(&h).unwrap();
        let expected = format!(
            concat!(
                r#"{{"docker_version":"1.9.1","#,
                r##""history":[{{"created":"0001-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file"}},"##,
                r#"{{"created":"0001-01-01T00:00:00Z"}}],"#,
                r#""rootfs":{{"type":"layers","diff_ids":["{}","{}"]}}}}"#
            ),
            Digest::sha256(b"layer 0"),
            Digest::sha256(b"layer 1")
        );
        assert_eq!(std::str::from_utf8(config.bytes()).unwrap(), expected);
    }
}
