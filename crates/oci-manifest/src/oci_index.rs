//! OCI image index: manifests by platform (or any other purpose), plus the OCI
//! 1.1 extras.

use std::collections::BTreeMap;

use oci_digest::Digest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::manifest_list::find_platform;
use crate::{json, Descriptor, Error, MediaType, Platform};

const FORMAT: &str = "OCI image index";

/// An OCI image index, holding the exact bytes it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct OciIndex {
    raw: Vec<u8>,
    media_type: Option<MediaType>,
    artifact_type: Option<MediaType>,
    manifests: Vec<Descriptor>,
    subject: Option<Descriptor>,
    annotations: BTreeMap<String, String>,
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    /// Checked by `parse_versioned`; named here so it stays out of `extra`.
    #[serde(rename = "schemaVersion")]
    _schema_version: i64,
    media_type: Option<MediaType>,
    artifact_type: Option<MediaType>,
    manifests: Vec<Descriptor>,
    subject: Option<Descriptor>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The OCI Go types' member order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Out<'a> {
    schema_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<&'a MediaType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact_type: Option<&'a MediaType>,
    manifests: &'a [Descriptor],
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a Descriptor>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: &'a BTreeMap<String, String>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

impl OciIndex {
    /// Parses an OCI image index, keeping `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Result<OciIndex, Error> {
        let wire: Wire = json::parse_versioned(FORMAT, 2, bytes)?;
        json::check_media_type(MediaType::OciIndex, wire.media_type.as_ref())?;
        Ok(OciIndex {
            raw: bytes.to_vec(),
            media_type: wire.media_type,
            artifact_type: wire.artifact_type,
            manifests: wire.manifests,
            subject: wire.subject,
            annotations: wire.annotations,
            extra: wire.extra,
        })
    }

    /// A new index of `manifests`, serialised canonically.
    pub fn new(manifests: Vec<Descriptor>) -> Result<OciIndex, Error> {
        OciIndex {
            raw: Vec::new(),
            media_type: Some(MediaType::OciIndex),
            artifact_type: None,
            manifests,
            subject: None,
            annotations: BTreeMap::new(),
            extra: Map::new(),
        }
        .reserialized()
    }

    /// The same index with these annotations, re-serialised.
    pub fn with_annotations(&self, annotations: BTreeMap<String, String>) -> Result<OciIndex, Error> {
        let mut next = self.clone();
        next.annotations = annotations;
        next.reserialized()
    }

    fn reserialized(mut self) -> Result<OciIndex, Error> {
        let out = Out {
            schema_version: 2,
            media_type: self.media_type.as_ref(),
            artifact_type: self.artifact_type.as_ref(),
            manifests: &self.manifests,
            subject: self.subject.as_ref(),
            annotations: &self.annotations,
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

    /// The `mediaType` field as written (optional in OCI).
    pub fn media_type_field(&self) -> Option<&MediaType> {
        self.media_type.as_ref()
    }

    /// The artifact type, for indexes of artifacts.
    pub fn artifact_type(&self) -> Option<&MediaType> {
        self.artifact_type.as_ref()
    }

    /// The listed manifests.
    pub fn manifests(&self) -> &[Descriptor] {
        &self.manifests
    }

    /// The manifest that serves `wanted` best (see [`Platform::rank_for`]):
    /// exact matches first, then containerd's fallbacks, earliest on a tie;
    /// failing those, the first manifest without a platform, as
    /// containers/image chooses.
    pub fn find(&self, wanted: &Platform) -> Option<&Descriptor> {
        find_platform(&self.manifests, wanted, true)
    }

    /// The manifest this index refers to.
    pub fn subject(&self) -> Option<&Descriptor> {
        self.subject.as_ref()
    }

    /// Annotations, sorted by key.
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }

    /// Members this crate does not know, kept as given.
    pub fn unknown_fields(&self) -> &Map<String, Value> {
        &self.extra
    }
}
