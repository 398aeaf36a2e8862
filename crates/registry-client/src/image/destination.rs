//! What the engine writes an image to: the [`ImageDestination`] trait, and
//! its registry and OCI-layout implementations.
//!
//! A destination answers four questions — does it have a blob, can it link
//! one from a repository instead of receiving it, take this blob's bytes,
//! store this manifest — and the engine (`copier`, `transfer`) decides
//! everything else, the same way for every destination.

use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;
use oci_digest::Digest;
use oci_manifest::{Descriptor, MediaType, Reference};

use super::{ComputedBlob, LayerCompression, ManifestData, VerifiedBlob};
use crate::layout::{create_temp_file, temp_path, TempFile};
use crate::layout::{LayoutTag, OciLayout};
use crate::uploads::{BlobUpload, UploadStart};
use crate::{Client, Error, RepositoryRef};

/// Blobs up to this size are received whole into memory before they are
/// written to a layout (one visit to the blocking pool instead of one per
/// file operation).
pub(crate) const SMALL_BLOB: u64 = 256 * 1024;

/// How a destination began receiving one blob.
#[must_use = "an open blob is written or cancelled"]
pub enum BlobStart {
    /// It linked the blob from the repository named for a mount; nothing to send.
    Mounted,
    /// It is ready for the bytes.
    Open(Box<dyn BlobSink>),
}

impl fmt::Debug for BlobStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlobStart::Mounted => "Mounted",
            BlobStart::Open(_) => "Open",
        })
    }
}

/// One blob a destination is ready to receive: written once, or cancelled.
pub trait BlobSink: Send {
    /// Receives the content and commits it; nothing is committed unless the
    /// content reached its end verified.
    fn write(self: Box<Self>, blob: VerifiedBlob) -> BoxFuture<'static, Result<(), Error>>;

    /// Abandons the blob (best effort).
    fn cancel(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// Which manifest of a copy is being stored.
#[derive(Debug, Clone, Copy)]
pub enum ManifestRole<'a> {
    /// A platform's manifest under a list or index: stored by digest only.
    Child,
    /// The manifest the destination names; `chosen` is the list entry it
    /// was picked from, if it was.
    Top {
        /// The list or index entry (with its platform) the image came from.
        chosen: Option<&'a Descriptor>,
    },
}

/// Where the engine writes an image.
pub trait ImageDestination: Send + Sync + fmt::Display {
    /// Refuses a manifest format the destination cannot store, before
    /// anything is written.
    fn accepts(&self, media_type: &MediaType) -> Result<(), Error> {
        let _ = media_type;
        Ok(())
    }

    /// Work before a copy starts, done while the source is read (a layout sweeps what a
    /// killed writer left; a registry is pinged). An error ends the copy: a destination that
    /// does not answer is reported once, not again by each blob check.
    fn prepare(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }

    /// Whether the destination holds blob `digest` already.
    fn has_blob<'a>(&'a self, digest: &'a Digest) -> BoxFuture<'a, Result<bool, Error>>;

    /// Whether a blob can be linked from `repository` instead of sent.
    fn can_mount_from(&self, repository: &RepositoryRef) -> bool {
        let _ = repository;
        false
    }

    /// Whether [`start_blob`](Self::start_blob)`(digest, from)` may link the blob instead of
    /// opening an upload. The copier opens the source beside the upload only when it may not:
    /// a mount makes the download needless.
    fn may_mount(&self, digest: &Digest, from: Option<&RepositoryRef>) -> bool {
        let _ = digest;
        from.is_some()
    }

    /// Begins receiving blob `digest`: links it from `mount_from` when that
    /// is given and the destination can, else opens it for the bytes.
    fn start_blob<'a>(
        &'a self,
        digest: &'a Digest,
        mount_from: Option<&'a RepositoryRef>,
    ) -> BoxFuture<'a, Result<BlobStart, Error>>;

    /// How often a blob whose write broke (a lost connection, an expired
    /// token) is started again; none for local destinations.
    fn max_restarts(&self) -> u32 {
        0
    }

    /// How long to wait before restart number `attempt` (from 0).
    fn restart_delay(&self, attempt: u32) -> Duration {
        let _ = attempt;
        Duration::ZERO
    }

    /// Stores `manifest` and returns the digest the destination holds it by.
    fn put_manifest<'a>(
        &'a self,
        manifest: &'a ManifestData,
        role: ManifestRole<'a>,
    ) -> BoxFuture<'a, Result<Digest, Error>>;

    /// The packing the destination stores every layer in, whatever it is given (a
    /// docker-archive stores plain tars), if it has one: the engine then refuses a
    /// recompression to another packing, and counts the layers packed otherwise as changed
    /// when digests are to be preserved.
    fn layer_packing(&self) -> Option<LayerCompression> {
        None
    }

    /// Receives a blob whose digest is known only at its end (a layer recompressed on the
    /// way) and commits it under that digest, which it returns with the size; nothing is
    /// committed unless the content reached its end. There is no presence check and no
    /// mount: there is no digest to ask by before the bytes.
    ///
    /// By default the content is spooled to a temp file, hashed, and then written as any
    /// other blob ([`has_blob`](Self::has_blob), [`start_blob`](Self::start_blob)); a
    /// registry streams it into an upload instead and a layout writes it in place.
    fn put_computed_blob(&self, blob: ComputedBlob) -> BoxFuture<'_, Result<(Digest, u64), Error>> {
        Box::pin(spool_computed(self, blob))
    }
}

