//! Where an image lives (a registry, a layout, an archive), and reading its
//! manifests from any place the same way.

use std::fmt;

use bytes::Bytes;
use oci_digest::Digest;
use oci_manifest::{Descriptor, Manifest, MediaType, Reference};

use super::destination::{ImageDestination, LayoutDestination, RegistryDestination};
use super::docker_archive::{DockerArchiveDestination, DockerArchiveSource};
use super::oci_archive::{OciArchiveDestination, OciArchiveSource};
use super::source::{ImageSource, LayoutSource, RegistrySource};
use super::ImageName;
use crate::archive::{DockerArchiveRef, OciArchiveRef};
use crate::layout::{LayoutRef, LayoutTag, OciLayout};
use crate::{Client, Error};

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
    /// `docker-archive:FILE[:NAME:TAG|:@N]`: read where it is, written to a
    /// temp file beside it that replaces it once complete.
    DockerArchive(DockerArchiveRef),
    /// `oci-archive:FILE[:TAG]`: likewise.
    OciArchive(OciArchiveRef),
}

impl ImageLocation {
    /// The image `name` names, to read from: a registry reference as it is, a
    /// layout opened (it must exist), an archive as named (it is read when the
    /// engine first asks).
    pub async fn open(name: &ImageName) -> Result<ImageLocation, Error> {
        match name {
            ImageName::Registry(reference) => Ok(ImageLocation::Registry(reference.clone())),
            ImageName::Layout(layout) => Ok(ImageLocation::open_layout(layout).await?),
            ImageName::DockerArchive(archive) => Ok(ImageLocation::DockerArchive(archive.clone())),
            ImageName::OciArchive(archive) => Ok(ImageLocation::OciArchive(archive.clone())),
        }
    }

    /// The image `name` names, to write to: a registry reference as it is, a
    /// layout created when missing, an archive as named (written to a temp file
    /// beside it once the engine sends the first blob, renamed over it at the end).
    pub async fn create(name: &ImageName) -> Result<ImageLocation, Error> {
        match name {
            ImageName::Registry(reference) => Ok(ImageLocation::Registry(reference.clone())),
            ImageName::Layout(layout) => Ok(ImageLocation::create_layout(layout).await?),
            ImageName::DockerArchive(archive) => Ok(ImageLocation::DockerArchive(archive.clone())),
            ImageName::OciArchive(archive) => Ok(ImageLocation::OciArchive(archive.clone())),
        }
    }

    /// The image `reference` names in an existing layout (a source).
    pub async fn open_layout(reference: &LayoutRef) -> Result<ImageLocation, Error> {
        Ok(ImageLocation::Layout {
            layout: OciLayout::open(reference.dir()).await?,
            tag: reference.tag().cloned(),
        })
    }

    /// The image `reference` names in a layout that is created when missing
    /// (a destination).
    pub async fn create_layout(reference: &LayoutRef) -> Result<ImageLocation, Error> {
        Ok(ImageLocation::Layout {
            layout: OciLayout::create(reference.dir()).await?,
            tag: reference.tag().cloned(),
        })
    }

    /// The same place under another tag: the reference's repository tagged `tag`, or the
    /// same layout with the image named `tag` (each transport's tag grammar applies). An
    /// archive is written whole, so it takes no more tags in place.
    pub fn with_tag(&self, tag: &str) -> Result<ImageLocation, Error> {
        Ok(match self {
            ImageLocation::Registry(reference) => {
                ImageLocation::Registry(crate::RepositoryRef::from(reference).tagged(tag)?)
            }
            ImageLocation::Layout { layout, .. } => ImageLocation::Layout {
                layout: layout.clone(),
                tag: Some(tag.parse()?),
            },
            ImageLocation::DockerArchive(archive) => return Err(untaggable(archive.path(), tag)),
            ImageLocation::OciArchive(archive) => return Err(untaggable(archive.path(), tag)),
        })
    }

    /// The engine's source for this location.
    pub fn source(&self, client: &Client) -> Box<dyn ImageSource> {
        match self {
            ImageLocation::Registry(reference) => Box::new(RegistrySource::new(client, reference)),
            ImageLocation::Layout { layout, tag } => Box::new(LayoutSource::new(layout, tag.as_ref())),
            ImageLocation::DockerArchive(archive) => Box::new(DockerArchiveSource::new(archive)),
            ImageLocation::OciArchive(archive) => Box::new(OciArchiveSource::new(archive)),
        }
    }

    /// The engine's destination for this location.
    pub fn destination(&self, client: &Client) -> Box<dyn ImageDestination> {
        match self {
            ImageLocation::Registry(reference) => Box::new(RegistryDestination::new(client, reference)),
            ImageLocation::Layout { layout, tag } => Box::new(LayoutDestination::new(layout, tag.as_ref())),
            ImageLocation::DockerArchive(archive) => Box::new(DockerArchiveDestination::new(archive)),
            ImageLocation::OciArchive(archive) => Box::new(OciArchiveDestination::new(archive)),
        }
    }
}

impl fmt::Display for ImageLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageLocation::Registry(reference) => write!(f, "{reference}"),
            ImageLocation::Layout { layout, tag } => fmt_layout(f, layout, tag.as_ref()),
            ImageLocation::DockerArchive(archive) => write!(f, "{archive}"),
            ImageLocation::OciArchive(archive) => write!(f, "{archive}"),
        }
    }
}

/// The refusal to tag an image inside an archive.
fn untaggable(path: &std::path::Path, tag: &str) -> Error {
    Error::ArchiveCannotHold {
        path: path.to_path_buf(),
        what: format!("tag {tag:?}"),
        reason: "an archive is written whole, not tagged in place: copy the image into a new archive under the tag",
    }
}

/// `oci:DIR[:TAG]`.
pub(crate) fn fmt_layout(
    f: &mut fmt::Formatter<'_>,
    layout: &OciLayout,
    tag: Option<&LayoutTag>,
) -> fmt::Result {
    match tag {
        None => write!(f, "oci:{}", layout.root().display()),
        Some(tag) => write!(f, "oci:{}:{tag}", layout.root().display()),
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
    /// `bytes` as a manifest of `media_type` whose digest is `digest` (for
    /// signed schema1: of the signed payload); the caller has checked it.
    pub(crate) fn new(media_type: MediaType, digest: Digest, bytes: Bytes) -> ManifestData {
        ManifestData {
            bytes,
            media_type,
            digest,
        }
    }

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
    pub fn parse(&self) -> Result<Manifest, Error> {
        Manifest::parse(&self.bytes, Some(self.media_type.as_str())).map_err(|source| {
            Error::InvalidManifest {
                digest: self.digest.clone(),
                source: Box::new(source),
            }
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
