//! [`Manifest`]: any manifest format behind one type, parsed from bytes and an
//! optional `Content-Type`, with the accessors every format shares.

use oci_digest::Digest;
use serde::Deserialize;

use crate::{
    guess_media_type, normalize_media_type, BlobInfo, Descriptor, Error, Flavour, ImageIndex, ImageManifest,
    MediaType, Platform, Schema1,
};

/// The default limit on manifest size: 4 MiB, what registries themselves accept (the
/// distribution specification asks them to take manifests of at least 4 MiB, so none larger
/// can be pushed everywhere).
///
/// The one manifest limit of the workspace: the registry client's default, the largest
/// manifest read from an OCI layout, and the CLI's cap on manifest files are this constant.
pub const DEFAULT_MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;

/// Limits applied by [`Manifest::parse_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    max_size: u64,
}

impl ParseOptions {
    /// The same options with another size limit, in bytes.
    pub fn with_max_size(mut self, max_size: u64) -> ParseOptions {
        self.max_size = max_size;
        self
    }

    /// The size limit, in bytes.
    pub fn max_size(&self) -> u64 {
        self.max_size
    }
}

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions {
            max_size: DEFAULT_MAX_MANIFEST_SIZE,
        }
    }
}

/// A manifest of any supported format: schema1, or one of the two shapes of
/// schema version 2 (image manifest and index), each Docker or OCI.
///
/// Every variant keeps the exact bytes it was parsed from; [`digest`](Self::digest)
/// is computed from them (for signed schema1, from the signed payload), never
/// from a re-serialisation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// The variants differ in size (descriptors are held inline), but a program holds
// a handful of manifests at a time: boxing would cost every match a `Box`
// pattern for no measurable gain.
#[allow(clippy::large_enum_variant)]
pub enum Manifest {
    /// Docker schema1, signed or unsigned.
    Schema1(Schema1),
    /// An image manifest: Docker schema2 or OCI.
    Image(ImageManifest),
    /// An index: Docker manifest list or OCI image index.
    Index(ImageIndex),
}

impl Manifest {
    /// Parses `bytes` served with `content_type`, with the default 4 MiB limit.
    ///
    /// A `Content-Type` naming a manifest type decides the format (schema1 is
    /// refined to signed or unsigned by the bytes); a missing or uninformative
    /// one (see [`normalize_media_type`]) leaves it to [`guess_media_type`].
    /// A `mediaType` member contradicting the format is an error.
    pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Manifest, Error> {
        Manifest::parse_with(bytes, content_type, &ParseOptions::default())
    }

    /// [`parse`](Self::parse) with explicit limits.
    pub fn parse_with(
        bytes: &[u8],
        content_type: Option<&str>,
        options: &ParseOptions,
    ) -> Result<Manifest, Error> {
        if bytes.len() as u64 > options.max_size {
            return Err(Error::TooLarge {
                size: bytes.len() as u64,
                max: options.max_size,
            });
        }
        let format = match normalize_media_type(content_type) {
            Some(declared) => declared,
            None => guess_media_type(bytes).ok_or_else(|| Error::UnknownFormat {
                content_type: content_type.map(str::to_owned),
                media_type: media_type_member(bytes),
            })?,
        };
        let image = |flavour| ImageManifest::from_slice(flavour, bytes).map(Manifest::Image);
        let index = |flavour| ImageIndex::from_slice(flavour, bytes).map(Manifest::Index);
        match format {
            MediaType::DockerSchema1 | MediaType::DockerSchema1Signed => {
                Schema1::from_slice(bytes).map(Manifest::Schema1)
            }
            MediaType::DockerSchema2 => image(Flavour::Docker),
            MediaType::OciManifest => image(Flavour::Oci),
            MediaType::DockerManifestList => index(Flavour::Docker),
            MediaType::OciIndex => index(Flavour::Oci),
            other => Err(Error::UnknownFormat {
                content_type: content_type.map(str::to_owned),
                media_type: Some(other.to_string()),
            }),
        }
    }