/// [`ImageDestination::put_computed_blob`] for a destination that must know a blob's
/// digest before its bytes: the content goes to a temp file first.
async fn spool_computed<D: ImageDestination + ?Sized>(
    destination: &D,
    mut blob: ComputedBlob,
) -> Result<(Digest, u64), Error> {
    use tokio::io::AsyncWriteExt as _;

    let dir = std::env::temp_dir();
    let temp = TempFile::new(temp_path(&dir, "spool"));
    let mut file = tokio::fs::File::from_std(create_temp_file(temp.path())?);
    while let Some(chunk) = blob.next_chunk().await {
        file.write_all(&chunk?)
            .await
            .map_err(Error::io("cannot write", temp.path()))?;
    }
    file.flush()
        .await
        .map_err(Error::io("cannot write", temp.path()))?;
    drop(file);
    let (digest, size) = blob.computed().ok_or(Error::RecompressStopped)?;
    if destination.has_blob(&digest).await? {
        return Ok((digest, size));
    }
    if let BlobStart::Open(sink) = destination.start_blob(&digest, None).await? {
        let file = tokio::fs::File::open(temp.path())
            .await
            .map_err(Error::io("cannot open", temp.path()))?;
        sink.write(VerifiedBlob::hashing(file, &digest, size)?).await?;
    }
    Ok((digest, size))
}

/// A repository on a registry, with the tag or digest the top manifest gets.
#[derive(Debug, Clone)]
pub struct RegistryDestination {
    client: Client,
    reference: Reference,
    repository: RepositoryRef,
}

impl RegistryDestination {
    /// Writes to `reference`'s repository through `client`.
    pub fn new(client: &Client, reference: &Reference) -> RegistryDestination {
        RegistryDestination {
            client: client.clone(),
            reference: reference.clone(),
            repository: RepositoryRef::from(reference),
        }
    }

    /// Writes blobs to `repository` through `client` (a manifest stored as the top one would
    /// go under `latest`, the default tag): where [`put_file`](super::put_file) sends a blob
    /// that belongs to no image.
    pub fn for_repository(client: &Client, repository: &RepositoryRef) -> Result<RegistryDestination, Error> {
        let reference =
            Reference::from_parts(repository.registry(), repository.repository().clone(), None, None)?;
        Ok(RegistryDestination::new(client, &reference))
    }

    /// The reference the top manifest is stored under.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }
}

impl fmt::Display for RegistryDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reference)
    }
}

/// An upload the registry opened.
struct RegistrySink {
    client: Client,
    repository: RepositoryRef,
    digest: Digest,
    upload: BlobUpload,
}

impl BlobSink for RegistrySink {
    fn write(self: Box<Self>, blob: VerifiedBlob) -> BoxFuture<'static, Result<(), Error>> {
        Box::pin(async move {
            let RegistrySink {
                client,
                repository,
                digest,
                upload,
            } = *self;
            client
                .finish_blob_upload(&repository, &digest, blob, upload)
                .await
        })
    }

    fn cancel(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            self.client
                .cancel_blob_upload(&self.repository, self.upload)
                .await;
        })
    }
}

impl ImageDestination for RegistryDestination {
    /// Pings the registry, so that its scheme and challenge are known before the first blob
    /// check needs them. A registry that does not answer ends the copy here, after one
    /// reach timeout, instead of a second wait in the first blob check.
    fn prepare(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.client.ping(self.repository.registry()))
    }

    fn has_blob<'a>(&'a self, digest: &'a Digest) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move { Ok(self.client.blob_size(&self.repository, digest).await?.is_some()) })
    }

    /// Another repository of the same registry.
    fn can_mount_from(&self, repository: &RepositoryRef) -> bool {
        repository.api_host() == self.repository.api_host() && *repository != self.repository
    }

    fn start_blob<'a>(
        &'a self,
        digest: &'a Digest,
        mount_from: Option<&'a RepositoryRef>,
    ) -> BoxFuture<'a, Result<BlobStart, Error>> {
        Box::pin(async move {
            let mount_from = mount_from.filter(|from| self.can_mount_from(from));
            Ok(
                match self
                    .client
                    .start_blob_upload(&self.repository, digest, mount_from)
                    .await?
                {
                    UploadStart::Mounted => BlobStart::Mounted,
                    UploadStart::Open(upload) => BlobStart::Open(Box::new(RegistrySink {
                        client: self.client.clone(),
                        repository: self.repository.clone(),
                        digest: digest.clone(),
                        upload,
                    })),
                },
            )
        })
    }

    // distribution discards an upload whose connection broke, so there is
    // nothing to resume: a broken upload is started again from a fresh read
    // of the source. The registry checks the digest on commit, so a partial
    // upload can never be committed under it.
    fn max_restarts(&self) -> u32 {
        self.client.max_retries()
    }

    fn restart_delay(&self, attempt: u32) -> Duration {
        self.client.retry_backoff(attempt)
    }

    /// Streamed into an upload: `POST`, `PATCH`, then `PUT ?digest=` once it is known.
    fn put_computed_blob(&self, blob: ComputedBlob) -> BoxFuture<'_, Result<(Digest, u64), Error>> {
        Box::pin(self.client.push_computed_blob(&self.repository, blob))
    }

    fn put_manifest<'a>(
        &'a self,
        manifest: &'a ManifestData,
        role: ManifestRole<'a>,
    ) -> BoxFuture<'a, Result<Digest, Error>> {
        Box::pin(async move {
            let target = match role {
                ManifestRole::Child => self.reference.with_digest(manifest.digest().clone())?,
                ManifestRole::Top { .. } => self.reference.clone(),
            };
            self.client
                .put_manifest(&target, manifest.media_type(), manifest.bytes().clone())
                .await
        })
    }
}

