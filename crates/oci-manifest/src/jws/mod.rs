//! Docker schema1 "pretty" JWS signatures, compatible with docker/libtrust:
//! rebuilding the signed payload, verifying and producing signatures.
//!
//! A signed schema1 manifest (`application/vnd.docker.distribution.manifest.v1+prettyjws`)
//! is its payload with a `"signatures"` member spliced in before the final `}`.
//! Each signature's protected header records `formatLength` and `formatTail`,
//! which rebuild the exact payload bytes; the manifest digest is the SHA-256 of
//! that payload, not of the bytes served.
//!
//! * Always available: [`signed_payload`] and [`parse_signatures`], which need no
//!   cryptography.
//! * With the default `jws` feature (which pulls in `ring`): [`verify`], which
//!   checks every signature, and [`sign`], [`sign_all`] and
//!   [`add_dummy_signature`], which produce signatures libtrust accepts.
//!
//! Supported algorithms: ES256 (P-256), ES384 (P-384), RS256, RS384 and RS512
//! (RSA keys of 2048 to 8192 bits). ES512 (P-521) is recognised but `ring` has no
//! P-521, so such signatures fail with [`SignatureError::UnsupportedKey`] rather
//! than being reported valid or invalid. Keys come from the header's JWK, whose
//! `kid` must be the key's libtrust [`KeyId`], or from the leaf certificate of
//! an `x5c` chain; the chain is not validated against trust roots.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "jws")]
//! # fn main() -> Result<(), oci_manifest::jws::SignatureError> {
//! use std::time::{Duration, UNIX_EPOCH};
//! use oci_manifest::jws::{self, Algorithm, SigningKey};
//!
//! let payload = b"{\n   \"schemaVersion\": 1,\n   \"name\": \"library/hello\"\n}";
//! let key = SigningKey::generate_ec_p256()?;
//! let signed = jws::sign(payload, &key, UNIX_EPOCH + Duration::from_secs(1_420_070_400))?;
//!
//! // The payload, and so the digest, survives signing byte for byte.
//! assert_eq!(jws::signed_payload(&signed)?, payload);
//!
//! let verified = jws::verify(&signed)?;
//! assert_eq!(verified[0].algorithm(), Algorithm::Es256);
//! assert_eq!(verified[0].key_id(), key.key_id());
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "jws"))]
//! # fn main() {}
//! ```

mod algorithm;
mod base64url;
mod error;
mod parse;
mod protected;

#[cfg(feature = "jws")]
mod certificate;
#[cfg(feature = "jws")]
mod der;
#[cfg(feature = "jws")]
mod key_id;
#[cfg(feature = "jws")]
mod public_key;
#[cfg(feature = "jws")]
mod rfc3339;
#[cfg(feature = "jws")]
mod sign;
#[cfg(feature = "jws")]
mod verify;

pub use algorithm::Algorithm;
pub use error::SignatureError;
pub use parse::{parse_signatures, signed_payload, JwsSignature};

#[cfg(feature = "jws")]
pub use key_id::KeyId;
#[cfg(feature = "jws")]
pub use sign::{add_dummy_signature, sign, sign_all, SigningKey};
#[cfg(feature = "jws")]
pub use verify::{verify, VerifiedSignature};
