//! The one error type of this crate.

use crate::Digest;

/// Everything that can go wrong when parsing, computing or verifying a digest.
///
/// Each variant names the offending input so that a message printed to a user
/// says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was empty.
    #[error("digest is empty, expected `algorithm:encoded` such as `sha256:<64 hex characters>`")]
    Empty,
    /// There was no `:` between algorithm and encoded part.
    #[error("digest {input:?} has no `:` separating the algorithm from the encoded value")]
    MissingSeparator {
        /// The rejected input.
        input: String,
    },
    /// The algorithm part does not follow `[a-z0-9]+([+._-][a-z0-9]+)*`.
    #[error("digest {input:?} has an invalid algorithm {algorithm:?}: {reason}")]
    InvalidAlgorithm {
        /// The rejected input.
        input: String,
        /// The algorithm part as given.
        algorithm: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The encoded part is empty or has a character outside `[a-zA-Z0-9=_-]`.
    #[error("digest {input:?} has an invalid encoded value: {reason}")]
    InvalidEncoded {
        /// The rejected input.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A registered algorithm was given an encoded value of the wrong length.
    #[error("{algorithm} digest has {actual} hex characters, needs {expected}")]
    WrongLength {
        /// The algorithm whose length rule was broken.
        algorithm: &'static str,
        /// How many characters the encoded part had.
        actual: usize,
        /// How many it must have.
        expected: usize,
    },
    /// A registered algorithm was given something other than lowercase hex.
    #[error(
        "{algorithm} digest {input:?} must be lowercase hexadecimal, found {found:?} at position {position}"
    )]
    NotLowercaseHex {
        /// The algorithm whose rule was broken.
        algorithm: &'static str,
        /// The rejected input.
        input: String,
        /// The first offending character.
        found: char,
        /// Its position within the encoded part (0-based).
        position: usize,
    },
    /// The digest parsed, but its algorithm cannot be computed by this crate.
    #[error("digest algorithm {algorithm:?} is not supported for hashing (supported: sha256, sha512)")]
    UnsupportedAlgorithm {
        /// The algorithm name.
        algorithm: String,
    },
    /// Content did not hash to the expected digest.
    #[error(transparent)]
    Mismatch(#[from] Mismatch),
}

/// Content that did not hash to the digest it was fetched, written or announced under.
///
/// The one shape of a digest mismatch: the crates built on this one carry it whole in their
/// own errors rather than copying its two digests into fields of their own.
///
/// ```
/// use oci_digest::{Digest, Mismatch};
///
/// let mismatch = Mismatch::new(Digest::sha256(b"right"), Digest::sha256(b"wrong"));
/// assert_eq!(mismatch.expected(), &Digest::sha256(b"right"));
/// assert!(mismatch.to_string().starts_with("digest mismatch: expected sha256:"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("digest mismatch: expected {expected}, got {actual}")]
pub struct Mismatch {
    expected: Digest,
    actual: Digest,
}

impl Mismatch {
    /// Content that should have hashed to `expected` hashed to `actual`.
    pub fn new(expected: Digest, actual: Digest) -> Mismatch {
        Mismatch { expected, actual }
    }

    /// The digest the content was supposed to have.
    pub fn expected(&self) -> &Digest {
        &self.expected
    }

    /// The digest the content actually has (or, for an upload, the digest the registry
    /// reported).
    pub fn actual(&self) -> &Digest {
        &self.actual
    }
}
