//! Reading a blob back out of a layout, checked against its digest as it flows.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use oci_digest::{Digest, Verifier};
use tokio::io::{AsyncRead, ReadBuf};

/// An [`AsyncRead`] over one blob of a layout that verifies the content
/// against its digest while it is read.
///
/// Files on disk can be damaged or edited after they were written, so reads
/// are checked too. The read that reaches the end fails with
/// [`io::ErrorKind::InvalidData`] wrapping [`oci_digest::Error::Mismatch`]
/// when the content does not match (recover it with [`oci_digest::mismatch`]),
/// so a consumer that reads to the end cannot miss a bad blob.
#[derive(Debug)]
pub struct BlobReader {
    file: tokio::fs::File,
    len: u64,
    digest: Digest,
    check: Check,
}

/// How far the verification got.
#[derive(Debug)]
enum Check {
    /// Still reading; the verifier has seen every byte handed out.
    Reading(Box<Verifier>),
    /// The end was reached and the content matched.
    Verified,
    /// The end was reached and the content did not match.
    Failed,
}

impl BlobReader {
    pub(crate) fn new(file: tokio::fs::File, len: u64, verifier: Verifier) -> BlobReader {
        BlobReader {
            file,
            len,
            digest: verifier.expected().clone(),
            check: Check::Reading(Box::new(verifier)),
        }
    }

    /// The blob's size on disk.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest the content is checked against.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Whether the end was reached and the content matched.
    pub fn is_verified(&self) -> bool {
        matches!(self.check, Check::Verified)
    }

    /// The file and the verifier of a reader nothing was read from yet, for a reader on a
    /// blocking thread; `None` once reading began.
    pub(crate) fn into_unread(self) -> Option<(std::fs::File, Verifier)> {
        let Check::Reading(verifier) = self.check else {
            return None;
        };
        if verifier.bytes_hashed() > 0 {
            return None;
        }
        let file = self.file.try_into_std().ok()?;
        Some((file, *verifier))
    }
}

impl AsyncRead for BlobReader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !matches!(this.check, Check::Reading(_)) || buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        if let Err(error) = ready!(Pin::new(&mut this.file).poll_read(cx, buf)) {
            return Poll::Ready(Err(error));
        }
        let fresh = &buf.filled()[before..];
        if let Check::Reading(verifier) = &mut this.check {
            if !fresh.is_empty() {
                verifier.update(fresh);
                return Poll::Ready(Ok(()));
            }
        }
        // End of file: give the verdict once.
        let Check::Reading(verifier) = std::mem::replace(&mut this.check, Check::Failed) else {
            return Poll::Ready(Ok(()));
        };
        match verifier.finish() {
            Ok(()) => {
                this.check = Check::Verified;
                Poll::Ready(Ok(()))
            }
            Err(error) => Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, error))),
        }
    }
}
