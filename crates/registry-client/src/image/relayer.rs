//! Recompression as the engine applies it to whole images: which layers of which image
//! manifests change (and the diffID each must keep), refusing before anything is written
//! what a manifest format cannot express; then the layers made, through the one copier;
//! then each manifest with its new layers, and a list or index naming the new manifests.
//!
//! A layer is chosen by its media type: an image layer (Docker or OCI, gzip, zstd or plain
//! tar) of an image manifest whose config is an image config, packed otherwise than asked.
//! Everything else passes through as it is: layers already packed so (whatever level made
//! them, as skopeo's `--dest-compress-format` leaves them), foreign layers, the files of
//! artifacts.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use oci_digest::Digest;
use oci_manifest::{BlobInfo, Descriptor, Manifest, MediaType};
use serde::Deserialize;

use super::compression::{LayerCompression, Recompress};
use super::copier::{copy_computed_blob, ComputedCopy};
use super::destination::ImageDestination;
use super::location::ManifestData;
use super::recompress::recompress;
use super::resolve::read_config;
use super::source::ImageSource;
use super::transfer::registry_blobs;
use super::{Progress, VerifiedBlob};
use crate::Error;

/// One layer to recompress: the source blob, and the diffID its tar must have.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct LayerEdit {
    source: Digest,
    size: Option<u64>,
    diff_id: Digest,
}

impl LayerEdit {
    /// The source blob.
    pub(crate) fn source(&self) -> &Digest {
        &self.source
    }

    fn key(&self) -> (Digest, Digest) {
        (self.source.clone(), self.diff_id.clone())
    }
}

/// What recompression made, by source layer and diffID: the new blob's digest and size.
#[derive(Debug, Default)]
pub(crate) struct Made(HashMap<(Digest, Digest), (Digest, u64)>);

impl Made {
    /// The digests of the blobs made.
    pub(crate) fn digests(&self) -> HashSet<Digest> {
        self.0.values().map(|(digest, _)| digest.clone()).collect()
    }
}

/// The recompression of one copy: the layers to make, and per image manifest (by digest)
/// which of its layers change.
#[derive(Debug)]
pub(crate) struct Relayering {
    recompress: Recompress,
    /// Each distinct (source, diffID) once, in the order the images name them.
    layers: Vec<LayerEdit>,
    /// Per image manifest: for each of its layers, the edit, if it changes.
    images: HashMap<Digest, Vec<Option<LayerEdit>>>,
    /// Blobs some manifest names as they are (configs, layers that pass through).
    kept: HashSet<Digest>,
}

/// One image manifest to recompress: the manifest, parsed, its config when it is already
/// read, and the manifest type it will be written as.
pub(crate) struct ImageToRelayer<'a> {
    pub(crate) data: &'a ManifestData,
    pub(crate) manifest: &'a Manifest,
    pub(crate) config: Option<&'a [u8]>,
    pub(crate) written_as: &'a MediaType,
}

