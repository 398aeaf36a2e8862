//! Format conversion as a rewrite the engine applies in its one pass: the
//! plan names the source blobs the new image uses (and, from schema1, the
//! layers to scan for their diffIDs and compression); `finish` builds the new
//! manifest and any blob only it has (a config built from v1 history, the
//! gzipped empty tar schema1 may need).

use std::sync::Arc;

use bytes::Bytes;
use oci_digest::{known, Digest};
use oci_manifest::{jws, Descriptor, Flavour, ImageManifest, Manifest, MediaType, Reference, DEFAULT_TAG};
use registry_client::image::{registry_blobs, LayerScan, ResolvedImage, Rewrite, RewritePlan, Rewritten};

use super::scan::{ChannelScan, Summaries};
use super::TargetFormat;
use crate::{config_to_schema1, schema1_to_config, Error, V1History};

/// Rewrites an image into `target` format.
pub(super) struct FormatRewrite {
    target: TargetFormat,
    /// The repository name and tag a schema1 manifest records (the
    /// destination's, when it has them).
    schema1_name: Option<(String, String)>,
    summaries: Summaries,
}

impl FormatRewrite {
    /// A conversion to `target`; a schema1 result is named after `name`
    /// (and cannot be made without one).
    pub(super) fn new(target: TargetFormat, name: Option<&Reference>) -> FormatRewrite {
        FormatRewrite {
            target,
            schema1_name: name.map(|name| {
                (
                    name.repository().as_str().to_owned(),
                    name.tag().unwrap_or(DEFAULT_TAG).to_owned(),
                )
            }),
            summaries: Summaries::default(),
        }
    }

    fn plan_for(&self, image: &ResolvedImage) -> Result<RewritePlan, Error> {
        let manifest = image.manifest();
        let target = self.target;
        if TargetFormat::of(&manifest.media_type()) == Some(target) {
            return Ok(RewritePlan::new(
                image.image().media_type().clone(),
                registry_blobs(manifest),
            ));
        }
        match manifest {
            Manifest::Schema1(schema1) => {
                target
                    .config_media_type()
                    .ok_or_else(|| unsupported(manifest, target))?;
                let history = V1History::from_schema1(schema1)?;
                let content: Vec<Digest> = history
                    .content_layers()
                    .map(|layer| layer.blob_sum().clone())
                    .collect();
                let blobs = content.iter().map(|d| (d.clone(), None)).collect();
                Ok(RewritePlan::new(target.media_type(), blobs).scanning(content))
            }
            Manifest::Image(_) => {
                let (Some(config), Some(layers)) = (manifest.config(), manifest.layer_descriptors()) else {
                    return Err(unsupported(manifest, target));
                };
                if target == TargetFormat::V2s1 {
                    if !config.media_type().is_config() {
                        return Err(Error::NoEquivalentMediaType {
                            media_type: config.media_type().clone(),
                            target,
                        });
                    }
                    for layer in layers {
                        target.map_layer(layer.media_type())?;
                    }
                    let blobs = layers
                        .iter()
                        .map(|l| (l.digest().clone(), Some(l.size())))
                        .collect();
                    return Ok(RewritePlan::new(target.media_type(), blobs));
                }
                target.map_config(config.media_type())?;
                for layer in layers {
                    target.map_layer(layer.media_type())?;
                }
                Ok(RewritePlan::new(target.media_type(), registry_blobs(manifest)))
            }
            other => Err(unsupported(other, target)),
        }
    }

    fn finish_for(&self, image: &ResolvedImage) -> Result<Rewritten, Error> {
        let manifest = image.manifest();
        let target = self.target;
        if TargetFormat::of(&manifest.media_type()) == Some(target) {
            return Ok(Rewritten::unchanged(image));
        }
        match manifest {
            Manifest::Schema1(schema1) => self.config_from_history(schema1),
            Manifest::Image(_) if target == TargetFormat::V2s1 => self.schema1_from_config(image),
            Manifest::Image(_) => retype(manifest, target),
            other => Err(unsupported(other, target)),
        }
    }

    /// Schema1 -> schema2 or OCI: the config rebuilt from the v1 history and
    /// the scanned diffIDs; each layer typed by the compression it really has.
    /// `throwaway` layers leave `layers` but keep their history entry.
    fn config_from_history(&self, schema1: &oci_manifest::Schema1) -> Result<Rewritten, Error> {
        let target = self.target;
        let history = V1History::from_schema1(schema1)?;
        let summaries = self
            .summaries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut diff_ids = Vec::new();
        let mut layers = Vec::new();
        for layer in history.content_layers() {
            let digest = layer.blob_sum();
            let summary = summaries.get(digest).ok_or_else(|| Error::Staging {
                blob: digest.clone(),
                source: std::io::Error::other("the layer was not scanned"),
            })?;
            diff_ids.push(summary.diff_id().clone());
            let media_type = target.layer_for(summary.compression())?;
            layers.push(Descriptor::new(media_type, digest.clone(), summary.blob_size()));
        }
        let config = schema1_to_config(&history, &diff_ids)?;
        let config_type = target
            .config_media_type()
            .ok_or_else(|| Error::NoEquivalentMediaType {
                media_type: schema1.media_type(),
                target,
            })?;
        let config_descriptor =
            Descriptor::new(config_type, config.digest().clone(), config.bytes().len() as u64);
        let bytes = image_manifest(target, config_descriptor, layers)?;
        rewritten(target.media_type(), bytes, vec![Bytes::from(config.into_bytes())])
    }

