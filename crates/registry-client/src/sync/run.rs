//! The sync runner: the engine driven over a plan, many images at once.
//!
//! Planning lists the tags of the repositories that need it (concurrently)
//! and names every destination before anything is written, so bad input
//! (an unusable name, two sources for one destination) stops the run with
//! nothing written. Then each image:
//!
//! 1. one manifest `HEAD` at the source gives the digest the destination
//!    will have (a `GET` when platforms are chosen, since the rewritten
//!    list's digest is computed from the source list);
//! 2. one manifest `HEAD` at the destination (or a look at the layout's
//!    `index.json`): the same digest there means `unchanged`, and nothing
//!    else is asked; a destination manifest is never fetched, since
//!    registries such as Harbor count `GET`s as pulls;
//! 3. otherwise the engine copies it, pinned to the digest of step 1, with
//!    the run's [`Ledger`](super::ledger) deduplicating blobs between images.
//!
//! A destination repository found empty (see [`super::repositories`]) costs
//! none of these questions for its other images: they read the source
//! manifest and copy.
//!
//! `--dry-run` stops after step 2 (`planned` or `unchanged`): it sends no
//! write request and creates nothing.
//!
//! An archive destination ([`Target::Archive`]) is one file for the whole run,
//! written whole each time: step 2 is skipped (every image is `copied`), the
//! images go in one at a time through the shared archive `save` writes with,
//! and the archive is committed (renamed over its file) once the run is over,
//! only when no image of the run failed; otherwise the file is left as it was
//! and the images that went in are reported failed with
//! [`Error::ArchiveNotWritten`]. Their lines reach [`SyncProgress::image_done`]
//! then, once it is known whether they are in the file.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use oci_digest::Digest;
use oci_manifest::{Descriptor, Reference};
use tokio::sync::{OnceCell, Semaphore};

use super::ledger::{Ledger, LedgerDestination, Place};
use super::plan::repository_destination;
use super::repositories::{list_contents, Contents, Repositories};
use super::{plan_repository, PlanOptions, PlannedImage, Shard, SyncConfig, Target};
use crate::archive::ArchiveFormat;
use crate::image::{
    self, BlobOutcome, ImageDestination, ImageLocation, ImageSource, LayoutDestination, ManifestData,
    Progress, RegistryDestination, RegistrySource, SharedArchive, TransferOptions, VerifiedBlob,
};
use crate::layout::OciLayout;
use crate::{Client, Error, RepositoryRef};

/// Images copied at once when nothing else is asked for.
pub const DEFAULT_PARALLEL: usize = 4;

/// How many images are checked (their two manifest HEADs) per image copied at once: checks
/// are single small reads, so a mirror that is mostly in step is checked quickly.
const CHECKS_PER_COPY: usize = 4;

/// How a sync runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    parallel: usize,
    dry_run: bool,
    keep_going: bool,
    referrers: bool,
    transfer: TransferOptions,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            parallel: DEFAULT_PARALLEL,
            dry_run: false,
            keep_going: false,
            referrers: false,
            transfer: TransferOptions::new(),
        }
    }
}

impl SyncOptions {
    /// [`DEFAULT_PARALLEL`] images at once, stopping at the first failure.
    pub fn new() -> SyncOptions {
        SyncOptions::default()
    }

    /// At most `images` images copied at once (at least one), each with its
    /// own blob concurrency ([`TransferOptions::jobs`]); four times as many are
    /// checked (listed, HEADed) at once, since checks are single small reads.
    pub fn parallel(mut self, images: usize) -> SyncOptions {
        self.parallel = images.max(1);
        self
    }

    /// Plans and checks only: images are `planned` or `unchanged`, and no
    /// write request is sent.
    pub fn dry_run(mut self, dry_run: bool) -> SyncOptions {
        self.dry_run = dry_run;
        self
    }

    /// Goes on past failed images (the report says which failed) instead of
    /// starting no new image after the first failure.
    pub fn keep_going(mut self, keep_going: bool) -> SyncOptions {
        self.keep_going = keep_going;
        self
    }

