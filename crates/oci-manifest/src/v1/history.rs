//! A whole image's v1 history, checked and cleaned the way Docker pulls it.

use std::collections::HashMap;

use crate::Schema1;

use super::V1Layer;
use crate::Error;

/// The v1 history of one schema1 image: its layers, base first. The manifest
/// it comes from ([`Schema1`]) has the rest: name, tag, architecture.
///
/// Building one applies Docker's layer fix-ups, so every value of this type
/// has a well-formed parent chain:
/// - every `id` and `parent` is a valid [`V1Id`](super::V1Id) (checked when
///   the layers were parsed);
/// - the base layer has no parent;
/// - an ID appearing twice with other layers in between is an error;
/// - a run of consecutive layers with the same ID keeps only the lowest one;
/// - every other layer's parent is the ID of the layer below it.
#[derive(Debug, Clone, PartialEq)]
pub struct V1History {
    layers: Vec<V1Layer>,
}

impl V1History {
    /// Checks and cleans `layers` (base first).
    pub fn new(layers: Vec<V1Layer>) -> Result<V1History, Error> {
        Ok(V1History {
            layers: fix_layers(layers)?,
        })
    }

    /// Parses and checks the v1 history of a schema1 manifest: its `fsLayers`
    /// blob digests and `history` v1Compatibility strings.
    pub fn from_schema1(manifest: &Schema1) -> Result<V1History, Error> {
        let layers = manifest
            .layers()
            .enumerate()
            .map(|(position, layer)| {
                V1Layer::new(
                    layer.blob_sum().clone(),
                    layer.v1_compatibility().to_owned(),
                    position,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        V1History::new(layers)
    }

    /// The layers, base first; never empty.
    pub fn layers(&self) -> &[V1Layer] {
        &self.layers
    }

    /// The top layer, whose v1Compatibility carries the image's config.
    pub fn top(&self) -> &V1Layer {
        self.layers.last().expect("a V1History is never empty")
    }

    /// The layers that carry content (not `throwaway`), base first: the ones
    /// that have a diffID in a converted image config.
    pub fn content_layers(&self) -> impl Iterator<Item = &V1Layer> {
        self.layers.iter().filter(|l| !l.metadata().throwaway())
    }
}

/// Applies Docker's schema1 layer fix-ups to `layers` (base first); see
/// [`V1History`] for the rules. Errors name layer positions, base first.
pub fn fix_layers(mut layers: Vec<V1Layer>) -> Result<Vec<V1Layer>, Error> {
    let base = layers.first().ok_or(Error::NoLayers)?.metadata();
    if let Some(parent) = base.parent() {
        return Err(Error::BaseLayerHasParent {
            id: base.id().to_string(),
            parent: parent.to_string(),
        });
    }

    // Where each ID was last seen; a repeat is fine only right after itself.
    let mut seen = HashMap::new();
    for (position, layer) in layers.iter().enumerate() {
        let id = layer.metadata().id();
        if let Some(&last) = seen.get(id) {
            if last + 1 != position {
                return Err(Error::RepeatedId {
                    id: id.to_string(),
                    first: last,
                    again: position,
                });
            }
        }
        seen.insert(id, position);
    }

    // Keep the lowest layer of each run of equal IDs.
    layers.dedup_by(|upper, lower| upper.metadata().id() == lower.metadata().id());

    for (position, pair) in layers.windows(2).enumerate() {
        let (below, layer) = (pair[0].metadata(), pair[1].metadata());
        if layer.parent() != Some(below.id()) {
            return Err(Error::ParentMismatch {
                layer: position + 1,
                id: layer.id().to_string(),
                expected: below.id().to_string(),
                found: layer.parent().map(ToString::to_string),
            });
        }
    }
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use crate::Schema1Layout;
    use oci_digest::Digest;

    use super::*;

    /// A made-up but valid v1 ID built from a small number.
    fn id(n: u32) -> String {
        format!("{n:064x}")
    }

    fn layer(own: u32, parent: Option<u32>, position: usize) -> V1Layer {
        let parent = parent
            .map(|p| format!(",\"parent\":\"{}\"", id(p)))
            .unwrap_or_default();
        let json = format!("{{\"id\":\"{}\"{parent},\"note\":{position}}}", id(own));
        V1Layer::new(Digest::sha256(json.as_bytes()), json, position).unwrap()
    }

    /// Layers from (id, parent) pairs, base first.
    fn chain(spec: &[(u32, Option<u32>)]) -> Vec<V1Layer> {
        spec.iter()
            .enumerate()
            .map(|(i, &(own, parent))| layer(own, parent, i))
            .collect()
    }

    /// A chain spec (id, parent) base first, and the error it must produce.
    type Case = (Vec<(u32, Option<u32>)>, Error);

    fn ids(layers: &[V1Layer]) -> Vec<String> {
        layers.iter().map(|l| l.metadata().id().to_string()).collect()
    }

    #[test]
    fn a_good_chain_is_kept_whole() {
        let layers = chain(&[(1, None), (2, Some(1)), (3, Some(2))]);
        assert_eq!(fix_layers(layers.clone()).unwrap(), layers);
    }

    #[test]
    fn consecutive_repeats_keep_the_lowest_layer() {
        let layers = chain(&[(1, None), (2, Some(1)), (2, Some(1)), (2, Some(1)), (3, Some(2))]);
        let fixed = fix_layers(layers.clone()).unwrap();
        assert_eq!(ids(&fixed), [id(1), id(2), id(3)]);
        assert_eq!(fixed[1], layers[1]);
    }

    #[test]
    fn repeated_base_is_collapsed() {
        let fixed = fix_layers(chain(&[(1, None), (1, None), (2, Some(1))])).unwrap();
        assert_eq!(ids(&fixed), [id(1), id(2)]);
    }

    #[test]
    fn rule_violations_are_reported_with_positions() {
        let cases: Vec<Case> = vec![
            (
                vec![(1, Some(9)), (2, Some(1))],
                Error::BaseLayerHasParent {
                    id: id(1),
                    parent: id(9),
                },
            ),
            (
                vec![(1, None), (2, Some(1)), (1, Some(2))],
                Error::RepeatedId {
                    id: id(1),
                    first: 0,
                    again: 2,
                },
            ),
            (
                vec![(1, None), (2, Some(1)), (3, Some(1))],
                Error::ParentMismatch {
                    layer: 2,
                    id: id(3),
                    expected: id(2),
                    found: Some(id(1)),
                },
            ),
            (
                vec![(1, None), (2, None)],
                Error::ParentMismatch {
                    layer: 1,
                    id: id(2),
                    expected: id(1),
                    found: None,
                },
            ),
        ];
        for (spec, expected) in cases {
            let err = fix_layers(chain(&spec)).unwrap_err();
            assert_eq!(err.to_string(), expected.to_string(), "{spec:?}");
        }
        assert!(matches!(fix_layers(Vec::new()), Err(Error::NoLayers)));
    }

    #[test]
    fn manifest_order_is_reversed() {
        let layers = chain(&[(1, None), (2, Some(1))]);
        let manifest = Schema1::new(
            Schema1Layout::ContainersImage,
            "library/x",
            "latest",
            "amd64",
            layers
                .iter()
                .map(|l| (l.blob_sum().clone(), l.v1_compatibility())),
        )
        .unwrap();
        // The manifest lists the top layer first.
        assert_eq!(manifest.fs_layers()[0], *layers[1].blob_sum());
        let h = V1History::from_schema1(&manifest).unwrap();
        assert_eq!(h.layers(), layers.as_slice());
        assert_eq!(h.top().metadata().id().to_string(), id(2));
    }

    #[test]
    fn a_bad_id_names_its_base_first_position() {
        let good = format!("{{\"id\":\"{}\"}}", id(1));
        let blob = oci_digest::known::empty_tar_gzip();
        let layers = [(blob.clone(), good.as_str()), (blob, "{\"id\":\"nope\"}")];
        let manifest = Schema1::new(Schema1Layout::ContainersImage, "x", "t", "amd64", layers).unwrap();
        let err = V1History::from_schema1(&manifest).unwrap_err();
        assert_eq!(
            err.to_string(),
            "layer 1: invalid v1 image ID \"nope\": must be 64 lowercase hexadecimal characters"
        );
    }
}
