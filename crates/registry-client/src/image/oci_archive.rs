//! An OCI archive (a tar of an OCI image layout) as a source and a destination
//! of the engine.
//!
//! Read in place: `oci-layout` and `index.json` first, then each manifest and
//! blob from its member `blobs/ALG/HEX`, verified while it streams. Written
//! as skopeo writes it, blobs stored as they are (so digests round-trip
//! exactly): `oci-layout`, the blobs, then `index.json` naming each image with
//! `org.opencontainers.image.ref.name`.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use oci_digest::{Algorithm, Digest, Mismatch};
use oci_manifest::{Descriptor, MediaType};
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::destination::{BlobStart, ImageDestination, ManifestRole};
use super::docker_archive::{index, read_json};
use super::source::{check_size, manifest_type, ImageSource};
use super::{ComputedBlob, ManifestData, VerifiedBlob};
use crate::archive::session::{ArchiveWriter, Format};
use crate::archive::stream::Chunks;
use crate::archive::tar_index::TarIndex;
use crate::archive::tar_writer::TarWriter;
use crate::archive::{OciArchiveRef, METADATA_LIMIT};
use crate::layout::{LayoutIndex, LayoutTag};
use crate::{Error, RepositoryRef};

/// The layout version written, and the major version read.
const LAYOUT_VERSION: &str = "1.0.0";

/// The annotation containerd and Docker name an image by in `index.json`.
pub(crate) const IMAGE_NAME_ANNOTATION: &str = "io.containerd.image.name";

#[derive(Deserialize)]
struct LayoutMarker {
    #[serde(rename = "imageLayoutVersion")]
    image_layout_version: String,
}

/// The member holding blob `digest`.
fn blob_member(digest: &Digest) -> String {
    // The digest grammar keeps both parts free of `/` and `..`.
    format!("blobs/{}/{}", digest.algorithm(), digest.encoded())
}

/// An image in an OCI archive: the entry with a tag, or the only entry.
#[derive(Debug)]
pub struct OciArchiveSource {
    reference: OciArchiveRef,
    opened: OnceCell<Opened>,
}

#[derive(Debug)]
struct Opened {
    index: Arc<TarIndex>,
    entry: Descriptor,
}

impl OciArchiveSource {
    /// The image `reference` names (the archive is read when the engine first asks).
    pub fn new(reference: &OciArchiveRef) -> OciArchiveSource {
        OciArchiveSource {
            reference: reference.clone(),
            opened: OnceCell::new(),
        }
    }

    async fn opened(&self) -> Result<&Opened, Error> {
        self.opened.get_or_try_init(|| open(&self.reference)).await
    }

    /// Reads the manifest `descriptor` names, verified against it.
    async fn manifest(&self, descriptor: &Descriptor) -> Result<ManifestData, Error> {
        let opened = self.opened().await?;
        let bytes = opened
            .index
            .read(
                &blob_member(descriptor.digest()),
                "index.json",
                oci_manifest::DEFAULT_MAX_MANIFEST_SIZE,
            )
            .await?;
        if !descriptor.digest().matches(&bytes) {
            return Err(Error::DigestMismatch(Mismatch::new(
                descriptor.digest().clone(),
                Digest::sha256(&bytes),
            )));
        }
        if bytes.len() as u64 != descriptor.size() {
            return Err(Error::SourceSize {
                digest: descriptor.digest().clone(),
                expected: descriptor.size(),
                actual: bytes.len() as u64,
            });
        }
        let media_type = manifest_type(descriptor, &bytes)?;
        Ok(ManifestData::new(
            media_type,
            descriptor.digest().clone(),
            bytes.into(),
        ))
    }
}

impl fmt::Display for OciArchiveSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reference)
    }
}

