//! Docker v1 history carried in schema1 manifests, and the conversions that
//! need it.
//!
//! A schema1 manifest describes an image as a chain of v1 images, each layer's
//! metadata in a `v1Compatibility` JSON string. This crate reads that history
//! ([`V1Layer`], [`V1Metadata`]), checks and cleans its parent chain the way
//! Docker does on pull ([`V1History`], [`fix_layers`]), rewrites v1 IDs that
//! clash with stored content ([`rewrite_ids`]), converts it to an image config
//! whose digest is the image ID Docker reports ([`schema1_to_config`]), and
//! goes the other way for registries that only take schema1
//! ([`config_to_schema1`]). [`scan_layer`] reads a layer blob once to find its
//! digest, diffID and unpacked size. All of that is pure; [`convert`] is the
//! one function that talks to registries, converting whole images between
//! schema1, schema2 and OCI through `registry-client`.
//!
//! # Example
//!
//! ```
//! use oci_digest::{known, Digest};
//! use oci_manifest::{Schema1, Schema1Layout};
//! use v1_compat::{schema1_to_config, V1History};
//!
//! let base = "d0c4f1eb7dc8f4dae2b45fe5c0cf4cfc70e5be85d933f5f5f4deb59f134fb520";
//! let top = "faeaf6fdfdcbb18d68c12db9683a02428bab83962a493de88b4c7b1ec941db8f";
//! let base_v1 = format!(r#"{{"id":"{base}","created":"2016-09-23T18:08:50.537223822Z"}}"#);
//! let top_v1 = format!(
//!     r#"{{"id":"{top}","parent":"{base}","os":"linux","throwaway":true,
//!         "container_config":{{"Cmd":["/bin/sh -c #(nop) CMD [\"sh\"]"]}}}}"#
//! );
//! // Layers base first, each with its v1Compatibility.
//! let layers = [
//!     (Digest::sha256(b"base layer blob"), base_v1.as_str()),
//!     (known::empty_tar_gzip(), top_v1.as_str()),
//! ];
//! let manifest = Schema1::new(Schema1Layout::Docker, "library/demo", "latest", "amd64", layers)?;
//! let history = V1History::from_schema1(&manifest)?;
//! assert_eq!(history.layers()[0].metadata().id().as_str(), base);
//!
//! // One diffID per layer that is not `throwaway`.
//! let config = schema1_to_config(&history, &[known::empty_tar()])?;
//! let text = std::str::from_utf8(config.bytes()).unwrap();
//! assert!(text.starts_with(r#"{"container_config":"#));
//! assert!(text.contains(r#""rootfs":{"type":"layers","diff_ids":["sha256:5f70bf18"#));
//! println!("image ID {}", config.digest());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "client")]
mod convert;
mod error;
// The conversion helpers in here serve `convert`; the pure build keeps only `TargetFormat`.
#[cfg_attr(not(feature = "client"), allow(dead_code))]
mod format;
mod go_json;
mod inspect;
mod layer;
mod rewrite;
mod to_schema1;

#[cfg(feature = "client")]
pub use convert::{convert, convert_image, schema1_config, ConvertOptions, Converted};
pub use error::Error;
pub use format::TargetFormat;
pub use inspect::InspectSummary;
pub use layer::{scan_layer, Compression, LayerSummary};
pub use rewrite::{rewrite_ids, RewrittenLayer};
pub use to_schema1::config_to_schema1;
// The v1 metadata itself lives in `oci_manifest::v1`, where the image engine reads legacy
// archives with it; this crate builds on it and names it as its own.
pub use oci_manifest::v1::{
    fix_layers, legacy_to_config, schema1_to_config, ImageConfigBlob, Timestamp, V1History, V1Id, V1Layer,
    V1Metadata,
};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The image ID of a schema2 or OCI image: the digest of its config blob.
pub fn image_id(config: &[u8]) -> oci_digest::Digest {
    oci_digest::Digest::sha256(config)
}

/// The image ID of a schema1 image: the digest of the config
/// [`schema1_to_config`] builds from its history and content-layer diffIDs.
pub fn schema1_image_id(
    history: &V1History,
    diff_ids: &[oci_digest::Digest],
) -> Result<oci_digest::Digest, Error> {
    Ok(schema1_to_config(history, diff_ids)?.digest().clone())
}
