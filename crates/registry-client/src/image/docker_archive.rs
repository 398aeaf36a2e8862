//! A docker-archive as a source and a destination of the engine.
//!
//! Read: the image's entry of `manifest.json` (by `NAME:TAG`, by `@N`, or
//! the only one), its config, and its layers — or, in an archive without
//! `manifest.json`, the image's chain of legacy v1 directories and the config
//! Docker's legacy loader built from it (`archive::legacy`) — presented as the Docker schema2
//! manifest containerd's `ctr images import` makes of the same archive (so
//! both name it by the same digest). An uncompressed layer's digest is the
//! config's diffID, checked while it streams; a gzip layer is passed on as
//! it is stored, by the digest its `blobs/ALG/HEX` name gives (as
//! `ctr images export` and Docker 25 name them) or else by hashing it once
//! when the archive is opened.
//!
//! Written: as `docker save` and skopeo write it — `CONFIG_HEX.json`,
//! uncompressed layers as `DIFFID_HEX.tar` (gzip and zstd layers are
//! decompressed as they stream in, and each diffID checked against the
//! config), and `manifest.json` with `RepoTags`, each layer stored once
//! however many images share it. Blobs arrive one at a time (a tar file is
//! written in order); the archive replaces its target once the image (or,
//! for [`save`](super::save), every image) is in.

use std::collections::HashMap;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use oci_digest::{Algorithm, Digest, Mismatch};
use oci_manifest::{Descriptor, ImageConfig, Manifest, MediaType, Reference};
use tokio::sync::OnceCell;

use super::destination::{BlobStart, ImageDestination, ManifestRole};
use super::source::{check_size, ImageSource};
use super::{LayerCompression, ManifestData, VerifiedBlob, CONFIG_LIMIT};
use crate::archive::docker::{digest_in_name, image_manifest, ManifestItem, DOCKER_LAYER_TAR, MANIFEST_JSON};
use crate::archive::session::{blocking, ArchiveWriter, Format, Session};
use crate::archive::stream::{copy_decompressing, Chunks};
use crate::archive::tar_index::{compression_of, Member, TarIndex};
use crate::archive::tar_writer::{MemberId, TarWriter};
use crate::archive::{legacy, ArchiveImage, DockerArchiveRef, METADATA_LIMIT};
use crate::{Error, RepositoryRef};

/// Indexes the tar file at `path`.
pub(crate) async fn index(path: &Path) -> Result<Arc<TarIndex>, Error> {
    let path = path.to_path_buf();
    Ok(Arc::new(blocking(move || TarIndex::open(&path)).await?))
}

/// A JSON member, parsed.
pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
    index: &TarIndex,
    member: &str,
    referrer: &'static str,
    limit: u64,
) -> Result<T, Error> {
    let bytes = index.read(member, referrer, limit).await?;
    serde_json::from_slice(&bytes).map_err(|source| Error::MalformedArchiveMember {
        path: index.path().to_path_buf(),
        member: member.to_owned(),
        source,
    })
}

/// An image in a docker-archive.
#[derive(Debug)]
pub struct DockerArchiveSource {
    reference: DockerArchiveRef,
    opened: OnceCell<Opened>,
}

#[derive(Debug)]
struct Opened {
    index: Arc<TarIndex>,
    config: Bytes,
    config_digest: Digest,
    manifest: ManifestData,
    layers: HashMap<Digest, Layer>,
    repo_tags: Vec<String>,
}

#[derive(Debug)]
struct Layer {
    member: Member,
    /// Stored uncompressed: its digest is the config's diffID.
    plain: bool,
}

impl DockerArchiveSource {
    /// The image `reference` names (the archive is read when the engine first asks).
    pub fn new(reference: &DockerArchiveRef) -> DockerArchiveSource {
        DockerArchiveSource {
            reference: reference.clone(),
            opened: OnceCell::new(),
        }
    }

    async fn opened(&self) -> Result<&Opened, Error> {
        self.opened.get_or_try_init(|| open(&self.reference)).await
    }

    /// The image's `RepoTags` in `manifest.json`, as written there.
    pub async fn repo_tags(&self) -> Result<Vec<String>, Error> {
        Ok(self.opened().await?.repo_tags.clone())
    }
}

impl fmt::Display for DockerArchiveSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reference)
    }
}