    /// Copies each image's referrers and cosign digest tags along
    /// (see [`image::copy_referrers`]); registry destinations only.
    pub fn referrers(mut self, referrers: bool) -> SyncOptions {
        self.referrers = referrers;
        self
    }

    /// How each image is moved: platforms, blob concurrency.
    pub fn transfer(mut self, transfer: TransferOptions) -> SyncOptions {
        self.transfer = transfer;
        self
    }
}

/// What happened to one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImageStatus {
    /// It was copied (or its manifest rewritten where the destination's differed).
    Copied,
    /// The destination had it, by the same digest; nothing was written.
    Unchanged,
    /// It failed; see [`ImageResult::error`].
    Failed,
    /// A dry run would copy it.
    Planned,
}

impl ImageStatus {
    /// `copied`, `unchanged`, `failed` or `planned`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageStatus::Copied => "copied",
            ImageStatus::Unchanged => "unchanged",
            ImageStatus::Failed => "failed",
            ImageStatus::Planned => "planned",
        }
    }
}

impl fmt::Display for ImageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one image (or of a repository whose tags could not be listed).
#[derive(Debug, Clone)]
pub struct ImageResult {
    source: String,
    destination: String,
    digest: Option<Digest>,
    status: ImageStatus,
    bytes: u64,
    elapsed: Duration,
    error: Option<Arc<Error>>,
}

impl ImageResult {
    /// The source, `HOST/NAME:TAG` or `HOST/NAME@DIGEST` (`HOST/NAME` for a
    /// repository whose tags could not be listed).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Where it goes, as [`Target`] prints it.
    pub fn destination(&self) -> &str {
        &self.destination
    }

    /// The digest at the destination (for `planned`: the one it would have),
    /// when it got that far.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What happened.
    pub fn status(&self) -> ImageStatus {
        self.status
    }

    /// Bytes of blob content moved for this image.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// How long the image took, checks included.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Why it failed.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_deref()
    }

    fn failed(source: String, destination: String, error: Error, elapsed: Duration) -> ImageResult {
        ImageResult {
            source,
            destination,
            digest: None,
            status: ImageStatus::Failed,
            bytes: 0,
            elapsed,
            error: Some(Arc::new(error)),
        }
    }

    /// The result as JSON, as `--report` writes it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "source": self.source,
            "destination": self.destination,
            "digest": self.digest.as_ref().map(Digest::to_string),
            "status": self.status.as_str(),
            "bytes": self.bytes,
            "seconds": (self.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            "error": self.error.as_ref().map(|e| e.to_string()),
        })
    }
}

/// Every image of a run, in plan order.
#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    images: Vec<ImageResult>,
}

impl SyncReport {
    /// The results, in the order of the plan (failed listings first).
    pub fn images(&self) -> &[ImageResult] {
        &self.images
    }

    /// How many images ended with `status`.
    pub fn count(&self, status: ImageStatus) -> usize {
        self.images.iter().filter(|i| i.status == status).count()
    }

    /// Whether any image failed.
    pub fn has_failures(&self) -> bool {
        self.count(ImageStatus::Failed) > 0
    }

    /// `N copied, M unchanged, K failed`.
    pub fn summary(&self) -> String {
        format!(
            "{} copied, {} unchanged, {} failed",
            self.count(ImageStatus::Copied),
            self.count(ImageStatus::Unchanged),
            self.count(ImageStatus::Failed)
        )
    }

    /// The report as JSON: `{"images": [...], "copied": N, "unchanged": M, "failed": K,
    /// "planned": P}`, each image as [`ImageResult::to_json`].
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "images": self.images.iter().map(ImageResult::to_json).collect::<Vec<_>>(),
            "copied": self.count(ImageStatus::Copied),
            "unchanged": self.count(ImageStatus::Unchanged),
            "failed": self.count(ImageStatus::Failed),
            "planned": self.count(ImageStatus::Planned),
        })
    }
}

