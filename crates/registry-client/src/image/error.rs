//! What can go wrong in an image operation that spans the registry and the layout.

use oci_digest::Digest;
use oci_manifest::{MediaType, Platform};

use crate::layout::LayoutError;

/// An error from resolving, pulling, pushing or copying an image.
///
/// Registry and layout failures are wrapped whole, so their predicates
/// ([`crate::Error::is_not_found`], ...) stay reachable through
/// [`registry`](Self::registry).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The registry side failed.
    #[error(transparent)]
    Registry(#[from] crate::Error),
    /// The layout side failed.
    #[error(transparent)]
    Layout(Box<LayoutError>),
    /// A manifest could not be parsed.
    #[error("manifest {digest} cannot be read: {source}")]
    Manifest {
        /// The manifest's digest.
        digest: Digest,
        /// The parser's reason.
        #[source]
        source: Box<oci_manifest::Error>,
    },
    /// A list or index has no entry for the platform asked for.
    #[error("{image} has no image for platform {wanted} ({})", offered(available))]
    NoMatchingPlatform {
        /// The list or index, as the user named it.
        image: String,
        /// The platform asked for.
        wanted: Box<Platform>,
        /// The platforms the list or index offers, one per entry (an entry
        /// without one is named as such).
        available: Vec<String>,
    },
    /// The manifest format cannot be stored where it was going.
    #[error("{media_type} manifests cannot be stored in an OCI image layout; convert the image first")]
    UnsupportedInLayout {
        /// The manifest's media type.
        media_type: MediaType,
    },
    /// An image config is larger than this client reads into memory.
    #[error("config {digest} is {size} bytes, more than the {limit} bytes read into memory")]
    ConfigTooLarge {
        /// The config's digest.
        digest: Digest,
        /// Its size, as the manifest gives it.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A rewrite (a format conversion) could not be applied to the image.
    #[error(transparent)]
    Rewrite(crate::BoxError),
    /// A manifest whose type neither its bytes nor its descriptor tell (the descriptor names
    /// something that is not a manifest type, and the bytes have no recognisable shape).
    #[error("{digest}: the descriptor says {declared}, which is not a manifest type, and the bytes do not say what they are")]
    UnknownManifestType {
        /// The manifest.
        digest: Digest,
        /// The media type the descriptor gave.
        declared: MediaType,
    },
    /// Platforms to copy a subset of were given for an image that is not a list or index.
    #[error("{image} is one image, not a list or index: there is no subset of platforms to copy")]
    NotAList {
        /// The image, as the user named it.
        image: String,
    },
    /// A list or index names something that is not a manifest.
    #[error("{parent} lists {child} of type {media_type}, which is not a manifest")]
    NotAManifest {
        /// The list or index.
        parent: Digest,
        /// The entry.
        child: Digest,
        /// The entry's media type.
        media_type: MediaType,
    },
    /// An image that cannot be an entry of the index or list being made: a list or index
    /// itself, a schema1 manifest (it has no config to read a platform from), or an OCI
    /// manifest for a Docker list.
    #[error("{}", not_listable(media_type, list))]
    NotListable {
        /// The image's manifest.
        digest: Digest,
        /// Its media type.
        media_type: MediaType,
        /// The media type of the index or list.
        list: MediaType,
    },
    /// A manifest pulled as an artifact has no file layers (it is a list or index, or schema1).
    #[error("a {media_type} is not an artifact (it has no file layers)")]
    NotAnArtifact {
        /// The manifest's media type.
        media_type: MediaType,
    },
    /// An artifact layer's title cannot name a file under the directory it is pulled into;
    /// nothing was written.
    #[error("refusing layer title {}: {reason}", title.escape_debug())]
    UnsafeTitle {
        /// The title, as the manifest gives it.
        title: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// Two layers of an artifact carry the same title; nothing was written.
    #[error("two layers are titled {}", title.escape_debug())]
    DuplicateTitle {
        /// The title.
        title: String,
    },
    /// A directory on the way to a file being pulled is not one this crate writes through:
    /// a symlink (it could lead anywhere) or not a directory.
    #[error("{} {reason}", path.display())]
    UnsafePath {
        /// The path.
        path: std::path::PathBuf,
        /// What it is.
        reason: &'static str,
    },
}

impl From<LayoutError> for ImageError {
    fn from(error: LayoutError) -> Self {
        // Boxed: layout errors carry two digests and a path, and every
        // `Result` of this module would otherwise grow to their size.
        ImageError::Layout(Box::new(error))
    }
}

impl ImageError {
    /// The layout error inside, if the failure came from the layout.
    pub fn layout(&self) -> Option<&LayoutError> {
        match self {
            ImageError::Layout(error) => Some(error),
            _ => None,
        }
    }

    /// The registry error inside, if the failure came from the registry.
    pub fn registry(&self) -> Option<&crate::Error> {
        match self {
            ImageError::Registry(error) => Some(error),
            _ => None,
        }
    }

    /// Whether a connection broke (worth starting the blob again).
    pub(crate) fn is_broken_connection(&self) -> bool {
        matches!(self, ImageError::Registry(error) if error.is_broken_connection())
    }

    /// Whether the registry refused the credentials (once worth a fresh token).
    pub(crate) fn is_unauthorized(&self) -> bool {
        matches!(self, ImageError::Registry(error) if error.is_unauthorized())
    }

    /// Whether the image, a tag or a blob does not exist where it was looked for.
    pub fn is_not_found(&self) -> bool {
        match self {
            ImageError::Registry(error) => error.is_not_found(),
            ImageError::Layout(error) => error.is_not_found(),
            _ => false,
        }
    }
}

/// Why a manifest of `media_type` cannot be listed in a `list`, for [`ImageError::NotListable`].
fn not_listable(media_type: &MediaType, list: &MediaType) -> String {
    if media_type.is_schema1() {
        "a schema1 manifest cannot be listed".to_owned()
    } else if *media_type == MediaType::OciManifest && *list == MediaType::DockerManifestList {
        "a Docker manifest list holds Docker schema2 manifests, and this is an OCI manifest".to_owned()
    } else {
        format!("a {media_type} is not one image; name one platform's manifest")
    }
}

/// What a list or index offers, for [`ImageError::NoMatchingPlatform`]: never an empty list.
fn offered(available: &[String]) -> String {
    if available.is_empty() {
        "it lists no images".to_owned()
    } else {
        format!("it has: {}", available.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_matching_platform_never_lists_nothing() {
        let error = |available: &[&str]| ImageError::NoMatchingPlatform {
            image: "img".to_owned(),
            wanted: Box::new(Platform::new("linux", "s390x")),
            available: available.iter().map(|p| (*p).to_owned()).collect(),
        };
        assert_eq!(
            error(&[]).to_string(),
            "img has no image for platform linux/s390x (it lists no images)"
        );
        assert_eq!(
            error(&["linux/amd64", "an entry without a platform"]).to_string(),
            "img has no image for platform linux/s390x (it has: linux/amd64, an entry without a platform)"
        );
    }
}
