//! What can go wrong with an OCI image layout on disk.

use std::io;
use std::path::PathBuf;

use oci_digest::Digest;

/// An error reading or writing an OCI image layout.
///
/// Every variant names the file, digest or tag involved, so that the message
/// alone tells the user what to look at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// A filesystem operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "cannot create".
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// A blob path is a symlink, a directory or something else than a regular file, or it
    /// resolves outside the layout: a layout only ever yields regular files inside its root.
    #[error("{} is refused: {reason}", path.display())]
    NotARegularFile {
        /// The blob path.
        path: PathBuf,
        /// What it is instead.
        reason: &'static str,
    },
    /// The directory has no `oci-layout` file, so it is not an image layout.
    #[error("{} is not an OCI image layout: it has no `oci-layout` file", dir.display())]
    NotALayout {
        /// The directory that was opened.
        dir: PathBuf,
    },
    /// `oci-layout` names a version this crate does not read.
    #[error("{} has image layout version {version:?}; only 1.x is supported", path.display())]
    UnsupportedVersion {
        /// The `oci-layout` file.
        path: PathBuf,
        /// The version it declares.
        version: String,
    },
    /// A layout file (`oci-layout` or `index.json`) is not what the
    /// specification says it must be.
    #[error("{} is malformed: {source}", path.display())]
    Malformed {
        /// The file that failed to parse.
        path: PathBuf,
        /// The parser's reason.
        #[source]
        source: serde_json::Error,
    },
    /// A manifest or config is larger than the limit for reading it into memory.
    #[error("blob {digest} is {size} bytes, more than the {limit} bytes allowed in memory")]
    TooLarge {
        /// The blob.
        digest: Digest,
        /// Its size on disk.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Content did not hash to the digest it was written or read under;
    /// nothing was kept.
    #[error("blob content does not match its digest: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The digest the content was supposed to have.
        expected: Digest,
        /// The digest it actually has.
        actual: Digest,
    },
    /// Content had a different length from the one its descriptor promised;
    /// nothing was kept.
    #[error("blob {digest} has {actual} bytes, its descriptor says {expected}")]
    SizeMismatch {
        /// The blob.
        digest: Digest,
        /// The size the descriptor names.
        expected: u64,
        /// The number of bytes received.
        actual: u64,
    },
    /// The digest uses an algorithm that cannot be computed, so content
    /// under it cannot be verified.
    #[error("cannot verify blob {digest}: its algorithm cannot be computed (supported: sha256, sha512)")]
    UnsupportedDigest {
        /// The digest.
        digest: Digest,
    },
    /// A tag does not follow the `org.opencontainers.image.ref.name` grammar.
    #[error("invalid layout tag {tag:?}: {reason}")]
    InvalidTag {
        /// The rejected tag.
        tag: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No entry of `index.json` carries this tag.
    #[error("the layout at {} has no image tagged {tag:?}", dir.display())]
    TagNotFound {
        /// The layout directory.
        dir: PathBuf,
        /// The tag looked for.
        tag: String,
    },
    /// The blob is not in the layout.
    #[error("the layout at {} has no blob {digest}", dir.display())]
    BlobNotFound {
        /// The layout directory.
        dir: PathBuf,
        /// The missing blob.
        digest: Digest,
    },
    /// The blob asked for as a manifest is not one of the manifest formats.
    #[error("blob {digest} is not a manifest")]
    NotAManifest {
        /// The blob.
        digest: Digest,
    },
    /// No tag was given and `index.json` does not hold exactly one image.
    #[error("the layout at {} holds {count} images; name one by tag or digest", dir.display())]
    AmbiguousImage {
        /// The layout directory.
        dir: PathBuf,
        /// How many entries `index.json` has.
        count: usize,
    },
}

impl LayoutError {
    /// Whether the error says a tag or blob is absent from the layout.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            LayoutError::TagNotFound { .. } | LayoutError::BlobNotFound { .. }
        )
    }

    /// Wraps an `io::Error` from reading verified content: the digest
    /// mismatch a verifying reader reports keeps its own variant.
    pub(crate) fn read(action: &'static str, path: PathBuf, error: io::Error) -> LayoutError {
        match oci_digest::mismatch(&error) {
            Some(oci_digest::Error::Mismatch { expected, actual }) => LayoutError::DigestMismatch {
                expected: expected.clone(),
                actual: actual.clone(),
            },
            _ => LayoutError::Io {
                action,
                path,
                source: error,
            },
        }
    }

    /// Wraps an `io::Error` with what was being done and where.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> LayoutError {
        let path = path.into();
        move |source| LayoutError::Io { action, path, source }
    }
}
