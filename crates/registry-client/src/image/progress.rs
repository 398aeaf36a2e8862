//! Per-blob progress reports, for progress bars and logs.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use oci_digest::Digest;
use tokio::io::{AsyncRead, ReadBuf};

/// How a blob reached the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobOutcome {
    /// Its bytes were transferred.
    Transferred,
    /// The destination had it already; nothing was transferred.
    AlreadyPresent,
    /// The registry linked it from another repository; nothing was transferred.
    Mounted,
}

/// Receives progress of the blobs an operation moves.
///
/// Called from the operation's task, possibly for several blobs at once
/// (transfers are concurrent), so implementations must be cheap and
/// thread-safe. Every method has an empty default.
pub trait Progress: Send + Sync {
    /// A blob is about to be handled; `size` is its size when known.
    fn blob_started(&self, digest: &Digest, size: Option<u64>) {
        let _ = (digest, size);
    }

    /// `bytes` more bytes of the blob were transferred.
    fn blob_progress(&self, digest: &Digest, bytes: u64) {
        let _ = (digest, bytes);
    }

    /// The blob is at the destination (verified when transferred).
    fn blob_done(&self, digest: &Digest, outcome: BlobOutcome) {
        let _ = (digest, outcome);
    }
}

/// Progress that nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Counts bytes as they are read from a blob source and reports them.
pub(crate) struct ProgressReader<R> {
    inner: R,
    digest: Digest,
    progress: Arc<dyn Progress>,
}

impl<R> ProgressReader<R> {
    pub(crate) fn new(inner: R, digest: Digest, progress: Arc<dyn Progress>) -> ProgressReader<R> {
        ProgressReader {
            inner,
            digest,
            progress,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for ProgressReader<R> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let read = buf.filled().len() - before;
        if read > 0 {
            this.progress.blob_progress(&this.digest, read as u64);
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use tokio::io::AsyncReadExt;

    use super::*;

    #[derive(Default)]
    struct Total(AtomicU64);

    impl Progress for Total {
        fn blob_progress(&self, _: &Digest, bytes: u64) {
            self.0.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    #[tokio::test]
    async fn the_reader_reports_every_byte_it_hands_out() {
        let total = Arc::new(Total::default());
        let content = vec![7u8; 100_000];
        let mut reader = ProgressReader::new(&content[..], Digest::sha256(&content), total.clone());
        let mut out = Vec::new();
        reader.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, content);
        assert_eq!(total.0.load(Ordering::Relaxed), 100_000);
    }
}
