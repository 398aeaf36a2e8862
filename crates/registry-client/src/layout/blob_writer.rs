//! Writing one blob into a layout: to a temp file in the layout's root (the
//! same file system as its final place, outside `blobs/`), hashed while
//! written unless its source verifies it, flushed to disk in the background
//! as it grows, verified, fsynced, then renamed into place.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use oci_digest::{Digest, Verifier};
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::Error;

/// Coalesces the small frames a network stream delivers into large writes,
/// so the blocking pool is visited once per 256 KiB rather than once per
/// frame. Larger buffers only cost memory per concurrent transfer.
const WRITE_BUFFER: usize = 256 * 1024;

/// How much is written between early flushes of a large blob (see
/// [`EarlyFlush`]). Blobs smaller than this are flushed once, at commit.
const EARLY_FLUSH_EVERY: u64 = 8 * 1024 * 1024;

/// Prefix of temp files; never a valid encoded digest (those have no `.`),
/// so a half-written blob can never be mistaken for a real one.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// Distinguishes temp files of concurrent writers within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temp-file path in `dir` that no other writer uses: the process id keeps
/// processes apart, the counter keeps writers of one process apart.
pub(crate) fn temp_path(dir: &Path, label: &str) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{TEMP_PREFIX}{}-{n}-{label}", std::process::id()))
}

/// Creates a fresh temp file at `path`.
///
/// Deliberately synchronous (one `open`, microseconds): an open sent to the
/// blocking pool outlives a cancelled future and would create the file after
/// nobody is left to remove it. Opened here, the file and the guard that
/// removes it come into being in the same poll.
pub(crate) fn create_temp_file(path: &Path) -> Result<std::fs::File, Error> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(Error::io("cannot create", path))
}

/// Writes `content` (already verified) to a temp file in `temp_dir`, makes it
/// durable and renames it to `final_path`, all in one visit to the blocking
/// pool: for small blobs the hops between threads cost more than the I/O.
/// Any failure removes the temp file. The work finishes even when the
/// calling future is dropped, so it never leaves a temp file behind.
pub(crate) async fn write_small_blob(
    temp_dir: &Path,
    label: &str,
    final_path: PathBuf,
    content: bytes::Bytes,
) -> Result<(), Error> {
    use std::io::Write as _;

    let path = temp_path(temp_dir, label);
    tokio::task::spawn_blocking(move || {
        let mut temp = TempFile::new(path);
        let mut file = create_temp_file(temp.path())?;
        file.write_all(&content)
            .map_err(Error::io("cannot write", temp.path()))?;
        file.sync_all().map_err(Error::io("cannot sync", temp.path()))?;
        drop(file);
        std::fs::rename(temp.path(), &final_path)
            .map_err(Error::io("cannot move into place", &final_path))?;
        temp.disarm();
        Ok(())
    })
    .await
    .map_err(|join| Error::io("cannot write", temp_dir)(std::io::Error::other(join)))?
}

/// Starts the disk writes of a large blob while it is still arriving.
///
/// The kernel would otherwise keep a whole layer in the page cache until the
/// final `fsync`, which then waits for all of it: the download and the disk
/// took turns. Every [`EARLY_FLUSH_EVERY`] bytes, an `fdatasync` runs in the
/// blocking pool on a second handle of the temp file, never waited for while
/// writing goes on, so at commit only the tail is left to sync.
#[derive(Debug)]
struct EarlyFlush {
    file: Arc<std::fs::File>,
    running: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    unflushed: u64,
}

impl EarlyFlush {
    fn new(file: std::fs::File) -> EarlyFlush {
        EarlyFlush {
            file: Arc::new(file),
            running: None,
            unflushed: 0,
        }
    }

    /// Counts `n` more bytes written; starts a flush when enough piled up and
    /// the previous one is done (a failed one is reported here).
    async fn wrote(&mut self, n: u64) -> std::io::Result<()> {
        self.unflushed += n;
        if self.unflushed < EARLY_FLUSH_EVERY || self.running.as_ref().is_some_and(|r| !r.is_finished()) {
            return Ok(());
        }
        self.finish().await?;
        self.unflushed = 0;
        let file = Arc::clone(&self.file);
        self.running = Some(tokio::task::spawn_blocking(move || file.sync_data()));
        Ok(())
    }

