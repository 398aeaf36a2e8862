//! Docker schema1 manifests, signed (`+prettyjws`) and unsigned: repository
//! name and tag, layers as `blobSum`s with their v1 metadata, leaf first.
//!
//! A signed manifest is read from its payload, the bytes before the signatures
//! were spliced in, which [`crate::jws::signed_payload`] rebuilds from
//! `formatLength` and `formatTail`: the digest and the signatures cover exactly
//! those bytes, so its content comes from there too (as distribution reads it),
//! and anything the outer document holds besides them is not the manifest.

use oci_digest::{known, Digest};
use serde::de::IgnoredAny;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::image::check_layer_count;
use crate::{go_json, json, BlobInfo, Error, MediaType};

const FORMAT: &str = "Docker schema1 manifest";

/// A Docker schema1 manifest, holding the exact bytes it was read from.
///
/// `fsLayers` and `history` run from the leaf layer to the base, as written;
/// [`layers`](Self::layers) walks them base first. Entries often repeat (the
/// empty layer of metadata-only steps): every one is kept, in place.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema1 {
    raw: Vec<u8>,
    /// The signed payload (signed manifests only).
    payload: Option<Vec<u8>>,
    media_type: Option<MediaType>,
    name: String,
    tag: String,
    architecture: String,
    fs_layers: Vec<Digest>,
    history: Vec<String>,
    extra: Map<String, Value>,
}

/// One layer of a schema1 manifest with its v1 metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema1Layer<'a> {
    blob_sum: &'a Digest,
    v1_compatibility: &'a str,
}

impl<'a> Schema1Layer<'a> {
    /// The compressed layer's digest.
    pub fn blob_sum(&self) -> &'a Digest {
        self.blob_sum
    }

    /// The v1 image JSON for this layer, as the exact string in the manifest.
    pub fn v1_compatibility(&self) -> &'a str {
        self.v1_compatibility
    }
}

/// How a new schema1 manifest is written: as one of the two programs whose
/// bytes matter writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Schema1Layout {
    /// containers/image (skopeo, podman): compact, `schemaVersion` last.
    ContainersImage,
    /// Docker (the engine, distribution): `schemaVersion` first, indented by
    /// three spaces; the payload `docker push` signs.
    Docker,
}

/// An `fsLayers` entry: read with `D` a `Digest`, written with a reference to one.
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct FsLayer<D> {
    blob_sum: D,
}

/// A `history` entry, read and written like [`FsLayer`].
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct HistoryEntry<S> {
    v1_compatibility: S,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    /// Checked by `parse_versioned`; named here so it stays out of `extra`.
    #[serde(rename = "schemaVersion")]
    _schema_version: i64,
    media_type: Option<MediaType>,
    name: String,
    tag: String,
    #[serde(default)]
    architecture: String,
    fs_layers: Vec<FsLayer<Digest>>,
    history: Vec<HistoryEntry<String>>,
    /// Never part of the manifest: named here so that an unsigned manifest's
    /// `"signatures": null` stays out of `extra`.
    #[serde(rename = "signatures")]
    _signatures: Option<IgnoredAny>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The one member of the outer document read before its payload: whether it is signed.
#[derive(Deserialize)]
struct Outer {
    signatures: Option<IgnoredAny>,
}

/// A manifest as `layout` writes it: containers/image's member order (what
/// skopeo writes before signing) or Docker's, which puts `schemaVersion` first.
struct Written<'a> {
    manifest: &'a Schema1,
    layout: Schema1Layout,
}