/// The entry of `manifest.json` that `image` names.
fn choose<'a>(
    index: &TarIndex,
    items: &'a [ManifestItem],
    image: Option<&ArchiveImage>,
) -> Result<&'a ManifestItem, Error> {
    let not_found = |wanted: String| Error::ArchiveImageNotFound {
        path: index.path().to_path_buf(),
        wanted,
        count: items.len(),
    };
    match image {
        None => match items {
            [only] => Ok(only),
            _ => Err(Error::AmbiguousArchive {
                path: index.path().to_path_buf(),
                count: items.len(),
            }),
        },
        Some(ArchiveImage::Index(n)) => items.get(*n).ok_or_else(|| not_found(format!("@{n}"))),
        Some(ArchiveImage::Tagged(wanted)) => items
            .iter()
            .find(|item| {
                item.repo_tags
                    .iter()
                    .any(|tag| Reference::parse(tag).is_ok_and(|tag| tag == *wanted))
            })
            .ok_or_else(|| not_found(wanted.to_string())),
    }
}

/// An archived image's config, each layer as the archive stores it, and its tags.
struct Archived {
    config: Bytes,
    /// Media type, digest, member, whether it is stored uncompressed.
    layers: Vec<(MediaType, Digest, Member, bool)>,
    repo_tags: Vec<String>,
}

async fn open(reference: &DockerArchiveRef) -> Result<Opened, Error> {
    let index = index(reference.path()).await?;
    // An archive with `manifest.json` is read by it, whatever legacy directories it also
    // holds (as `docker save` wrote from 1.10 to 24).
    let archived = if !index.has(MANIFEST_JSON) && legacy::is_legacy(&index) {
        let image = legacy::read(&index, reference.image()).await?;
        Archived {
            config: Bytes::from(image.config),
            layers: image
                .layers
                .into_iter()
                .map(|(member, diff_id)| (MediaType::from(DOCKER_LAYER_TAR), diff_id, member, true))
                .collect(),
            repo_tags: image.repo_tags,
        }
    } else {
        by_manifest_json(&index, reference.image()).await?
    };
    let config_digest = Digest::sha256(&archived.config);
    let mut layers = HashMap::new();
    let mut descriptors = Vec::new();
    for (media_type, digest, member, plain) in archived.layers {
        descriptors.push((media_type, digest.clone(), member.size()));
        layers.insert(digest, Layer { member, plain });
    }
    let bytes = image_manifest((&config_digest, archived.config.len() as u64), &descriptors);
    let manifest = ManifestData::new(MediaType::DockerSchema2, Digest::sha256(&bytes), bytes.into());
    Ok(Opened {
        index,
        config: archived.config,
        config_digest,
        manifest,
        layers,
        repo_tags: archived.repo_tags,
    })
}

/// The image `image` names, by the archive's `manifest.json`.
async fn by_manifest_json(index: &Arc<TarIndex>, image: Option<&ArchiveImage>) -> Result<Archived, Error> {
    let items: Vec<ManifestItem> =
        read_json(index, MANIFEST_JSON, "the docker-archive format", METADATA_LIMIT).await?;
    let item = choose(index, &items, image)?;
    let config = Bytes::from(index.read(&item.config, "manifest.json", CONFIG_LIMIT).await?);
    let parsed = ImageConfig::from_slice(&config)?;
    let diff_ids = parsed.diff_ids();
    if diff_ids.len() != item.layers.len() {
        return Err(Error::ArchiveLayerCount {
            path: index.path().to_path_buf(),
            config: item.config.clone(),
            layers: item.layers.len(),
            diff_ids: diff_ids.len(),
        });
    }
    let mut layers = Vec::new();
    for (name, diff_id) in item.layers.iter().zip(diff_ids) {
        let member = index.file(name, "manifest.json")?.clone();
        let head = index.peek(&member, 6).await?;
        let (media_type, digest, plain) = match compression_of(&head) {
            None => (MediaType::from(DOCKER_LAYER_TAR), diff_id.clone(), true),
            Some("gzip") => {
                let digest = match digest_in_name(name) {
                    Some(digest) => digest,
                    None => hash_member(index, &member).await?,
                };
                (MediaType::DockerLayerGzip, digest, false)
            }
            Some(compression) => {
                return Err(Error::UnsupportedLayerCompression {
                    path: index.path().to_path_buf(),
                    layer: name.clone(),
                    compression,
                })
            }
        };
        layers.push((media_type, digest, member, plain));
    }
    Ok(Archived {
        config,
        layers,
        repo_tags: item.repo_tags.clone(),
    })
}

