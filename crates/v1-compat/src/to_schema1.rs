//! Image config + layer blobs -> schema1 v1 history, as Docker's schema1
//! builder makes it for registries that only accept schema1.
//!
//! Every config history entry becomes one schema1 layer. Entries marked
//! `empty_layer` point at the gzipped empty tar; the others take the image's
//! layer blobs in order. v1 IDs are chained: a layer's ID is the SHA-256 of
//! its blob's hex digest, a space and its parent's ID; the top layer's also
//! covers a space and the whole config, so two images differing only in
//! config get different top IDs. Lower layers get a small synthetic
//! v1Compatibility; the top layer's is the config itself minus `rootfs` and
//! `history`.

use oci_digest::{known, Digest};
use oci_manifest::{ImageConfig, Schema1, Schema1Layout};
use serde::Serialize;

use crate::go_json;
use crate::{Error, Timestamp, V1Id};

/// The synthetic v1Compatibility of a layer below the top, fields in Docker's order.
#[derive(Serialize)]
struct LowerV1<'a> {
    id: &'a V1Id,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a V1Id>,
    #[serde(skip_serializing_if = "str::is_empty")]
    comment: &'a str,
    created: Timestamp,
    container_config: CommandOnly<'a>,
    #[serde(skip_serializing_if = "str::is_empty")]
    author: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    throwaway: bool,
}

#[derive(Serialize)]
struct CommandOnly<'a> {
    #[serde(rename = "Cmd")]
    cmd: [&'a str; 1],
}

/// The v1 ID of a layer: SHA-256 over the blob's hex digest, a space, the
/// parent's ID (empty for the base) and, for the top layer, a space and the config.
fn chained_id(blob: &Digest, parent: Option<&V1Id>, config: Option<&[u8]>) -> V1Id {
    let mut input = Vec::new();
    input.extend_from_slice(blob.encoded().as_bytes());
    input.push(b' ');
    input.extend_from_slice(parent.map(V1Id::as_str).unwrap_or_default().as_bytes());
    if let Some(config) = config {
        input.push(b' ');
        input.extend_from_slice(config);
    }
    V1Id::from_sha256(&Digest::sha256(&input))
}

/// Builds the schema1 form of an image from its config bytes and its layer
/// blob digests (base first, as a schema2/OCI manifest lists them).
///
/// The result is the unsigned manifest Docker pushes to a schema1-only
/// registry, byte for byte ([`Schema1Layout::Docker`]): sign its bytes with
/// [`oci_manifest::jws`] to finish it.
pub fn config_to_schema1(config: &[u8], layers: &[Digest], name: &str, tag: &str) -> Result<Schema1, Error> {
    let parsed: ImageConfig =
        serde_json::from_slice(config).map_err(|source| Error::ConfigJson { source })?;
    let history = &parsed.history;
    if history.is_empty() {
        return Err(Error::EmptyHistory);
    }
    if let Some(base_layer) = parsed.rootfs.as_ref().and_then(|r| r.base_layer.clone()) {
        return Err(Error::WindowsBaseLayer { base_layer });
    }
    let diff_ids = parsed.diff_ids().len();
    let non_empty_history = history.iter().filter(|h| !h.empty_layer).count();
    if diff_ids != layers.len() || non_empty_history != layers.len() {
        return Err(Error::HistoryLayerMismatch {
            diff_ids,
            non_empty_history,
            layers: layers.len(),
        });
    }

    let config_text = std::str::from_utf8(config).map_err(|_| Error::ConfigJson {
        source: serde::de::Error::custom("config is not UTF-8"),
    })?;
    let mut top_config =
        go_json::parse_raw_object(config_text).map_err(|source| Error::ConfigJson { source })?;

    let empty_layer = known::empty_tar_gzip();
    let mut content = layers.iter();
    let mut v1_layers = Vec::with_capacity(history.len());
    let mut parent: Option<V1Id> = None;
    let last = history.len() - 1;

    for (entry_index, entry) in history.iter().enumerate() {
        let throwaway = entry.empty_layer;
        let blob = if throwaway {
            &empty_layer
        } else {
            content
                .next()
                .expect("counted non-empty entries against layers above")
        };
        let created = entry
            .created
            .as_deref()
            .map(str::parse::<Timestamp>)
            .transpose()
            .map_err(|e| Error::HistoryCreated {
                entry: entry_index,
                source: Box::new(e.into()),
            })?
            .unwrap_or_default();

        let json = if entry_index < last {
            let id = chained_id(blob, parent.as_ref(), None);
            let json = go_json::to_string(&LowerV1 {
                id: &id,
                parent: parent.as_ref(),
                comment: entry.comment.as_deref().unwrap_or_default(),
                created,
                container_config: CommandOnly {
                    cmd: [entry.created_by.as_deref().unwrap_or_default()],
                },
                author: entry.author.as_deref().unwrap_or_default(),
                throwaway,
            });
            parent = Some(id);
            json
        } else {
            let id = chained_id(blob, parent.as_ref(), Some(config));
            top_config.remove("rootfs");
            top_config.remove("history");
            top_config.insert("id".to_owned(), go_json::raw(go_json::to_string(&id)));
            if let Some(parent) = &parent {
                top_config.insert("parent".to_owned(), go_json::raw(go_json::to_string(parent)));
            }
            if throwaway {
                top_config.insert("throwaway".to_owned(), go_json::raw("true".to_owned()));
            }
            go_json::raw_object_to_string(&top_config)
        };
        v1_layers.push((blob.clone(), json));
    }

    let v1_layers = v1_layers.iter().map(|(blob, json)| (blob.clone(), json.as_str()));
    Schema1::new(Schema1Layout::Docker, name, tag, &parsed.architecture, v1_layers)
        .map_err(|source| Error::BuildManifest { source })
}