impl Serialize for Written<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let manifest = self.manifest;
        let docker = self.layout == Schema1Layout::Docker;
        let mut map = serializer.serialize_map(None)?;
        if docker {
            map.serialize_entry("schemaVersion", &1)?;
        }
        map.serialize_entry("name", &manifest.name)?;
        map.serialize_entry("tag", &manifest.tag)?;
        map.serialize_entry("architecture", &manifest.architecture)?;
        let fs_layers: Vec<_> = (manifest.fs_layers.iter())
            .map(|blob_sum| FsLayer { blob_sum })
            .collect();
        map.serialize_entry("fsLayers", &fs_layers)?;
        let history: Vec<_> = (manifest.history.iter())
            .map(|v1_compatibility| HistoryEntry { v1_compatibility })
            .collect();
        map.serialize_entry("history", &history)?;
        if !docker {
            map.serialize_entry("schemaVersion", &1)?;
        }
        for (key, value) in &manifest.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl Schema1 {
    /// Parses a schema1 manifest, keeping `bytes`. A manifest with a
    /// `signatures` member is signed: its payload is rebuilt here and the
    /// manifest is read from the payload alone (this does not verify the
    /// signatures: see [`crate::jws`]).
    pub fn from_slice(bytes: &[u8]) -> Result<Schema1, Error> {
        // Not JSON at all: the versioned parse below names the problem.
        let signed = serde_json::from_slice::<Outer>(bytes).is_ok_and(|outer| outer.signatures.is_some());
        let payload = if signed {
            Some(crate::jws::signed_payload(bytes)?)
        } else {
            None
        };
        let wire: Wire = json::parse_versioned(FORMAT, 1, payload.as_deref().unwrap_or(bytes))?;
        if let Some(found) = &wire.media_type {
            if !found.is_schema1() {
                return Err(Error::MediaTypeMismatch {
                    declared: MediaType::DockerSchema1,
                    found: found.clone(),
                });
            }
        }
        if wire.fs_layers.len() != wire.history.len() {
            return Err(Error::Schema1LengthMismatch {
                fs_layers: wire.fs_layers.len(),
                history: wire.history.len(),
            });
        }
        if wire.fs_layers.is_empty() {
            return Err(Error::Schema1NoLayers);
        }
        Ok(Schema1 {
            raw: bytes.to_vec(),
            payload,
            media_type: wire.media_type,
            name: wire.name,
            tag: wire.tag,
            architecture: wire.architecture,
            fs_layers: (wire.fs_layers.into_iter()).map(|layer| layer.blob_sum).collect(),
            history: wire
                .history
                .into_iter()
                .map(|entry| entry.v1_compatibility)
                .collect(),
            extra: wire.extra,
        })
    }

    /// A new unsigned manifest from layers given base first, each a `blobSum`
    /// and its v1 metadata string, written in `layout`. Sign the bytes with
    /// [`crate::jws`] to get a manifest registries accept.
    pub fn new<'a>(
        layout: Schema1Layout,
        name: &str,
        tag: &str,
        architecture: &str,
        layers: impl IntoIterator<Item = (Digest, &'a str)>,
    ) -> Result<Schema1, Error> {
        let (mut fs_layers, mut history): (Vec<Digest>, Vec<String>) = layers
            .into_iter()
            .map(|(digest, v1)| (digest, v1.to_owned()))
            .unzip();
        fs_layers.reverse();
        history.reverse();
        if fs_layers.is_empty() {
            return Err(Error::Schema1NoLayers);
        }
        Schema1 {
            raw: Vec::new(),
            payload: None,
            media_type: None,
            name: name.to_owned(),
            tag: tag.to_owned(),
            architecture: architecture.to_owned(),
            fs_layers,
            history,
            extra: Map::new(),
        }
        .written(layout)
    }

    /// The manifest written again in `layout`, unsigned.
    fn written(mut self, layout: Schema1Layout) -> Result<Schema1, Error> {
        let out = Written {
            manifest: &self,
            layout,
        };
        self.raw = match layout {
            Schema1Layout::ContainersImage => json::to_canonical(FORMAT, &out)?,
            Schema1Layout::Docker => {
                go_json::to_vec_indented(&out, "   ").map_err(|source| Error::Serialize {
                    format: FORMAT,
                    source,
                })?
            }
        };
        self.payload = None;
        self.media_type = None;
        Ok(self)
    }

    /// The exact bytes, signatures included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The bytes the digest is computed over: the signed payload for a signed
    /// manifest, otherwise the whole manifest.
    pub fn payload(&self) -> &[u8] {
        self.payload.as_deref().unwrap_or(&self.raw)
    }

    /// The SHA-256 digest of [`payload`](Self::payload), as registries compute it.
    pub fn digest(&self) -> Digest {
        Digest::sha256(self.payload())
    }

    /// Whether the manifest carries signatures.
    pub fn is_signed(&self) -> bool {
        self.payload.is_some()
    }

    /// The media type: signed or unsigned schema1.
    pub fn media_type(&self) -> MediaType {
        if self.is_signed() {
            MediaType::DockerSchema1Signed
        } else {
            MediaType::DockerSchema1
        }
    }

    /// The repository name as recorded, such as `library/busybox`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tag as recorded.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The architecture as recorded.
    pub fn architecture(&self) -> &str {
        &self.architecture
    }

    /// The `blobSum`s as written: leaf first.
    pub fn fs_layers(&self) -> &[Digest] {
        &self.fs_layers
    }

    /// The `v1Compatibility` strings as written: leaf first.
    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// The layers, base first, each with its v1 metadata; duplicates kept.
    pub fn layers(&self) -> impl DoubleEndedIterator<Item = Schema1Layer<'_>> + ExactSizeIterator {
        self.fs_layers
            .iter()
            .zip(&self.history)
            .rev()
            .map(|(blob_sum, v1_compatibility)| Schema1Layer {
                blob_sum,
                v1_compatibility,
            })
    }

    /// Members this crate does not know, kept as given (signatures excluded).
    pub fn unknown_fields(&self) -> &Map<String, Value> {
        &self.extra
    }

    /// Whether some layer is the gzipped empty tar, which a repository
    /// holding this manifest must then hold too (its bytes are
    /// [`oci_digest::known::EMPTY_TAR_GZIP_BYTES`]).
    pub fn needs_empty_layer(&self) -> bool {
        self.fs_layers.iter().any(|d| d.as_str() == known::EMPTY_TAR_GZIP)
    }

    /// A new, unsigned manifest with each layer's `blobSum` replaced by the
    /// matching `layers` entry (base first); v1 metadata is kept. It is
    /// written as containers/image writes an edited manifest
    /// ([`Schema1Layout::ContainersImage`]). Signatures cannot survive an
    /// edit: sign the result again with [`crate::jws`].
    pub fn with_layers(&self, layers: &[BlobInfo]) -> Result<Schema1, Error> {
        check_layer_count(self.fs_layers.len(), layers)?;
        let mut next = self.clone();
        next.fs_layers = layers.iter().rev().map(|info| info.digest().clone()).collect();
        next.written(Schema1Layout::ContainersImage)
    }
}