/// An OCI image layout, with the tag the top manifest gets (untagged when none).
#[derive(Debug, Clone)]
pub struct LayoutDestination {
    layout: OciLayout,
    tag: Option<LayoutTag>,
}

impl LayoutDestination {
    /// Writes into `layout`, naming the image `tag` (an untagged entry when `None`).
    pub fn new(layout: &OciLayout, tag: Option<&LayoutTag>) -> LayoutDestination {
        LayoutDestination {
            layout: layout.clone(),
            tag: tag.cloned(),
        }
    }
}

impl fmt::Display for LayoutDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::location::fmt_layout(f, &self.layout, self.tag.as_ref())
    }
}

/// A blob about to be written into a layout.
struct LayoutSink {
    layout: OciLayout,
}

impl BlobSink for LayoutSink {
    fn write(self: Box<Self>, blob: VerifiedBlob) -> BoxFuture<'static, Result<(), Error>> {
        Box::pin(async move {
            let layout = self.layout;
            let digest = blob.digest().clone();
            if blob.size() <= SMALL_BLOB {
                // Whole in memory, verified on the way, then one trip to the
                // blocking pool: small blobs are bound by round trips, not bytes.
                let content = blob.into_bytes().await?;
                layout.write_verified_blob(&digest, content).await?;
                return Ok(());
            }
            // The blob verifies itself, so the writer does not hash again: the
            // blob ends in an error instead of its end when the content is not
            // the digest's, and the dropped writer then removes the temp file.
            let (mut writer, mut blob) = layout.blob_writer_for(blob).await?;
            while let Some(chunk) = blob.next_chunk().await {
                writer.write_bytes(chunk?).await?;
            }
            writer.commit().await?;
            Ok(())
        })
    }

    fn cancel(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

impl ImageDestination for LayoutDestination {
    fn accepts(&self, media_type: &MediaType) -> Result<(), Error> {
        if media_type.is_schema1() {
            return Err(Error::UnsupportedInLayout {
                media_type: media_type.clone(),
            });
        }
        Ok(())
    }

    /// Sweeps what an earlier, killed transfer left behind. A sweep that fails is logged,
    /// not fatal: the temp files it missed do not stop this copy.
    fn prepare(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            match self.layout.remove_orphaned_temp_files().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(removed = n, "removed temp files of exited writers"),
                Err(error) => tracing::debug!(%error, "could not sweep temp files"),
            }
            Ok(())
        })
    }

    fn has_blob<'a>(&'a self, digest: &'a Digest) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move { self.layout.has_blob(digest).await })
    }

    /// Written to a temp file in the layout's root and renamed to its digest at its end.
    fn put_computed_blob(&self, blob: ComputedBlob) -> BoxFuture<'_, Result<(Digest, u64), Error>> {
        Box::pin(self.layout.write_computed_blob(blob))
    }

    fn start_blob<'a>(
        &'a self,
        digest: &'a Digest,
        _mount_from: Option<&'a RepositoryRef>,
    ) -> BoxFuture<'a, Result<BlobStart, Error>> {
        Box::pin(async move {
            // The blob's directory exists before any of its bytes arrive.
            self.layout.make_blob_dir(digest).await?;
            Ok(BlobStart::Open(Box::new(LayoutSink {
                layout: self.layout.clone(),
            })))
        })
    }

    fn put_manifest<'a>(
        &'a self,
        manifest: &'a ManifestData,
        role: ManifestRole<'a>,
    ) -> BoxFuture<'a, Result<Digest, Error>> {
        Box::pin(async move {
            self.layout
                .write_blob(manifest.digest(), manifest.bytes())
                .await?;
            if let ManifestRole::Top { chosen } = role {
                let mut entry = manifest.descriptor();
                if let Some(platform) = chosen.and_then(Descriptor::platform) {
                    entry = entry.with_platform(platform.clone());
                }
                match &self.tag {
                    Some(tag) => self.layout.set_tag(tag, entry).await?,
                    None => self.layout.add_untagged(entry).await?,
                }
            }
            Ok(manifest.digest().clone())
        })
    }
}
