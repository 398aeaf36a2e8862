//! The OCI image layout on disk: `oci-layout`, `index.json` and
//! `blobs/ALG/HEX`, read and written safely.
//!
//! Guarantees:
//! - **Nothing unverified under `blobs/`.** A blob is written to a temp file
//!   in the layout's root (the same file system, outside `blobs/`), hashed
//!   while written, checked against its digest (and size), fsynced once and
//!   renamed into place. A mismatch, an error or a cancelled future removes
//!   the temp file; a killed process leaves it in the root, where
//!   [`OciLayout::remove_orphaned_temp_files`] finds it. Temp names start
//!   with `.tmp-` and carry the writer's process id.
//! - **`index.json` is replaced atomically** (temp file, fsync, rename), and
//!   updates from one process are serialised, so readers see the old or the
//!   new index, never a torn one.
//! - **Nothing escapes the layout.** Blob paths are built from a [`Digest`],
//!   whose grammar has no `/` and no leading `.`; tags follow the
//!   `org.opencontainers.image.ref.name` grammar ([`LayoutTag`]) and are never
//!   used as paths anyway.
//! - **Reads are verified too**: [`OciLayout::open_blob`] checks while it
//!   streams, [`OciLayout::read_blob`] before it returns.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use oci_digest::Digest;
//! use oci_manifest::{Descriptor, MediaType};
//! use registry_client::layout::{ref_name, OciLayout};
//!
//! let dir = tempfile::tempdir()?;
//! let layout = OciLayout::create(dir.path()).await?;
//! let manifest = br#"{"schemaVersion":2}"#;
//! let digest = Digest::sha256(manifest);
//! layout.write_blob(&digest, manifest).await?;
//! let descriptor = Descriptor::new(MediaType::OciManifest, digest, 19);
//! layout.set_tag(&"v1".parse()?, descriptor).await?;
//!
//! let (found, bytes) = layout.manifest(Some(&"v1".parse()?)).await?;
//! assert_eq!(bytes, manifest);
//! assert_eq!(ref_name(&found), Some("v1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # });
//! ```

mod blob_reader;
mod blob_writer;
mod index;
mod reference;
mod tag;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oci_digest::{Digest, Mismatch, Verifier};
use oci_manifest::{guess_media_type, Descriptor, DEFAULT_MAX_MANIFEST_SIZE};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

pub use blob_reader::BlobReader;
pub use blob_writer::BlobWriter;
pub use index::{ref_name, with_ref_name, LayoutIndex, REF_NAME_ANNOTATION};
pub use reference::LayoutRef;
pub use tag::LayoutTag;

use crate::Error;
pub(crate) use blob_writer::{create_temp_file, temp_path, TempFile};
use blob_writer::{temp_label, TempBlob, TEMP_PREFIX};

/// The one image layout version this crate writes.
const LAYOUT_VERSION: &str = "1.0.0";

/// Size of the buffer used to copy a reader into a blob.
const COPY_BUFFER: usize = 256 * 1024;

/// The content of the `oci-layout` file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LayoutMarker {
    image_layout_version: String,
}

/// An OCI image layout directory.
///
/// Cheap to clone; clones share the lock that serialises `index.json` updates,
/// so concurrent tasks of one program can tag images without losing each
/// other's entries.
#[derive(Debug, Clone)]
pub struct OciLayout {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    index_lock: tokio::sync::Mutex<()>,
    /// `blobs/ALG` directories known to exist: made once, not once per blob.
    blob_dirs: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
}

impl OciLayout {
    /// Makes `dir` an image layout (creating it and its parents), or opens it
    /// when it already is one. An existing `index.json` is kept.
    pub async fn create(dir: impl AsRef<Path>) -> Result<OciLayout, Error> {
        let root = dir.as_ref().to_path_buf();
        let blobs = root.join("blobs");
        tokio::fs::create_dir_all(&blobs)
            .await
            .map_err(Error::io("cannot create", &blobs))?;
        let marker = root.join("oci-layout");
        if tokio::fs::try_exists(&marker)
            .await
            .map_err(Error::io("cannot read", &marker))?
        {
            read_marker(&marker).await?;
        } else {
            let text = serde_json::to_vec(&LayoutMarker {
                image_layout_version: LAYOUT_VERSION.to_owned(),
            })
            .expect("the marker serialises");
            write_atomically(&marker, &text).await?;
        }
        let layout = OciLayout::at(root);
        let index = layout.index_path();
        if !tokio::fs::try_exists(&index)
            .await
            .map_err(Error::io("cannot read", &index))?
        {
            layout.write_index(&LayoutIndex::default()).await?;
        }
        layout.index().await?;
        Ok(layout)
    }

