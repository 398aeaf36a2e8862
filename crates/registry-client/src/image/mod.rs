//! Image operations built on the client: resolve a reference to its manifest
//! and config (choosing a platform out of a list or index), and move images
//! between registries, OCI image layouts and archives (`docker-archive:`,
//! `oci-archive:`; [`save`] puts several images into one).
//!
//! Every transfer verifies each blob and manifest against its digest while it
//! flows, skips blobs the destination has, mounts blobs within one registry,
//! writes children before the list that names them, and reports the digest
//! the destination holds.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use registry_client::image::{self, NoProgress, TransferOptions};
//! use registry_client::layout::OciLayout;
//! use registry_client::Client;
//!
//! let client = Client::new()?;
//! let reference = "127.0.0.1:5000/team/app:1.0".parse()?;
//! let layout = OciLayout::create("app-layout").await?;
//! let report = image::pull(
//!     &client,
//!     &reference,
//!     &layout,
//!     Some(&"1.0".parse()?),
//!     &TransferOptions::new(),
//!     Arc::new(NoProgress),
//! )
//! .await?;
//! println!("{}", report.digest());
//! # Ok(())
//! # }
//! ```

mod artifact;
mod blob;
mod compression;
mod copier;
mod destination;
pub(crate) mod docker_archive;
mod files;
mod location;
mod manifests;
mod name;
mod oci_archive;
mod platform;
mod progress;
mod recompress;
mod referrers;
mod relayer;
mod resolve;
mod rewrite;
mod save;
mod source;
mod transfer;

pub use artifact::{
    push_artifact, Artifact, ArtifactFile, ArtifactPull, PulledFile, DEFAULT_ARTIFACT_TYPE,
    DEFAULT_CONFIG_TYPE, DEFAULT_FILE_TYPE, TITLE_ANNOTATION,
};
pub(crate) use blob::Computed;
pub use blob::{ComputedBlob, VerifiedBlob};
pub use compression::{LayerCompression, Recompress, DOCKER_LAYER_TAR};
pub use copier::{scan_blob, LayerScan, ScanFactory};
pub use destination::{
    BlobSink, BlobStart, ImageDestination, LayoutDestination, ManifestRole, RegistryDestination,
};
pub use docker_archive::{DockerArchiveDestination, DockerArchiveSource};
pub use files::{get_file, get_to_writer, put_bytes, put_file, PutBlob};
pub use location::{ImageLocation, ManifestData};
pub use manifests::{index_entry, put_index, tag, IndexFormat};
pub use name::ImageName;
pub use oci_archive::{OciArchiveDestination, OciArchiveSource};
pub use platform::host_platform;
pub use progress::{BlobOutcome, NoProgress, Progress};
pub use referrers::{copy_referrers, subjects_of, ReferrersReport};
pub use resolve::{resolve, resolve_from, ResolvedImage, CONFIG_LIMIT};
pub use rewrite::{Rewrite, RewritePlan, Rewritten};
pub use save::save;
pub(crate) use save::SharedArchive;
pub use source::{ImageSource, LayoutSource, RegistrySource};
pub use transfer::{
    convert, copy, copy_image, destination_digest, pull, push, registry_blobs, TransferOptions,
    TransferReport, DEFAULT_JOBS,
};
