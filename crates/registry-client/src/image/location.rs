//! Where an image lives (a registry or a layout), and reading its manifests
//! from either place the same way.

use std::fmt;

use bytes::Bytes;
use oci_digest::Digest;
use oci_manifest::{Descriptor, Manifest, MediaType, Reference};

use super::ImageError;
use crate::layout::{LayoutError, LayoutRef, LayoutTag, OciLayout, MANIFEST_LIMIT};
use crate::{Client, RepositoryRef};

/// An image's address: a reference on a registry, or an entry of an OCI
/// image layout (by tag, or the only entry when no tag is given).
#[derive(Debug, Clone)]
pub enum ImageLocation {
    /// `[docker://]HOST[:PORT]/NAME[:TAG][@DIGEST]`.
    Registry(Reference),
    /// `oci:DIR[:TAG]`.
    Layout {
        /// The layout.
        layout: OciLayout,
        /// The tag inside it.
        tag: Option<LayoutTag>,
    },
}

impl ImageLocation {
    /// The image `reference` names in an existing layout (a source).
    pub async fn open_layout(reference: &LayoutRef) -> Result<ImageLocation, LayoutError> {
        Ok(ImageLocation::Layout {
            layout: OciLayout::open(reference.dir()).await?,
            tag: reference.tag().cloned(),
        })
    }

    /// The image `reference` names in a layout that is created when missing
    /// (a destination).
    pub async fn create_layout(reference: &LayoutRef) -> Result<ImageLocation, LayoutError> {
        Ok(ImageLocation::Layout {
            layout: OciLayout::create(reference.dir()).await?,
            tag: reference.tag().cloned(),
        })
    }

    /// The registry repository, when the image is on a registry.
    pub(crate) fn repository(&self) -> Option<RepositoryRef> {
        match self {
            ImageLocation::Registry(reference) => Some(RepositoryRef::from(reference)),
            ImageLocation::Layout { .. } => None,
        }
    }

    /// The manifest the location names, exactly as stored.
    pub(crate) async fn top_manifest(&self, client: &Client) -> Result<ManifestData, ImageError> {
        match self {
            ImageLocation::Registry(reference) => {
                let fetched = client.get_manifest(reference).await?;
                Ok(ManifestData {
                    media_type: fetched.media_type().clone(),
                    digest: fetched.digest().clone(),
                    bytes: fetched.into_bytes(),
                })
            }
            ImageLocation::Layout { layout, tag } => {
                let (descriptor, bytes) = layout.manifest(tag.as_ref()).await?;
                Ok(ManifestData {
                    media_type: descriptor.media_type().clone(),
                    digest: descriptor.digest().clone(),
                    bytes: bytes.into(),
                })
            }
        }
    }

    /// The manifest `entry` of a list or index points at, verified against its digest.
    pub(crate) async fn child_manifest(
        &self,
        client: &Client,
        entry: &Descriptor,
    ) -> Result<ManifestData, ImageError> {
        match self {
            ImageLocation::Registry(reference) => {
                let by_digest = reference
                    .with_digest(entry.digest().clone())
                    .map_err(crate::Error::from)?;
                let fetched = client.get_manifest(&by_digest).await?;
                Ok(ManifestData {
                    // The entry's type is what the list promised; the registry's may be vaguer.
                    media_type: entry.media_type().clone(),
                    digest: fetched.digest().clone(),
                    bytes: fetched.into_bytes(),
                })
            }
            ImageLocation::Layout { layout, .. } => {
                let bytes = layout.read_blob(entry.digest(), MANIFEST_LIMIT).await?;
                Ok(ManifestData {
                    media_type: entry.media_type().clone(),
                    digest: entry.digest().clone(),
                    bytes: bytes.into(),
                })
            }
        }
    }
}

impl fmt::Display for ImageLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageLocation::Registry(reference) => write!(f, "{reference}"),
            ImageLocation::Layout { layout, tag: None } => write!(f, "oci:{}", layout.root().display()),
            ImageLocation::Layout {
                layout,
                tag: Some(tag),
            } => {
                write!(f, "oci:{}:{tag}", layout.root().display())
            }
        }
    }
}

/// A manifest's exact bytes with its media type and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestData {
    bytes: Bytes,
    media_type: MediaType,
    digest: Digest,
}

impl ManifestData {
    /// The bytes, unchanged.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The media type.
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// The digest (for signed schema1: of the signed payload).
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Parses the bytes as the format their media type names.
    pub fn parse(&self) -> Result<Manifest, ImageError> {
        Manifest::parse(&self.bytes, Some(self.media_type.as_str())).map_err(|source| ImageError::Manifest {
            digest: self.digest.clone(),
            source: Box::new(source),
        })
    }

    /// The same manifest under the digest a destination reported for it.
    pub(crate) fn with_digest(&self, digest: Digest) -> ManifestData {
        ManifestData {
            digest,
            ..self.clone()
        }
    }

    /// A descriptor of this manifest (for a layout's `index.json`).
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.media_type.clone(),
            self.digest.clone(),
            self.bytes.len() as u64,
        )
    }
}