    /// Opens an existing image layout, checking its `oci-layout` version and
    /// that its `index.json` parses.
    pub async fn open(dir: impl AsRef<Path>) -> Result<OciLayout, Error> {
        let root = dir.as_ref().to_path_buf();
        let marker = root.join("oci-layout");
        if !tokio::fs::try_exists(&marker)
            .await
            .map_err(Error::io("cannot read", &marker))?
        {
            return Err(Error::NotALayout { dir: root });
        }
        read_marker(&marker).await?;
        let layout = OciLayout::at(root);
        layout.index().await?;
        Ok(layout)
    }

    fn at(root: PathBuf) -> OciLayout {
        OciLayout {
            inner: Arc::new(Inner {
                root,
                index_lock: tokio::sync::Mutex::new(()),
                blob_dirs: std::sync::Mutex::new(std::collections::HashSet::new()),
            }),
        }
    }

    /// The layout directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    fn index_path(&self) -> PathBuf {
        self.inner.root.join("index.json")
    }

    /// The directory holding the blobs of `digest`'s algorithm.
    fn blob_dir(&self, digest: &Digest) -> PathBuf {
        // The algorithm grammar has no `/` and cannot start with `.`.
        self.inner.root.join("blobs").join(digest.algorithm().as_str())
    }

    /// Where the blob `digest` lives: `blobs/ALG/ENCODED`.
    ///
    /// Always inside the layout: a [`Digest`]'s encoded part is limited to
    /// `[a-zA-Z0-9=_-]`, so it is one plain file name.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blob_dir(digest).join(digest.encoded())
    }

    /// Whether the blob is present and matches its digest. Files on disk can be damaged
    /// or edited after they were written, so the content is read and verified: a blob that
    /// does not match counts as absent, and writing it again replaces it.
    pub async fn has_blob(&self, digest: &Digest) -> Result<bool, Error> {
        if self.blob_file(digest).await?.is_none() {
            return Ok(false);
        }
        let mut reader = self.open_blob(digest).await?;
        match tokio::io::copy(&mut reader, &mut tokio::io::sink()).await {
            Ok(_) => Ok(true),
            Err(error) if oci_digest::mismatch(&error).is_some() => {
                tracing::debug!(%digest, "a blob in the layout does not match its digest; it counts as absent");
                Ok(false)
            }
            Err(error) => Err(Error::read("cannot read", self.blob_path(digest), error)),
        }
    }

    /// The path of blob `digest` when it exists, after checking that it is a regular file
    /// inside the layout (no symlink, nothing resolving outside the root), before a byte of
    /// it is read.
    async fn blob_file(&self, digest: &Digest) -> Result<Option<PathBuf>, Error> {
        let path = self.blob_path(digest);
        let metadata = match tokio::fs::symlink_metadata(&path).await {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(Error::io("cannot read", path)(error)),
        };
        let refuse = |reason| Error::NotARegularFile {
            path: path.clone(),
            reason,
        };
        if metadata.file_type().is_symlink() {
            return Err(refuse("it is a symlink, and a layout only yields regular files"));
        }
        if !metadata.is_file() {
            return Err(refuse("it is not a regular file"));
        }
        // A directory above it (`blobs/`, `blobs/ALG/`) may itself be a link elsewhere.
        let resolved = tokio::fs::canonicalize(&path)
            .await
            .map_err(Error::io("cannot resolve", &path))?;
        let root = tokio::fs::canonicalize(self.root())
            .await
            .map_err(Error::io("cannot resolve", self.root()))?;
        if !resolved.starts_with(&root) {
            return Err(refuse("it resolves outside the layout"));
        }
        Ok(Some(path))
    }

    /// Starts writing the blob `digest`; `size`, when known, is enforced too.
    /// See [`BlobWriter`].
    pub async fn blob_writer(&self, digest: &Digest, size: Option<u64>) -> Result<BlobWriter, Error> {
        self.make_blob_dir(digest).await?;
        BlobWriter::create(self.root(), self.blob_path(digest), digest, size)
    }

    /// A writer for `blob`'s content that does not hash it again: the blob
    /// checks itself and fails before its end on a mismatch, so the writer,
    /// committed only after that end, never publishes unverified content.
    /// Its size is enforced.
    pub(crate) async fn blob_writer_for(
        &self,
        blob: crate::image::VerifiedBlob,
    ) -> Result<(BlobWriter, crate::image::VerifiedBlob), Error> {
        let writer = self.blob_writer(blob.digest(), Some(blob.size())).await?;
        Ok((writer.without_hashing(), blob))
    }

    /// Writes a blob held in memory whose content the caller has verified
    /// (a [`VerifiedBlob`](crate::image::VerifiedBlob) read to its end, or
    /// hashed here), in one visit to the blocking pool.
    pub(crate) async fn write_verified_blob(
        &self,
        digest: &Digest,
        content: bytes::Bytes,
    ) -> Result<(), Error> {
        self.make_blob_dir(digest).await?;
        blob_writer::write_small_blob(self.root(), temp_label(digest), self.blob_path(digest), content).await
    }

    /// Writes content whose digest is known only at its end (a layer recompressed on the
    /// way): to a temp file in the layout's root, then, once the content ended and so has
    /// its digest, made durable and renamed to `blobs/ALG/ENCODED`. Returns the digest and
    /// size. Content that fails leaves nothing: the temp file is removed.
    pub(crate) async fn write_computed_blob(
        &self,
        mut blob: crate::image::ComputedBlob,
    ) -> Result<(Digest, u64), Error> {
        let mut temp = TempBlob::create(self.root(), "computed")?;
        while let Some(chunk) = blob.next_chunk().await {
            temp.write(chunk?).await?;
        }
        let (digest, size) = blob.computed().ok_or(Error::RecompressStopped)?;
        self.make_blob_dir(&digest).await?;
        temp.persist(&self.blob_path(&digest)).await?;
        Ok((digest, size))
    }

    /// Creates `blobs/ALG` for `digest` unless this layout made it already.
    pub(crate) async fn make_blob_dir(&self, digest: &Digest) -> Result<(), Error> {
        let dir = self.blob_dir(digest);
        let blob_dirs = || {
            self.inner
                .blob_dirs
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if blob_dirs().contains(&dir) {
            return Ok(());
        }
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(Error::io("cannot create", &dir))?;
        blob_dirs().insert(dir);
        Ok(())
    }

    /// Writes a blob held in memory, verified; skipped when present.
    pub async fn write_blob(&self, digest: &Digest, content: &[u8]) -> Result<(), Error> {
        if self.has_blob(digest).await? {
            return Ok(());
        }
        // Held in memory, so checked here at once and written in one visit
        // to the blocking pool, as a pull writes small blobs.
        let actual =
            Digest::compute(digest.algorithm().clone(), content).map_err(|_| Error::UnsupportedDigest {
                digest: digest.clone(),
            })?;
        if actual != *digest {
            return Err(Error::DigestMismatch(Mismatch::new(digest.clone(), actual)));
        }
        self.write_verified_blob(digest, bytes::Bytes::copy_from_slice(content))
            .await
    }

    /// Writes a blob from `reader` in constant memory, verified; returns its
    /// size. The caller decides whether to skip present blobs (with
    /// [`has_blob`](Self::has_blob)) before opening its source.
    pub async fn write_blob_from<R>(
        &self,
        digest: &Digest,
        size: Option<u64>,
        mut reader: R,
    ) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin,
    {
        let mut writer = self.blob_writer(digest, size).await?;
        let mut buffer = vec![0u8; COPY_BUFFER];
        loop {
            let n = reader
                .read(&mut buffer)
                .await
                .map_err(|error| Error::read("cannot read the source of", self.blob_path(digest), error))?;
            if n == 0 {
                return writer.commit().await;
            }
            writer.write(&buffer[..n]).await?;
        }
    }

    /// Opens a blob for reading, verified as it streams.
    pub async fn open_blob(&self, digest: &Digest) -> Result<BlobReader, Error> {
        let verifier = Verifier::new(digest).map_err(|_| Error::UnsupportedDigest {
            digest: digest.clone(),
        })?;
        let not_found = || Error::BlobNotFound {
            dir: self.root().to_path_buf(),
            digest: digest.clone(),
        };
        let path = self.blob_file(digest).await?.ok_or_else(not_found)?;
        let file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
            Err(error) => return Err(Error::io("cannot open", path)(error)),
        };
        let len = file
            .metadata()
            .await
            .map_err(Error::io("cannot read", &path))?
            .len();
        Ok(BlobReader::new(file, len, verifier))
    }

    /// Reads a whole blob into memory, verified, refusing blobs larger than
    /// `limit` bytes before reading them.
    pub async fn read_blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>, Error> {
        let reader = self.open_blob(digest).await?;
        if reader.len() > limit {
            return Err(Error::BlobTooLarge {
                digest: digest.clone(),
                size: reader.len(),
                limit,
            });
        }
        let mut content = Vec::with_capacity(usize::try_from(reader.len()).unwrap_or(0));
        // `take` guards against the file growing after the size check.
        let mut reader = reader.take(limit + 1);
        let result = reader.read_to_end(&mut content).await;
        let path = self.blob_path(digest);
        if let Err(error) = result {
            return Err(Error::read("cannot read", path, error));
        }
        if content.len() as u64 > limit {
            return Err(Error::BlobTooLarge {
                digest: digest.clone(),
                size: content.len() as u64,
                limit,
            });
        }
        Ok(content)
    }

    /// The current `index.json`, read afresh.
    pub async fn index(&self) -> Result<LayoutIndex, Error> {
        let path = self.index_path();
        let text = tokio::fs::read(&path)
            .await
            .map_err(Error::io("cannot read", &path))?;
        serde_json::from_slice(&text).map_err(|source| Error::MalformedFile { path, source })
    }

    async fn write_index(&self, index: &LayoutIndex) -> Result<(), Error> {
        let text = serde_json::to_vec(index).expect("the index serialises");
        write_atomically(&self.index_path(), &text).await
    }

    /// Reads, changes and atomically rewrites `index.json` under the lock.
    async fn update_index<T>(&self, change: impl FnOnce(&mut LayoutIndex) -> T) -> Result<T, Error> {
        let _guard = self.inner.index_lock.lock().await;
        let mut index = self.index().await?;
        let outcome = change(&mut index);
        self.write_index(&index).await?;
        Ok(outcome)
    }

    /// Names `descriptor` `tag` in `index.json`, replacing the entry that
    /// carried the tag before, if any.
    pub async fn set_tag(&self, tag: &LayoutTag, descriptor: Descriptor) -> Result<(), Error> {
        self.update_index(|index| index.set_tag(tag, descriptor)).await
    }

    /// Lists `descriptor` in `index.json` without a tag, unless an untagged
    /// entry for the same digest is there already.
    pub async fn add_untagged(&self, descriptor: Descriptor) -> Result<(), Error> {
        self.update_index(|index| index.add_untagged(descriptor)).await
    }

    /// Removes the entry carrying `tag` (blobs stay); whether there was one.
    pub async fn remove_tag(&self, tag: &LayoutTag) -> Result<bool, Error> {
        self.update_index(|index| index.remove_tag(tag)).await
    }

    /// The `index.json` entry for `tag`, or, without a tag, the only entry.
    pub async fn resolve(&self, tag: Option<&LayoutTag>) -> Result<Descriptor, Error> {
        let index = self.index().await?;
        match tag {
            Some(tag) => index.find_tag(tag).cloned().ok_or_else(|| Error::TagNotFound {
                dir: self.root().to_path_buf(),
                tag: tag.to_string(),
            }),
            None => match index.manifests() {
                [only] => Ok(only.clone()),
                entries => Err(Error::AmbiguousImage {
                    dir: self.root().to_path_buf(),
                    count: entries.len(),
                }),
            },
        }
    }

    /// The manifest named by `tag` (or the only one), with its exact bytes,
    /// verified against the entry's digest and size.
    pub async fn manifest(&self, tag: Option<&LayoutTag>) -> Result<(Descriptor, Vec<u8>), Error> {
        let descriptor = self.resolve(tag).await?;
        let bytes = self
            .read_blob(descriptor.digest(), DEFAULT_MAX_MANIFEST_SIZE)
            .await?;
        if bytes.len() as u64 != descriptor.size() {
            return Err(Error::SourceSize {
                digest: descriptor.digest().clone(),
                expected: descriptor.size(),
                actual: bytes.len() as u64,
            });
        }
        Ok((descriptor, bytes))
    }

    /// The manifest with `digest`, verified, with a descriptor: the
    /// `index.json` entry for it when there is one, else one whose media type
    /// is read from the bytes (a platform manifest under an index is not
    /// listed in `index.json`).
    pub async fn manifest_by_digest(&self, digest: &Digest) -> Result<(Descriptor, Vec<u8>), Error> {
        let listed = self.index().await?.find_digest(digest).cloned();
        let bytes = self.read_blob(digest, DEFAULT_MAX_MANIFEST_SIZE).await?;
        let descriptor = match listed {
            Some(entry) => entry,
            None => {
                let media_type = guess_media_type(&bytes).ok_or_else(|| Error::NotAManifest {
                    digest: digest.clone(),
                })?;
                Descriptor::new(media_type, digest.clone(), bytes.len() as u64)
            }
        };
        Ok((descriptor, bytes))
    }

    /// Removes every temp file that interrupted writers left (in the root,
    /// and in `blobs/*/` where earlier versions wrote them); returns how many.
    /// Call it only when no other process is writing into this layout: their
    /// temp files look the same. [`OciLayout::remove_orphaned_temp_files`] is
    /// the variant that is safe while others write.
    pub async fn remove_stale_temp_files(&self) -> Result<usize, Error> {
        let mut dirs = vec![self.inner.root.clone()];
        dirs.extend(self.blob_dirs_on_disk().await?);
        sweep_temp_files(dirs, |_| true).await
    }

    /// Removes the temp files whose writing process has exited (a killed
    /// pull); returns how many. Files of running processes, this one
    /// included, are kept, so it is safe while others write. Where the
    /// process table cannot be read (outside Linux) nothing is removed.
    ///
    /// It lists only the root, where this version writes temp files, so it is
    /// cheap enough to run before every transfer into the layout, however
    /// many blobs it holds.
    pub async fn remove_orphaned_temp_files(&self) -> Result<usize, Error> {
        let orphaned = |name: &str| writer_pid(name).is_some_and(|pid| !process_is_running(pid));
        sweep_temp_files(vec![self.inner.root.clone()], orphaned).await
    }

    /// The `blobs/ALG` directories that exist.
    async fn blob_dirs_on_disk(&self) -> Result<Vec<PathBuf>, Error> {
        let mut dirs = Vec::new();
        let blobs = self.inner.root.join("blobs");
        let mut algorithms = tokio::fs::read_dir(&blobs)
            .await
            .map_err(Error::io("cannot list", &blobs))?;
        while let Some(algorithm) = algorithms
            .next_entry()
            .await
            .map_err(Error::io("cannot list", &blobs))?
        {
            let dir = algorithm.path();
            let file_type = algorithm
                .file_type()
                .await
                .map_err(Error::io("cannot read", &dir))?;
            if file_type.is_dir() {
                dirs.push(dir);
            }
        }
        Ok(dirs)
    }
}

