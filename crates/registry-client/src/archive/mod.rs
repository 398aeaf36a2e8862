//! Image archives: `docker-archive:` (what `docker save`, `podman save` and
//! `ctr images export` write: `manifest.json`, configs and layer tars; and
//! the legacy format of Docker before 1.10, `repositories` and one
//! `ID/json` + `ID/layer.tar` directory per v1 image, which is read) and
//! `oci-archive:` (a tar of an OCI image layout), read and written in place.
//!
//! An archive is read by an index of its members (one pass over the tar
//! headers, seeking past the content), never unpacked: each blob is read
//! from its offset when it moves, in constant memory. An archive is written
//! into a temp file beside its target and renamed over it once complete, so a
//! failed or interrupted write leaves the target as it was. Everything in an
//! archive is untrusted: member names that are absolute or climb with `..`,
//! links that leave the archive, members named twice, truncated content, a
//! manifest naming what is not there and layers whose content is not the
//! config's diffID are refused with a typed [`Error`](crate::Error).
//!
//! The image engine reads and writes archives through
//! [`DockerArchiveSource`](crate::image::DockerArchiveSource),
//! [`DockerArchiveDestination`](crate::image::DockerArchiveDestination),
//! [`OciArchiveSource`](crate::image::OciArchiveSource) and
//! [`OciArchiveDestination`](crate::image::OciArchiveDestination), and
//! [`save`](crate::image::save) puts several images into one archive.
//!
//! ```
//! use registry_client::archive::{ArchiveImage, DockerArchiveRef, OciArchiveRef};
//!
//! let r: DockerArchiveRef = "images.tar:team/app:1.0".parse()?;
//! assert_eq!(r.path().to_str(), Some("images.tar"));
//! assert!(matches!(r.image(), Some(ArchiveImage::Tagged(name)) if name.to_string() == "docker.io/team/app:1.0"));
//! let r: DockerArchiveRef = "images.tar:@1".parse()?;
//! assert_eq!(r.image(), Some(&ArchiveImage::Index(1)));
//! let r: OciArchiveRef = "app.tar:v1".parse()?;
//! assert_eq!(r.tag().map(|t| t.as_str()), Some("v1"));
//! # Ok::<(), registry_client::Error>(())
//! ```

pub(crate) mod docker;
pub(crate) mod legacy;
#[cfg(test)]
mod legacy_tests;
mod reference;
pub(crate) mod session;
pub(crate) mod stream;
pub(crate) mod tar_index;
pub(crate) mod tar_writer;
#[cfg(test)]
mod tests;

pub use reference::{ArchiveFormat, ArchiveImage, DockerArchiveRef, OciArchiveRef};

/// The largest metadata member (`manifest.json`, `index.json`, `oci-layout`) read into
/// memory: as large as a manifest may be.
pub(crate) const METADATA_LIMIT: u64 = oci_manifest::DEFAULT_MAX_MANIFEST_SIZE;