/// Receives a run's progress; called from many tasks at once, so cheap and
/// thread-safe. Every method has an empty default.
pub trait SyncProgress: Send + Sync {
    /// The plan is made: `images` images will be looked at.
    fn planned(&self, images: usize) {
        let _ = images;
    }

    /// `bytes` more bytes of some image's blobs were moved.
    fn bytes(&self, bytes: u64) {
        let _ = bytes;
    }

    /// An image (or a repository's listing) is done.
    fn image_done(&self, result: &ImageResult) {
        let _ = result;
    }
}

/// Progress that nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSyncProgress;

impl SyncProgress for NoSyncProgress {}

/// A plan made against the registries: the images, and the repositories
/// whose tags could not be listed.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The images, in the order of the configuration.
    pub images: Vec<PlannedImage>,
    /// One failed result per repository whose tags could not be listed.
    pub failures: Vec<ImageResult>,
}

/// A repository's tags: `None` when it names its images itself.
type Listed = Result<Option<Vec<String>>, Error>;

/// Plans a sync: the repositories of `config` in `shard` (all without one),
/// their tags listed where needed (`parallel` repositories at once), every
/// destination named.
///
/// Fails ([`Error::SyncInput`]) only on bad input, before anything is
/// written: a destination no reference can hold, or two sources for one
/// destination. A repository that cannot be listed is a failure in the plan.
pub async fn plan(
    client: &Client,
    config: &SyncConfig,
    options: &PlanOptions,
    shard: Option<Shard>,
    parallel: usize,
) -> Result<Plan, Error> {
    let repositories: Vec<_> = config
        .repositories()
        .iter()
        .filter(|r| shard.map_or(true, |s| s.holds(r)))
        .collect();
    let listed: Vec<(Duration, Listed)> = stream::iter(&repositories)
        .map(|repository| async move {
            let started = Instant::now();
            if !repository.needs_tag_list() {
                return (started.elapsed(), Ok(None));
            }
            let tags = client.tags(&repository.repository(), None).try_collect().await;
            (started.elapsed(), tags.map(Some))
        })
        .buffered(parallel.max(1))
        .collect()
        .await;
    let mut plan = Plan::default();
    let mut named: HashMap<String, String> = HashMap::new();
    for (repository, (elapsed, tags)) in repositories.into_iter().zip(listed) {
        let tags = match tags {
            Ok(tags) => tags,
            Err(error) => {
                plan.failures.push(ImageResult::failed(
                    repository.full_name(),
                    repository_destination(repository, options),
                    error,
                    elapsed,
                ));
                continue;
            }
        };
        for image in plan_repository(repository, tags.as_deref(), options)? {
            let destination = image.destination.to_string();
            if let Some(other) = named.insert(destination.clone(), image.source.to_string()) {
                return Err(Error::SyncInput {
                    origin: image.source.to_string(),
                    line: None,
                    problem: format!(
                        "{other} goes to {destination} too; only one image can have that name there (--scoped keeps them apart)"
                    ),
                });
            }
            plan.images.push(image);
        }
    }
    Ok(plan)
}

