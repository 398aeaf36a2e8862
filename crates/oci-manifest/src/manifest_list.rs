//! Docker manifest list: one schema2 manifest per platform.

use oci_digest::Digest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::descriptor::DockerOrder;
use crate::{json, Descriptor, Error, MediaType, Platform};

const FORMAT: &str = "Docker manifest list";

/// A Docker manifest list, holding the exact bytes it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestList {
    raw: Vec<u8>,
    media_type: Option<MediaType>,
    manifests: Vec<Descriptor>,
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    /// Checked by `parse_versioned`; named here so it stays out of `extra`.
    #[serde(rename = "schemaVersion")]
    _schema_version: i64,
    media_type: Option<MediaType>,
    manifests: Vec<Descriptor>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Out<'a> {
    schema_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<&'a MediaType>,
    manifests: Vec<DockerOrder<'a>>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

impl ManifestList {
    /// Parses a manifest list, keeping `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Result<ManifestList, Error> {
        let wire: Wire = json::parse_versioned(FORMAT, 2, bytes)?;
        json::check_media_type(MediaType::DockerManifestList, wire.media_type.as_ref())?;
        Ok(ManifestList {
            raw: bytes.to_vec(),
            media_type: wire.media_type,
            manifests: wire.manifests,
            extra: wire.extra,
        })
    }

    /// A new list of `manifests` (each should carry a platform), serialised canonically.
    pub fn new(manifests: Vec<Descriptor>) -> Result<ManifestList, Error> {
        let media_type = MediaType::DockerManifestList;
        let extra = Map::new();
        let out = Out {
            schema_version: 2,
            media_type: Some(&media_type),
            manifests: manifests.iter().map(DockerOrder).collect(),
            extra: &extra,
        };
        Ok(ManifestList {
            raw: json::to_canonical(FORMAT, &out)?,
            media_type: Some(media_type),
            manifests,
            extra,
        })
    }

    /// The exact bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The SHA-256 digest of the bytes.
    pub fn digest(&self) -> Digest {
        Digest::sha256(&self.raw)
    }

    /// The `mediaType` field as written.
    pub fn media_type_field(&self) -> Option<&MediaType> {
        self.media_type.as_ref()
    }

    /// The listed manifests.
    pub fn manifests(&self) -> &[Descriptor] {
        &self.manifests
    }

    /// The first manifest whose platform matches `wanted`.
    pub fn find(&self, wanted: &Platform) -> Option<&Descriptor> {
        find_platform(&self.manifests, wanted)
    }

    /// Members this crate does not know, kept as given.
    pub fn unknown_fields(&self) -> &Map<String, Value> {
        &self.extra
    }
}

/// The first entry whose platform matches `wanted`.
pub(crate) fn find_platform<'a>(manifests: &'a [Descriptor], wanted: &Platform) -> Option<&'a Descriptor> {
    manifests
        .iter()
        .find(|entry| entry.platform().is_some_and(|platform| platform.matches(wanted)))
}