    /// The format's media type (for schema1: signed or not, by the bytes).
    pub fn media_type(&self) -> MediaType {
        match self {
            Manifest::Schema1(m) => m.media_type(),
            Manifest::Image(m) => m.media_type(),
            Manifest::Index(m) => m.media_type(),
        }
    }

    /// The exact bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Manifest::Schema1(m) => m.as_bytes(),
            Manifest::Image(m) => m.as_bytes(),
            Manifest::Index(m) => m.as_bytes(),
        }
    }

    /// The bytes the digest is computed over: the signed payload for signed
    /// schema1, the exact bytes otherwise.
    pub fn digested_bytes(&self) -> &[u8] {
        match self {
            Manifest::Schema1(m) => m.payload(),
            other => other.as_bytes(),
        }
    }

    /// The SHA-256 digest, as a registry's `Docker-Content-Digest` gives it.
    pub fn digest(&self) -> Digest {
        Digest::sha256(self.digested_bytes())
    }

    /// Whether this manifest has digest `expected` (of `expected`'s algorithm).
    /// An unsupported algorithm never matches.
    pub fn matches_digest(&self, expected: &Digest) -> bool {
        expected.matches(self.digested_bytes())
    }

    /// Whether this manifest lists other manifests (manifest list, OCI index).
    pub fn is_index(&self) -> bool {
        matches!(self, Manifest::Index(_))
    }

    /// The config descriptor (schema2 and OCI manifests; schema1 has none).
    pub fn config(&self) -> Option<&Descriptor> {
        match self {
            Manifest::Image(m) => Some(m.config()),
            _ => None,
        }
    }

    /// The layer descriptors, base first (schema2 and OCI manifests).
    pub fn layer_descriptors(&self) -> Option<&[Descriptor]> {
        match self {
            Manifest::Image(m) => Some(m.layers()),
            _ => None,
        }
    }

    /// The layers of any image manifest, base first, duplicates kept; empty
    /// for lists and indexes. Schema1 layers carry only their digest.
    pub fn layer_infos(&self) -> Vec<BlobInfo> {
        match self {
            Manifest::Schema1(m) => m
                .layers()
                .map(|layer| BlobInfo::new(layer.blob_sum().clone()))
                .collect(),
            other => other
                .layer_descriptors()
                .unwrap_or_default()
                .iter()
                .map(BlobInfo::from)
                .collect(),
        }
    }

    /// The entries of a manifest list or OCI index.
    pub fn manifests(&self) -> Option<&[Descriptor]> {
        match self {
            Manifest::Index(m) => Some(m.manifests()),
            _ => None,
        }
    }

    /// The first entry of a list or index whose platform matches `wanted`.
    pub fn find_platform(&self, wanted: &Platform) -> Option<&Descriptor> {
        match self {
            Manifest::Index(m) => m.find(wanted),
            _ => None,
        }
    }

    /// The manifest this one refers to (OCI 1.1 `subject`).
    pub fn subject(&self) -> Option<&Descriptor> {
        match self {
            Manifest::Image(m) => m.subject(),
            Manifest::Index(m) => m.subject(),
            Manifest::Schema1(_) => None,
        }
    }

    /// A new manifest of the same format with its layers replaced (base
    /// first, as many as there are now), re-serialised canonically. Signed
    /// schema1 comes back unsigned.
    pub fn with_layers(&self, layers: &[BlobInfo]) -> Result<Manifest, Error> {
        match self {
            Manifest::Schema1(m) => m.with_layers(layers).map(Manifest::Schema1),
            Manifest::Image(m) => m.with_layers(layers).map(Manifest::Image),
            Manifest::Index(_) => Err(Error::NotAnImage {
                media_type: self.media_type(),
                wanted: "layers",
            }),
        }
    }
}

/// The `mediaType` member, if the bytes are a JSON object with a string one.
fn media_type_member(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct MediaTypeOnly {
        media_type: Option<String>,
    }
    serde_json::from_slice::<MediaTypeOnly>(bytes).ok()?.media_type
}
