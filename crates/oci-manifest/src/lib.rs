//! Image references and every Docker and OCI manifest format, byte-exact, with
//! schema1 JWS signatures.
//!
//! - [`Reference`]: `[HOST[:PORT]/]NAME[:TAG][@DIGEST]` with Docker's grammar,
//!   limits and defaults (`docker.io`, `library/`, `latest`).
//! - [`MediaType`], [`normalize_media_type`] and [`guess_media_type`]: what a
//!   server said a manifest is, and what its bytes say.
//! - [`Descriptor`], [`Platform`], [`ImageConfig`]: the pieces manifests point at.
//! - [`Manifest`]: Docker schema1 ([`Schema1`]), and the two shapes of schema
//!   version 2, each in a Docker and an OCI [`Flavour`]: image manifests
//!   ([`ImageManifest`]: Docker schema2, OCI manifest) and indexes
//!   ([`ImageIndex`]: Docker manifest list, OCI index).
//! - [`v1`]: Docker v1 image metadata (schema1 `v1Compatibility`, a legacy
//!   archive's `ID/json`) and the image config Docker builds from it.
//! - [`jws`]: schema1 signatures (verification and signing need the default
//!   `jws` feature; rebuilding the signed payload does not).
//!
//! **Bytes are the truth.** A parsed manifest keeps the bytes it came from and
//! its digest is computed from them (for signed schema1, from the signed
//! payload), so digests always agree with the registry's. Manifests this crate
//! creates or edits are written the way containers/image (skopeo, podman)
//! writes them: compact JSON with Go's escaping, members in the Go types'
//! order. The same content therefore gets the same digest from both.
//!
//! The crate does no I/O: it never opens a file or a socket.
//!
//! # Example
//!
//! ```
//! use oci_manifest::{BlobInfo, Manifest, MediaType, Reference};
//!
//! let reference: Reference = "localhost:5000/team/app:v1".parse()?;
//! assert_eq!(reference.repository().as_str(), "team/app");
//!
//! let bytes = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4","size":32}]}"#;
//! let manifest = Manifest::parse(bytes, Some("application/vnd.oci.image.manifest.v1+json"))?;
//! assert_eq!(manifest.media_type(), MediaType::OciManifest);
//! assert_eq!(manifest.as_bytes(), bytes);
//! assert_eq!(manifest.digest(), oci_digest::Digest::sha256(bytes));
//! assert_eq!(manifest.layer_infos().len(), 1);
//!
//! // Replace the layer: new canonical bytes, new digest.
//! let recompressed = BlobInfo::new(oci_digest::known::empty_tar())
//!     .with_size(1024)
//!     .with_media_type(MediaType::OciLayer);
//! let edited = manifest.with_layers(&[recompressed])?;
//! assert_ne!(edited.digest(), manifest.digest());
//! assert_eq!(edited.layer_descriptors().unwrap()[0].size(), 1024);
//! # Ok::<(), oci_manifest::Error>(())
//! ```
//!
//! # Features
//!
//! - `jws` (default): verify and produce schema1 signatures, using `ring`.
//!   Without it the crate still parses and digests signed schema1 manifests.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blob_info;
mod config;
mod descriptor;
mod detect;
mod document;
mod error;
#[doc(hidden)]
pub mod go_json;
mod image;
mod index;
mod json;
pub mod jws;
mod manifest;
mod media_type;
mod platform;
mod reference;
mod schema1;
pub mod v1;

pub use blob_info::BlobInfo;
pub use config::{ContainerConfig, History, ImageConfig, RootFs};
pub use descriptor::Descriptor;
pub use detect::{guess_media_type, normalize_media_type};
pub use document::{Document, Flavour, Image, Index};
pub use error::Error;
pub use image::ImageManifest;
pub use index::ImageIndex;
pub use manifest::{Manifest, ParseOptions, DEFAULT_MAX_MANIFEST_SIZE};
pub use media_type::MediaType;
pub use platform::Platform;
pub use reference::{
    Reference, Repository, DEFAULT_REGISTRY, DEFAULT_TAG, DOCKER_HUB_ENDPOINT, MAX_NAME_LEN, MAX_TAG_LEN,
};
pub use schema1::{Schema1, Schema1Layer, Schema1Layout};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