/// Plans and runs a sync: [`plan`], then [`execute`]. Without
/// [`SyncOptions::keep_going`], a failed listing stops the run before any
/// image is copied.
///
/// ```no_run
/// use std::sync::Arc;
/// use registry_client::sync::{self, ImageStatus, NoSyncProgress, PlanOptions, SyncConfig, SyncOptions};
/// use registry_client::Client;
///
/// # async fn demo() -> Result<(), registry_client::Error> {
/// let client = Client::new()?;
/// let config = SyncConfig::from_docker("registry.example.com/team/app")?;
/// let report = sync::run(
///     &client,
///     &config,
///     &PlanOptions::new("mirror.example.com/upstream"),
///     None,
///     &SyncOptions::new().parallel(8).keep_going(true),
///     Arc::new(NoSyncProgress),
/// )
/// .await?;
/// for image in report.images() {
///     println!("{}\t{}\t{}", image.status(), image.source(), image.destination());
/// }
/// assert_eq!(report.count(ImageStatus::Failed), 0);
/// # Ok(())
/// # }
/// ```
pub async fn run(
    client: &Client,
    config: &SyncConfig,
    plan_options: &PlanOptions,
    shard: Option<Shard>,
    options: &SyncOptions,
    progress: Arc<dyn SyncProgress>,
) -> Result<SyncReport, Error> {
    let listings = options.parallel * CHECKS_PER_COPY;
    // The destination registry is reached (its scheme and challenge learnt) while the
    // sources are listed, not after; whatever goes wrong there, the first check reports.
    let reach = async {
        if let Some(registry) = destination_registry(plan_options) {
            let _ = client.ping(&registry).await;
        }
    };
    let (plan, ()) =
        futures_util::future::join(plan(client, config, plan_options, shard, listings), reach).await;
    let plan = plan?;
    progress.planned(plan.images.len() + plan.failures.len());
    for failure in &plan.failures {
        progress.image_done(failure);
    }
    let failed_listings = plan.failures.len();
    let mut images = plan.failures;
    if images.is_empty() || options.keep_going {
        images.extend(
            execute_after(client, plan.images, options, progress, failed_listings)
                .await
                .images,
        );
    }
    Ok(SyncReport { images })
}

/// The registry a registry prefix names, `None` for layouts or a prefix that names none.
fn destination_registry(options: &PlanOptions) -> Option<String> {
    if options.kind != super::DestinationKind::Registry {
        return None;
    }
    let prefix = options.destination.trim_end_matches('/');
    let reference = Reference::parse(&format!("{prefix}/x")).ok()?;
    Some(reference.registry().to_owned())
}

/// Runs planned images: [`SyncOptions::parallel`] copied at once (and four
/// times as many checked), sharing `client` (its connections, tokens and
/// per-registry limits) and one blob ledger. Without
/// [`SyncOptions::keep_going`], no image starts copying after one failed;
/// those already copying finish. The report lists the images that ran.
///
/// Images into an archive are copied one at a time (a tar is written in
/// order), and the archive is committed at the end only when none failed.
pub async fn execute(
    client: &Client,
    images: Vec<PlannedImage>,
    options: &SyncOptions,
    progress: Arc<dyn SyncProgress>,
) -> SyncReport {
    execute_after(client, images, options, progress, 0).await
}

/// [`execute`], after `failed_before` failures of the run's planning (which keep an archive
/// from being committed as any failed image does).
async fn execute_after(
    client: &Client,
    images: Vec<PlannedImage>,
    options: &SyncOptions,
    progress: Arc<dyn SyncProgress>,
    failed_before: usize,
) -> SyncReport {
    // Each image's archive, by its place in the plan.
    let archive_of: Vec<Option<PathBuf>> = images
        .iter()
        .map(|image| match &image.destination {
            Target::Archive { file, .. } => Some(file.clone()),
            _ => None,
        })
        .collect();
    // An archive takes one blob at a time: images copied at once would only wait for each
    // other there, holding their source connections open.
    let copies = match archive_of.iter().any(Option::is_some) {
        true => 1,
        false => options.parallel,
    };
    let run = Run {
        client,
        options,
        progress,
        ledger: Arc::default(),
        layouts: Layouts::default(),
        archives: Archives::default(),
        repositories: Repositories::default(),
        stopped: AtomicBool::new(false),
        copies: Semaphore::new(copies),
    };
    let run = &run;
    let archive_of = &archive_of;
    let mut results: Vec<(usize, ImageResult)> = stream::iter(first_of_each_repository_first(images))
        .map(|(index, image)| async move {
            if run.stopped.load(Ordering::SeqCst) {
                return None;
            }
            let result = run.one(&image).await?;
            if result.status == ImageStatus::Failed && !run.options.keep_going {
                run.stopped.store(true, Ordering::SeqCst);
            }
            if archive_of[index].is_none() {
                run.progress.image_done(&result);
            }
            Some((index, result))
        })
        .buffer_unordered(options.parallel * CHECKS_PER_COPY)
        .filter_map(std::future::ready)
        .collect()
        .await;
    results.sort_by_key(|(index, _)| *index);
    run.finish_archives(&mut results, archive_of, failed_before).await;
    SyncReport {
        images: results.into_iter().map(|(_, result)| result).collect(),
    }
}