/// The SHA-256 of a member's content (a compressed layer whose name does not give it).
pub(crate) async fn hash_member(index: &Arc<TarIndex>, member: &Member) -> Result<Digest, Error> {
    let (path, offset, size) = (index.path().to_path_buf(), member.offset(), member.size());
    let io = {
        let path = path.clone();
        move |source| Error::Io {
            action: "cannot read",
            path,
            source,
        }
    };
    blocking(move || {
        let mut file = std::fs::File::open(&path).map_err(io.clone())?;
        file.seek(SeekFrom::Start(offset)).map_err(io.clone())?;
        let (digest, read) = oci_digest::digest_reader(Algorithm::Sha256, file.take(size)).map_err(io)?;
        if read != size {
            return Err(Error::TruncatedArchive {
                path,
                member: format!("at offset {offset}"),
                missing: size - read,
            });
        }
        Ok(digest)
    })
    .await
}

impl ImageSource for DockerArchiveSource {
    fn top_manifest(&self) -> BoxFuture<'_, Result<ManifestData, Error>> {
        Box::pin(async move { Ok(self.opened().await?.manifest.clone()) })
    }

    fn child_manifest<'a>(&'a self, entry: &'a Descriptor) -> BoxFuture<'a, Result<ManifestData, Error>> {
        Box::pin(async move {
            Err(Error::ArchiveCannotHold {
                path: self.reference.path().to_path_buf(),
                what: format!("manifest {}", entry.digest()),
                reason: "a docker-archive holds image manifests only, no lists",
            })
        })
    }

    fn blob<'a>(
        &'a self,
        digest: &'a Digest,
        size: Option<u64>,
    ) -> BoxFuture<'a, Result<VerifiedBlob, Error>> {
        Box::pin(async move {
            let opened = self.opened().await?;
            if *digest == opened.config_digest {
                check_size(digest, size, opened.config.len() as u64)?;
                return Ok(VerifiedBlob::from_bytes(opened.config.clone()));
            }
            let layer = opened
                .layers
                .get(digest)
                .ok_or_else(|| Error::MissingArchiveMember {
                    path: opened.index.path().to_path_buf(),
                    member: digest.to_string(),
                    referrer: "the image",
                    reason: "is not in the archive",
                })?;
            check_size(digest, size, layer.member.size())?;
            let reader = opened.index.open_member(&layer.member).await?;
            let blob = VerifiedBlob::hashing(reader, digest, layer.member.size())?;
            if !layer.plain {
                return Ok(blob);
            }
            // An uncompressed layer is named by its diffID: a mismatch says the config lies.
            let (path, name) = (opened.index.path().to_path_buf(), layer.member.name().to_owned());
            Ok(blob.map_err(move |error| match error {
                Error::DigestMismatch(mismatch) => Error::DiffIdMismatch {
                    path: Some(path.clone()),
                    layer: name.clone(),
                    mismatch: Box::new(mismatch),
                },
                other => other,
            }))
        })
    }
}

/// What a docker-archive being written keeps about its blobs and images.
#[derive(Debug, Default)]
pub(crate) struct DockerFormat {
    /// Every blob received, by the digest it was sent under.
    blobs: HashMap<Digest, Stored>,
    /// Every member, by the digest of what it stores (a layer's diffID).
    by_diff_id: HashMap<Digest, MemberId>,
    items: Vec<ManifestItem>,
    by_config: HashMap<Digest, usize>,
}

#[derive(Debug, Clone)]
struct Stored {
    member: MemberId,
    diff_id: Digest,
}

impl DockerFormat {
    fn stored(&self, digest: &Digest) -> Option<Stored> {
        self.blobs.get(digest).cloned().or_else(|| {
            self.by_diff_id.get(digest).map(|&member| Stored {
                member,
                diff_id: digest.clone(),
            })
        })
    }
}

impl Format for DockerFormat {
    fn begin(_writer: &mut TarWriter) -> Result<(), Error> {
        Ok(())
    }

    fn has(&self, digest: &Digest) -> bool {
        self.blobs.contains_key(digest) || self.by_diff_id.contains_key(digest)
    }

