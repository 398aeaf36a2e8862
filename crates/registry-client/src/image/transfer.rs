//! Moving an image from one location to another: pull (registry to layout),
//! push (layout to registry), and copy (any to any), lists and indexes with
//! every platform or the one asked for.
//!
//! The order is what keeps every destination consistent at every moment:
//! blobs first (concurrently, bounded), then each platform's manifest, and
//! the list or index last, so nothing ever names content that is not there.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use oci_digest::Digest;
use oci_manifest::{Descriptor, Manifest, Platform};
use tokio::io::AsyncRead;

use super::location::{ImageLocation, ManifestData};
use super::progress::{BlobOutcome, Progress, ProgressReader};
use super::stream_reader::BlobStreamReader;
use super::ImageError;
use crate::layout::{LayoutError, LayoutTag, OciLayout};
use crate::{Client, RepositoryRef, UploadStart};

/// Concurrent blob transfers when nothing else is asked for.
pub const DEFAULT_JOBS: usize = 4;

/// How an image is moved.
#[derive(Debug, Clone)]
pub struct TransferOptions {
    platform: Option<Platform>,
    jobs: usize,
    mount_from: Option<RepositoryRef>,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            platform: None,
            jobs: DEFAULT_JOBS,
            mount_from: None,
        }
    }
}

impl TransferOptions {
    /// Moves every platform of a list or index, with [`DEFAULT_JOBS`] transfers at once.
    pub fn new() -> TransferOptions {
        TransferOptions::default()
    }

    /// Moves only the image for `platform` out of a list or index; the
    /// destination then holds that image, not the list.
    pub fn platform(mut self, platform: Platform) -> TransferOptions {
        self.platform = Some(platform);
        self
    }

    /// At most `jobs` transfers of large blobs at once (at least one). Blobs of
    /// at most 256 KiB, whose transfers are mostly waiting for answers, get up
    /// to four times as many (at most 16) besides. `jobs(1)` moves one blob at
    /// a time, whatever its size.
    pub fn jobs(mut self, jobs: usize) -> TransferOptions {
        self.jobs = jobs.max(1);
        self
    }

    /// Transfers of small blobs at once: `jobs` times four, at most 16, and
    /// never fewer than `jobs`; one when `jobs` is one.
    fn small_blob_jobs(&self) -> usize {
        if self.jobs == 1 {
            return 1;
        }
        (self.jobs * 4).min(MAX_SMALL_BLOB_JOBS).max(self.jobs)
    }

    /// A repository on the destination registry that already holds the
    /// image's blobs (for a push from a layout that was pulled from it):
    /// blobs are mounted from it instead of uploaded.
    pub fn mount_from(mut self, repository: RepositoryRef) -> TransferOptions {
        self.mount_from = Some(repository);
        self
    }
}

/// What a transfer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferReport {
    manifest: ManifestData,
    transferred: usize,
    present: usize,
    mounted: usize,
    manifests: usize,
}

impl TransferReport {
    /// The manifest now at the destination (the list or index, or the one
    /// platform's image when a platform was chosen).
    pub fn manifest(&self) -> &ManifestData {
        &self.manifest
    }

    /// The digest of that manifest at the destination.
    pub fn digest(&self) -> &Digest {
        self.manifest.digest()
    }

    /// Blobs whose bytes were moved.
    pub fn blobs_transferred(&self) -> usize {
        self.transferred
    }

    /// Blobs the destination had already.
    pub fn blobs_present(&self) -> usize {
        self.present
    }

    /// Blobs mounted from another repository of the same registry.
    pub fn blobs_mounted(&self) -> usize {
        self.mounted
    }

    /// Manifests written, children and top together.
    pub fn manifests_written(&self) -> usize {
        self.manifests
    }
}

/// One blob to be moved.
#[derive(Debug, Clone)]
struct PlannedBlob {
    digest: Digest,
    size: Option<u64>,
}

