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
use oci_manifest::{Descriptor, Flavour, ImageIndex, Manifest, Platform};

use super::compression::{LayerCompression, Recompress};
use super::copier::{copy_blob, BlobCopy, ScanFactory};
use super::destination::{
    ImageDestination, LayoutDestination, ManifestRole, RegistryDestination, SMALL_BLOB,
};
use super::files::put_bytes;
use super::location::{ImageLocation, ManifestData};
use super::relayer::{ImageToRelayer, Made, Relayering};
use super::resolve::resolve_from;
use super::resolve::ResolvedImage;
use super::rewrite::Rewrite;
use super::source::{ImageSource, LayoutSource, RegistrySource};
use super::{BlobOutcome, Progress};
use crate::layout::{LayoutTag, OciLayout};
use crate::{Client, DigestChange, Error, RepositoryRef};

/// Concurrent blob transfers when nothing else is asked for.
pub const DEFAULT_JOBS: usize = 4;

/// How an image is moved.
#[derive(Debug, Clone)]
pub struct TransferOptions {
    platform: Option<Platform>,
    /// Two or more platforms: the subset of a list or index to copy, as a rewritten list.
    subset: Vec<Platform>,
    jobs: usize,
    mount_from: Option<RepositoryRef>,
    recompress: Option<Recompress>,
    preserve_digests: bool,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            platform: None,
            subset: Vec::new(),
            jobs: DEFAULT_JOBS,
            mount_from: None,
            recompress: None,
            preserve_digests: false,
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