    /// Waits for the flush under way, if any, and reports its failure.
    async fn finish(&mut self) -> std::io::Result<()> {
        match self.running.take() {
            Some(running) => running.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

/// A temp file in a layout's root being filled with a blob's bytes, flushed to disk in the
/// background as it grows, then made durable and renamed into place; removed when dropped
/// before that.
#[derive(Debug)]
pub(crate) struct TempBlob {
    file: BufWriter<tokio::fs::File>,
    early_flush: EarlyFlush,
    temp: TempFile,
    written: u64,
}

impl TempBlob {
    /// Opens a fresh temp file in `temp_dir`, named after `label`.
    pub(crate) fn create(temp_dir: &Path, label: &str) -> Result<TempBlob, Error> {
        let path = temp_path(temp_dir, label);
        let file = create_temp_file(&path)?;
        let flush_handle = file.try_clone().map_err(Error::io("cannot open", &path))?;
        Ok(TempBlob {
            file: BufWriter::with_capacity(WRITE_BUFFER, tokio::fs::File::from_std(file)),
            early_flush: EarlyFlush::new(flush_handle),
            temp: TempFile::new(path),
            written: 0,
        })
    }

    /// Appends `chunk`.
    pub(crate) async fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.file
            .write_all(chunk)
            .await
            .map_err(Error::io("cannot write", self.temp.path()))?;
        self.early_flush
            .wrote(chunk.len() as u64)
            .await
            .map_err(Error::io("cannot sync", self.temp.path()))?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    /// How many bytes were written so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Makes the content durable and moves it to `final_path` (whose directory exists);
    /// returns its size. On any failure the temp file is removed.
    pub(crate) async fn persist(mut self, final_path: &Path) -> Result<u64, Error> {
        let temp_path = self.temp.path().to_path_buf();
        self.file
            .flush()
            .await
            .map_err(Error::io("cannot write", &temp_path))?;
        self.early_flush
            .finish()
            .await
            .map_err(Error::io("cannot sync", &temp_path))?;
        // The fsync that counts: after it, the rename publishes content that
        // is on disk. A crash before the rename loses only the temp file.
        self.file
            .get_mut()
            .sync_all()
            .await
            .map_err(Error::io("cannot sync", &temp_path))?;
        tokio::fs::rename(&temp_path, final_path)
            .await
            .map_err(Error::io("cannot move into place", final_path))?;
        self.temp.disarm();
        Ok(self.written)
    }
}

/// A blob being written into a layout.
///
/// Feed it with [`write`](Self::write), then [`commit`](Self::commit): the
/// content is checked against the expected digest (and size, when known) and
/// only then appears under `blobs/ALG/HEX`. Dropping the writer without
/// committing, or a failed commit, removes the temp file, so an interrupted
/// or corrupted transfer leaves nothing behind.
#[derive(Debug)]
pub struct BlobWriter {
    blob: TempBlob,
    final_path: PathBuf,
    verifier: Verifier,
    /// Off for a `VerifiedBlob`, which checks its content itself: the bytes
    /// are then hashed once, not twice.
    hash: bool,
    expected_size: Option<u64>,
}

impl BlobWriter {
    /// Opens a fresh temp file in `temp_dir` (the layout's root: same file
    /// system as `final_path`, outside `blobs/`). The directory of
    /// `final_path` must exist.
    pub(crate) fn create(
        temp_dir: &Path,
        final_path: PathBuf,
        expected: &Digest,
        expected_size: Option<u64>,
    ) -> Result<BlobWriter, Error> {
        let verifier = Verifier::new(expected).map_err(|_| Error::UnsupportedDigest {
            digest: expected.clone(),
        })?;
        Ok(BlobWriter {
            blob: TempBlob::create(temp_dir, temp_label(expected))?,
            final_path,
            verifier,
            hash: true,
            expected_size,
        })
    }

    /// Turns hashing off, for a [`VerifiedBlob`](crate::image::VerifiedBlob)'s
    /// content, which fails before its end on a mismatch (see
    /// [`OciLayout::blob_writer_for`](super::OciLayout::blob_writer_for)).
    pub(crate) fn without_hashing(mut self) -> BlobWriter {
        self.hash = false;
        self
    }

    /// Appends `chunk`. Fails early when the content outgrows the expected
    /// size, so a misbehaving source cannot fill the disk.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let written = self.blob.written() + chunk.len() as u64;
        if let Some(expected) = self.expected_size.filter(|&expected| written > expected) {
            return Err(Error::SourceSize {
                digest: self.verifier.expected().clone(),
                expected,
                actual: written,
            });
        }
        if self.hash {
            self.verifier.update(chunk);
        }
        self.blob.write(chunk).await
    }

    /// How many bytes were written so far.
    pub fn bytes_written(&self) -> u64 {
        self.blob.written()
    }

    /// The digest the content must have.
    pub fn expected(&self) -> &Digest {
        self.verifier.expected()
    }

    /// Verifies the content, makes it durable and moves it into place;
    /// returns its size. On any failure the temp file is removed.
    pub async fn commit(self) -> Result<u64, Error> {
        let digest = self.verifier.expected().clone();
        let written = self.blob.written();
        if let Some(expected) = self.expected_size.filter(|&expected| expected != written) {
            return Err(Error::SourceSize {
                digest,
                expected,
                actual: written,
            });
        }
        if self.hash {
            self.verifier.finish().map_err(|error| match error {
                oci_digest::Error::Mismatch(mismatch) => Error::DigestMismatch(mismatch),
                _ => Error::UnsupportedDigest { digest },
            })?;
        }
        self.blob.persist(&self.final_path).await
    }
}

/// The part of a blob's digest that names its temp file, for people looking.
pub(crate) fn temp_label(digest: &Digest) -> &str {
    &digest.encoded()[..digest.encoded().len().min(16)]
}

/// Owns a temp file path and removes the file on drop unless disarmed.
#[derive(Debug)]
pub(crate) struct TempFile(Option<PathBuf>);

impl TempFile {
    /// Takes charge of `path`.
    pub(crate) fn new(path: PathBuf) -> TempFile {
        TempFile(Some(path))
    }

    /// The temp file's path.
    pub(crate) fn path(&self) -> &Path {
        self.0.as_deref().expect("a disarmed temp file is not used again")
    }

    /// The file was renamed into place: nothing is left to remove.
    pub(crate) fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Blocking, but a single unlink; running it here is what makes
            // cancellation (Ctrl-C, a failed sibling download) leave no file.
            let _ = std::fs::remove_file(path);
        }
    }
}