/// Removes the temp files in `dirs` for which `remove` says so; returns how many.
async fn sweep_temp_files(dirs: Vec<PathBuf>, remove: impl Fn(&str) -> bool) -> Result<usize, Error> {
    let mut removed = 0;
    for dir in dirs {
        let mut entries = tokio::fs::read_dir(&dir)
            .await
            .map_err(Error::io("cannot list", &dir))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(Error::io("cannot list", &dir))?
        {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TEMP_PREFIX) && remove(&name) {
                let path = entry.path();
                match tokio::fs::remove_file(&path).await {
                    Ok(()) => removed += 1,
                    // Its writer finished (renamed or removed it) meanwhile.
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => return Err(Error::io("cannot remove", &path)(error)),
                }
            }
        }
    }
    Ok(removed)
}

/// The process id in a temp file's name (`.tmp-PID-N-LABEL`).
fn writer_pid(name: &str) -> Option<u32> {
    name.strip_prefix(TEMP_PREFIX)?.split('-').next()?.parse().ok()
}

/// Whether process `pid` exists. Only Linux's process table is consulted;
/// elsewhere every writer counts as running, so nothing is taken from it.
fn process_is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    // Without a mounted /proc (some containers) nothing can be told apart.
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Reads and checks the `oci-layout` marker.
async fn read_marker(path: &Path) -> Result<(), Error> {
    let text = tokio::fs::read(path)
        .await
        .map_err(Error::io("cannot read", path))?;
    let marker: LayoutMarker = serde_json::from_slice(&text).map_err(|source| Error::MalformedFile {
        path: path.to_path_buf(),
        source,
    })?;
    if marker.image_layout_version.split('.').next() != Some("1") {
        return Err(Error::UnsupportedLayoutVersion {
            path: path.to_path_buf(),
            version: marker.image_layout_version,
        });
    }
    Ok(())
}

/// Replaces `path` with `content` so that readers see the old or the new
/// file, never a mix: temp file beside it, fsync, rename.
async fn write_atomically(path: &Path, content: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = TempFile::new(temp_path(dir, &name));
    let mut file = tokio::fs::File::from_std(create_temp_file(temp.path())?);
    file.write_all(content)
        .await
        .map_err(Error::io("cannot write", temp.path()))?;
    file.sync_all()
        .await
        .map_err(Error::io("cannot sync", temp.path()))?;
    drop(file);
    tokio::fs::rename(temp.path(), path)
        .await
        .map_err(Error::io("cannot move into place", path))?;
    temp.disarm();
    Ok(())
}