impl Relayering {
    /// Works out what `recompress` changes in `images`, reading the configs it needs from
    /// `source`. Fails, before anything is written, when a layer that changes cannot be
    /// named in the format its manifest is written as (zstd in Docker schema2, anything but
    /// gzip in schema1), or its config does not list a diffID for every layer.
    pub(crate) async fn plan(
        source: &dyn ImageSource,
        images: &[ImageToRelayer<'_>],
        recompress: Recompress,
    ) -> Result<Relayering, Error> {
        let target = recompress.compression();
        let mut plan = Relayering {
            recompress,
            layers: Vec::new(),
            images: HashMap::new(),
            kept: HashSet::new(),
        };
        let mut planned = HashSet::new();
        for image in images {
            let edits = image_edits(source, image, target).await?;
            let changes = edits.iter().any(Option::is_some);
            let blobs = registry_blobs(image.manifest);
            let edited: HashSet<&Digest> = edits.iter().flatten().map(|edit| &edit.source).collect();
            // A blob stays when the manifest names it other than as a changed layer.
            let mut edited_mentions: HashMap<&Digest, usize> = HashMap::new();
            for edit in edits.iter().flatten() {
                *edited_mentions.entry(&edit.source).or_default() += 1;
            }
            for (digest, _) in blobs {
                let mentions = mention_count(image.manifest, &digest);
                if !edited.contains(&digest) || mentions > edited_mentions.get(&digest).copied().unwrap_or(0)
                {
                    plan.kept.insert(digest);
                }
            }
            if !changes {
                continue;
            }
            if target.media_type_in(image.written_as).is_none() {
                return Err(Error::CompressionUnsupported {
                    manifest: image.written_as.clone(),
                    compression: target,
                });
            }
            for edit in edits.iter().flatten() {
                if planned.insert(edit.key()) {
                    plan.layers.push(edit.clone());
                }
            }
            plan.images.insert(image.data.digest().clone(), edits);
        }
        Ok(plan)
    }

    /// Whether any layer changes.
    pub(crate) fn changes_anything(&self) -> bool {
        !self.layers.is_empty()
    }

    /// The first layer that changes, for a refusal to say.
    pub(crate) fn first_change(&self) -> Option<&LayerEdit> {
        self.layers.first()
    }

    /// The packing layers get.
    pub(crate) fn compression(&self) -> LayerCompression {
        self.recompress.compression()
    }

    /// Whether `digest` must still move as it is.
    pub(crate) fn keeps(&self, digest: &Digest) -> bool {
        self.kept.contains(digest)
    }

    /// Makes every changed layer at `destination`, at most `jobs` at once, each through
    /// the one copier while its source streams.
    pub(crate) async fn make_layers(
        &self,
        source: &dyn ImageSource,
        destination: &dyn ImageDestination,
        jobs: usize,
        progress: &Arc<dyn Progress>,
    ) -> Result<Made, Error> {
        let recompress_with = self.recompress;
        let made: Vec<((Digest, Digest), (Digest, u64))> = stream::iter(&self.layers)
            .map(|edit| async move {
                let open = || source.blob(&edit.source, edit.size);
                let diff_id = edit.diff_id.clone();
                let make = move |content: VerifiedBlob| recompress(content, diff_id.clone(), recompress_with);
                let copy = ComputedCopy {
                    source: &edit.source,
                    size: edit.size,
                    open: &open,
                    make: &make,
                };
                let new = copy_computed_blob(destination, copy, progress).await?;
                tracing::debug!(
                    source = %edit.source,
                    new = %new.0,
                    size = new.1,
                    "layer recompressed"
                );
                Ok::<_, Error>((edit.key(), new))
            })
            .buffer_unordered(jobs.max(1))
            .try_collect()
            .await?;
        Ok(Made(made.into_iter().collect()))
    }

    /// `data` (an image manifest of this copy) with its changed layers replaced by what
    /// was made, typed for `written_as`; unchanged when none of its layers changes.
    pub(crate) fn apply(
        &self,
        data: &ManifestData,
        manifest: &Manifest,
        written_as: &MediaType,
        made: &Made,
    ) -> Result<ManifestData, Error> {
        let Some(edits) = self.images.get(data.digest()) else {
            return Ok(data.clone());
        };
        let compression = self.recompress.compression();
        // A manifest rewritten into another format later (a conversion) carries the
        // packing under the OCI name until the rewrite types it.
        let media_type = compression
            .media_type_in(written_as)
            .or_else(|| compression.media_type_in(&MediaType::OciManifest));
        let layers = manifest.layer_descriptors().unwrap_or_default();
        let infos = layers
            .iter()
            .zip(edits)
            .map(|(layer, edit)| match edit {
                None => Ok(BlobInfo::from(layer)),
                Some(edit) => {
                    let (digest, size) = made.0.get(&edit.key()).ok_or(Error::RecompressStopped)?;
                    let mut info = BlobInfo::new(digest.clone()).with_size(*size);
                    if let Some(media_type) = &media_type {
                        info = info.with_media_type(media_type.clone());
                    }
                    Ok(info)
                }
            })
            .collect::<Result<Vec<BlobInfo>, Error>>()?;
        let edited = manifest.with_layers(&infos)?;
        let bytes = bytes::Bytes::copy_from_slice(edited.as_bytes());
        Ok(ManifestData::new(
            data.media_type().clone(),
            Digest::sha256(&bytes),
            bytes,
        ))
    }

    /// The layers, with stand-ins for what will be made (the source digest and size): the
    /// shape the manifest will have, for a rewrite to plan with before anything is made.
    pub(crate) fn provisional(&self) -> Made {
        Made(
            self.layers
                .iter()
                .map(|edit| (edit.key(), (edit.source.clone(), edit.size.unwrap_or(0))))
                .collect(),
        )
    }
}

/// How often `manifest` names blob `digest` (config and layers).
fn mention_count(manifest: &Manifest, digest: &Digest) -> usize {
    let config = manifest.config().is_some_and(|c| c.digest() == digest) as usize;
    let layers = manifest
        .layer_descriptors()
        .unwrap_or_default()
        .iter()
        .filter(|layer| layer.digest() == digest)
        .count();
    config + layers
}

/// For each layer of `image`, the edit when `target` changes it.
async fn image_edits(
    source: &dyn ImageSource,
    image: &ImageToRelayer<'_>,
    target: LayerCompression,
) -> Result<Vec<Option<LayerEdit>>, Error> {
    let manifest = image.manifest;
    if let Manifest::Schema1(_) = manifest {
        // Schema1 layers are gzip by definition and the format names no other packing.
        if target == LayerCompression::Gzip {
            return Ok(Vec::new());
        }
        return Err(Error::CompressionUnsupported {
            manifest: manifest.media_type(),
            compression: target,
        });
    }
    let (Some(config), Some(layers)) = (manifest.config(), manifest.layer_descriptors()) else {
        return Ok(Vec::new());
    };
    // Foreign layers (by type or by URLs) stay where they are, as they are.
    let changing = |layer: &Descriptor| {
        layer.urls().is_empty()
            && LayerCompression::of_media_type(layer.media_type()).is_some_and(|packing| packing != target)
    };
    // An artifact's files are not image layers, whatever their type says.
    if !config.media_type().is_config() || !layers.iter().any(changing) {
        return Ok(vec![None; layers.len()]);
    }
    let read;
    let config_bytes = match image.config {
        Some(bytes) => bytes,
        None => {
            read = read_config(source, config).await?;
            &read[..]
        }
    };
    let diff_ids = diff_ids(config_bytes, config.digest())?;
    if diff_ids.len() != layers.len() {
        return Err(Error::DiffIdsMissing {
            manifest: image.data.digest().clone(),
            layers: layers.len(),
            diff_ids: diff_ids.len(),
        });
    }
    Ok(layers
        .iter()
        .zip(diff_ids)
        .map(|(layer, diff_id)| {
            changing(layer).then(|| LayerEdit {
                source: layer.digest().clone(),
                size: Some(layer.size()),
                diff_id,
            })
        })
        .collect())
}

/// `rootfs.diff_ids` of an image config.
fn diff_ids(config: &[u8], digest: &Digest) -> Result<Vec<Digest>, Error> {
    #[derive(Deserialize)]
    struct Config {
        rootfs: Option<RootFs>,
    }
    #[derive(Deserialize)]
    struct RootFs {
        #[serde(default)]
        diff_ids: Vec<Digest>,
    }
    let config: Config = serde_json::from_slice(config).map_err(|source| Error::InvalidConfig {
        digest: digest.clone(),
        source,
    })?;
    Ok(config.rootfs.map(|rootfs| rootfs.diff_ids).unwrap_or_default())
}