/// Everything a transfer moves.
struct Plan {
    /// The platforms' manifests of a list or index, written before it.
    children: Vec<ManifestData>,
    /// The manifest the destination will name.
    top: ManifestData,
    blobs: Vec<PlannedBlob>,
    /// The platform entry chosen out of a list, to annotate a layout entry.
    chosen: Option<Descriptor>,
}

/// Pulls `reference` into `layout`, named `tag` there (untagged when `None`).
pub async fn pull(
    client: &Client,
    reference: &oci_manifest::Reference,
    layout: &OciLayout,
    tag: Option<&LayoutTag>,
    options: &TransferOptions,
    progress: Arc<dyn Progress>,
) -> Result<TransferReport, ImageError> {
    let source = ImageLocation::Registry(reference.clone());
    let destination = ImageLocation::Layout {
        layout: layout.clone(),
        tag: tag.cloned(),
    };
    copy(client, &source, &destination, options, progress).await
}

/// Pushes the image `tag` (or the only one) of `layout` to `reference`.
pub async fn push(
    client: &Client,
    layout: &OciLayout,
    tag: Option<&LayoutTag>,
    reference: &oci_manifest::Reference,
    options: &TransferOptions,
    progress: Arc<dyn Progress>,
) -> Result<TransferReport, ImageError> {
    let source = ImageLocation::Layout {
        layout: layout.clone(),
        tag: tag.cloned(),
    };
    let destination = ImageLocation::Registry(reference.clone());
    copy(client, &source, &destination, options, progress).await
}

/// Copies the image at `source` to `destination`: every platform of a list
/// or index unless [`TransferOptions::platform`] picks one. Blobs the
/// destination has are not transferred; within one registry they are
/// mounted. Returns what was done and the destination's manifest digest.
pub async fn copy(
    client: &Client,
    source: &ImageLocation,
    destination: &ImageLocation,
    options: &TransferOptions,
    progress: Arc<dyn Progress>,
) -> Result<TransferReport, ImageError> {
    let plan = plan(client, source, options).await?;
    if let ImageLocation::Layout { layout, .. } = destination {
        // What an earlier, killed transfer left behind goes first.
        match layout.remove_orphaned_temp_files().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(removed = n, "removed temp files of exited writers"),
            Err(error) => tracing::debug!(%error, "could not sweep temp files"),
        }
        let mut manifests = plan.children.iter().chain(std::iter::once(&plan.top));
        if let Some(schema1) = manifests.find(|m| m.media_type().is_schema1()) {
            return Err(ImageError::UnsupportedInLayout {
                media_type: schema1.media_type().clone(),
            });
        }
    }

    // Small blobs are bound by round trips, large ones by bandwidth: the
    // small ones get more transfers at once, alongside the large ones.
    let (small, large): (Vec<&PlannedBlob>, Vec<&PlannedBlob>) = plan
        .blobs
        .iter()
        .partition(|blob| blob.size.is_some_and(|size| size <= SMALL_BLOB));
    let small_transfers = stream::iter(small)
        .map(|blob| transfer_blob(client, source, destination, blob, options, &progress))
        .buffer_unordered(options.small_blob_jobs())
        .try_collect::<Vec<BlobOutcome>>();
    let large_transfers = stream::iter(large)
        .map(|blob| transfer_blob(client, source, destination, blob, options, &progress))
        .buffer_unordered(options.jobs)
        .try_collect::<Vec<BlobOutcome>>();
    // `jobs(1)` means one blob at a time, small ones included.
    let (mut outcomes, large_outcomes) = if options.jobs == 1 {
        (small_transfers.await?, large_transfers.await?)
    } else {
        futures_util::future::try_join(small_transfers, large_transfers).await?
    };
    outcomes.extend(large_outcomes);

    for child in &plan.children {
        write_manifest(client, destination, child, Role::Child).await?;
    }
    let chosen = plan.chosen.as_ref();
    let digest = write_manifest(client, destination, &plan.top, Role::Top { chosen }).await?;
    let count = |wanted: BlobOutcome| outcomes.iter().filter(|&&o| o == wanted).count();
    let manifest = plan.top.with_digest(digest);
    Ok(TransferReport {
        manifest,
        transferred: count(BlobOutcome::Transferred),
        present: count(BlobOutcome::AlreadyPresent),
        mounted: count(BlobOutcome::Mounted),
        manifests: plan.children.len() + 1,
    })
}

