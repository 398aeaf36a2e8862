//! Schema1 -> schema2 or OCI: the config is rebuilt from the v1 history,
//! which needs each content layer's diffID, so each distinct content layer is
//! downloaded once and scanned.

use std::collections::HashMap;

use futures_util::{StreamExt, TryStreamExt};
use oci_digest::Digest;
use oci_manifest::{Descriptor, Schema1};

use super::{distinct, image_manifest, Job, NewManifest, TargetFormat};
use crate::{schema1_to_config, Error, LayerSummary, V1History};

/// Converts `schema1` to `target` (schema2 or OCI), moving its content layers
/// and the new config to the destination; returns the manifest to push.
///
/// `throwaway` layers are left out of `layers` (their history entries say
/// `empty_layer`), exactly as Docker and containers/image convert.
pub(super) async fn convert(
    job: &Job<'_>,
    schema1: &Schema1,
    target: TargetFormat,
) -> Result<NewManifest, Error> {
    let history = V1History::from_schema1(schema1)?;
    let content: Vec<Digest> = history
        .content_layers()
        .map(|layer| layer.blob_sum().clone())
        .collect();
    let summaries = scan_and_move(job, distinct(content.iter().cloned())).await?;
    let summary_of = |digest: &Digest| {
        summaries
            .get(digest)
            .expect("every content layer was scanned above")
    };

    let diff_ids: Vec<Digest> = content.iter().map(|d| summary_of(d).diff_id().clone()).collect();
    let config = schema1_to_config(&history, &diff_ids)?;
    let layers = content
        .iter()
        .map(|digest| {
            let summary = summary_of(digest);
            let media_type = target.layer_for(summary.compression())?;
            Ok(Descriptor::new(media_type, digest.clone(), summary.blob_size()))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let config_type = target
        .config_media_type()
        .ok_or_else(|| Error::NoEquivalentMediaType {
            media_type: schema1.media_type(),
            target,
        })?;
    let config_size = config.bytes().len() as u64;
    let config_digest = job.blobs.put_bytes(config.into_bytes()).await?;
    image_manifest(
        target,
        Descriptor::new(config_type, config_digest, config_size),
        layers,
    )
}

/// Downloads each of `digests` once, scans it for its diffID and makes the
/// destination hold it; at most `job.jobs` at once.
async fn scan_and_move(job: &Job<'_>, digests: Vec<Digest>) -> Result<HashMap<Digest, LayerSummary>, Error> {
    futures_util::stream::iter(digests)
        .map(|digest| async move {
            let staged = job.blobs.stage(&digest).await?;
            let summary = staged.scan().await?;
            job.blobs.upload(&staged).await?;
            Ok::<_, Error>((digest, summary))
        })
        .buffer_unordered(job.jobs)
        .try_collect()
        .await
}
