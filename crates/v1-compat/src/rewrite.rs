//! Replacing v1 image IDs that clash with content already known under that ID.
//!
//! A registry that stores v1 images by ID must not let a pushed layer reuse an
//! ID that already names different content. When one does, that layer and
//! every layer above it get new IDs derived from the content itself, so the
//! same push always gets the same replacement IDs.

use std::collections::HashMap;

use oci_digest::{Digest, Digester};
use serde_json::Value;

use crate::{go_json, Error, V1Id, V1Layer, V1Metadata};

/// One layer after ID rewriting.
#[derive(Debug, Clone, PartialEq)]
pub struct RewrittenLayer {
    id: V1Id,
    parent: Option<V1Id>,
    blob_sum: Digest,
    v1_compatibility: String,
    original: V1Metadata,
}

impl RewrittenLayer {
    /// The layer's v1 image ID: the original one, or its replacement.
    pub fn id(&self) -> &V1Id {
        &self.id
    }

    /// The parent's v1 image ID, after replacement.
    pub fn parent(&self) -> Option<&V1Id> {
        self.parent.as_ref()
    }

    /// Whether the ID was replaced.
    pub fn was_rewritten(&self) -> bool {
        self.id != *self.original.id()
    }

    /// The layer blob's digest.
    pub fn blob_sum(&self) -> &Digest {
        &self.blob_sum
    }

    /// The v1Compatibility JSON: the original string when nothing was
    /// replaced yet, otherwise re-encoded with `id`, `parent` and
    /// `container_config.Image` pointing at the replacement IDs.
    pub fn v1_compatibility(&self) -> &str {
        &self.v1_compatibility
    }

    /// The layer's metadata as it was before rewriting (created, comment, command...).
    pub fn original(&self) -> &V1Metadata {
        &self.original
    }
}

/// Rewrites v1 image IDs of `layers` (base first) against `known`, the v1
/// images already stored (ID -> digest of their layer content).
///
/// Walking from the base, a running SHA-256 absorbs `blobSum@v1Compatibility|`
/// of each layer. The first layer whose ID is known with a different content
/// digest, and every layer above it, takes the running hash (hex) as its new
/// ID; their v1Compatibility JSON is re-encoded to point at the new IDs.
/// Each parent must be a lower layer of this image or a known image.
///
/// ```
/// use std::collections::HashMap;
/// use oci_digest::Digest;
/// use v1_compat::{rewrite_ids, V1Layer};
///
/// let id = "d0c4f1eb7dc8f4dae2b45fe5c0cf4cfc70e5be85d933f5f5f4deb59f134fb520";
/// let v1 = format!("{{\"id\":\"{id}\"}}");
/// let layer = V1Layer::new(Digest::sha256(b"layer"), v1, 0)?;
///
/// // The ID is already stored, with other content: it gets a new ID.
/// let known = HashMap::from([(id.parse()?, Digest::sha256(b"other"))]);
/// let rewritten = rewrite_ids(&[layer], &known)?;
/// assert!(rewritten[0].was_rewritten());
/// assert_ne!(rewritten[0].id().as_str(), id);
/// # Ok::<(), v1_compat::Error>(())
/// ```
pub fn rewrite_ids(layers: &[V1Layer], known: &HashMap<V1Id, Digest>) -> Result<Vec<RewrittenLayer>, Error> {
    let mut history = Digester::sha256();
    let mut replaced: HashMap<V1Id, V1Id> = HashMap::new();
    let mut rewriting = false;
    let mut result = Vec::with_capacity(layers.len());

    for (position, layer) in layers.iter().enumerate() {
        let metadata = layer.metadata();
        history.update(layer.blob_sum().as_str().as_bytes());
        history.update(b"@");
        history.update(layer.v1_compatibility().as_bytes());
        history.update(b"|");

        let clashes = known
            .get(metadata.id())
            .is_some_and(|content| content != layer.blob_sum());
        rewriting |= clashes;
        let id = if rewriting {
            V1Id::from_sha256(&history.clone().finish())
        } else {
            metadata.id().clone()
        };

        let parent = match metadata.parent() {
            None => None,
            Some(parent) => Some(match replaced.get(parent) {
                Some(new) => new.clone(),
                None if known.contains_key(parent) => parent.clone(),
                None => {
                    return Err(Error::MissingParent {
                        layer: position,
                        id: metadata.id().to_string(),
                        parent: parent.to_string(),
                    })
                }
            }),
        };
        replaced.insert(metadata.id().clone(), id.clone());

        let v1_compatibility = if rewriting {
            reencode(layer, position, &replaced)?
        } else {
            layer.v1_compatibility().to_owned()
        };
        result.push(RewrittenLayer {
            id,
            parent,
            blob_sum: layer.blob_sum().clone(),
            v1_compatibility,
            original: metadata.clone(),
        });
    }
    Ok(result)
}