/// Reads the manifests at `source` and lists what must move.
async fn plan(
    client: &Client,
    source: &ImageLocation,
    options: &TransferOptions,
) -> Result<Plan, ImageError> {
    let top = source.top_manifest(client).await?;
    let parsed = top.parse()?;
    let mut blobs = Vec::new();
    let mut seen = HashSet::new();
    if !parsed.is_index() {
        collect_blobs(&parsed, &mut blobs, &mut seen);
        return Ok(Plan {
            children: Vec::new(),
            top,
            blobs,
            chosen: None,
        });
    }
    if let Some(wanted) = &options.platform {
        let entry = select_platform(&parsed, wanted, &source.to_string())?.clone();
        let child = source.child_manifest(client, &entry).await?;
        collect_blobs(&child.parse()?, &mut blobs, &mut seen);
        return Ok(Plan {
            children: Vec::new(),
            top: child,
            blobs,
            chosen: Some(entry),
        });
    }
    // Every entry must be an image manifest: nested indexes exist in the
    // wild but no tool writes them for platforms, and refusing is clearer
    // than half a copy.
    let not_a_manifest = |entry: &Descriptor| ImageError::NotAManifest {
        parent: top.digest().clone(),
        child: entry.digest().clone(),
        media_type: entry.media_type().clone(),
    };
    let entries = parsed.manifests().unwrap_or_default();
    if let Some(entry) = entries
        .iter()
        .find(|e| !e.media_type().is_manifest() || e.media_type().is_index())
    {
        return Err(not_a_manifest(entry));
    }
    // Fetched concurrently, kept in the list's order.
    let fetched: Vec<(ManifestData, Manifest)> = stream::iter(entries)
        .map(|entry| async move {
            let child = source.child_manifest(client, entry).await?;
            let parsed = child.parse()?;
            Ok::<_, ImageError>((child, parsed))
        })
        .buffered(options.jobs)
        .try_collect()
        .await?;
    let mut children = Vec::with_capacity(fetched.len());
    for ((child, child_parsed), entry) in fetched.into_iter().zip(entries) {
        if child_parsed.is_index() {
            return Err(not_a_manifest(entry));
        }
        collect_blobs(&child_parsed, &mut blobs, &mut seen);
        children.push(child);
    }
    Ok(Plan {
        children,
        top,
        blobs,
        chosen: None,
    })
}

/// The entry of a list or index for `wanted`, or an error naming what there is.
pub(crate) fn select_platform<'a>(
    manifest: &'a Manifest,
    wanted: &Platform,
    image: &str,
) -> Result<&'a Descriptor, ImageError> {
    manifest
        .find_platform(wanted)
        .ok_or_else(|| ImageError::NoMatchingPlatform {
            image: image.to_owned(),
            wanted: Box::new(wanted.clone()),
            available: manifest
                .manifests()
                .unwrap_or_default()
                .iter()
                .filter_map(|entry| entry.platform().map(ToString::to_string))
                .collect(),
        })
}

/// Adds the config and layers of an image manifest to `blobs`, once each.
/// Foreign (non-distributable) layers stay where their URLs point, as
/// registries refuse them.
fn collect_blobs(manifest: &Manifest, blobs: &mut Vec<PlannedBlob>, seen: &mut HashSet<Digest>) {
    let mut add = |digest: &Digest, size: Option<u64>| {
        if seen.insert(digest.clone()) {
            blobs.push(PlannedBlob {
                digest: digest.clone(),
                size,
            });
        }
    };
    if let Some(config) = manifest.config() {
        add(config.digest(), Some(config.size()));
    }
    for layer in manifest.layer_infos() {
        let foreign = layer.media_type().is_some_and(|t| t.is_foreign_layer())
            || layer.urls().is_some_and(|urls| !urls.is_empty());
        if !foreign {
            add(layer.digest(), layer.size());
        }
    }
}