    /// Schema2 or OCI -> signed schema1 named after the destination, with
    /// the gzipped empty tar when an empty history entry needs it.
    fn schema1_from_config(&self, image: &ResolvedImage) -> Result<Rewritten, Error> {
        let manifest = image.manifest();
        let (Some(layers), Some(config), Some((name, tag))) =
            (manifest.layer_descriptors(), image.config(), &self.schema1_name)
        else {
            return Err(unsupported(manifest, self.target));
        };
        let digests: Vec<Digest> = layers.iter().map(|layer| layer.digest().clone()).collect();
        let unsigned = config_to_schema1(config, &digests, name, tag)?;
        let mut blobs = Vec::new();
        if unsigned.needs_empty_layer() {
            blobs.push(Bytes::from_static(&known::EMPTY_TAR_GZIP_BYTES));
        }
        // Signed with a throwaway key, as Docker and containers/image sign when no key is
        // configured: registries that insist on a signature take it, and it vouches for nothing.
        let signed = jws::add_dummy_signature(unsigned.as_bytes())?;
        rewritten(MediaType::DockerSchema1Signed, Bytes::from(signed), blobs)
    }
}

impl Rewrite for FormatRewrite {
    fn plan(&self, image: &ResolvedImage) -> Result<RewritePlan, registry_client::Error> {
        self.plan_for(image).map_err(rewrite_error)
    }

    fn target_type(&self) -> Option<MediaType> {
        Some(self.target.media_type())
    }

    fn scan(&self, digest: &Digest) -> Arc<dyn LayerScan> {
        Arc::new(ChannelScan::start(digest, &self.summaries))
    }

    fn finish(&self, image: &ResolvedImage) -> Result<Rewritten, registry_client::Error> {
        self.finish_for(image).map_err(rewrite_error)
    }
}

/// A conversion failure, carried through the engine whole.
fn rewrite_error(error: Error) -> registry_client::Error {
    registry_client::Error::Rewrite(Box::new(error))
}

fn unsupported(manifest: &Manifest, target: TargetFormat) -> Error {
    Error::NoEquivalentMediaType {
        media_type: manifest.media_type(),
        target,
    }
}

fn rewritten(media_type: MediaType, bytes: Bytes, blobs: Vec<Bytes>) -> Result<Rewritten, Error> {
    Rewritten::new(media_type, bytes, blobs).map_err(|error| Error::Image {
        image: "the converted manifest".to_owned(),
        source: Box::new(error),
    })
}

/// Schema2 <-> OCI: the same config and layers under the other format's
/// media types; blob bytes, and so digests, unchanged. Foreign layers keep
/// their URLs and stay where they are.
fn retype(manifest: &Manifest, target: TargetFormat) -> Result<Rewritten, Error> {
    let (Some(config), Some(layers)) = (manifest.config(), manifest.layer_descriptors()) else {
        return Err(unsupported(manifest, target));
    };
    let config = retyped(config, target.map_config(config.media_type())?);
    let layers = layers
        .iter()
        .map(|layer| Ok(retyped(layer, target.map_layer(layer.media_type())?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let bytes = image_manifest(target, config, layers)?;
    rewritten(target.media_type(), bytes, Vec::new())
}

/// `descriptor` under `media_type`: digest, size and URLs kept; annotations
/// dropped, as schema2 has none and OCI's would describe the old type.
fn retyped(descriptor: &Descriptor, media_type: MediaType) -> Descriptor {
    Descriptor::new(media_type, descriptor.digest().clone(), descriptor.size())
        .with_urls(descriptor.urls().to_vec())
}

/// Serialises a schema2 or OCI image manifest for `target`.
pub(super) fn image_manifest(
    target: TargetFormat,
    config: Descriptor,
    layers: Vec<Descriptor>,
) -> Result<Bytes, Error> {
    let flavour = match target {
        TargetFormat::V2s2 => Flavour::Docker,
        TargetFormat::Oci => Flavour::Oci,
        TargetFormat::V2s1 => {
            return Err(Error::NoEquivalentMediaType {
                media_type: config.media_type().clone(),
                target,
            })
        }
    };
    let manifest =
        ImageManifest::new(flavour, config, layers).map_err(|source| Error::BuildManifest { source })?;
    Ok(Bytes::from(manifest.as_bytes().to_vec()))
}