    /// Moves the images for `platforms` out of a list or index. One platform is
    /// [`TransferOptions::platform`]; with two or more the destination gets a
    /// list or index of the same format holding just those entries (in the
    /// source's order, its annotations kept), so its digest is new. A platform
    /// the source lacks is an error, as is a subset of a single image.
    pub fn platforms(mut self, platforms: impl IntoIterator<Item = Platform>) -> TransferOptions {
        let mut platforms: Vec<Platform> = platforms.into_iter().collect();
        match platforms.len() {
            0 => {}
            1 => self.platform = platforms.pop(),
            _ => self.subset = platforms,
        }
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

    /// Whether one or more platforms were chosen, so that a list or index is
    /// not copied whole and the destination's digest may differ from the
    /// source's (see [`destination_digest`]).
    pub fn selects_platforms(&self) -> bool {
        self.platform.is_some() || !self.subset.is_empty()
    }

    /// The concurrent blob transfers of one image (see [`TransferOptions::jobs`]).
    pub fn job_count(&self) -> usize {
        self.jobs
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

    /// Recompresses the layers of every image on the way (see [`Recompress`]): each layer
    /// packed otherwise is unpacked, checked against its config's diffID, packed again and
    /// written under its new digest, before any other blob; the manifests (and a list or
    /// index naming them) are rewritten with the new layers, so their digests change. A
    /// packing the destination's manifest format cannot name (zstd in Docker schema2) is
    /// refused before anything is written.
    pub fn recompress(mut self, recompress: Recompress) -> TransferOptions {
        self.recompress = Some(recompress);
        self
    }

    /// Refuses, before anything is written, a transfer that would change a digest: a layer
    /// recompressed, a manifest converted, a subset of a list written as a new list
    /// ([`Error::DigestsWouldChange`]).
    pub fn preserve_digests(mut self, preserve: bool) -> TransferOptions {
        self.preserve_digests = preserve;
        self
    }

    /// The recompression asked for, if any.
    pub fn recompression(&self) -> Option<&Recompress> {
        self.recompress.as_ref()
    }

    /// Whether digests are to be preserved.
    pub fn preserves_digests(&self) -> bool {
        self.preserve_digests
    }

    /// Refuses `change` when digests are to be preserved.
    fn refuse(&self, image: &dyn ImageSource, change: DigestChange) -> Result<(), Error> {
        if self.preserve_digests {
            return Err(Error::DigestsWouldChange {
                image: image.to_string(),
                change,
            });
        }
        Ok(())
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

    fn new(manifest: ManifestData, outcomes: &[BlobOutcome], manifests: usize) -> TransferReport {
        let count = |wanted: BlobOutcome| outcomes.iter().filter(|&&o| o == wanted).count();
        TransferReport {
            manifest,
            transferred: count(BlobOutcome::Transferred),
            present: count(BlobOutcome::AlreadyPresent),
            mounted: count(BlobOutcome::Mounted),
            manifests,
        }
    }
}

/// One blob to be moved.
#[derive(Debug, Clone)]
struct PlannedBlob {
    digest: Digest,
    size: Option<u64>,
    /// Whether a rewrite reads the layer on its way.
    scan: bool,
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
    /// Whether the top is a new list of a subset of the source's platforms.
    subset: bool,
}

/// Pulls `reference` into `layout`, named `tag` there (untagged when `None`).
pub async fn pull(
    client: &Client,
    reference: &oci_manifest::Reference,
    layout: &OciLayout,
    tag: Option<&LayoutTag>,
    options: &TransferOptions,
    progress: Arc<dyn Progress>,
) -> Result<TransferReport, Error> {
    let source = RegistrySource::new(client, reference);
    let destination = LayoutDestination::new(layout, tag);
    copy_image(&source, &destination, options, progress).await
}

/// Pushes the image `tag` (or the only one) of `layout` to `reference`.
pub async fn push(
    client: &Client,
    layout: &OciLayout,
    tag: Option<&LayoutTag>,
    reference: &oci_manifest::Reference,
    options: &TransferOptions,
    progress: Arc<dyn Progress>,
) -> Result<TransferReport, Error> {
    let source = LayoutSource::new(layout, tag);
    let destination = RegistryDestination::new(client, reference);
    copy_image(&source, &destination, options, progress).await
}

/// Copies the image at `source` to `destination` (see [`copy_image`]).
pub async fn copy(
    client: &Client,
    source: &ImageLocation,
    destination: &ImageLocation,
    options: &TransferOptions,
    progress: Arc<dyn Progress>,
) -> Result<TransferReport, Error> {
    let source = source.source(client);
    let destination = destination.destination(client);
    copy_image(&*source, &*destination, options, progress).await
}

/// Runs `reading` (the source's manifest being read) while the destination gets ready (a
/// registry is pinged): one round trip fewer on a far registry. Whichever fails first ends
/// the copy at once; neither waits for the other to time out.
async fn while_destination_prepares<T>(
    destination: &dyn ImageDestination,
    reading: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let (read, ()) = tokio::try_join!(reading, destination.prepare())?;
    Ok(read)
}

/// Copies the image at `source` to `destination`: every platform of a list
/// or index unless [`TransferOptions::platform`] picks one. Blobs the
/// destination has are not transferred; within one registry they are
/// mounted. Returns what was done and the destination's manifest digest.
pub async fn copy_image(
    source: &dyn ImageSource,
    destination: &dyn ImageDestination,
    options: &TransferOptions,
    progress: Arc<dyn Progress>,
) -> Result<TransferReport, Error> {
    let plan = while_destination_prepares(destination, plan(source, options)).await?;
    if plan.subset {
        options.refuse(source, DigestChange::PlatformSubset)?;
    }
    // The image manifests: the children of a list, or the one image.
    let images: Vec<(&ManifestData, Manifest)> = if plan.children.is_empty() {
        vec![(&plan.top, plan.top.parse()?)]
    } else {
        plan.children
            .iter()
            .map(|child| Ok((child, child.parse()?)))
            .collect::<Result<_, Error>>()?
    };
    let to_relayer: Vec<ImageToRelayer<'_>> = images
        .iter()
        .map(|(data, manifest)| ImageToRelayer {
            data,
            manifest,
            config: None,
            written_as: data.media_type(),
        })
        .collect();
    let relayering = relayering_for(source, destination, &to_relayer, options).await?;
    for manifest in plan.children.iter().chain(std::iter::once(&plan.top)) {
        destination.accepts(manifest.media_type())?;
    }
    let (made, mut outcomes) =
        make_layers(source, destination, relayering.as_ref(), options, &progress).await?;
    let blobs: Vec<PlannedBlob> = plan
        .blobs
        .iter()
        .filter(|blob| relayering.as_ref().map_or(true, |r| r.keeps(&blob.digest)))
        .cloned()
        .collect();
    outcomes.extend(move_blobs(source, destination, &blobs, None, options, &progress).await?);
    let (children, top) = match &relayering {
        None => (plan.children.clone(), plan.top.clone()),
        Some(relayering) => {
            let mut rewritten = Vec::with_capacity(images.len());
            for (data, manifest) in &images {
                rewritten.push(relayering.apply(data, manifest, data.media_type(), &made)?);
            }
            if plan.children.is_empty() {
                (Vec::new(), rewritten.remove(0))
            } else {
                let top = relist(&plan.top, &plan.children, &rewritten)?;
                (rewritten, top)
            }
        }
    };
    for child in &children {
        destination.put_manifest(child, ManifestRole::Child).await?;
    }
    let chosen = plan.chosen.as_ref();
    let digest = destination
        .put_manifest(&top, ManifestRole::Top { chosen })
        .await?;
    Ok(TransferReport::new(
        top.with_digest(digest),
        &outcomes,
        children.len() + 1,
    ))
}

/// Copies the one image `source` names for the platform (a list or index
/// yields the entry for [`TransferOptions::platform`], by default the
/// host's, as [`resolve`](super::resolve) chooses) to `destination`,
/// rewritten by `rewrite` on the way: its blobs move in one concurrent pass
/// (each layer the rewrite reads is read once, while it streams), then the
/// blobs the rewrite made, then the new manifest.
///
/// With [`TransferOptions::recompress`], the layers are recompressed first and the rewrite
/// is given the image with its new layers: a conversion into a format that cannot name the
/// packing asked for (zstd in Docker schema2) is refused before anything is written.
pub async fn convert(
    source: &dyn ImageSource,
    destination: &dyn ImageDestination,
    rewrite: &dyn Rewrite,
    options: &TransferOptions,
    progress: Arc<dyn Progress>,
) -> Result<TransferReport, Error> {
    let image =
        while_destination_prepares(destination, resolve_from(source, options.platform.as_ref())).await?;
    let written_as = rewrite
        .target_type()
        .unwrap_or_else(|| image.image().media_type().clone());
    let to_relayer = ImageToRelayer {
        data: image.image(),
        manifest: image.manifest(),
        config: image.config().map(|config| &config[..]),
        written_as: &written_as,
    };
    let relayering = relayering_for(source, destination, &[to_relayer], options).await?;
    // What the rewrite plans for is the image as recompression will leave it.
    let relayered = |made: &Made| -> Result<ResolvedImage, Error> {
        match &relayering {
            Some(relayering) if relayering.changes_anything() => {
                let data =
                    relayering.apply(image.image(), image.manifest(), image.image().media_type(), made)?;
                image.with_image(data)
            }
            _ => Ok(image.clone()),
        }
    };
    let provisional = relayering
        .as_ref()
        .map(Relayering::provisional)
        .unwrap_or_default();
    let plan = rewrite.plan(&relayered(&provisional)?)?;
    if plan.media_type() != image.image().media_type() {
        options.refuse(
            source,
            DigestChange::Convert {
                from: image.image().media_type().clone(),
                to: plan.media_type().clone(),
            },
        )?;
    }
    if let Some(relayering) = relayering.as_ref().filter(|r| r.changes_anything()) {
        if relayering
            .compression()
            .media_type_in(plan.media_type())
            .is_none()
        {
            return Err(Error::CompressionUnsupported {
                manifest: plan.media_type().clone(),
                compression: relayering.compression(),
            });
        }
    }
    destination.accepts(plan.media_type())?;
    let (made, mut outcomes) =
        make_layers(source, destination, relayering.as_ref(), options, &progress).await?;
    let (image, plan) = if made.digests().is_empty() {
        (image.clone(), plan)
    } else {
        let image = relayered(&made)?;
        let plan = rewrite.plan(&image)?;
        (image, plan)
    };
    let made_digests = made.digests();
    let blobs: Vec<PlannedBlob> = plan
        .blobs()
        .iter()
        .filter(|(digest, _)| !made_digests.contains(digest))
        .map(|(digest, size)| PlannedBlob {
            digest: digest.clone(),
            size: *size,
            scan: plan.scans(digest),
        })
        .collect();
    outcomes.extend(move_blobs(source, destination, &blobs, Some(rewrite), options, &progress).await?);
    let rewritten = rewrite.finish(&image)?;
    destination.accepts(rewritten.manifest().media_type())?;
    for content in rewritten.blobs() {
        let put = put_bytes(destination, content.clone(), Arc::clone(&progress)).await?;
        outcomes.push(put.outcome());
    }
    let chosen = image.entry();
    let digest = destination
        .put_manifest(rewritten.manifest(), ManifestRole::Top { chosen })
        .await?;
    Ok(TransferReport::new(
        rewritten.manifest().with_digest(digest),
        &outcomes,
        1,
    ))
}

/// The recompression a transfer of `images` to `destination` makes, if any: the one asked
/// for (see [`Relayering::plan`]). Refuses, before anything is written, a packing the
/// destination does not store layers in, and, when digests are to be preserved, any layer
/// change, the one a destination makes itself (a docker-archive unpacks layers) included;
/// such a destination is given the layers as they are.
async fn relayering_for(
    source: &dyn ImageSource,
    destination: &dyn ImageDestination,
    images: &[ImageToRelayer<'_>],
    options: &TransferOptions,
) -> Result<Option<Relayering>, Error> {
    let (planned, made) = match (options.recompress, destination.layer_packing()) {
        (Some(asked), Some(packing)) if asked.compression() != packing => {
            return Err(Error::DestinationPacking {
                destination: destination.to_string(),
                packing,
                asked: asked.compression(),
            })
        }
        (_, Some(packing)) if options.preserve_digests => (Some(Recompress::new(packing)), false),
        (_, Some(_)) => (None, false),
        (asked, None) => (asked, true),
    };
    let Some(recompress) = planned else {
        return Ok(None);
    };
    let relayering = Relayering::plan(source, images, recompress).await?;
    refuse_recompression(options, source, Some(&relayering))?;
    Ok(made.then_some(relayering))
}

/// Refuses a recompression that changes a layer when digests are to be preserved.
fn refuse_recompression(
    options: &TransferOptions,
    source: &dyn ImageSource,
    relayering: Option<&Relayering>,
) -> Result<(), Error> {
    match relayering.and_then(Relayering::first_change) {
        Some(edit) => options.refuse(
            source,
            DigestChange::Recompress {
                layer: edit.source().clone(),
                to: relayering.map_or(LayerCompression::Gzip, Relayering::compression),
            },
        ),
        None => Ok(()),
    }
}

/// Makes the recompressed layers (before any other blob, so a layer that fails its check
/// leaves the rest of the image unwritten), reporting each as transferred.
async fn make_layers(
    source: &dyn ImageSource,
    destination: &dyn ImageDestination,
    relayering: Option<&Relayering>,
    options: &TransferOptions,
    progress: &Arc<dyn Progress>,
) -> Result<(Made, Vec<BlobOutcome>), Error> {
    let Some(relayering) = relayering.filter(|r| r.changes_anything()) else {
        return Ok((Made::default(), Vec::new()));
    };
    let made = relayering
        .make_layers(source, destination, options.jobs, progress)
        .await?;
    let outcomes = vec![BlobOutcome::Transferred; made.digests().len()];
    Ok((made, outcomes))
}

/// The list or index `top` with each entry for one of `before` pointing at the matching
/// manifest of `after` (its digest and size); the same bytes when none changed.
fn relist(
    top: &ManifestData,
    before: &[ManifestData],
    after: &[ManifestData],
) -> Result<ManifestData, Error> {
    if before.iter().zip(after).all(|(b, a)| b.digest() == a.digest()) {
        return Ok(top.clone());
    }
    let parsed = top.parse()?;
    let replaced: std::collections::HashMap<&Digest, &ManifestData> =
        before.iter().map(ManifestData::digest).zip(after).collect();
    let entries = parsed
        .manifests()
        .unwrap_or_default()
        .iter()
        .map(|entry| match replaced.get(entry.digest()) {
            None => entry.clone(),
            Some(new) => {
                let mut moved = Descriptor::new(
                    entry.media_type().clone(),
                    new.digest().clone(),
                    new.bytes().len() as u64,
                )
                .with_annotations(entry.annotations().clone());
                if let Some(platform) = entry.platform() {
                    moved = moved.with_platform(platform.clone());
                }
                if let Some(artifact_type) = entry.artifact_type() {
                    moved = moved.with_artifact_type(artifact_type.clone());
                }
                moved
            }
        })
        .collect();
    list_with(top, &parsed, entries)
}

/// Moves `blobs`, concurrently and bounded by `options`; each layer marked
/// for scanning is read by `rewrite`'s scan on its way.
async fn move_blobs(
    source: &dyn ImageSource,
    destination: &dyn ImageDestination,
    blobs: &[PlannedBlob],
    rewrite: Option<&dyn Rewrite>,
    options: &TransferOptions,
    progress: &Arc<dyn Progress>,
) -> Result<Vec<BlobOutcome>, Error> {
    // Within one registry a blob is linked, not re-sent: from the source
    // repository of a copy, else from the repository the caller named.
    let mount_from = source
        .mount_hint()
        .filter(|from| destination.can_mount_from(from))
        .or_else(|| {
            options
                .mount_from
                .as_ref()
                .filter(|from| destination.can_mount_from(from))
        });
    let one = |blob| copy_planned(source, destination, blob, mount_from, rewrite, progress);
    // Small blobs are bound by round trips, large ones by bandwidth: the
    // small ones get more transfers at once, alongside the large ones.
    let (small, large): (Vec<&PlannedBlob>, Vec<&PlannedBlob>) = blobs
        .iter()
        .partition(|blob| blob.size.is_some_and(|size| size <= SMALL_BLOB));
    let small_transfers = stream::iter(small)
        .map(one)
        .buffer_unordered(options.small_blob_jobs())
        .try_collect::<Vec<BlobOutcome>>();
    let large_transfers = stream::iter(large)
        .map(one)
        .buffer_unordered(options.jobs)
        .try_collect::<Vec<BlobOutcome>>();
    // `jobs(1)` means one blob at a time, small ones included.
    let (mut outcomes, large_outcomes) = if options.jobs == 1 {
        (small_transfers.await?, large_transfers.await?)
    } else {
        futures_util::future::try_join(small_transfers, large_transfers).await?
    };
    outcomes.extend(large_outcomes);
    Ok(outcomes)
}

/// Moves one planned blob through the copier.
async fn copy_planned(
    source: &dyn ImageSource,
    destination: &dyn ImageDestination,
    blob: &PlannedBlob,
    mount_from: Option<&RepositoryRef>,
    rewrite: Option<&dyn Rewrite>,
    progress: &Arc<dyn Progress>,
) -> Result<BlobOutcome, Error> {
    let open = || source.blob(&blob.digest, blob.size);
    let scan_factory;
    let scan: Option<ScanFactory<'_>> = match rewrite.filter(|_| blob.scan) {
        Some(rewrite) => {
            scan_factory = move || rewrite.scan(&blob.digest);
            Some(&scan_factory)
        }
        None => None,
    };
    let copy = BlobCopy {
        digest: &blob.digest,
        size: blob.size,
        mount_from,
        open: &open,
        scan,
    };
    copy_blob(destination, copy, progress).await
}

/// Reads the manifests at `source` and lists what must move.
async fn plan(source: &dyn ImageSource, options: &TransferOptions) -> Result<Plan, Error> {
    let top = source.top_manifest().await?;
    let parsed = top.parse()?;
    let mut blobs = Vec::new();
    let mut seen = HashSet::new();
    if !parsed.is_index() {
        if !options.subset.is_empty() {
            return Err(Error::NotAList {
                image: source.to_string(),
            });
        }
        collect_blobs(&parsed, &mut blobs, &mut seen);
        return Ok(Plan {
            children: Vec::new(),
            top,
            blobs,
            chosen: None,
            subset: false,
        });
    }
    if !options.subset.is_empty() {
        return plan_subset(source, &top, &parsed, &options.subset, options).await;
    }
    if let Some(wanted) = &options.platform {
        let entry = select_platform(&parsed, wanted, &source.to_string())?.clone();
        let child = source.child_manifest(&entry).await?;
        collect_blobs(&child.parse()?, &mut blobs, &mut seen);
        return Ok(Plan {
            children: Vec::new(),
            top: child,
            blobs,
            chosen: Some(entry),
            subset: false,
        });
    }
    // Every entry must be an image manifest: nested indexes exist in the
    // wild but no tool writes them for platforms, and refusing is clearer
    // than half a copy.
    let not_a_manifest = |entry: &Descriptor| Error::ListsNonManifest {
        parent: top.digest().clone(),
        child: entry.digest().clone(),
        media_type: Box::new(entry.media_type().clone()),
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
            let child = source.child_manifest(entry).await?;
            let parsed = child.parse()?;
            Ok::<_, Error>((child, parsed))
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
        subset: false,
    })
}

/// The plan for a subset of a list or index: the entries for `wanted` (each
/// chosen as for one platform; every platform must be there), their images,
/// and a new list or index of the same format naming just them.
async fn plan_subset(
    source: &dyn ImageSource,
    top: &ManifestData,
    parsed: &Manifest,
    wanted: &[Platform],
    options: &TransferOptions,
) -> Result<Plan, Error> {
    let (entries, subset) = subset_list(top, parsed, wanted, &source.to_string())?;
    let fetched: Vec<ManifestData> = stream::iter(&entries)
        .map(|entry| source.child_manifest(entry))
        .buffered(options.jobs)
        .try_collect()
        .await?;
    let mut blobs = Vec::new();
    let mut seen = HashSet::new();
    for child in &fetched {
        let child_parsed = child.parse()?;
        if child_parsed.is_index() {
            return Err(Error::ListsNonManifest {
                parent: top.digest().clone(),
                child: child.digest().clone(),
                media_type: Box::new(child.media_type().clone()),
            });
        }
        collect_blobs(&child_parsed, &mut blobs, &mut seen);
    }
    Ok(Plan {
        children: fetched,
        top: subset,
        blobs,
        chosen: None,
        subset: true,
    })
}

/// The entries of a list or index for `wanted` (in the source's order, each
/// once however many platforms chose it), and the list or index of the same
/// format naming just them (an OCI index keeps its annotations).
fn subset_list(
    top: &ManifestData,
    parsed: &Manifest,
    wanted: &[Platform],
    image: &str,
) -> Result<(Vec<Descriptor>, ManifestData), Error> {
    let mut chosen = HashSet::new();
    for platform in wanted {
        chosen.insert(select_platform(parsed, platform, image)?.digest().clone());
    }
    let entries: Vec<Descriptor> = parsed
        .manifests()
        .unwrap_or_default()
        .iter()
        .filter(|entry| chosen.remove(entry.digest()))
        .cloned()
        .collect();
    let list = list_with(top, parsed, entries.clone())?;
    Ok((entries, list))
}

/// A list or index of the same format as `parsed` (with its annotations, for an OCI
/// index) naming `entries`: a subset of its platforms, or its images rewritten.
fn list_with(top: &ManifestData, parsed: &Manifest, entries: Vec<Descriptor>) -> Result<ManifestData, Error> {
    let build = || -> Result<Vec<u8>, oci_manifest::Error> {
        let Manifest::Index(index) = parsed else {
            return Ok(ImageIndex::new(Flavour::Docker, entries)?.as_bytes().to_vec());
        };
        let mut list = ImageIndex::new(index.flavour(), entries)?;
        if !index.annotations().is_empty() {
            list = list.with_annotations(index.annotations().clone())?;
        }
        Ok(list.as_bytes().to_vec())
    };
    let bytes = build()?;
    let digest = Digest::sha256(&bytes);
    Ok(ManifestData::new(top.media_type().clone(), digest, bytes.into()))
}

/// The digest a copy of the image whose top manifest is `top` leaves at its
/// destination under `options`, computed from `top` alone: its own digest,
/// the chosen entry's with one platform, the rewritten list's with several.
/// What lets a sync tell an image is already there without reading the
/// destination's manifest.
pub fn destination_digest(
    top: &ManifestData,
    options: &TransferOptions,
    image: &str,
) -> Result<Digest, Error> {
    let parsed = top.parse()?;
    if !parsed.is_index() {
        if !options.subset.is_empty() {
            return Err(Error::NotAList {
                image: image.to_owned(),
            });
        }
        return Ok(top.digest().clone());
    }
    if !options.subset.is_empty() {
        return Ok(subset_list(top, &parsed, &options.subset, image)?
            .1
            .digest()
            .clone());
    }
    match &options.platform {
        Some(wanted) => Ok(select_platform(&parsed, wanted, image)?.digest().clone()),
        None => Ok(top.digest().clone()),
    }
}

/// The entry of a list or index for `wanted`, or an error naming what there is.
pub(crate) fn select_platform<'a>(
    manifest: &'a Manifest,
    wanted: &Platform,
    image: &str,
) -> Result<&'a Descriptor, Error> {
    manifest
        .find_platform(wanted)
        .ok_or_else(|| Error::NoMatchingPlatform {
            image: image.to_owned(),
            wanted: Box::new(wanted.clone()),
            available: manifest
                .manifests()
                .unwrap_or_default()
                .iter()
                .map(|entry| {
                    entry
                        .platform()
                        .map_or_else(|| "an entry without a platform".to_owned(), ToString::to_string)
                })
                .collect(),
        })
}