/// The images numbered in plan order, then reordered so that the first image of every
/// destination repository comes before any second one: the others of a repository wait for
/// what its first one learns (see [`super::repositories`]), and this way they wait while other
/// repositories are being checked.
fn first_of_each_repository_first(images: Vec<PlannedImage>) -> Vec<(usize, PlannedImage)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut ranked: Vec<(usize, usize, PlannedImage)> = images
        .into_iter()
        .enumerate()
        .map(|(index, image)| {
            let repository = match &image.destination {
                Target::Registry(reference) => format!("{}/{}", reference.registry(), reference.repository()),
                Target::Layout { dir, .. } => dir.display().to_string(),
                Target::Archive { file, .. } => file.display().to_string(),
            };
            let rank = seen.entry(repository).or_default();
            *rank += 1;
            (*rank, index, image)
        })
        .collect();
    ranked.sort_by_key(|(rank, index, _)| (*rank, *index));
    ranked
        .into_iter()
        .map(|(_, index, image)| (index, image))
        .collect()
}

/// One layout per directory for the whole run: its `index.json` updates are
/// serialised by the layout, so every tag of a repository goes through the
/// same one.
#[derive(Default)]
struct Layouts {
    open: Mutex<HashMap<PathBuf, Arc<OnceCell<OciLayout>>>>,
}

impl Layouts {
    /// The layout at `dir`, created when missing.
    async fn create(&self, dir: &PathBuf) -> Result<OciLayout, Error> {
        let cell = Arc::clone(
            self.open
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(dir.clone())
                .or_default(),
        );
        Ok(cell.get_or_try_init(|| OciLayout::create(dir)).await?.clone())
    }

    /// The layout at `dir` when there is one; nothing is created.
    async fn existing(&self, dir: &PathBuf) -> Result<Option<OciLayout>, Error> {
        let cell = self
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(dir)
            .cloned();
        if let Some(layout) = cell.as_ref().and_then(|c| c.get()) {
            return Ok(Some(layout.clone()));
        }
        if !tokio::fs::try_exists(dir.join("index.json"))
            .await
            .unwrap_or(false)
        {
            return Ok(None);
        }
        Ok(Some(OciLayout::open(dir).await?))
    }
}

/// One archive per file for the whole run, every image of it going into the one writer.
#[derive(Default)]
struct Archives {
    open: Mutex<HashMap<PathBuf, Arc<SharedArchive>>>,
}

