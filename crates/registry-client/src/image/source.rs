//! What the engine reads an image from: the [`ImageSource`] trait, and its
//! registry and OCI-layout implementations.
//!
//! A new place images live (an archive, say) implements this trait and gets
//! copy and convert from the engine unchanged.

use std::fmt;

use futures_util::future::BoxFuture;
use oci_digest::Digest;
use oci_manifest::{Descriptor, MediaType, Reference};

use super::{ManifestData, VerifiedBlob};
use crate::layout::{LayoutTag, OciLayout};
use crate::{Client, Error, RepositoryRef};

/// Where the engine reads an image from.
///
/// Every manifest and blob a source hands out is checked against its
/// digest: manifests before they are returned, blobs as they are read (a
/// [`VerifiedBlob`]).
pub trait ImageSource: Send + Sync + fmt::Display {
    /// The manifest the source names (a list or index, or an image
    /// manifest), exactly as stored.
    fn top_manifest(&self) -> BoxFuture<'_, Result<ManifestData, Error>>;

    /// The manifest `entry` of a list or index points at, verified against
    /// its digest; its media type is the entry's.
    fn child_manifest<'a>(&'a self, entry: &'a Descriptor) -> BoxFuture<'a, Result<ManifestData, Error>>;

    /// Opens blob `digest` for reading; `size` is what the manifest says
    /// (`None` where it does not say, as in schema1) and is enforced.
    fn blob<'a>(
        &'a self,
        digest: &'a Digest,
        size: Option<u64>,
    ) -> BoxFuture<'a, Result<VerifiedBlob, Error>>;

    /// A registry repository that holds the source's blobs, which a
    /// destination on the same registry can mount from instead of receiving
    /// the bytes.
    fn mount_hint(&self) -> Option<&RepositoryRef> {
        None
    }
}

/// An image on a registry, by tag or digest.
#[derive(Debug, Clone)]
pub struct RegistrySource {
    client: Client,
    reference: Reference,
    repository: RepositoryRef,
}

impl RegistrySource {
    /// The image `reference` names, read through `client`.
    pub fn new(client: &Client, reference: &Reference) -> RegistrySource {
        RegistrySource {
            client: client.clone(),
            reference: reference.clone(),
            repository: RepositoryRef::from(reference),
        }
    }
}

impl fmt::Display for RegistrySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reference)
    }
}

impl ImageSource for RegistrySource {
    fn top_manifest(&self) -> BoxFuture<'_, Result<ManifestData, Error>> {
        Box::pin(async move {
            let fetched = self.client.get_manifest(&self.reference).await?;
            Ok(ManifestData::new(
                fetched.media_type().clone(),
                fetched.digest().clone(),
                fetched.into_bytes(),
            ))
        })
    }

    fn child_manifest<'a>(&'a self, entry: &'a Descriptor) -> BoxFuture<'a, Result<ManifestData, Error>> {
        Box::pin(async move {
            let by_digest = self.reference.with_digest(entry.digest().clone())?;
            let fetched = self.client.get_manifest(&by_digest).await?;
            // The entry's type is what the list promised; the registry's may be vaguer.
            Ok(ManifestData::new(
                entry.media_type().clone(),
                fetched.digest().clone(),
                fetched.into_bytes(),
            ))
        })
    }

    fn blob<'a>(
        &'a self,
        digest: &'a Digest,
        size: Option<u64>,
    ) -> BoxFuture<'a, Result<VerifiedBlob, Error>> {
        Box::pin(async move {
            let stream = self.client.get_blob(&self.repository, digest).await?;
            let size = match size.or(stream.size()) {
                Some(size) => size,
                // Neither the manifest nor the response says; ask once.
                None => self
                    .client
                    .blob_size(&self.repository, digest)
                    .await?
                    .ok_or_else(|| Error::InvalidResponse {
                        url: format!("{}@{digest}", self.repository),
                        problem: "the registry does not say how large the blob is".to_owned(),
                    })?,
            };
            Ok(VerifiedBlob::from_stream(digest, size, stream))
        })
    }

    fn mount_hint(&self) -> Option<&RepositoryRef> {
        Some(&self.repository)
    }
}

/// The media type of a manifest read from a layout: the type its bytes show (their
/// `mediaType`, or their shape), whatever the descriptor that led to it says, since the bytes
/// are what will be stored and served; the descriptor's only when the bytes do not tell and it
/// names a manifest type.
pub(crate) fn manifest_type(descriptor: &Descriptor, bytes: &[u8]) -> Result<MediaType, Error> {
    match oci_manifest::guess_media_type(bytes) {
        Some(shown) => {
            if &shown != descriptor.media_type() {
                tracing::debug!(
                    digest = %descriptor.digest(),
                    declared = %descriptor.media_type(),
                    shown = %shown,
                    "the descriptor's media type is not the manifest's; using the manifest's"
                );
            }
            Ok(shown)
        }
        None if descriptor.media_type().is_manifest() => Ok(descriptor.media_type().clone()),
        None => Err(Error::UnknownManifestType {
            digest: descriptor.digest().clone(),
            declared: descriptor.media_type().clone(),
        }),
    }
}

/// Fails when a local source holds `actual` bytes of blob `digest` where its descriptor
/// says `expected` (when it says).
pub(crate) fn check_size(digest: &Digest, expected: Option<u64>, actual: u64) -> Result<(), Error> {
    match expected {
        Some(expected) if expected != actual => Err(Error::SourceSize {
            digest: digest.clone(),
            expected,
            actual,
        }),
        _ => Ok(()),
    }
}

/// An image in an OCI image layout: the entry with a tag, or the only entry.
#[derive(Debug, Clone)]
pub struct LayoutSource {
    layout: OciLayout,
    tag: Option<LayoutTag>,
}

impl LayoutSource {
    /// The image `tag` names in `layout` (the only image when `None`).
    pub fn new(layout: &OciLayout, tag: Option<&LayoutTag>) -> LayoutSource {
        LayoutSource {
            layout: layout.clone(),
            tag: tag.cloned(),
        }
    }
}

impl fmt::Display for LayoutSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::location::fmt_layout(f, &self.layout, self.tag.as_ref())
    }
}

impl ImageSource for LayoutSource {
    fn top_manifest(&self) -> BoxFuture<'_, Result<ManifestData, Error>> {
        Box::pin(async move {
            let (descriptor, bytes) = self.layout.manifest(self.tag.as_ref()).await?;
            let media_type = manifest_type(&descriptor, &bytes)?;
            Ok(ManifestData::new(
                media_type,
                descriptor.digest().clone(),
                bytes.into(),
            ))
        })
    }

    fn child_manifest<'a>(&'a self, entry: &'a Descriptor) -> BoxFuture<'a, Result<ManifestData, Error>> {
        Box::pin(async move {
            let bytes = self
                .layout
                .read_blob(entry.digest(), oci_manifest::DEFAULT_MAX_MANIFEST_SIZE)
                .await?;
            let media_type = manifest_type(entry, &bytes)?;
            Ok(ManifestData::new(
                media_type,
                entry.digest().clone(),
                bytes.into(),
            ))
        })
    }

    fn blob<'a>(
        &'a self,
        digest: &'a Digest,
        size: Option<u64>,
    ) -> BoxFuture<'a, Result<VerifiedBlob, Error>> {
        Box::pin(async move {
            let reader = self.layout.open_blob(digest).await?;
            check_size(digest, size, reader.len())?;
            Ok(VerifiedBlob::from_layout(reader))
        })
    }
}
