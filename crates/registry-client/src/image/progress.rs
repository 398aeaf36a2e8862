//! Per-blob progress reports, for progress bars and logs.

use oci_digest::Digest;

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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::image::VerifiedBlob;

    #[derive(Default)]
    struct Total(AtomicU64);

    impl Progress for Total {
        fn blob_progress(&self, _: &Digest, bytes: u64) {
            self.0.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    #[tokio::test]
    async fn a_blob_reports_every_byte_it_hands_out() {
        let total = Arc::new(Total::default());
        let content = vec![7u8; 1_000_000];
        let digest = Digest::sha256(&content);
        let blob = VerifiedBlob::hashing(std::io::Cursor::new(content.clone()), &digest, 1_000_000).unwrap();
        let out = blob.with_progress(total.clone()).into_bytes().await.unwrap();
        assert_eq!(out, content);
        assert_eq!(total.0.load(Ordering::Relaxed), 1_000_000);
    }
}
