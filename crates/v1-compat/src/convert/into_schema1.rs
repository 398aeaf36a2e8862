//! Schema2 or OCI -> schema1, for registries and clients that only speak
//! schema1: the v1 history is built from the image config, signed with a
//! throwaway key.

use bytes::Bytes;
use oci_digest::known;
use oci_manifest::{Manifest, MediaType, DEFAULT_TAG};

use super::{distinct, Job, NewManifest, TargetFormat};
use crate::{config_to_schema1, Error};

/// Converts a schema2 or OCI image with config bytes `config` to signed
/// schema1 named after the destination, moving its layers (and the gzipped
/// empty tar when an empty history entry needs it); returns the manifest to push.
pub(super) async fn convert(
    job: &Job<'_>,
    manifest: &Manifest,
    config: Option<&Bytes>,
) -> Result<NewManifest, Error> {
    let (Some(descriptor), Some(layers), Some(config)) =
        (manifest.config(), manifest.layer_descriptors(), config)
    else {
        return Err(job.unsupported(manifest));
    };
    if !descriptor.media_type().is_config() {
        return Err(Error::NoEquivalentMediaType {
            media_type: descriptor.media_type().clone(),
            target: TargetFormat::V2s1,
        });
    }
    for layer in layers {
        TargetFormat::V2s1.map_layer(layer.media_type())?;
    }
    let digests: Vec<_> = layers.iter().map(|layer| layer.digest().clone()).collect();
    let tag = job.destination.tag().unwrap_or(DEFAULT_TAG);
    let unsigned = config_to_schema1(config, &digests, job.destination.repository().as_str(), tag)?;

    job.copy_blobs(distinct(digests)).await?;
    if unsigned.needs_empty_layer() {
        job.blobs.put_bytes(known::EMPTY_TAR_GZIP_BYTES.to_vec()).await?;
    }
    Ok(NewManifest {
        media_type: MediaType::DockerSchema1Signed,
        bytes: unsigned.sign_with_throwaway_key()?,
    })
}
