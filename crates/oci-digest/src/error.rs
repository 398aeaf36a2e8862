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
    #[error("digest mismatch: expected {expected}, got {actual}")]
    Mismatch {
        /// The digest the content was supposed to have.
        expected: Digest,
        /// The digest the content actually has.
        actual: Digest,
    },
}
