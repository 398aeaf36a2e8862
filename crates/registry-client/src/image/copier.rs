//! The one blob copier: every blob of every copy, convert, pull and push
//! reaches its destination here, whatever the two ends are.
//!
//! `presence check -> one start (a mount, or an open blob; with nothing to
//! mount, the source is opened beside it) -> the bytes -> commit`, with the
//! open blob cancelled when the source cannot be read, and the whole started
//! once more after a broken connection or a 401 (a token that expired while a
//! streamed body was on its way, which cannot be resent in place). A digest mismatch or a short local
//! source is final: reading the same bytes again would fail the same way.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use oci_digest::Digest;

use super::destination::{BlobStart, ImageDestination};
use super::{BlobOutcome, ComputedBlob, Progress, VerifiedBlob};
use crate::{Error, RepositoryRef};

/// Reads one layer while the copier moves it, for a rewrite that needs to
/// know what is inside (a diffID, the compression).
///
/// The copier feeds every chunk of the verified content in order, then calls
/// [`finish`](Self::finish) once the content reached its end verified. A scan
/// whose blob failed is dropped without `finish`; a restarted transfer gets a
/// fresh scan.
pub trait LayerScan: Send + Sync {
    /// One more chunk; waits while the scan is behind (so memory stays bounded).
    fn feed(&self, chunk: Bytes) -> BoxFuture<'static, ()>;

    /// The content ended, verified; the scan's verdict.
    fn finish(&self) -> BoxFuture<'static, Result<(), Error>>;
}

/// Makes a fresh [`LayerScan`] for each attempt at a blob.
pub type ScanFactory<'a> = &'a (dyn Fn() -> Arc<dyn LayerScan> + Send + Sync);

/// Opens the content of the blob being copied: called only when bytes must
/// move (or be scanned), and again for a restart.
pub(crate) type OpenBlob<'a> = &'a (dyn Fn() -> BoxFuture<'a, Result<VerifiedBlob, Error>> + Send + Sync);

/// One blob for the copier.
pub(crate) struct BlobCopy<'a> {
    pub(crate) digest: &'a Digest,
    pub(crate) size: Option<u64>,
    /// A repository the destination may link the blob from.
    pub(crate) mount_from: Option<&'a RepositoryRef>,
    pub(crate) open: OpenBlob<'a>,
    /// Set when a rewrite must read the layer: it is then read exactly once,
    /// even when the destination has it.
    pub(crate) scan: Option<ScanFactory<'a>>,
}

/// Makes `destination` hold one blob, reporting it to `progress`.
pub(crate) async fn copy_blob(
    destination: &dyn ImageDestination,
    blob: BlobCopy<'_>,
    progress: &Arc<dyn Progress>,
) -> Result<BlobOutcome, Error> {
    progress.blob_started(blob.digest, blob.size);
    let outcome = copy(destination, &blob, progress).await?;
    progress.blob_done(blob.digest, outcome);
    Ok(outcome)
}

async fn copy(
    destination: &dyn ImageDestination,
    blob: &BlobCopy<'_>,
    progress: &Arc<dyn Progress>,
) -> Result<BlobOutcome, Error> {
    if destination.has_blob(blob.digest).await? {
        scan_only(blob).await?;
        return Ok(BlobOutcome::AlreadyPresent);
    }
    let mount_from = blob.mount_from.filter(|from| destination.can_mount_from(from));
    restarting(destination, blob.digest, |attempt| async move {
        // A declined mount is not asked again on a restart.
        let mount_from = mount_from.filter(|_| attempt == 0);
        let (sink, opened) = if destination.may_mount(blob.digest, mount_from) {
            // A mount may make the source unneeded: it is opened only once the mount is declined.
            match destination.start_blob(blob.digest, mount_from).await? {
                BlobStart::Mounted => return mounted(blob).await,
                BlobStart::Open(sink) => (sink, (blob.open)().await),
            }
        } else {
            // Nothing to mount: the upload is opened and the source read at once, one round
            // trip fewer per blob on a far registry.
            let (started, opened) =
                futures_util::future::join(destination.start_blob(blob.digest, mount_from), (blob.open)())
                    .await;
            match started? {
                BlobStart::Mounted => return mounted(blob).await,
                BlobStart::Open(sink) => (sink, opened),
            }
        };
        let content = match opened {
            Ok(content) => content.with_progress(Arc::clone(progress)),
            Err(error) => {
                sink.cancel().await;
                return Err(error);
            }
        };
        let (content, scan) = attach_scan(content, blob.scan);
        match sink.write(content).await {
            Ok(()) => {
                if let Some(scan) = scan {
                    scan.finish().await?;
                }
                Ok(Attempt::Done(BlobOutcome::Transferred))
            }
            Err(error) => Ok(Attempt::Broke(error)),
        }
    })
    .await
}

