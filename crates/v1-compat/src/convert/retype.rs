//! Schema2 <-> OCI: the same config and layers under the other format's media
//! types. Blob bytes, and so their digests, do not change.

use oci_manifest::{Descriptor, Manifest};

use super::{image_manifest, registry_blobs, Job, NewManifest, TargetFormat};
use crate::Error;

/// Re-types a schema2 or OCI manifest for `target` (the other of the two) and
/// moves its blobs; returns the manifest to push. Foreign layers keep their
/// URLs and stay where they are.
pub(super) async fn convert(
    job: &Job<'_>,
    manifest: &Manifest,
    target: TargetFormat,
) -> Result<NewManifest, Error> {
    let (Some(config), Some(layers)) = (manifest.config(), manifest.layer_descriptors()) else {
        return Err(job.unsupported(manifest));
    };
    let config = retyped(config, target.map_config(config.media_type())?);
    let layers = layers
        .iter()
        .map(|layer| Ok(retyped(layer, target.map_layer(layer.media_type())?)))
        .collect::<Result<Vec<_>, Error>>()?;
    job.copy_blobs(registry_blobs(manifest)).await?;
    image_manifest(target, config, layers)
}

/// `descriptor` under `media_type`: digest, size and URLs kept; annotations
/// dropped, as schema2 has none and OCI's would describe the old type.
fn retyped(descriptor: &Descriptor, media_type: oci_manifest::MediaType) -> Descriptor {
    Descriptor::new(media_type, descriptor.digest().clone(), descriptor.size())
        .with_urls(descriptor.urls().to_vec())
}
