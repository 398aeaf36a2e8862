//! Content digests for OCI and Docker registries.
//!
//! Every blob and manifest in a registry is addressed by a digest,
//! `algorithm:encoded`. This crate parses and validates them
//! ([`Digest`]), computes them incrementally at hardware speed ([`Digester`]),
//! and checks content against them while it streams ([`Verifier`],
//! [`VerifyingReader`]). It does no I/O of its own and has no async
//! runtime: network crates adapt [`Verifier`] to their streams.
//!
//! # Example
//!
//! ```
//! use std::io::Read;
//! use oci_digest::{known, Algorithm, Digest, VerifyingReader};
//!
//! // Parse and validate.
//! let empty: Digest = known::EMPTY.parse()?;
//! assert_eq!(empty.algorithm(), &Algorithm::Sha256);
//!
//! // Compute.
//! assert_eq!(Digest::sha256(b""), empty);
//!
//! // Verify while reading.
//! let blob = b"{}";
//! let mut reader = VerifyingReader::new(&blob[..], &known::empty_json())?;
//! let mut out = Vec::new();
//! reader.read_to_end(&mut out)?;
//! assert!(reader.is_verified());
//!
//! // Errors name what was wrong.
//! let err = "sha256:abc".parse::<Digest>().unwrap_err();
//! assert_eq!(err.to_string(), "sha256 digest has 3 hex characters, needs 64");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod algorithm;
mod digest;
mod digester;
mod error;
pub mod known;
mod reader;

pub use algorithm::Algorithm;
pub use digest::Digest;
pub use digester::{Digester, Verifier};
pub use error::{Error, Mismatch};
pub use reader::{digest_reader, mismatch, HashingReader, VerifyingReader};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