    /// Writes one blob: decompressed when it is a compressed layer, cut off again when a
    /// blob of the same content is in already; named for good once a manifest says what it
    /// is (config or layer).
    fn receive(
        &mut self,
        writer: &mut TarWriter,
        path: &Path,
        digest: &Digest,
        mut chunks: Chunks,
    ) -> Result<(), Error> {
        let mut member = writer.begin()?;
        let unsupported = |compression| Error::UnsupportedLayerCompression {
            path: path.to_path_buf(),
            layer: digest.to_string(),
            compression,
        };
        let unpacked = copy_decompressing(&mut chunks, &mut member, digest, unsupported)?;
        let diff_id = unpacked.stored_digest.unwrap_or_else(|| digest.clone());
        if let Some(&existing) = self.by_diff_id.get(&diff_id) {
            drop(member);
            self.blobs.insert(
                digest.clone(),
                Stored {
                    member: existing,
                    diff_id,
                },
            );
            return Ok(());
        }
        let name = match unpacked.compression {
            Some(_) => format!("{}.tar", diff_id.encoded()),
            None => digest.encoded().to_owned(),
        };
        let id = member.finish(&name)?;
        self.by_diff_id.insert(diff_id.clone(), id);
        self.blobs.insert(digest.clone(), Stored { member: id, diff_id });
        Ok(())
    }

    fn end(&mut self, writer: &mut TarWriter) -> Result<(), Error> {
        let items = serde_json::to_vec(&self.items).expect("manifest items serialise");
        writer.file(MANIFEST_JSON, &items)?;
        Ok(())
    }
}

/// A docker-archive being written: one image or several.
pub(crate) type DockerArchiveWriter = ArchiveWriter<DockerFormat>;

/// Writes images into a docker-archive.
#[derive(Debug)]
pub struct DockerArchiveDestination {
    archive: Arc<DockerArchiveWriter>,
    display: String,
    tags: Vec<Reference>,
    /// The archive is finished with the top manifest (one image), or by its owner.
    commit_on_top: bool,
    /// Why this reference cannot be written to, if it cannot.
    refusal: Option<&'static str>,
}

impl DockerArchiveDestination {
    /// The archive `reference` names, holding one image tagged with its `NAME:TAG` (untagged
    /// without one); it replaces the file once the image is in.
    pub fn new(reference: &DockerArchiveRef) -> DockerArchiveDestination {
        let (tags, refusal) = match reference.image() {
            None => (Vec::new(), None),
            Some(ArchiveImage::Tagged(name)) => (vec![name.clone()], None),
            Some(ArchiveImage::Index(_)) => (
                Vec::new(),
                Some("@N names an image to read; name the image written with NAME:TAG"),
            ),
        };
        DockerArchiveDestination {
            archive: Arc::new(DockerArchiveWriter::new(reference.path())),
            display: reference.to_string(),
            tags,
            commit_on_top: true,
            refusal,
        }
    }

    /// One image of several going into `archive`, which its owner commits.
    pub(crate) fn shared(
        archive: &Arc<DockerArchiveWriter>,
        tags: Vec<Reference>,
    ) -> DockerArchiveDestination {
        DockerArchiveDestination {
            display: format!("docker-archive:{}", archive.path().display()),
            archive: Arc::clone(archive),
            tags,
            commit_on_top: false,
            refusal: None,
        }
    }

    fn cannot_hold(&self, what: String, reason: &'static str) -> Error {
        Error::ArchiveCannotHold {
            path: self.archive.path().to_path_buf(),
            what,
            reason,
        }
    }
}

impl fmt::Display for DockerArchiveDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl ImageDestination for DockerArchiveDestination {
    /// Layers are stored decompressed, as `docker save` stores them.
    fn layer_packing(&self) -> Option<LayerCompression> {
        Some(LayerCompression::None)
    }

    fn accepts(&self, media_type: &MediaType) -> Result<(), Error> {
        if let Some(reason) = self.refusal {
            return Err(Error::InvalidArchiveReference {
                input: self.display.clone(),
                reason: reason.to_owned(),
            });
        }
        if media_type.is_index() {
            return Err(self.cannot_hold(
                format!("a {media_type}"),
                "a docker-archive holds single images, not lists or indexes: choose a platform",
            ));
        }
        if media_type.is_schema1() {
            return Err(self.cannot_hold(
                format!("a {media_type} manifest"),
                "schema1 images have no config for a docker-archive; convert them first",
            ));
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

    fn put_manifest<'a>(
        &'a self,
        manifest: &'a ManifestData,
        role: ManifestRole<'a>,
    ) -> BoxFuture<'a, Result<Digest, Error>> {
        Box::pin(async move {
            if matches!(role, ManifestRole::Child) {
                return Err(self.cannot_hold(
                    format!("manifest {}", manifest.digest()),
                    "a docker-archive holds single images, not lists or indexes",
                ));
            }
            let (config, layers) = match manifest.parse()? {
                Manifest::Image(m) => (m.config().clone(), m.layers().to_vec()),
                _ => {
                    return Err(self.cannot_hold(
                        format!("a {} manifest", manifest.media_type()),
                        "a docker-archive holds Docker schema2 and OCI images",
                    ))
                }
            };
            if !config.media_type().is_config() {
                return Err(self.cannot_hold(
                    format!("an image with a {} config", config.media_type()),
                    "a docker-archive holds container images only",
                ));
            }
            let image = ArchivedImage {
                config,
                layers,
                tags: self.tags.clone(),
                commit: self.commit_on_top,
            };
            self.archive
                .with_session(|session, path| image.record(session, path))
                .await
        })
    }
}

