//! Getting blobs from the source repository into the destination one with as
//! little traffic as the registries allow: nothing when the destination has
//! the blob, a cross-repository mount within one registry, else a verified
//! download staged in a temporary file and an upload from it.

use oci_digest::Digest;
use registry_client::image::{BlobOutcome as BlobPush, VerifiedBlob};
use registry_client::{Client, RepositoryRef};
use tempfile::NamedTempFile;

use crate::{scan_layer, Error, LayerSummary};

/// A blob downloaded and verified, held in a temporary file removed on drop.
///
/// Staging keeps memory constant whatever the blob's size, and lets one
/// download serve both the layer scan and the upload.
pub(super) struct Staged {
    digest: Digest,
    file: NamedTempFile,
    size: u64,
}

impl Staged {
    /// Reads the staged blob once: its diffID, compression and sizes. The
    /// scan checks the digest again, so a file corrupted on disk is caught.
    pub(super) async fn scan(&self) -> Result<LayerSummary, Error> {
        let file = self.reopen()?;
        let digest = self.digest.clone();
        tokio::task::spawn_blocking(move || scan_layer(std::io::BufReader::new(file), &digest))
            .await
            .map_err(|join| Error::Staging {
                blob: self.digest.clone(),
                source: std::io::Error::other(join),
            })?
    }

    /// A fresh handle with its own read position at the start.
    fn reopen(&self) -> Result<std::fs::File, Error> {
        self.file.reopen().map_err(|source| Error::Staging {
            blob: self.digest.clone(),
            source,
        })
    }
}

/// Moves blobs from one repository to another.
pub(super) struct BlobMover<'a> {
    client: &'a Client,
    source: RepositoryRef,
    destination: RepositoryRef,
}

impl<'a> BlobMover<'a> {
    pub(super) fn new(
        client: &'a Client,
        source: RepositoryRef,
        destination: RepositoryRef,
    ) -> BlobMover<'a> {
        BlobMover {
            client,
            source,
            destination,
        }
    }

    /// The repository to mount from: the source, when it is another
    /// repository of the destination's registry.
    fn mount_source(&self) -> Option<&RepositoryRef> {
        let same_registry = self.source.registry() == self.destination.registry();
        (same_registry && self.source != self.destination).then_some(&self.source)
    }

    /// Wraps a registry failure with what was being done to which blob.
    fn registry_error(
        operation: &'static str,
        repository: &RepositoryRef,
        digest: &Digest,
    ) -> impl FnOnce(registry_client::Error) -> Error {
        let subject = format!("{repository}@{digest}");
        move |source| Error::Registry {
            operation,
            subject,
            source: Box::new(source),
        }
    }

    /// Makes the destination hold blob `digest` without reading it when the
    /// registry allows; otherwise downloads it (verified) and uploads it.
    pub(super) async fn copy(&self, digest: &Digest) -> Result<BlobPush, Error> {
        let present = self
            .client
            .blob_size(&self.destination, digest)
            .await
            .map_err(Self::registry_error("checking", &self.destination, digest))?;
        if present.is_some() {
            return Ok(BlobPush::AlreadyPresent);
        }
        let staged = self.stage(digest).await?;
        self.upload(&staged).await
    }

    /// Downloads blob `digest` from the source into a temporary file; the
    /// download is verified against the digest as it streams.
    pub(super) async fn stage(&self, digest: &Digest) -> Result<Staged, Error> {
        let staging_error = |source| Error::Staging {
            blob: digest.clone(),
            source,
        };
        let file = NamedTempFile::new().map_err(staging_error)?;
        let mut writer = tokio::fs::File::from_std(file.reopen().map_err(staging_error)?);
        let stream = self
            .client
            .get_blob(&self.source, digest)
            .await
            .map_err(Self::registry_error("downloading", &self.source, digest))?;
        let size = stream.write_to(&mut writer).await.map_err(Self::registry_error(
            "downloading",
            &self.source,
            digest,
        ))?;
        Ok(Staged {
            digest: digest.clone(),
            file,
            size,
        })
    }

    /// Makes the destination hold a staged blob: nothing when it has it, a
    /// mount when it can, else an upload from the staged file.
    pub(super) async fn upload(&self, staged: &Staged) -> Result<BlobPush, Error> {
        let reader = tokio::fs::File::from_std(staged.reopen()?);
        let digest = &staged.digest;
        let blob = VerifiedBlob::hashing(reader, digest, staged.size).map_err(Self::registry_error(
            "uploading",
            &self.destination,
            digest,
        ))?;
        self.client
            .push_blob(&self.destination, blob, self.mount_source())
            .await
            .map_err(Self::registry_error("uploading", &self.destination, digest))
    }

    /// Uploads small in-memory content (a config, the empty layer) unless the
    /// destination has it; returns its digest.
    pub(super) async fn put_bytes(&self, bytes: Vec<u8>) -> Result<Digest, Error> {
        let digest = Digest::sha256(&bytes);
        self.client
            .push_blob_bytes(&self.destination, bytes)
            .await
            .map_err(Self::registry_error("uploading", &self.destination, &digest))
    }
}