#[cfg(test)]
mod tests {
    use oci_manifest::jws;

    use super::*;
    use crate::V1History;

    fn config(history: &str, diff_ids: usize) -> Vec<u8> {
        let ids: Vec<String> = (0..diff_ids)
            .map(|i| format!("\"{}\"", Digest::sha256(&[i as u8])))
            .collect();
        format!(
            r#"{{"architecture":"arm64","os":"linux","history":[{history}],"rootfs":{{"type":"layers","diff_ids":[{}]}}}}"#,
            ids.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn ids_chain_from_the_base() {
        let history = r#"{"created":"2020-01-01T00:00:00Z","created_by":"ADD a","author":"me"},
            {"created":"2020-01-01T00:00:01Z","created_by":"ENV x=1","empty_layer":true},
            {"created":"2020-01-01T00:00:02Z","created_by":"RUN b","comment":"c"}"#;
        let config = config(history, 2);
        let layers = [Digest::sha256(b"a"), Digest::sha256(b"b")];
        let s1 = config_to_schema1(&config, &layers, "library/x", "v1").unwrap();

        let base_id = chained_id(&layers[0], None, None);
        let empty_id = chained_id(&known::empty_tar_gzip(), Some(&base_id), None);
        let top_id = chained_id(&layers[1], Some(&empty_id), Some(&config));
        assert_eq!(
            s1.fs_layers(),
            [layers[1].clone(), known::empty_tar_gzip(), layers[0].clone()]
        );
        assert!(s1.needs_empty_layer());
        assert_eq!(
            s1.history()[2],
            format!(
                r#"{{"id":"{base_id}","created":"2020-01-01T00:00:00Z","container_config":{{"Cmd":["ADD a"]}},"author":"me"}}"#
            )
        );
        assert_eq!(
            s1.history()[1],
            format!(
                r#"{{"id":"{empty_id}","parent":"{base_id}","created":"2020-01-01T00:00:01Z","container_config":{{"Cmd":["ENV x=1"]}},"throwaway":true}}"#
            )
        );
        assert_eq!(
            s1.history()[0],
            format!(r#"{{"architecture":"arm64","id":"{top_id}","os":"linux","parent":"{empty_id}"}}"#)
        );
        assert_eq!(s1.architecture(), "arm64");

        // The result is itself a valid schema1 history.
        let v1 = V1History::from_schema1(&s1).unwrap();
        assert_eq!(v1.layers().len(), 3);
        assert_eq!(v1.top().metadata().id(), &top_id);
    }

    #[test]
    fn signed_output_parses_back_with_the_same_payload() {
        let history = r#"{"created":"2020-01-01T00:00:00Z","created_by":"ADD a"}"#;
        let s1 = config_to_schema1(&config(history, 1), &[Digest::sha256(b"a")], "library/x", "v1").unwrap();
        let signed = jws::add_dummy_signature(s1.as_bytes()).unwrap();
        let parsed = Schema1::from_slice(&signed).unwrap();
        assert!(parsed.is_signed());
        assert_eq!(parsed.payload(), s1.as_bytes());
        assert_eq!(jws::verify(&signed).unwrap().len(), 1);
        let v1 = V1History::from_schema1(&parsed).unwrap();
        assert_eq!(v1, V1History::from_schema1(&s1).unwrap());
        assert_eq!(
            (parsed.name(), parsed.tag(), parsed.architecture()),
            ("library/x", "v1", "arm64")
        );
    }

    #[test]
    fn inconsistent_configs_are_refused() {
        let one = r#"{"created_by":"ADD a"}"#;
        let cases: Vec<(Vec<u8>, usize, &str)> = vec![
            (b"not json".to_vec(), 0, "invalid image config"),
            (config("", 0), 0, "the image config has no history entries"),
            (config(one, 1), 2, "the image config has 1 diffIDs and 1 non-empty history entries, but the manifest has 2 layers"),
            (config(one, 2), 2, "the image config has 2 diffIDs and 1 non-empty history entries, but the manifest has 2 layers"),
            (
                br#"{"history":[{}],"rootfs":{"type":"layers","diff_ids":[],"base_layer":"C:\\base"}}"#.to_vec(),
                0,
                "the image config names a Windows base layer",
            ),
            (config(r#"{"created":"soon"}"#, 1), 1, "image config history entry 0: invalid timestamp \"soon\""),
        ];
        for (config, layer_count, message) in cases {
            let layers: Vec<Digest> = (0..layer_count).map(|i| Digest::sha256(&[i as u8])).collect();
            let err = config_to_schema1(&config, &layers, "x", "t").unwrap_err();
            assert!(err.to_string().starts_with(message), "{err}");
        }
    }
}
