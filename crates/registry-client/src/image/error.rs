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
