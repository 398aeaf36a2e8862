//! Writing one blob into a layout: to a temp file in the layout's root (the
//! same file system as its final place, outside `blobs/`), hashed while
//! written unless its source verifies it, flushed to disk in the background
//! as it grows, verified, fsynced, then renamed into place.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use oci_digest::{Digest, Verifier};
use tokio::sync::mpsc;

use crate::Error;

/// Pieces smaller than this are gathered (copied) into one write of at least
/// [`GATHER`] bytes before they go to the writer thread: a thread hand-off and a
/// `write` per tiny piece cost more than the copy. Larger pieces (hyper's reads of
/// a fast stream are about 400 KiB) go as they are, without any copy in user space.
const SMALL_PIECE: usize = 64 * 1024;

/// The size of a gathered write of small pieces.
const GATHER: usize = 256 * 1024;

/// Pieces waiting for a blob's writer thread besides the one it is writing: enough
/// that the network never waits for one `write`, few enough that memory stays
/// constant (about three network reads per blob, with the one being filled).
const QUEUED_PIECES: usize = 1;

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
    content: Bytes,
) -> Result<(), Error> {
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
/// took turns. Every [`EARLY_FLUSH_EVERY`] bytes, an `fdatasync` runs on a
/// thread of its own on a second handle of the temp file, never waited for
/// while writing goes on, so at commit only the tail is left to sync.
#[derive(Debug)]
struct EarlyFlush {
    file: Arc<std::fs::File>,
    running: Option<std::thread::JoinHandle<std::io::Result<()>>>,
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
    fn wrote(&mut self, n: u64) -> std::io::Result<()> {
        self.unflushed += n;
        if self.unflushed < EARLY_FLUSH_EVERY || self.running.as_ref().is_some_and(|r| !r.is_finished()) {
            return Ok(());
        }
        self.finish()?;
        self.unflushed = 0;
        let file = Arc::clone(&self.file);
        self.running = Some(
            std::thread::Builder::new()
                .name("skiff-flush".to_owned())
                .spawn(move || file.sync_data())?,
        );
        Ok(())
    }

    /// Waits for the flush under way, if any, and reports its failure.
    fn finish(&mut self) -> std::io::Result<()> {
        match self.running.take() {
            Some(running) => running
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the flush thread panicked"))),
            None => Ok(()),
        }
    }
}

/// What a blob's writer thread does: writes each piece it is sent, straight
/// from the piece (no copy in user space), flushing early as the file grows,
/// until the sending side closes; gives the file back for the final sync.
fn write_pieces(
    mut file: std::fs::File,
    mut early_flush: EarlyFlush,
    mut pieces: mpsc::Receiver<Bytes>,
    path: &Path,
) -> Result<std::fs::File, Error> {
    while let Some(piece) = pieces.blocking_recv() {
        file.write_all(&piece).map_err(Error::io("cannot write", path))?;
        early_flush
            .wrote(piece.len() as u64)
            .map_err(Error::io("cannot sync", path))?;
    }
    early_flush.finish().map_err(Error::io("cannot sync", path))?;
    Ok(file)
}

/// A temp file in a layout's root being filled with a blob's bytes, flushed to disk in the
/// background as it grows, then made durable and renamed into place; removed when dropped
/// before that.
///
/// The writes run on one blocking thread per blob, fed through a short channel: a
/// `tokio::fs::File` would copy every byte into a buffer of its own and visit the
/// blocking pool once per write. Dropped early, the channel closes, the thread
/// ends after the pieces already queued, and the guard removes the file.
#[derive(Debug)]
pub(crate) struct TempBlob {
    pieces: Option<mpsc::Sender<Bytes>>,
    writer: Option<tokio::task::JoinHandle<Result<std::fs::File, Error>>>,
    /// Small pieces gathered for one write.
    gathered: BytesMut,
    temp: TempFile,
    written: u64,
}

impl TempBlob {
    /// Opens a fresh temp file in `temp_dir`, named after `label`, and starts its writer thread.
    pub(crate) fn create(temp_dir: &Path, label: &str) -> Result<TempBlob, Error> {
        let path = temp_path(temp_dir, label);
        let file = create_temp_file(&path)?;
        let temp = TempFile::new(path.clone());
        let flush_handle = file.try_clone().map_err(Error::io("cannot open", &path))?;
        let (sender, receiver) = mpsc::channel(QUEUED_PIECES);
        let writer = tokio::task::spawn_blocking(move || {
            write_pieces(file, EarlyFlush::new(flush_handle), receiver, &path)
        });
        Ok(TempBlob {
            pieces: Some(sender),
            writer: Some(writer),
            gathered: BytesMut::new(),
            temp,
            written: 0,
        })
    }

    /// Appends `chunk`: a large one is handed to the writer thread as it is, a
    /// small one gathered with its neighbours first.
    pub(crate) async fn write(&mut self, chunk: Bytes) -> Result<(), Error> {
        self.written += chunk.len() as u64;
        if chunk.len() < SMALL_PIECE {
            self.gathered.extend_from_slice(&chunk);
            if self.gathered.len() >= GATHER {
                self.send_gathered().await?;
            }
            return Ok(());
        }
        self.send_gathered().await?;
        self.send(chunk).await
    }

    /// Appends a copy of `chunk`, gathered with its neighbours into large writes.
    pub(crate) async fn write_slice(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.written += chunk.len() as u64;
        self.gathered.extend_from_slice(chunk);
        if self.gathered.len() >= GATHER {
            self.send_gathered().await?;
        }
        Ok(())
    }

    /// Sends what was gathered, if anything.
    async fn send_gathered(&mut self) -> Result<(), Error> {
        if self.gathered.is_empty() {
            return Ok(());
        }
        let gathered = self.gathered.split().freeze();
        self.send(gathered).await
    }

    /// Hands `piece` to the writer thread; when the thread has stopped, its failure.
    async fn send(&mut self, piece: Bytes) -> Result<(), Error> {
        let sent = match &self.pieces {
            Some(pieces) => pieces.send(piece).await.is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        self.pieces = None;
        // The thread stopped before its channel closed: it failed, and says why.
        match self.join_writer().await {
            Ok(_) => Err(self.stopped()),
            Err(error) => Err(error),
        }
    }

    /// Waits for the writer thread to finish (its channel closed) and takes the file back.
    async fn join_writer(&mut self) -> Result<std::fs::File, Error> {
        let Some(writer) = self.writer.take() else {
            return Err(self.stopped());
        };
        writer
            .await
            .map_err(|join| Error::io("cannot write", self.temp.path())(std::io::Error::other(join)))?
    }

    /// The failure of a writer that is gone without saying why.
    fn stopped(&self) -> Error {
        Error::io("cannot write", self.temp.path())(std::io::Error::other("the writer stopped"))
    }

    /// How many bytes were written so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Makes the content durable and moves it to `final_path` (whose directory exists);
    /// returns its size. On any failure the temp file is removed.
    pub(crate) async fn persist(mut self, final_path: &Path) -> Result<u64, Error> {
        self.send_gathered().await?;
        self.pieces = None;
        let file = self.join_writer().await?;
        let temp_path = self.temp.path().to_path_buf();
        let final_path = final_path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            // The fsync that counts: after it, the rename publishes content that
            // is on disk. A crash before the rename loses only the temp file.
            file.sync_all().map_err(Error::io("cannot sync", &temp_path))?;
            drop(file);
            std::fs::rename(&temp_path, &final_path).map_err(Error::io("cannot move into place", &final_path))
        })
        .await
        .map_err(|join| Error::io("cannot sync", self.temp.path())(std::io::Error::other(join)))??;
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

    /// Appends a copy of `chunk`. Fails early when the content outgrows the
    /// expected size, so a misbehaving source cannot fill the disk.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.check(chunk)?;
        self.blob.write_slice(chunk).await
    }

    /// Appends `chunk` without copying it (a large one goes to the disk as it
    /// is); otherwise as [`write`](Self::write).
    pub async fn write_bytes(&mut self, chunk: Bytes) -> Result<(), Error> {
        self.check(&chunk)?;
        self.blob.write(chunk).await
    }

    /// Refuses `chunk` when it takes the content past the expected size; hashes it.
    fn check(&mut self, chunk: &[u8]) -> Result<(), Error> {
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
        Ok(())
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
