//! An archive being written, shared by the destinations of its images: the
//! tar writer, created on the first blob, what its format keeps about it, and
//! the lock that lets one blob in at a time (a tar file is written in order).
//!
//! Every failure while writing drops the writer, and with it the temp file:
//! an archive that failed can only be abandoned, never committed half-made.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use oci_digest::Digest;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::stream::{write_blocking, Chunks};
use super::tar_writer::TarWriter;
use crate::image::{BlobSink, BlobStart, Computed, ComputedBlob, VerifiedBlob};
use crate::Error;

/// What one archive format (docker-archive, OCI archive) does with the tar.
pub(crate) trait Format: Default + Send + 'static {
    /// The members every archive of the format begins with.
    fn begin(writer: &mut TarWriter) -> Result<(), Error>;

    /// Whether blob `digest` is in the archive.
    fn has(&self, digest: &Digest) -> bool;

    /// Writes blob `digest` from `chunks` into the archive.
    fn receive(
        &mut self,
        writer: &mut TarWriter,
        path: &Path,
        digest: &Digest,
        chunks: Chunks,
    ) -> Result<(), Error>;

    /// The members that end the archive (`manifest.json`, `index.json`).
    fn end(&mut self, writer: &mut TarWriter) -> Result<(), Error>;
}

/// The tar being written, and what the format keeps about it.
#[derive(Debug, Default)]
pub(crate) struct Session<F> {
    writer: Option<TarWriter>,
    finished: bool,
    /// The format's own bookkeeping.
    pub(crate) format: F,
}

impl<F: Format> Session<F> {
    /// The writer, created (with the format's first members) when there is none yet.
    pub(crate) fn writer(&mut self, path: &Path) -> Result<&mut TarWriter, Error> {
        if self.finished {
            return Err(Error::ArchiveClosed {
                path: path.to_path_buf(),
            });
        }
        if self.writer.is_none() {
            let mut writer = TarWriter::create(path)?;
            F::begin(&mut writer)?;
            self.writer = Some(writer);
        }
        Ok(self.writer.as_mut().expect("just made"))
    }

    /// The writer and the format's bookkeeping, both at once.
    pub(crate) fn parts(&mut self, path: &Path) -> Result<(&mut TarWriter, &mut F), Error> {
        self.writer(path)?;
        Ok((self.writer.as_mut().expect("made above"), &mut self.format))
    }

    /// Runs `work` on the archive; a failure abandons it.
    pub(crate) fn attempt<T>(
        &mut self,
        work: impl FnOnce(&mut Session<F>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let done = work(self);
        if done.is_err() {
            // The temp file goes with the writer.
            self.writer = None;
            self.finished = true;
        }
        done
    }

    /// Writes the format's last members and renames the archive over its target.
    pub(crate) fn commit(&mut self, path: &Path) -> Result<(), Error> {
        self.attempt(|session| {
            let (writer, format) = session.parts(path)?;
            format.end(writer)?;
            let writer = session.writer.take().expect("made above");
            session.finished = true;
            writer.commit()
        })
    }
}

/// An archive being written to `path`: one image or several.
#[derive(Debug)]
pub(crate) struct ArchiveWriter<F> {
    path: PathBuf,
    session: Arc<Mutex<Session<F>>>,
}

impl<F: Format> ArchiveWriter<F> {
    /// An archive that will replace `path` when committed.
    pub(crate) fn new(path: &Path) -> ArchiveWriter<F> {
        ArchiveWriter {
            path: path.to_path_buf(),
            session: Arc::new(Mutex::new(Session::default())),
        }
    }

    /// The file the archive will be.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether blob `digest` is in.
    pub(crate) async fn has_blob(&self, digest: &Digest) -> bool {
        self.session.lock().await.format.has(digest)
    }

    /// Holds the archive for blob `digest` until it is written (the others wait here).
    pub(crate) async fn start_blob(&self, digest: &Digest) -> Result<BlobStart, Error> {
        let mut session = Arc::clone(&self.session).lock_owned().await;
        session.attempt(|session| session.writer(&self.path).map(|_| ()))?;
        Ok(BlobStart::Open(Box::new(ArchiveSink {
            session,
            path: self.path.clone(),
            digest: digest.clone(),
        })))
    }

    /// Runs `work` on the archive on the blocking pool, once the blob being written is in;
    /// a failure abandons the archive.
    pub(crate) async fn with_session<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Session<F>, &Path) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let mut session = Arc::clone(&self.session).lock_owned().await;
        let path = self.path.clone();
        blocking(move || session.attempt(|session| work(session, &path))).await
    }

    /// Writes content whose digest is learnt only at its end (a layer recompressed on the
    /// way) straight into the archive, as `receive` says once the end is reached; nothing
    /// is spooled.
    pub(crate) async fn put_computed(
        &self,
        blob: ComputedBlob,
        receive: impl FnOnce(&mut TarWriter, &mut F, Chunks, &Computed) -> Result<(Digest, u64), Error>
            + Send
            + 'static,
    ) -> Result<(Digest, u64), Error> {
        let mut session = Arc::clone(&self.session).lock_owned().await;
        let path = self.path.clone();
        let (chunks, computed) = blob.into_parts();
        write_blocking(chunks, move |chunks| {
            session.attempt(|session| {
                let (writer, format) = session.parts(&path)?;
                receive(writer, format, chunks, &computed)
            })
        })
        .await
    }

    /// Finishes the archive and renames it over its target.
    pub(crate) async fn commit(&self) -> Result<(), Error> {
        self.with_session(|session, path| session.commit(path)).await
    }
}

/// A blob on its way into an archive, holding the archive until it is in.
struct ArchiveSink<F> {
    session: OwnedMutexGuard<Session<F>>,
    path: PathBuf,
    digest: Digest,
}

impl<F: Format> BlobSink for ArchiveSink<F> {
    fn write(self: Box<Self>, blob: VerifiedBlob) -> BoxFuture<'static, Result<(), Error>> {
        let ArchiveSink {
            mut session,
            path,
            digest,
        } = *self;
        Box::pin(write_blocking(blob.into_stream(), move |chunks| {
            session.attempt(|session| {
                let (writer, format) = session.parts(&path)?;
                format.receive(writer, &path, &digest, chunks)
            })
        }))
    }

    fn cancel(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// Runs blocking archive work on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Source(std::io::Error::other(e)))?
}
