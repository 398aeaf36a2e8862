//! Several images into one archive: each copied by the engine into a
//! destination that shares the one archive being written, which replaces its
//! target only once every image is in.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use oci_manifest::Reference;

use super::docker_archive::{DockerArchiveDestination, DockerArchiveWriter};
use super::oci_archive::{IndexName, OciArchiveDestination, OciArchiveWriter, IMAGE_NAME_ANNOTATION};
use super::transfer::copy_image;
use super::{ImageDestination, ImageLocation, Progress, TransferOptions, TransferReport};
use crate::archive::{ArchiveFormat, ArchiveImage};
use crate::{Client, Error};

/// The registry name an image is saved under, if it has one: a registry
/// reference's tag (a digest-only reference names no tag), or the `NAME:TAG`
/// a docker-archive source was read by.
fn saved_name(location: &ImageLocation) -> Option<Reference> {
    match location {
        ImageLocation::Registry(reference) => reference.tag().and_then(|tag| reference.with_tag(tag).ok()),
        ImageLocation::DockerArchive(archive) => match archive.image() {
            Some(ArchiveImage::Tagged(name)) => Some(name.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The `index.json` names of an image in an OCI archive: its full reference
/// as `org.opencontainers.image.ref.name` and `io.containerd.image.name`
/// (unique, where a bare tag is not across repositories), or the tag of a
/// layout or OCI archive it came from.
fn index_names(location: &ImageLocation) -> Vec<IndexName> {
    if let Some(name) = saved_name(location) {
        let full = name.to_string();
        if let Ok(tag) = full.parse() {
            return vec![IndexName {
                tag,
                annotations: BTreeMap::from([(IMAGE_NAME_ANNOTATION.to_owned(), full)]),
            }];
        }
    }
    let tag = match location {
        ImageLocation::Layout { tag, .. } => tag.clone(),
        ImageLocation::OciArchive(archive) => archive.tag().cloned(),
        _ => None,
    };
    tag.map(|tag| IndexName {
        tag,
        annotations: BTreeMap::new(),
    })
    .into_iter()
    .collect()
}

/// An archive several images go into, each through its own engine
/// destination sharing the one writer; nothing is at its target until
/// [`commit`](Self::commit), and dropped uncommitted it leaves the target as it
/// was. `save` and the sync runner both write archives through it.
pub(crate) enum SharedArchive {
    /// A docker-archive: `RepoTags` names, layers stored once per diffID.
    Docker(Arc<DockerArchiveWriter>),
    /// An OCI archive: `index.json` ref names.
    Oci(Arc<OciArchiveWriter>),
}

impl SharedArchive {
    /// An archive that will replace `output` when committed.
    pub(crate) fn new(output: &Path, format: ArchiveFormat) -> SharedArchive {
        match format {
            ArchiveFormat::Docker => SharedArchive::Docker(Arc::new(DockerArchiveWriter::new(output))),
            ArchiveFormat::Oci => SharedArchive::Oci(Arc::new(OciArchiveWriter::new(output))),
        }
    }

    /// The destination of one image, named in the archive as `image` names it
    /// (see [`saved_name`] and [`index_names`]).
    pub(crate) fn destination(&self, image: &ImageLocation) -> Box<dyn ImageDestination> {
        match self {
            SharedArchive::Docker(archive) => Box::new(DockerArchiveDestination::shared(
                archive,
                saved_name(image).into_iter().collect(),
            )),
            SharedArchive::Oci(archive) => {
                Box::new(OciArchiveDestination::shared(archive, index_names(image)))
            }
        }
    }

    /// Finishes the archive and renames it over its target.
    pub(crate) async fn commit(&self) -> Result<(), Error> {
        match self {
            SharedArchive::Docker(archive) => archive.commit().await,
            SharedArchive::Oci(archive) => archive.commit().await,
        }
    }
}

/// Saves `images` into one archive at `output`, in `format`: every blob once
/// however many images share it (a docker-archive stores layers uncompressed,
/// once per diffID), each image under its registry name (`RepoTags`, or the
/// `index.json` ref name). Nothing is at `output` until every image is in; on
/// any failure `output` is left as it was. Returns one report per image, whose
/// digest is the image's in the archive (for a docker-archive, of the manifest
/// it is read back as).
///
/// A docker-archive holds single images: a list or index needs
/// [`TransferOptions::platform`].
pub async fn save(
    client: &Client,
    images: &[ImageLocation],
    output: &Path,
    format: ArchiveFormat,
    options: &TransferOptions,
    progress: Arc<dyn Progress>,
) -> Result<Vec<TransferReport>, Error> {
    let archive = SharedArchive::new(output, format);
    let mut reports = Vec::with_capacity(images.len());
    for image in images {
        let destination = archive.destination(image);
        let source = image.source(client);
        reports.push(copy_image(&*source, &*destination, options, Arc::clone(&progress)).await?);
    }
    archive.commit().await?;
    Ok(reports)
}