/// An image whose blobs are in the archive, to be entered in `manifest.json`.
struct ArchivedImage {
    config: Descriptor,
    layers: Vec<Descriptor>,
    tags: Vec<Reference>,
    commit: bool,
}

impl ArchivedImage {
    /// Checks every layer's diffID against the config, names the members, adds the
    /// `manifest.json` entry, and returns the digest the archive's image is read back by.
    fn record(self, session: &mut Session<DockerFormat>, path: &Path) -> Result<Digest, Error> {
        let (writer, state) = session.parts(path)?;
        let internal = |what: &Digest| Error::ArchiveCannotHold {
            path: path.to_path_buf(),
            what: format!("blob {what}"),
            reason: "the manifest names it but it was never written",
        };
        let config = state
            .stored(self.config.digest())
            .ok_or_else(|| internal(self.config.digest()))?;
        let mut layers = Vec::new();
        for layer in &self.layers {
            let foreign = layer.media_type().is_foreign_layer() || !layer.urls().is_empty();
            if foreign {
                return Err(Error::ArchiveCannotHold {
                    path: path.to_path_buf(),
                    what: format!("foreign layer {}", layer.digest()),
                    reason: "a docker-archive stores every layer itself",
                });
            }
            layers.push(
                state
                    .stored(layer.digest())
                    .ok_or_else(|| internal(layer.digest()))?,
            );
        }
        let config_bytes = writer.read_back(config.member, CONFIG_LIMIT)?;
        let parsed = ImageConfig::from_slice(&config_bytes)?;
        let diff_ids = parsed.diff_ids();
        let config_name = format!("{}.json", self.config.digest().encoded());
        if diff_ids.len() != layers.len() {
            return Err(Error::ArchiveLayerCount {
                path: path.to_path_buf(),
                config: config_name,
                layers: layers.len(),
                diff_ids: diff_ids.len(),
            });
        }
        let mut names = Vec::new();
        let mut stored = Vec::new();
        for ((layer, descriptor), expected) in layers.iter().zip(&self.layers).zip(diff_ids) {
            if layer.diff_id != *expected {
                return Err(Error::DiffIdMismatch {
                    path: Some(path.to_path_buf()),
                    layer: descriptor.digest().to_string(),
                    mismatch: Box::new(Mismatch::new(expected.clone(), layer.diff_id.clone())),
                });
            }
            let name = format!("{}.tar", layer.diff_id.encoded());
            writer.rename(layer.member, &name)?;
            stored.push((
                MediaType::from(DOCKER_LAYER_TAR),
                layer.diff_id.clone(),
                writer.size(layer.member),
            ));
            names.push(name);
        }
        writer.rename(config.member, &config_name)?;
        let manifest = image_manifest(
            (&Digest::sha256(&config_bytes), config_bytes.len() as u64),
            &stored,
        );
        let tags: Vec<String> = self.tags.iter().map(ToString::to_string).collect();
        // A tag names one image: the last one given it.
        for item in &mut state.items {
            item.repo_tags.retain(|tag| !tags.contains(tag));
        }
        // The same image twice (under two tags) is one entry with both.
        let config_digest = self.config.digest().clone();
        let item = match state.by_config.get(&config_digest) {
            Some(&i) => &mut state.items[i],
            None => {
                state.by_config.insert(config_digest, state.items.len());
                state.items.push(ManifestItem {
                    config: config_name,
                    repo_tags: Vec::new(),
                    layers: names,
                });
                state.items.last_mut().expect("just pushed")
            }
        };
        for tag in tags {
            if !item.repo_tags.contains(&tag) {
                item.repo_tags.push(tag);
            }
        }
        if self.commit {
            session.commit(path)?;
        }
        Ok(Digest::sha256(&manifest))
    }
}
