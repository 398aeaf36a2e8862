//! The two shapes of a schema-version-2 manifest, image manifest and index,
//! each in a Docker and an OCI flavour: [`Document`] holds what all four
//! formats share, [`Image`] and [`Index`] what each shape adds.
//!
//! The flavours differ only in what a document may hold and how it is
//! written, both as their Go types (containers/image's) have it:
//!
//! | flavour | members, in order |
//! | --- | --- |
//! | Docker | `schemaVersion`, `mediaType`, the shape's, unknown members |
//! | OCI | `schemaVersion`, `mediaType`, `artifactType`, the shape's, `subject`, `annotations`, unknown members |
//!
//! and Docker descriptors put `size` before `digest`. In a Docker document,
//! members named like the OCI-only ones are unknown members, kept as given.

use std::collections::BTreeMap;

use oci_digest::Digest;
use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{json, Descriptor, Error, MediaType};

pub(crate) use shape::Shape;

/// Which family of tools a schema-version-2 manifest belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// Docker: schema2 image manifests and manifest lists.
    Docker,
    /// OCI: image manifests and image indexes, with the OCI 1.1 members.
    Oci,
}

/// A schema-version-2 manifest of shape `S`: an [`ImageManifest`](crate::ImageManifest)
/// (`S` is [`Image`]) or an [`ImageIndex`](crate::ImageIndex) (`S` is [`Index`]),
/// in either [`Flavour`], holding the exact bytes it was read from.
///
/// Values are immutable: every `with_*` method returns a new document,
/// written canonically (see the crate docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Document<S> {
    raw: Vec<u8>,
    flavour: Flavour,
    media_type: Option<MediaType>,
    artifact_type: Option<MediaType>,
    shape: S,
    subject: Option<Descriptor>,
    annotations: BTreeMap<String, String>,
    extra: Map<String, Value>,
}

/// The shape of an image manifest: a config and layers (see [`ImageManifest`](crate::ImageManifest)).
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub(crate) config: Descriptor,
    pub(crate) layers: Vec<Descriptor>,
}

/// The shape of an index: a list of manifests (see [`ImageIndex`](crate::ImageIndex)).
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub(crate) manifests: Vec<Descriptor>,
}

mod shape {
    use serde::ser::SerializeMap;

    use crate::{Document, Error, Flavour, MediaType};

    /// What the generic code of [`Document`] needs from a shape. Sealed: the
    /// two shapes are [`Image`](crate::Image) and [`Index`](crate::Index).
    pub trait Shape: Sized + Clone {
        /// The media type and name (for errors) of the format of this shape
        /// in each flavour: Docker's, then OCI's.
        const FORMATS: [(MediaType, &'static str); 2];

        /// Parses a document of this shape in `flavour`.
        fn read(flavour: Flavour, bytes: &[u8]) -> Result<Document<Self>, Error>;

        /// Writes the shape's own members in `flavour`'s order.
        fn write<M: SerializeMap>(&self, map: &mut M, flavour: Flavour) -> Result<(), M::Error>;
    }
}

/// The members every shape's wire struct reads besides its own: flattened
/// into it, so that the shape's members are read in place (and errors in
/// them point there).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Head {
    /// Checked by `parse_versioned`; named here so it stays out of `extra`.
    #[serde(rename = "schemaVersion")]
    _schema_version: i64,
    media_type: Option<MediaType>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The media type and name of the format of shape `S` in `flavour`.
pub(crate) fn format<S: Shape>(flavour: Flavour) -> (MediaType, &'static str) {
    let [docker, oci] = S::FORMATS;
    match flavour {
        Flavour::Docker => docker,
        Flavour::Oci => oci,
    }
}

impl<S: Shape> Document<S> {
    /// Parses a document of this shape in `flavour`, keeping `bytes`. A
    /// `mediaType` member naming another format is an error.
    pub fn from_slice(flavour: Flavour, bytes: &[u8]) -> Result<Document<S>, Error> {
        S::read(flavour, bytes)
    }

    /// The rest of [`Shape::read`]: the shape's members were read, `head`
    /// holds the others.
    pub(crate) fn assemble(
        flavour: Flavour,
        bytes: &[u8],
        shape: S,
        head: Head,
    ) -> Result<Document<S>, Error> {
        let (media_type, format) = format::<S>(flavour);
        json::check_media_type(media_type, head.media_type.as_ref())?;
        let mut document = Document {
            raw: bytes.to_vec(),
            flavour,
            media_type: head.media_type,
            artifact_type: None,
            shape,
            subject: None,
            annotations: BTreeMap::new(),
            extra: head.extra,
        };
        if flavour == Flavour::Oci {
            let extra = &mut document.extra;
            document.artifact_type = take::<Option<MediaType>>(format, extra, "artifactType")?.flatten();
            document.subject = take::<Option<Descriptor>>(format, extra, "subject")?.flatten();
            document.annotations = take(format, extra, "annotations")?.unwrap_or_default();
        }
        Ok(document)
    }