/// The most small-blob transfers at once, whatever `jobs` says.
const MAX_SMALL_BLOB_JOBS: usize = 16;

/// Blobs up to this size are downloaded whole into memory before they are
/// written (one visit to the blocking pool instead of one per file operation).
const SMALL_BLOB: u64 = 256 * 1024;

/// Moves one blob unless the destination has it; mounts within a registry.
async fn transfer_blob(
    client: &Client,
    source: &ImageLocation,
    destination: &ImageLocation,
    blob: &PlannedBlob,
    options: &TransferOptions,
    progress: &Arc<dyn Progress>,
) -> Result<BlobOutcome, ImageError> {
    progress.blob_started(&blob.digest, blob.size);
    let outcome = match destination {
        ImageLocation::Layout { layout, .. } => to_layout(client, source, layout, blob, progress).await?,
        ImageLocation::Registry(reference) => {
            let target = RepositoryRef::from(reference);
            to_registry(client, source, &target, blob, options, progress).await?
        }
    };
    progress.blob_done(&blob.digest, outcome);
    Ok(outcome)
}

async fn to_layout(
    client: &Client,
    source: &ImageLocation,
    layout: &OciLayout,
    blob: &PlannedBlob,
    progress: &Arc<dyn Progress>,
) -> Result<BlobOutcome, ImageError> {
    if layout.has_blob(&blob.digest).await? {
        return Ok(BlobOutcome::AlreadyPresent);
    }
    match source {
        ImageLocation::Registry(reference) => {
            let mut stream = client
                .get_blob(&RepositoryRef::from(reference), &blob.digest)
                .await?;
            let size = blob.size.or(stream.size());
            if let Some(size) = size.filter(|&size| size <= SMALL_BLOB) {
                // Whole in memory, verified by the stream, then one trip to the
                // blocking pool: small layers are bound by round trips, not bytes.
                let content = stream.bytes(size).await?;
                if content.len() as u64 != size {
                    return Err(LayoutError::SizeMismatch {
                        digest: blob.digest.clone(),
                        expected: size,
                        actual: content.len() as u64,
                    }
                    .into());
                }
                layout.write_verified_blob(&blob.digest, content).await?;
                progress.blob_progress(&blob.digest, size);
                return Ok(BlobOutcome::Transferred);
            }
            // The stream verifies what it yields, so the writer does not hash
            // again: the stream ends in an error instead of its end when the
            // content is not the digest's, and the dropped writer then removes
            // the temp file. Committing only after the end keeps the layout's
            // rule that nothing unverified reaches `blobs/`.
            let mut writer = layout.blob_writer(&blob.digest, size).await?.trusting_source();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                writer.write(&chunk).await?;
                progress.blob_progress(&blob.digest, chunk.len() as u64);
            }
            writer.commit().await?;
        }
        ImageLocation::Layout { layout: from, .. } => {
            let reader = from.open_blob(&blob.digest).await?;
            let size = blob.size.unwrap_or(reader.len());
            let reader = ProgressReader::new(reader, blob.digest.clone(), Arc::clone(progress));
            layout.write_blob_from(&blob.digest, Some(size), reader).await?;
        }
    }
    Ok(BlobOutcome::Transferred)
}