async fn open(reference: &OciArchiveRef) -> Result<Opened, Error> {
    let index = index(reference.path()).await?;
    let marker: LayoutMarker = read_json(&index, "oci-layout", "an OCI archive", METADATA_LIMIT).await?;
    if !marker.image_layout_version.starts_with("1.") {
        return Err(Error::UnsupportedLayoutVersion {
            path: reference.path().join("oci-layout"),
            version: marker.image_layout_version,
        });
    }
    let layout: LayoutIndex = read_json(&index, "index.json", "an OCI archive", METADATA_LIMIT).await?;
    let entry = match reference.tag() {
        Some(tag) => layout.find_tag(tag).ok_or_else(|| Error::ArchiveImageNotFound {
            path: reference.path().to_path_buf(),
            wanted: tag.to_string(),
            count: layout.manifests().len(),
        })?,
        None => match layout.manifests() {
            [only] => only,
            entries => {
                return Err(Error::AmbiguousArchive {
                    path: reference.path().to_path_buf(),
                    count: entries.len(),
                })
            }
        },
    };
    Ok(Opened {
        entry: entry.clone(),
        index,
    })
}

impl ImageSource for OciArchiveSource {
    fn top_manifest(&self) -> BoxFuture<'_, Result<ManifestData, Error>> {
        Box::pin(async move {
            let entry = self.opened().await?.entry.clone();
            self.manifest(&entry).await
        })
    }

    fn child_manifest<'a>(&'a self, entry: &'a Descriptor) -> BoxFuture<'a, Result<ManifestData, Error>> {
        Box::pin(self.manifest(entry))
    }

    fn blob<'a>(
        &'a self,
        digest: &'a Digest,
        size: Option<u64>,
    ) -> BoxFuture<'a, Result<VerifiedBlob, Error>> {
        Box::pin(async move {
            let opened = self.opened().await?;
            let member = opened.index.file(&blob_member(digest), "the image")?;
            check_size(digest, size, member.size())?;
            let reader = opened.index.open_member(member).await?;
            VerifiedBlob::hashing(reader, digest, member.size())
        })
    }
}

/// What an OCI archive being written keeps: its blobs, and `index.json` to be.
#[derive(Debug, Default)]
pub(crate) struct OciFormat {
    blobs: HashSet<Digest>,
    directories: HashSet<String>,
    index: LayoutIndex,
}

impl OciFormat {
    /// Adds the directory of `algorithm`'s blobs to the archive when it is not there.
    fn directory_for(&mut self, writer: &mut TarWriter, algorithm: &Algorithm) -> Result<(), Error> {
        let directory = format!("blobs/{algorithm}/");
        if !self.directories.contains(&directory) {
            writer.directory(&directory)?;
            self.directories.insert(directory);
        }
        Ok(())
    }
}

impl Format for OciFormat {
    fn begin(writer: &mut TarWriter) -> Result<(), Error> {
        let marker = format!("{{\"imageLayoutVersion\":\"{LAYOUT_VERSION}\"}}");
        writer.file("oci-layout", marker.as_bytes())?;
        writer.directory("blobs/")
    }

    fn has(&self, digest: &Digest) -> bool {
        self.blobs.contains(digest)
    }

    fn receive(
        &mut self,
        writer: &mut TarWriter,
        _path: &Path,
        digest: &Digest,
        mut chunks: Chunks,
    ) -> Result<(), Error> {
        self.directory_for(writer, digest.algorithm())?;
        let mut member = writer.begin()?;
        chunks.copy_to(&mut member)?;
        member.finish(&blob_member(digest))?;
        self.blobs.insert(digest.clone());
        Ok(())
    }

    fn end(&mut self, writer: &mut TarWriter) -> Result<(), Error> {
        let index = serde_json::to_vec(&self.index).expect("the index serialises");
        writer.file("index.json", &index)?;
        Ok(())
    }
}

/// An OCI archive being written: one image or several.
pub(crate) type OciArchiveWriter = ArchiveWriter<OciFormat>;

/// One name of an image in an archive's `index.json`: its ref name and other annotations.
#[derive(Debug, Clone)]
pub(crate) struct IndexName {
    pub(crate) tag: LayoutTag,
    pub(crate) annotations: BTreeMap<String, String>,
}

/// Writes images into an OCI archive.
#[derive(Debug)]
pub struct OciArchiveDestination {
    archive: Arc<OciArchiveWriter>,
    display: String,
    /// The entries the image gets (one untagged entry when empty).
    names: Vec<IndexName>,
    commit_on_top: bool,
}

