//! One blob between a local file (or bytes in hand) and a place images live, outside any
//! image: what `blob put`, `blob get` and artifacts move.
//!
//! Uploads go through the one blob copier like every blob of a copy: a presence check, one
//! start, the file opened only when its bytes must move, a restart after a broken connection
//! or an expired token. Downloads are written as a layout writes a blob: to a temp file beside
//! the target, verified while written, fsynced, then renamed, so the target only ever holds the
//! whole, verified blob.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use oci_digest::{Algorithm, Digest};
use tokio::io::AsyncWrite;

use super::copier::{copy_blob, BlobCopy, OpenBlob};
use super::{BlobOutcome, ImageDestination, ImageSource, Progress, VerifiedBlob};
use crate::layout::BlobWriter;
use crate::Error;

/// A blob that was put: its digest, its size and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutBlob {
    digest: Digest,
    size: u64,
    outcome: BlobOutcome,
}

impl PutBlob {
    /// The blob's digest (SHA-256).
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The blob's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether its bytes moved, or the destination had it.
    pub fn outcome(&self) -> BlobOutcome {
        self.outcome
    }
}

/// Makes `destination` hold the content of the file at `path` as a blob.
///
/// The file is hashed first (SHA-256; an upload names its digest), then opened again only if
/// the destination lacks the blob, and checked again while it goes, so a file that changed in
/// between fails ([`Error::DigestMismatch`] or [`Error::SourceSize`]) instead of
/// being stored under the wrong digest.
pub async fn put_file(
    destination: &dyn ImageDestination,
    path: &Path,
    progress: Arc<dyn Progress>,
) -> Result<PutBlob, Error> {
    let (digest, size) = hash_file(path.to_path_buf()).await?;
    let open = || -> BoxFuture<'_, Result<VerifiedBlob, Error>> {
        Box::pin(async {
            let file = tokio::fs::File::open(path).await.map_err(Error::Source)?;
            VerifiedBlob::hashing(file, &digest, size)
        })
    };
    put(destination, &digest, size, &open, &progress).await
}

/// Makes `destination` hold `content` as a blob (an artifact's empty config, say).
pub async fn put_bytes(
    destination: &dyn ImageDestination,
    content: impl Into<Bytes>,
    progress: Arc<dyn Progress>,
) -> Result<PutBlob, Error> {
    let content = content.into();
    let digest = Digest::sha256(&content);
    let open = || -> BoxFuture<'_, Result<VerifiedBlob, Error>> {
        let content = content.clone();
        Box::pin(async move { Ok(VerifiedBlob::from_bytes(content)) })
    };
    put(destination, &digest, content.len() as u64, &open, &progress).await
}

/// One blob that belongs to no image through the copier: no mount, no scan.
async fn put<'a>(
    destination: &dyn ImageDestination,
    digest: &'a Digest,
    size: u64,
    open: OpenBlob<'a>,
    progress: &Arc<dyn Progress>,
) -> Result<PutBlob, Error> {
    let blob = BlobCopy {
        digest,
        size: Some(size),
        mount_from: None,
        open,
        scan: None,
    };
    let outcome = copy_blob(destination, blob, progress).await?;
    Ok(PutBlob {
        digest: digest.clone(),
        size,
        outcome,
    })
}

/// Writes blob `digest` of `source` to the file `path` and returns its size; `size`, when
/// known, is enforced.
///
/// The bytes go to a temp file in `path`'s directory (`.tmp-...`, the same file system),
/// verified while written, fsynced and renamed to `path` only then: `path` never holds a
/// partial or unverified blob, and a failure (or a dropped future) leaves no temp file.
pub async fn get_file(
    source: &dyn ImageSource,
    digest: &Digest,
    size: Option<u64>,
    path: &Path,
) -> Result<u64, Error> {
    let mut blob = source.blob(digest, size).await?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // The blob verifies itself and fails before its end on a mismatch; the writer, committed
    // only after that end, so never publishes what does not match.
    let mut writer =
        BlobWriter::create(dir, path.to_path_buf(), digest, Some(blob.size()))?.without_hashing();
    while let Some(chunk) = blob.next_chunk().await {
        writer.write_bytes(chunk?).await?;
    }
    writer.commit().await
}

/// Writes blob `digest` of `source` to `writer` as it arrives and returns its size; fails,
/// after writing, when the content did not match (bytes already written to a pipe cannot be
/// taken back, so the caller must report the failure).
pub async fn get_to_writer<W>(source: &dyn ImageSource, digest: &Digest, writer: &mut W) -> Result<u64, Error>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    source.blob(digest, None).await?.write_to(writer).await
}

/// The SHA-256 digest and size of the file at `path`, read on the blocking pool.
async fn hash_file(path: PathBuf) -> Result<(Digest, u64), Error> {
    let hashed = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path).map_err(Error::io("cannot open", &path))?;
        oci_digest::digest_reader(Algorithm::Sha256, file).map_err(Error::io("cannot read", &path))
    })
    .await
    .map_err(|join| Error::Source(std::io::Error::other(join)))?;
    hashed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{LayoutDestination, LayoutSource, NoProgress};
    use crate::layout::OciLayout;

    #[tokio::test]
    async fn a_file_goes_in_and_comes_back_and_a_damaged_one_leaves_nothing() {
        let work = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(work.path().join("layout")).await.unwrap();
        let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let file = work.path().join("in.bin");
        std::fs::write(&file, &content).unwrap();

        let destination = LayoutDestination::new(&layout, None);
        let put = put_file(&destination, &file, Arc::new(NoProgress)).await.unwrap();
        assert_eq!((put.digest(), put.size()), (&Digest::sha256(&content), 300_000));
        assert_eq!(put.outcome(), BlobOutcome::Transferred);
        let again = put_file(&destination, &file, Arc::new(NoProgress)).await.unwrap();
        assert_eq!(again.outcome(), BlobOutcome::AlreadyPresent);

        let source = LayoutSource::new(&layout, None);
        let out = work.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let back = out.join("back.bin");
        get_file(&source, put.digest(), Some(put.size()), &back)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&back).unwrap(), content);

        // The stored blob is damaged: the download fails and leaves no file, not even a temp.
        std::fs::remove_file(&back).unwrap();
        let mut damaged = content.clone();
        damaged[1000] ^= 1;
        std::fs::write(layout.blob_path(put.digest()), &damaged).unwrap();
        let error = get_file(&source, put.digest(), None, &back).await.unwrap_err();
        assert!(error.to_string().contains("digest mismatch"), "{error}");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    }
}