    /// A new document of `shape`, written canonically.
    pub(crate) fn create(flavour: Flavour, shape: S) -> Result<Document<S>, Error> {
        Document {
            raw: Vec::new(),
            flavour,
            media_type: Some(format::<S>(flavour).0),
            artifact_type: None,
            shape,
            subject: None,
            annotations: BTreeMap::new(),
            extra: Map::new(),
        }
        .rewritten()
    }

    /// The format's media type.
    pub fn media_type(&self) -> MediaType {
        format::<S>(self.flavour).0
    }

    /// The same document with an artifact type (OCI only), re-serialised.
    pub fn with_artifact_type(&self, artifact_type: MediaType) -> Result<Document<S>, Error> {
        self.edited("artifactType", |next| next.artifact_type = Some(artifact_type))
    }

    /// The same document with a subject, the manifest it refers to (OCI
    /// only), re-serialised.
    pub fn with_subject(&self, subject: Descriptor) -> Result<Document<S>, Error> {
        self.edited("subject", |next| next.subject = Some(subject))
    }

    /// The same document with these annotations (OCI only), re-serialised.
    pub fn with_annotations(&self, annotations: BTreeMap<String, String>) -> Result<Document<S>, Error> {
        self.edited("annotations", |next| next.annotations = annotations)
    }

    /// A copy changed by `edit` and written again; `member` names what
    /// changes, which must be a member of the flavour.
    fn edited(&self, member: &'static str, edit: impl FnOnce(&mut Self)) -> Result<Document<S>, Error> {
        if self.flavour == Flavour::Docker {
            return Err(Error::NotInFormat {
                media_type: self.media_type(),
                member,
            });
        }
        let mut next = self.clone();
        edit(&mut next);
        next.rewritten()
    }

    /// A copy with another shape, written again.
    pub(crate) fn with_shape(&self, shape: S) -> Result<Document<S>, Error> {
        let mut next = self.clone();
        next.shape = shape;
        next.rewritten()
    }

    /// The document written canonically, in its flavour's member order.
    fn rewritten(mut self) -> Result<Document<S>, Error> {
        self.raw = json::to_canonical(format::<S>(self.flavour).1, &Written(&self))?;
        Ok(self)
    }
}

impl<S> Document<S> {
    /// The exact bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The SHA-256 digest of the bytes.
    pub fn digest(&self) -> Digest {
        Digest::sha256(&self.raw)
    }

    /// Docker or OCI.
    pub fn flavour(&self) -> Flavour {
        self.flavour
    }

    /// The `mediaType` member as written (optional in OCI, absent in some
    /// old Docker manifests).
    pub fn media_type_field(&self) -> Option<&MediaType> {
        self.media_type.as_ref()
    }

    /// The artifact type, for artifacts that are not container images (OCI only).
    pub fn artifact_type(&self) -> Option<&MediaType> {
        self.artifact_type.as_ref()
    }

    /// The manifest this one refers to: signatures, SBOMs, ... (OCI only).
    pub fn subject(&self) -> Option<&Descriptor> {
        self.subject.as_ref()
    }

    /// Annotations, sorted by key (OCI only).
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }

    /// Members this crate does not know, kept as given.
    pub fn unknown_fields(&self) -> &Map<String, Value> {
        &self.extra
    }

    pub(crate) fn shape(&self) -> &S {
        &self.shape
    }
}

/// Removes `member` from `extra` and reads it as a `T`; `None` when absent.
fn take<T: DeserializeOwned>(
    format: &'static str,
    extra: &mut Map<String, Value>,
    member: &str,
) -> Result<Option<T>, Error> {
    extra
        .shift_remove(member)
        .map(|value| serde_json::from_value(value).map_err(|source| Error::Json { format, source }))
        .transpose()
}

/// A document as its flavour writes it (see the module docs). The OCI-only
/// members are never set in a Docker document.
struct Written<'a, S>(&'a Document<S>);

impl<S: Shape> Serialize for Written<'_, S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let document = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("schemaVersion", &2)?;
        if let Some(media_type) = &document.media_type {
            map.serialize_entry("mediaType", media_type)?;
        }
        if let Some(artifact_type) = &document.artifact_type {
            map.serialize_entry("artifactType", artifact_type)?;
        }
        document.shape.write(&mut map, document.flavour)?;
        if let Some(subject) = &document.subject {
            map.serialize_entry("subject", subject)?;
        }
        if !document.annotations.is_empty() {
            map.serialize_entry("annotations", &document.annotations)?;
        }
        for (key, value) in &document.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}