impl OciArchiveDestination {
    /// The archive `reference` names, holding one image named by its tag (untagged
    /// without one); it replaces the file once the image is in.
    pub fn new(reference: &OciArchiveRef) -> OciArchiveDestination {
        OciArchiveDestination {
            archive: Arc::new(OciArchiveWriter::new(reference.path())),
            display: reference.to_string(),
            names: reference
                .tag()
                .map(|tag| IndexName {
                    tag: tag.clone(),
                    annotations: BTreeMap::new(),
                })
                .into_iter()
                .collect(),
            commit_on_top: true,
        }
    }

    /// One image of several going into `archive`, which its owner commits.
    pub(crate) fn shared(archive: &Arc<OciArchiveWriter>, names: Vec<IndexName>) -> OciArchiveDestination {
        OciArchiveDestination {
            display: format!("oci-archive:{}", archive.path().display()),
            archive: Arc::clone(archive),
            names,
            commit_on_top: false,
        }
    }
}

impl fmt::Display for OciArchiveDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl ImageDestination for OciArchiveDestination {
    fn accepts(&self, media_type: &MediaType) -> Result<(), Error> {
        if media_type.is_schema1() {
            return Err(Error::UnsupportedInLayout {
                media_type: media_type.clone(),
            });
        }
        Ok(())
    }

    fn has_blob<'a>(&'a self, digest: &'a Digest) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move { Ok(self.archive.has_blob(digest).await) })
    }

    fn start_blob<'a>(
        &'a self,
        digest: &'a Digest,
        _mount_from: Option<&'a RepositoryRef>,
    ) -> BoxFuture<'a, Result<BlobStart, Error>> {
        Box::pin(self.archive.start_blob(digest))
    }

    /// Streamed straight into its member, whose header (and so its name, `blobs/ALG/HEX`)
    /// is written once the digest is known; a blob the archive holds already is cut off.
    fn put_computed_blob(&self, blob: ComputedBlob) -> BoxFuture<'_, Result<(Digest, u64), Error>> {
        Box::pin(
            self.archive
                .put_computed(blob, |writer, state, mut chunks, computed| {
                    // Computed blobs are named by their SHA-256.
                    state.directory_for(writer, &Algorithm::Sha256)?;
                    let mut member = writer.begin()?;
                    chunks.copy_to(&mut member)?;
                    let (digest, size) = computed.get().ok_or(Error::RecompressStopped)?;
                    if state.blobs.contains(&digest) {
                        drop(member);
                        return Ok((digest, size));
                    }
                    member.finish(&blob_member(&digest))?;
                    state.blobs.insert(digest.clone());
                    Ok((digest, size))
                }),
        )
    }

    fn put_manifest<'a>(
        &'a self,
        manifest: &'a ManifestData,
        role: ManifestRole<'a>,
    ) -> BoxFuture<'a, Result<Digest, Error>> {
        Box::pin(async move {
            let manifest = manifest.clone();
            let entry = match role {
                ManifestRole::Child => None,
                ManifestRole::Top { chosen } => {
                    let mut entry = manifest.descriptor();
                    if let Some(platform) = chosen.and_then(Descriptor::platform) {
                        entry = entry.with_platform(platform.clone());
                    }
                    Some(entry)
                }
            };
            let names = self.names.clone();
            let commit = self.commit_on_top;
            let digest = manifest.digest().clone();
            self.archive
                .with_session(move |session, path| {
                    let (writer, state) = session.parts(path)?;
                    if !state.blobs.contains(manifest.digest()) {
                        state.directory_for(writer, manifest.digest().algorithm())?;
                        writer.file(&blob_member(manifest.digest()), manifest.bytes())?;
                        state.blobs.insert(manifest.digest().clone());
                    }
                    let Some(entry) = entry else {
                        return Ok(());
                    };
                    if names.is_empty() {
                        state.index.add_untagged(entry.clone());
                    }
                    for name in names {
                        let mut annotations = entry.annotations().clone();
                        annotations.extend(name.annotations);
                        state
                            .index
                            .set_tag(&name.tag, entry.clone().with_annotations(annotations));
                    }
                    if commit {
                        session.commit(path)?;
                    }
                    Ok(())
                })
                .await?;
            Ok(digest)
        })
    }
}