async fn to_registry(
    client: &Client,
    source: &ImageLocation,
    target: &RepositoryRef,
    blob: &PlannedBlob,
    options: &TransferOptions,
    progress: &Arc<dyn Progress>,
) -> Result<BlobOutcome, ImageError> {
    if client.blob_size(target, &blob.digest).await?.is_some() {
        return Ok(BlobOutcome::AlreadyPresent);
    }
    // Within one registry the blob is linked, not re-sent: from the source
    // repository of a copy, else from the repository the caller named.
    let same_registry = |from: &RepositoryRef| from.api_host() == target.api_host() && from != target;
    let mut mount_source = source
        .repository()
        .filter(same_registry)
        .or_else(|| options.mount_from.clone().filter(same_registry));
    // One HEAD above, then one POST that mounts or opens the upload: the source is read
    // only when bytes must be sent.
    // distribution discards an upload whose connection broke, so there is nothing to resume:
    // a broken upload is started again from a fresh read of the source. The registry checks
    // the digest on commit, so a partial upload can never be committed under it.
    // An upload refused with 401 (a token that expired while a streamed body was on its
    // way, which cannot be resent in place) is started once more with the refreshed token.
    let mut restarts = 0;
    let mut reauthorized = false;
    loop {
        let upload = match client
            .start_blob_upload(target, &blob.digest, mount_source.as_ref())
            .await?
        {
            UploadStart::Mounted => return Ok(BlobOutcome::Mounted),
            UploadStart::Open(upload) => upload,
        };
        // A declined mount is not asked again on a restart.
        mount_source = None;
        let (size, reader) = match open_source(client, source, blob, progress).await {
            Ok(opened) => opened,
            Err(error) => {
                client.cancel_blob_upload(target, upload).await;
                return Err(error);
            }
        };
        // Both kinds of source verify what they yield (a layout's blob
        // reader, a registry's blob stream), so the upload does not hash again.
        let pushed = client
            .finish_blob_upload_from(target, &blob.digest, size, reader, upload, true)
            .await;
        match pushed {
            Ok(()) => return Ok(BlobOutcome::Transferred),
            Err(error)
                if restarts < client.max_retries()
                    && (error.is_broken_connection() || (error.is_unauthorized() && !reauthorized)) =>
            {
                tracing::debug!(digest = %blob.digest, %error, "restarting an upload");
                reauthorized |= error.is_unauthorized();
                tokio::time::sleep(client.retry_backoff(restarts)).await;
                restarts += 1;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// A reader of a blob's bytes from the source of a transfer, and its size.
async fn open_source(
    client: &Client,
    source: &ImageLocation,
    blob: &PlannedBlob,
    progress: &Arc<dyn Progress>,
) -> Result<(u64, Box<dyn AsyncRead + Send + Unpin>), ImageError> {
    Ok(match source {
        ImageLocation::Registry(reference) => {
            let from = RepositoryRef::from(reference);
            let size = match blob.size {
                Some(size) => size,
                None => client.blob_size(&from, &blob.digest).await?.unwrap_or(0),
            };
            let stream = client.get_blob(&from, &blob.digest).await?;
            let reader = BlobStreamReader::new(stream);
            let reader = ProgressReader::new(reader, blob.digest.clone(), Arc::clone(progress));
            (size, Box::new(reader))
        }
        ImageLocation::Layout { layout, .. } => {
            let reader = layout.open_blob(&blob.digest).await?;
            let size = blob.size.unwrap_or(reader.len());
            let reader = ProgressReader::new(reader, blob.digest.clone(), Arc::clone(progress));
            (size, Box::new(reader))
        }
    })
}

/// Which manifest of a transfer is being written.
#[derive(Clone, Copy)]
enum Role<'a> {
    /// A platform's manifest under a list: stored by digest only.
    Child,
    /// The manifest the destination names; `chosen` is the list entry it was
    /// picked from, if it was.
    Top { chosen: Option<&'a Descriptor> },
}

/// Puts one manifest at the destination and returns the digest the
/// destination holds it under.
async fn write_manifest(
    client: &Client,
    destination: &ImageLocation,
    manifest: &ManifestData,
    role: Role<'_>,
) -> Result<Digest, ImageError> {
    match destination {
        ImageLocation::Registry(reference) => {
            let target = match role {
                Role::Child => reference
                    .with_digest(manifest.digest().clone())
                    .map_err(crate::Error::from)?,
                Role::Top { .. } => reference.clone(),
            };
            Ok(client
                .put_manifest(&target, manifest.media_type(), manifest.bytes().clone())
                .await?)
        }
        ImageLocation::Layout { layout, tag } => {
            layout.write_blob(manifest.digest(), manifest.bytes()).await?;
            if let Role::Top { chosen } = role {
                let mut entry = manifest.descriptor();
                if let Some(platform) = chosen.and_then(Descriptor::platform) {
                    entry = entry.with_platform(platform.clone());
                }
                match tag {
                    Some(tag) => layout.set_tag(tag, entry).await?,
                    None => layout.add_untagged(entry).await?,
                }
            }
            Ok(manifest.digest().clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(n: u8) -> Digest {
        Digest::sha256(&[n])
    }

    fn oci_manifest(config: u8, layers: &[(u8, &str, bool)]) -> Manifest {
        let layers: Vec<serde_json::Value> = layers
            .iter()
            .map(|&(n, media_type, foreign)| {
                let mut layer = serde_json::json!({"mediaType": media_type, "digest": digest(n), "size": n});
                if foreign {
                    layer["urls"] = serde_json::json!(["https://example.com/layer"]);
                }
                layer
            })
            .collect();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config), "size": 1},
            "layers": layers,
        });
        Manifest::parse(&serde_json::to_vec(&manifest).unwrap(), None).unwrap()
    }

    const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    const FOREIGN: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    #[test]
    fn blobs_are_collected_once_and_foreign_layers_left_out() {
        let mut blobs = Vec::new();
        let mut seen = HashSet::new();
        collect_blobs(
            &oci_manifest(
                1,
                &[
                    (2, GZIP, false),
                    (3, FOREIGN, false),
                    (4, GZIP, true),
                    (2, GZIP, false),
                ],
            ),
            &mut blobs,
            &mut seen,
        );
        collect_blobs(
            &oci_manifest(5, &[(2, GZIP, false), (6, GZIP, false)]),
            &mut blobs,
            &mut seen,
        );
        let collected: Vec<(Digest, Option<u64>)> = blobs.into_iter().map(|b| (b.digest, b.size)).collect();
        assert_eq!(
            collected,
            [
                (digest(1), Some(1)),
                (digest(2), Some(2)),
                (digest(5), Some(1)),
                (digest(6), Some(6))
            ]
        );
    }

    #[test]
    fn platform_selection_names_what_is_available() {
        let entry = |n: u8, platform: &str| {
            serde_json::json!({
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest(n),
                "size": 1,
                "platform": serde_json::to_value(platform.parse::<Platform>().unwrap()).unwrap(),
            })
        };
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [entry(1, "linux/amd64"), entry(2, "linux/arm64/v8"), entry(3, "linux/arm/v7")],
        });
        let index = Manifest::parse(&serde_json::to_vec(&index).unwrap(), None).unwrap();
        let table = [
            ("linux/amd64", 1),
            ("linux/x86_64", 1),
            ("linux/arm64", 2),
            ("linux/arm", 3),
        ];
        for (wanted, expected) in table {
            let found = select_platform(&index, &wanted.parse().unwrap(), "img").unwrap();
            assert_eq!(found.digest(), &digest(expected), "{wanted}");
        }
        let err = select_platform(&index, &"linux/arm/v6".parse().unwrap(), "img").unwrap_err();
        assert_eq!(
            err.to_string(),
            "img has no image for platform linux/arm/v6 (it has: linux/amd64, linux/arm64/v8, linux/arm/v7)"
        );
    }

    #[test]
    fn options_keep_at_least_one_job() {
        assert_eq!(TransferOptions::new().jobs, DEFAULT_JOBS);
        assert_eq!(TransferOptions::new().jobs(0).jobs, 1);
    }
}