/// Points `id`, `parent` and `container_config.Image` of a layer's JSON at
/// their replacements, keeping every other field and the field order.
fn reencode(layer: &V1Layer, position: usize, replaced: &HashMap<V1Id, V1Id>) -> Result<String, Error> {
    let mut json: serde_json::Map<String, Value> =
        serde_json::from_str(layer.v1_compatibility()).map_err(|source| oci_manifest::Error::V1Json {
            layer: position,
            source,
        })?;
    let swap = |value: &mut Value| {
        let new = value
            .as_str()
            .and_then(|old| old.parse::<V1Id>().ok())
            .and_then(|old| replaced.get(&old));
        if let Some(new) = new {
            *value = Value::String(new.to_string());
        }
    };
    for key in ["id", "parent"] {
        if let Some(value) = json.get_mut(key) {
            swap(value);
        }
    }
    if let Some(image) = json.get_mut("container_config").and_then(|c| c.get_mut("Image")) {
        swap(image);
    }
    Ok(go_json::to_string(&json))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> V1Id {
        format!("{n:064x}").parse().unwrap()
    }

    /// Layers (id, parent) base first; each with distinct content.
    fn layers(spec: &[(u32, Option<u32>)]) -> Vec<V1Layer> {
        spec.iter()
            .enumerate()
            .map(|(i, &(own, parent))| {
                let parent = parent
                    .map(|p| {
                        format!(
                            ",\"parent\":\"{}\",\"container_config\":{{\"Image\":\"{}\"}}",
                            id(p),
                            id(p)
                        )
                    })
                    .unwrap_or_default();
                let json = format!("{{\"id\":\"{}\"{parent},\"n\":{i}}}", id(own));
                V1Layer::new(Digest::sha256(format!("blob {i}").as_bytes()), json, i).unwrap()
            })
            .collect()
    }

    /// The content-addressed ID expected after `count` layers.
    fn running_id(layers: &[V1Layer], count: usize) -> V1Id {
        let mut text = String::new();
        for l in &layers[..count] {
            text.push_str(&format!("{}@{}|", l.blob_sum(), l.v1_compatibility()));
        }
        V1Id::from_sha256(&Digest::sha256(text.as_bytes()))
    }

    #[test]
    fn nothing_known_changes_nothing() {
        let input = layers(&[(1, None), (2, Some(1))]);
        let out = rewrite_ids(&input, &HashMap::new()).unwrap();
        for (before, after) in input.iter().zip(&out) {
            assert!(!after.was_rewritten());
            assert_eq!(after.id(), before.metadata().id());
            assert_eq!(after.v1_compatibility(), before.v1_compatibility());
        }
        assert_eq!(out[1].parent(), Some(&id(1)));
    }

    #[test]
    fn known_id_with_same_content_is_kept() {
        let input = layers(&[(1, None), (2, Some(1))]);
        let known = HashMap::from([(id(1), input[0].blob_sum().clone())]);
        let out = rewrite_ids(&input, &known).unwrap();
        assert!(out.iter().all(|l| !l.was_rewritten()));
    }

    #[test]
    fn a_clash_rewrites_that_layer_and_all_above() {
        let input = layers(&[(1, None), (2, Some(1)), (3, Some(2))]);
        let known = HashMap::from([(id(2), Digest::sha256(b"something else"))]);
        let out = rewrite_ids(&input, &known).unwrap();

        assert!(!out[0].was_rewritten());
        assert_eq!(out[1].id(), &running_id(&input, 2));
        assert_eq!(out[2].id(), &running_id(&input, 3));
        assert_eq!(out[1].parent(), Some(&id(1)));
        assert_eq!(out[2].parent(), Some(out[1].id()));

        let top: Value = serde_json::from_str(out[2].v1_compatibility()).unwrap();
        assert_eq!(top["id"], out[2].id().as_str());
        assert_eq!(top["parent"], out[1].id().as_str());
        assert_eq!(top["container_config"]["Image"], out[1].id().as_str());
        assert_eq!(top["n"], 2);
        let keys: Vec<&String> = top.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "parent", "container_config", "n"]);
        assert_eq!(out[2].original().id(), &id(3));
    }

    #[test]
    fn parent_outside_the_image_must_be_known() {
        let input = layers(&[(2, Some(1)), (3, Some(2))]);
        let err = rewrite_ids(&input, &HashMap::new()).unwrap_err();
        match err {
            Error::MissingParent {
                layer,
                id: own,
                parent,
            } => {
                assert_eq!((layer, own, parent), (0, id(2).to_string(), id(1).to_string()));
            }
            other => panic!("unexpected {other}"),
        }
        let known = HashMap::from([(id(1), Digest::sha256(b"base"))]);
        let out = rewrite_ids(&input, &known).unwrap();
        assert_eq!(out[0].parent(), Some(&id(1)));
    }
}
