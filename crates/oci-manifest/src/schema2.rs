//! Docker image manifest, schema version 2: a config descriptor and layer
//! descriptors, base first.

use oci_digest::Digest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::descriptor::DockerOrder;
use crate::{json, BlobInfo, Descriptor, Error, MediaType};

const FORMAT: &str = "Docker schema2 manifest";

/// A Docker schema2 image manifest, holding the exact bytes it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema2 {
    raw: Vec<u8>,
    media_type: Option<MediaType>,
    config: Descriptor,
    layers: Vec<Descriptor>,
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    /// Checked by `parse_versioned`; named here so it stays out of `extra`.
    #[serde(rename = "schemaVersion")]
    _schema_version: i64,
    media_type: Option<MediaType>,
    config: Descriptor,
    layers: Vec<Descriptor>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Out<'a> {
    schema_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<&'a MediaType>,
    config: DockerOrder<'a>,
    layers: Vec<DockerOrder<'a>>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

impl Schema2 {
    /// Parses a schema2 manifest, keeping `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Result<Schema2, Error> {
        let wire: Wire = json::parse_versioned(FORMAT, 2, bytes)?;
        json::check_media_type(MediaType::DockerSchema2, wire.media_type.as_ref())?;
        Ok(Schema2 {
            raw: bytes.to_vec(),
            media_type: wire.media_type,
            config: wire.config,
            layers: wire.layers,
            extra: wire.extra,
        })
    }

    /// A new manifest, serialised canonically (see the crate docs).
    pub fn new(config: Descriptor, layers: Vec<Descriptor>) -> Result<Schema2, Error> {
        Schema2 {
            raw: Vec::new(),
            media_type: Some(MediaType::DockerSchema2),
            config,
            layers,
            extra: Map::new(),
        }
        .reserialized()
    }

    fn reserialized(mut self) -> Result<Schema2, Error> {
        let out = Out {
            schema_version: 2,
            media_type: self.media_type.as_ref(),
            config: DockerOrder(&self.config),
            layers: self.layers.iter().map(DockerOrder).collect(),
            extra: &self.extra,
        };
        self.raw = json::to_canonical(FORMAT, &out)?;
        Ok(self)
    }

    /// The exact bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The SHA-256 digest of the bytes.
    pub fn digest(&self) -> Digest {
        Digest::sha256(&self.raw)
    }

    /// The `mediaType` field as written (absent in some old manifests).
    pub fn media_type_field(&self) -> Option<&MediaType> {
        self.media_type.as_ref()
    }

    /// The config descriptor.
    pub fn config(&self) -> &Descriptor {
        &self.config
    }

    /// The layer descriptors, base first. Duplicates are meaningful.
    pub fn layers(&self) -> &[Descriptor] {
        &self.layers
    }

    /// Members this crate does not know, kept as given.
    pub fn unknown_fields(&self) -> &Map<String, Value> {
        &self.extra
    }

    /// A new manifest with each layer replaced by the matching `layers` entry
    /// (base first), re-serialised canonically.
    pub fn with_layers(&self, layers: &[BlobInfo]) -> Result<Schema2, Error> {
        let mut next = self.clone();
        next.layers = replace_layers(&self.layers, layers)?;
        next.reserialized()
    }
}

/// Replaces each descriptor's content by the matching blob, checking counts.
pub(crate) fn replace_layers(current: &[Descriptor], layers: &[BlobInfo]) -> Result<Vec<Descriptor>, Error> {
    if current.len() != layers.len() {
        return Err(Error::LayerCountMismatch {
            expected: current.len(),
            actual: layers.len(),
        });
    }
    Ok(current
        .iter()
        .zip(layers)
        .map(|(descriptor, info)| descriptor.replace_content(info))
        .collect())
}