/// The blob was linked from another repository: only a scan, if any, reads it.
async fn mounted(blob: &BlobCopy<'_>) -> Result<Attempt<BlobOutcome>, Error> {
    scan_only(blob).await?;
    Ok(Attempt::Done(BlobOutcome::Mounted))
}

/// One blob the copier makes on the way from a source blob (a layer recompressed while
/// it streams), whose digest is known only once it is written.
pub(crate) struct ComputedCopy<'a> {
    /// The source blob, as progress names it.
    pub(crate) source: &'a Digest,
    pub(crate) size: Option<u64>,
    pub(crate) open: OpenBlob<'a>,
    /// Makes the new content out of the source's (called once per attempt).
    pub(crate) make: &'a (dyn Fn(VerifiedBlob) -> ComputedBlob + Send + Sync),
}

/// Makes `destination` hold the blob `blob` makes, reporting it to `progress` under the
/// source's digest; returns the new blob's digest and size. No presence check, no mount:
/// the digest is known only at the end. The source is opened for each attempt.
pub(crate) async fn copy_computed_blob(
    destination: &dyn ImageDestination,
    blob: ComputedCopy<'_>,
    progress: &Arc<dyn Progress>,
) -> Result<(Digest, u64), Error> {
    progress.blob_started(blob.source, blob.size);
    let blob = &blob;
    let made = restarting(destination, blob.source, |_| async move {
        let content = (blob.open)().await?.with_progress(Arc::clone(progress));
        Ok(match destination.put_computed_blob((blob.make)(content)).await {
            Ok(made) => Attempt::Done(made),
            Err(error) => Attempt::Broke(error),
        })
    })
    .await?;
    progress.blob_done(blob.source, BlobOutcome::Transferred);
    Ok(made)
}

/// How one attempt at a blob ended, when it did not fail for good.
enum Attempt<T> {
    Done(T),
    /// The write failed: worth another attempt if the failure is a broken connection or
    /// a first 401.
    Broke(Error),
}

/// Runs `attempt` (given its number, from 0) until it is done, starting it once more after
/// a write broke off on a connection or a 401 (an expired token), as often as the
/// destination allows; any other failure is final.
async fn restarting<T, F, Fut>(
    destination: &dyn ImageDestination,
    digest: &Digest,
    mut attempt: F,
) -> Result<T, Error>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<Attempt<T>, Error>>,
{
    let mut restarts = 0;
    let mut reauthorized = false;
    loop {
        match attempt(restarts).await? {
            Attempt::Done(done) => return Ok(done),
            Attempt::Broke(error)
                if restarts < destination.max_restarts()
                    && (error.is_broken_connection() || (error.is_unauthorized() && !reauthorized)) =>
            {
                tracing::debug!(%digest, %error, "restarting a blob transfer");
                reauthorized |= error.is_unauthorized();
                tokio::time::sleep(destination.restart_delay(restarts)).await;
                restarts += 1;
            }
            Attempt::Broke(error) => return Err(error),
        }
    }
}

/// `content` passed through a fresh scan when the blob is to be scanned.
fn attach_scan(
    content: VerifiedBlob,
    scan: Option<ScanFactory<'_>>,
) -> (VerifiedBlob, Option<Arc<dyn LayerScan>>) {
    let Some(make) = scan else {
        return (content, None);
    };
    let scan = make();
    let feeding = Arc::clone(&scan);
    let content = content.then_each(move |chunk| {
        let fed = feeding.feed(chunk.clone());
        async move {
            fed.await;
            Ok(chunk)
        }
    });
    (content, Some(scan))
}

/// Reads a blob the destination already has, for its scan alone.
async fn scan_only(blob: &BlobCopy<'_>) -> Result<(), Error> {
    let Some(make) = blob.scan else {
        return Ok(());
    };
    scan_blob((blob.open)().await?, &*make()).await
}

/// Reads `content` to its end through `scan` and returns the scan's verdict: how a layer is
/// read that must be looked into without being moved (the copier's own case when the
/// destination has it, or a schema1 image's config built for inspection).
pub async fn scan_blob(mut content: VerifiedBlob, scan: &dyn LayerScan) -> Result<(), Error> {
    while let Some(chunk) = content.next_chunk().await {
        scan.feed(chunk?).await;
    }
    scan.finish().await
}
