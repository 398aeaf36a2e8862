//! Writing one blob into a layout: to a temp file beside its final place,
//! hashed while written, verified, fsynced once, then renamed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use oci_digest::{Digest, Verifier};
use tokio::io::{AsyncWriteExt, BufWriter};

use super::LayoutError;

/// Coalesces the small frames a network stream delivers into large writes,
/// so the blocking pool is visited once per MiB rather than once per frame.
const WRITE_BUFFER: usize = 256 * 1024;

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
pub(crate) fn create_temp_file(path: &Path) -> Result<tokio::fs::File, LayoutError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(tokio::fs::File::from_std)
        .map_err(LayoutError::io("cannot create", path))
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
    file: BufWriter<tokio::fs::File>,
    temp: TempFile,
    final_path: PathBuf,
    verifier: Verifier,
    expected_size: Option<u64>,
    written: u64,
}

impl BlobWriter {
    /// Opens a fresh temp file in `temp_dir` (the layout's root: same file
    /// system as `final_path`, outside `blobs/`), creating `dir`, the
    /// directory of `final_path`.
    pub(crate) async fn create(
        temp_dir: &Path,
        dir: &Path,
        final_path: PathBuf,
        expected: &Digest,
        expected_size: Option<u64>,
    ) -> Result<BlobWriter, LayoutError> {
        let verifier = Verifier::new(expected).map_err(|_| LayoutError::UnsupportedDigest {
            digest: expected.clone(),
        })?;
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(LayoutError::io("cannot create", dir))?;
        let label = &expected.encoded()[..expected.encoded().len().min(16)];
        let path = temp_path(temp_dir, label);
        let file = create_temp_file(&path)?;
        Ok(BlobWriter {
            file: BufWriter::with_capacity(WRITE_BUFFER, file),
            temp: TempFile::new(path),
            final_path,
            verifier,
            expected_size,
            written: 0,
        })
    }

    /// Appends `chunk`. Fails early when the content outgrows the expected
    /// size, so a misbehaving source cannot fill the disk.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), LayoutError> {
        let written = self.written + chunk.len() as u64;
        if let Some(expected) = self.expected_size.filter(|&expected| written > expected) {
            return Err(LayoutError::SizeMismatch {
                digest: self.verifier.expected().clone(),
                expected,
                actual: written,
            });
        }
        self.verifier.update(chunk);
        self.file
            .write_all(chunk)
            .await
            .map_err(LayoutError::io("cannot write", self.temp.path()))?;
        self.written = written;
        Ok(())
    }

    /// How many bytes were written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// The digest the content must have.
    pub fn expected(&self) -> &Digest {
        self.verifier.expected()
    }

    /// Verifies the content, makes it durable and moves it into place;
    /// returns its size. On any failure the temp file is removed.
    pub async fn commit(mut self) -> Result<u64, LayoutError> {
        let digest = self.verifier.expected().clone();
        if let Some(expected) = self.expected_size.filter(|&expected| expected != self.written) {
            return Err(LayoutError::SizeMismatch {
                digest,
                expected,
                actual: self.written,
            });
        }
        self.verifier.finish().map_err(|error| match error {
            oci_digest::Error::Mismatch { expected, actual } => {
                LayoutError::DigestMismatch { expected, actual }
            }
            _ => LayoutError::UnsupportedDigest { digest },
        })?;
        let temp_path = self.temp.path().to_path_buf();
        self.file
            .flush()
            .await
            .map_err(LayoutError::io("cannot write", &temp_path))?;
        // The one fsync of this blob: after it, the rename publishes content
        // that is on disk. A crash before the rename loses only the temp file.
        self.file
            .get_mut()
            .sync_all()
            .await
            .map_err(LayoutError::io("cannot sync", &temp_path))?;
        tokio::fs::rename(&temp_path, &self.final_path)
            .await
            .map_err(LayoutError::io("cannot move into place", &self.final_path))?;
        self.temp.disarm();
        Ok(self.written)
    }
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
