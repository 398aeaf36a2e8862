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
use super::{ImageLocation, Progress, TransferOptions, TransferReport};
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
    let mut reports = Vec::with_capacity(images.len());
    match format {
        ArchiveFormat::Docker => {
            let archive = Arc::new(DockerArchiveWriter::new(output));
            for image in images {
                let tags = saved_name(image).into_iter().collect();
                let destination = DockerArchiveDestination::shared(&archive, tags);
                let source = image.source(client);
                reports.push(copy_image(&*source, &destination, options, Arc::clone(&progress)).await?);
            }
            archive.commit().await?;
        }
        ArchiveFormat::Oci => {
            let archive = Arc::new(OciArchiveWriter::new(output));
            for image in images {
                let destination = OciArchiveDestination::shared(&archive, index_names(image));
                let source = image.source(client);
                reports.push(copy_image(&*source, &destination, options, Arc::clone(&progress)).await?);
            }
            archive.commit().await?;
        }
    }
    Ok(reports)
}
