//! Docker v1 image metadata, the history Docker kept before image configs:
//! the v1 image JSON of a schema1 manifest's `v1Compatibility` and of a
//! legacy `docker save` archive's `ID/json`, and the image config Docker
//! builds from a chain of them.
//!
//! - [`V1Id`], [`Timestamp`]: v1 image IDs, and times as Go spells them.
//! - [`V1Metadata`], [`V1Layer`]: one v1 image JSON, parsed, with its layer.
//! - [`V1History`], [`fix_layers`]: a whole chain, base first, checked the way
//!   Docker checks it on pull.
//! - [`schema1_to_config`] (a pulled schema1 image) and [`legacy_to_config`]
//!   (an image `docker load` reads from a legacy archive): the image config,
//!   byte for byte as Docker builds it, so its digest is the image ID Docker
//!   reports.
//!
//! ```
//! use oci_digest::Digest;
//! use oci_manifest::v1::{legacy_to_config, V1History, V1Layer};
//!
//! let id = "d0c4f1eb7dc8f4dae2b45fe5c0cf4cfc70e5be85d933f5f5f4deb59f134fb520";
//! let json = format!(r#"{{"id":"{id}","created":"2015-11-03T08:00:00.5Z","docker_version":"1.9.1"}}"#);
//! let layer_tar = Digest::sha256(b"the layer");
//! let history = V1History::new(vec![V1Layer::new(layer_tar.clone(), json, 0)?])?;
//! let config = legacy_to_config(&history)?;
//! let text = std::str::from_utf8(config.bytes()).unwrap();
//! assert!(text.contains(&format!(r#""rootfs":{{"type":"layers","diff_ids":["{layer_tar}"]}}"#)));
//! # Ok::<(), oci_manifest::Error>(())
//! ```

mod history;
mod id;
mod metadata;
mod timestamp;
mod to_config;

pub use history::{fix_layers, V1History};
pub use id::V1Id;
pub use metadata::{V1Layer, V1Metadata};
pub use timestamp::Timestamp;
pub use to_config::{legacy_to_config, schema1_to_config, ImageConfigBlob};
