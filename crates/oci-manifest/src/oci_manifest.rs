//! OCI image manifest: config and layer descriptors, plus the OCI 1.1 extras
//! (`artifactType`, `subject`, `annotations`).

use std::collections::BTreeMap;

use oci_digest::Digest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::schema2::replace_layers;
use crate::{json, BlobInfo, Descriptor, Error, MediaType};

const FORMAT: &str = "OCI image manifest";

/// An OCI image manifest, holding the exact bytes it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct OciManifest {
    raw: Vec<u8>,
    media_type: Option<MediaType>,
    artifact_type: Option<MediaType>,
    config: Descriptor,
    layers: Vec<Descriptor>,
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
    config: Descriptor,
    layers: Vec<Descriptor>,
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
    config: &'a Descriptor,
    layers: &'a [Descriptor],
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a Descriptor>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: &'a BTreeMap<String, String>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

impl OciManifest {
    /// Parses an OCI image manifest, keeping `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Result<OciManifest, Error> {
        let wire: Wire = json::parse_versioned(FORMAT, 2, bytes)?;
        json::check_media_type(MediaType::OciManifest, wire.media_type.as_ref())?;
        Ok(OciManifest {
            raw: bytes.to_vec(),
            media_type: wire.media_type,
            artifact_type: wire.artifact_type,
            config: wire.config,
            layers: wire.layers,
            subject: wire.subject,
            annotations: wire.annotations,
            extra: wire.extra,
        })
    }

    /// A new manifest, serialised canonically (see the crate docs).
    pub fn new(config: Descriptor, layers: Vec<Descriptor>) -> Result<OciManifest, Error> {
        OciManifest {
            raw: Vec::new(),
            media_type: Some(MediaType::OciManifest),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: BTreeMap::new(),
            extra: Map::new(),
        }
        .reserialized()
    }

    /// The same manifest with an artifact type, re-serialised.
    pub fn with_artifact_type(&self, artifact_type: MediaType) -> Result<OciManifest, Error> {
        let mut next = self.clone();
        next.artifact_type = Some(artifact_type);
        next.reserialized()
    }

    /// The same manifest with a subject (the manifest it refers to), re-serialised.
    pub fn with_subject(&self, subject: Descriptor) -> Result<OciManifest, Error> {
        let mut next = self.clone();
        next.subject = Some(subject);
        next.reserialized()
    }

    /// The same manifest with these annotations, re-serialised.
    pub fn with_annotations(&self, annotations: BTreeMap<String, String>) -> Result<OciManifest, Error> {
        let mut next = self.clone();
        next.annotations = annotations;
        next.reserialized()
    }

    /// A new manifest with each layer replaced by the matching `layers` entry
    /// (base first), re-serialised canonically.
    pub fn with_layers(&self, layers: &[BlobInfo]) -> Result<OciManifest, Error> {
        let mut next = self.clone();
        next.layers = replace_layers(&self.layers, layers)?;
        next.reserialized()
    }

    fn reserialized(mut self) -> Result<OciManifest, Error> {
        let out = Out {
            schema_version: 2,
            media_type: self.media_type.as_ref(),
            artifact_type: self.artifact_type.as_ref(),
            config: &self.config,
            layers: &self.layers,
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

    /// The artifact type, for artifacts that are not container images.
    pub fn artifact_type(&self) -> Option<&MediaType> {
        self.artifact_type.as_ref()
    }

    /// The config descriptor.
    pub fn config(&self) -> &Descriptor {
        &self.config
    }

    /// The layer descriptors, base first. Duplicates are meaningful.
    pub fn layers(&self) -> &[Descriptor] {
        &self.layers
    }

    /// The manifest this one refers to (signatures, SBOMs, ...).
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
