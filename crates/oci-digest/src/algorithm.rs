//! Digest algorithms: the registered ones we can compute, and any other
//! well-formed name, which parses but cannot be computed.

use std::fmt;

/// A digest algorithm.
///
/// `sha256` and `sha512` are registered by the OCI image specification and can
/// be computed. Any other name that follows the grammar parses (so that
/// manifests naming future algorithms can still be read) but hashing with it
/// fails with [`Error::UnsupportedAlgorithm`](crate::Error::UnsupportedAlgorithm).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256, the canonical algorithm of every registry.
    Sha256,
    /// SHA-512.
    Sha512,
    /// A well-formed but unregistered algorithm name, kept as given.
    Other(Box<str>),
}

impl Algorithm {
    /// The algorithm's name as it appears before the `:` of a digest.
    pub fn as_str(&self) -> &str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
            Algorithm::Other(name) => name,
        }
    }

    /// Length of the hex-encoded value for registered algorithms.
    pub fn encoded_len(&self) -> Option<usize> {
        match self {
            Algorithm::Sha256 => Some(64),
            Algorithm::Sha512 => Some(128),
            Algorithm::Other(_) => None,
        }
    }

    /// Whether this crate can compute digests of this algorithm.
    pub fn is_supported(&self) -> bool {
        !matches!(self, Algorithm::Other(_))
    }

    /// Maps a validated algorithm name onto the enum.
    pub(crate) fn from_validated(name: &str) -> Algorithm {
        match name {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            other => Algorithm::Other(other.into()),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::digest::check_algorithm(s, s)?;
        Ok(Algorithm::from_validated(s))
    }
}