impl Archives {
    /// The archive being written to `file` (nothing is on disk before its first blob).
    fn get(&self, file: &Path, format: ArchiveFormat) -> Arc<SharedArchive> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            open.entry(file.to_path_buf())
                .or_insert_with(|| Arc::new(SharedArchive::new(file, format))),
        )
    }

    /// Every archive of the run, taken out: dropped uncommitted, each leaves its file as it was.
    fn take(&self) -> HashMap<PathBuf, Arc<SharedArchive>> {
        std::mem::take(&mut *self.open.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// What every image of a run shares.
struct Run<'a> {
    client: &'a Client,
    options: &'a SyncOptions,
    progress: Arc<dyn SyncProgress>,
    ledger: Arc<Ledger>,
    layouts: Layouts,
    archives: Archives,
    /// What the run learnt of each destination repository.
    repositories: Repositories,
    stopped: AtomicBool,
    /// One permit per image being copied.
    copies: Semaphore,
}

/// The source as step 1 found it.
struct Source {
    /// The source pinned to the digest it has now.
    pinned: Reference,
    /// The digest the destination will have.
    expected: Digest,
    /// The top manifest, when it was fetched (platforms chosen).
    top: Option<ManifestData>,
}

impl Run<'_> {
    /// The image's result; `None` when it was not started (a failure stopped the run while
    /// it waited to be copied).
    async fn one(&self, image: &PlannedImage) -> Option<ImageResult> {
        let started = Instant::now();
        let bytes = Arc::new(ImageBytes {
            bytes: AtomicU64::new(0),
            forward: Arc::clone(&self.progress),
        });
        let outcome = self
            .sync_image(image, Arc::clone(&bytes) as Arc<dyn Progress>)
            .await;
        let (status, digest, error) = match outcome {
            Ok(Some((status, digest))) => (status, Some(digest), None),
            Ok(None) => return None,
            Err(error) => (ImageStatus::Failed, None, Some(Arc::new(error))),
        };
        Some(ImageResult {
            source: image.source.to_string(),
            destination: image.destination.to_string(),
            digest,
            status,
            bytes: bytes.bytes.load(Ordering::Relaxed),
            elapsed: started.elapsed(),
            error,
        })
    }

    /// Checks the image and copies it when the destination lacks it; `None` when a failure
    /// elsewhere stopped the run before its copy could start.
    async fn sync_image(
        &self,
        image: &PlannedImage,
        progress: Arc<dyn Progress>,
    ) -> Result<Option<(ImageStatus, Digest)>, Error> {
        let mut empty = false;
        let (mut source, held) = match &image.destination {
            Target::Registry(reference) => {
                let (source, holds, contents) = self.check_registry(&image.source, reference).await?;
                empty = contents == Contents::Empty;
                (source, holds)
            }
            target @ Target::Layout { .. } => {
                let source = self.inspect_source(&image.source, false).await?;
                let holds = self.layout_holds(target, &source.expected).await?;
                (source, holds)
            }
            Target::Archive { file, format, name } => {
                // Written whole each run, an archive holds nothing to find unchanged. The
                // manifest is read now (the copy needs it anyway), so that one the archive
                // cannot hold (a list in a docker-archive) fails before anything is written,
                // in a dry run too.
                let source = self.inspect_source(&image.source, true).await?;
                if let (Some(top), false) = (&source.top, self.options.transfer.selects_platforms()) {
                    let location = ImageLocation::Registry(name.clone());
                    self.archives
                        .get(file, *format)
                        .destination(&location)
                        .accepts(top.media_type())?;
                }
                (source, false)
            }
        };
        if held {
            if self.options.referrers && !self.options.dry_run {
                let subjects = self.subjects_unchanged(&mut source).await?;
                self.copy_referrers(image, &subjects, &progress).await?;
            }
            return Ok(Some((ImageStatus::Unchanged, source.expected)));
        }
        if self.options.dry_run {
            return Ok(Some((ImageStatus::Planned, source.expected)));
        }
        // The manifest is read before the copy's turn comes, so the turn is spent on blobs.
        let top = match source.top.take() {
            Some(top) => top,
            None => self.fetch(&source.pinned).await?,
        };
        let Ok(_turn) = self.copies.acquire().await else {
            return Ok(None);
        };
        if self.stopped.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let from = Prefetched {
            inner: RegistrySource::new(self.client, &source.pinned),
            top,
        };
        let destination = self.destination(&image.destination, empty).await?;
        let report =
            image::copy_image(&from, &destination, &self.options.transfer, Arc::clone(&progress)).await?;
        if self.options.referrers {
            let subjects = image::subjects_of(report.manifest())?;
            self.copy_referrers(image, &subjects, &progress).await?;
        }
        Ok(Some((ImageStatus::Copied, report.digest().clone())))
    }

    /// A manifest as the engine holds it.
    async fn fetch(&self, reference: &Reference) -> Result<ManifestData, Error> {
        let fetched = self.client.get_manifest(reference).await?;
        Ok(ManifestData::new(
            fetched.media_type().clone(),
            fetched.digest().clone(),
            fetched.into_bytes(),
        ))
    }

    /// Steps 1 and 2 at a registry: the source, whether the destination holds the image, and
    /// what its repository holds. The first image of a repository asks (both HEADs at once: the
    /// destination's answer does not depend on the source's) and, when the destination lacks
    /// it, lists the repository; the others wait for that, and ask nothing of an empty one.
    async fn check_registry(
        &self,
        source: &Reference,
        destination: &Reference,
    ) -> Result<(Source, bool, Contents), Error> {
        let cell = self.repositories.cell(destination);
        let mut first = None;
        let contents = *cell
            .get_or_init(|| async {
                let checked = futures_util::future::try_join(
                    self.inspect_source(source, false),
                    self.held(destination),
                )
                .await;
                let contents = match &checked {
                    Ok((_, None)) => list_contents(self.client, destination).await,
                    _ => Contents::Unknown,
                };
                first = Some(checked);
                contents
            })
            .await;
        let (source, held) = match first {
            Some(checked) => checked?,
            // Nothing is there: the manifest is read now, as the copy needs it.
            None if contents == Contents::Empty => {
                (self.inspect_source(source, !self.options.dry_run).await?, None)
            }
            None => {
                futures_util::future::try_join(self.inspect_source(source, false), self.held(destination))
                    .await?
            }
        };
        let holds = held.as_ref() == Some(&source.expected);
        Ok((source, holds, contents))
    }

    /// Step 1: the digest the source has now, and the one the destination will have; `read`
    /// reads the manifest rather than asking for its digest alone.
    async fn inspect_source(&self, source: &Reference, read: bool) -> Result<Source, Error> {
        let transfer = &self.options.transfer;
        if !transfer.selects_platforms() && !read {
            let head = self.client.head_manifest(source).await?;
            if let Some(digest) = head.digest() {
                return Ok(Source {
                    pinned: source.with_digest(digest.clone()).map_err(Error::from)?,
                    expected: digest.clone(),
                    top: None,
                });
            }
            // No `Docker-Content-Digest`: the digest comes from the bytes.
        }
        let top = self.fetch(source).await?;
        let expected = image::destination_digest(&top, transfer, &source.to_string())?;
        Ok(Source {
            pinned: source.with_digest(top.digest().clone()).map_err(Error::from)?,
            expected,
            top: Some(top),
        })
    }

    /// Step 2 at a registry: the digest the destination holds under the image's name (one
    /// HEAD), if any.
    async fn held(&self, reference: &Reference) -> Result<Option<Digest>, Error> {
        match self.client.head_manifest(reference).await {
            Ok(head) => Ok(head.digest().cloned()),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Step 2 in a layout: whether its `index.json` names `expected` as the image.
    async fn layout_holds(&self, target: &Target, expected: &Digest) -> Result<bool, Error> {
        let Target::Layout { dir, tag } = target else {
            return Ok(false);
        };
        let Some(layout) = self.layouts.existing(dir).await? else {
            return Ok(false);
        };
        let index = layout.index().await?;
        let entry = match tag {
            Some(tag) => index.find_tag(tag),
            None => index.find_digest(expected),
        };
        Ok(entry.map(Descriptor::digest) == Some(expected))
    }

    /// The engine's destination for `target`, behind the run's ledger; `empty` when its
    /// repository held nothing before the run.
    async fn destination(&self, target: &Target, empty: bool) -> Result<LedgerDestination, Error> {
        let (inner, place): (Box<dyn ImageDestination>, Place) = match target {
            Target::Registry(reference) => (
                Box::new(RegistryDestination::new(self.client, reference)),
                Place {
                    scope: RepositoryRef::from(reference).api_host().to_owned(),
                    repository: reference.repository().as_str().to_owned(),
                    registry: Some(reference.registry().to_owned()),
                    empty,
                },
            ),
            Target::Layout { dir, tag } => {
                let layout = self.layouts.create(dir).await?;
                (
                    Box::new(LayoutDestination::new(&layout, tag.as_ref())),
                    Place {
                        scope: format!("oci:{}", dir.display()),
                        repository: String::new(),
                        registry: None,
                        empty: false,
                    },
                )
            }
            Target::Archive { file, format, name } => (
                self.archives
                    .get(file, *format)
                    .destination(&ImageLocation::Registry(name.clone())),
                Place {
                    scope: format!("archive:{}", file.display()),
                    repository: String::new(),
                    registry: None,
                    empty: false,
                },
            ),
        };
        Ok(LedgerDestination::new(inner, Arc::clone(&self.ledger), place))
    }

    /// Commits every archive of the run when no image failed (none is written in a dry run);
    /// otherwise, or when the commit fails, the images that went into it are failed with the
    /// reason. Then each archive image's result goes to the progress.
    async fn finish_archives(
        &self,
        results: &mut [(usize, ImageResult)],
        archive_of: &[Option<PathBuf>],
        failed_before: usize,
    ) {
        let failed = failed_before
            + results
                .iter()
                .filter(|(_, result)| result.status == ImageStatus::Failed)
                .count();
        for (file, archive) in self.archives.take() {
            let unwritten = if self.options.dry_run {
                None
            } else if failed > 0 {
                Some(Error::ArchiveNotWritten {
                    path: file.clone(),
                    failed,
                })
            } else {
                archive.commit().await.err()
            };
            let Some(error) = unwritten.map(Arc::new) else {
                continue;
            };
            for (index, result) in results.iter_mut() {
                if result.status == ImageStatus::Copied && archive_of[*index].as_ref() == Some(&file) {
                    result.status = ImageStatus::Failed;
                    result.digest = None;
                    result.error = Some(Arc::clone(&error));
                }
            }
        }
        for (index, result) in results.iter() {
            if archive_of[*index].is_some() {
                self.progress.image_done(result);
            }
        }
    }

    /// The subjects whose referrers travel with an unchanged image: the
    /// manifest and, when a list is copied whole, its entries.
    async fn subjects_unchanged(&self, source: &mut Source) -> Result<Vec<Digest>, Error> {
        if self.options.transfer.selects_platforms() {
            return Ok(vec![source.expected.clone()]);
        }
        let top = match source.top.take() {
            Some(top) => top,
            None => self.fetch(&source.pinned).await?,
        };
        image::subjects_of(&top)
    }

    async fn copy_referrers(
        &self,
        image: &PlannedImage,
        subjects: &[Digest],
        progress: &Arc<dyn Progress>,
    ) -> Result<(), Error> {
        let Target::Registry(destination) = &image.destination else {
            // Layouts have no referrers API; the command line refuses the combination.
            return Ok(());
        };
        let options = TransferOptions::new().jobs(self.options.transfer.job_count());
        image::copy_referrers(
            self.client,
            &RepositoryRef::from(&image.source),
            &RepositoryRef::from(destination),
            subjects,
            &options,
            Arc::clone(progress),
        )
        .await?;
        Ok(())
    }
}

/// Counts one image's bytes and passes them on to the run's progress.
struct ImageBytes {
    bytes: AtomicU64,
    forward: Arc<dyn SyncProgress>,
}

impl Progress for ImageBytes {
    fn blob_progress(&self, _digest: &Digest, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.forward.bytes(bytes);
    }

    fn blob_done(&self, _digest: &Digest, _outcome: BlobOutcome) {}
}

/// A registry source whose top manifest was already read (to compute the
/// destination's digest), so the copy does not read it again.
struct Prefetched {
    inner: RegistrySource,
    top: ManifestData,
}

impl fmt::Display for Prefetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl ImageSource for Prefetched {
    fn top_manifest(&self) -> BoxFuture<'_, Result<ManifestData, Error>> {
        let top = self.top.clone();
        Box::pin(async move { Ok(top) })
    }

    fn child_manifest<'a>(&'a self, entry: &'a Descriptor) -> BoxFuture<'a, Result<ManifestData, Error>> {
        self.inner.child_manifest(entry)
    }

    fn blob<'a>(
        &'a self,
        digest: &'a Digest,
        size: Option<u64>,
    ) -> BoxFuture<'a, Result<VerifiedBlob, Error>> {
        self.inner.blob(digest, size)
    }

    fn mount_hint(&self) -> Option<&RepositoryRef> {
        self.inner.mount_hint()
    }
}