/// Adds the config and layers of an image manifest to `blobs`, once each,
/// without foreign layers (see [`registry_blobs`]).
fn collect_blobs(manifest: &Manifest, blobs: &mut Vec<PlannedBlob>, seen: &mut HashSet<Digest>) {
    for (digest, size) in registry_blobs(manifest) {
        if seen.insert(digest.clone()) {
            blobs.push(PlannedBlob {
                digest,
                size,
                scan: false,
            });
        }
    }
}

/// The blobs an image manifest names that a registry serves, once each,
/// config first, with their sizes where the manifest gives them. Foreign
/// (non-distributable) layers stay where their URLs point, as registries
/// refuse them.
pub fn registry_blobs(manifest: &Manifest) -> Vec<(Digest, Option<u64>)> {
    let mut seen = HashSet::new();
    let mut blobs = Vec::new();
    if let Some(config) = manifest.config() {
        seen.insert(config.digest().clone());
        blobs.push((config.digest().clone(), Some(config.size())));
    }
    for layer in manifest.layer_infos() {
        let foreign = layer.media_type().is_some_and(|t| t.is_foreign_layer())
            || layer.urls().is_some_and(|urls| !urls.is_empty());
        if !foreign && seen.insert(layer.digest().clone()) {
            blobs.push((layer.digest().clone(), layer.size()));
        }
    }
    blobs
}

/// The most small-blob transfers at once, whatever `jobs` says.
const MAX_SMALL_BLOB_JOBS: usize = 16;

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
