//! The error type of schema1 signature handling.
//!
//! Structural problems (the JSON shape, base64, the protected header, keys that do
//! not describe themselves truthfully) name what was wrong so a user can find it.
//! Cryptographic failures collapse into [`SignatureError::Invalid`] without detail:
//! telling an attacker *why* a forgery failed helps nobody else.

/// Everything that can go wrong when reading, verifying or producing a schema1
/// JWS signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The manifest is not a JSON object, or not valid JSON at all.
    #[error("signed manifest is not a JSON object: {reason}")]
    NotJsonObject {
        /// What the JSON parser reported.
        reason: String,
    },
    /// The manifest has no `signatures` array, or it is empty.
    #[error("manifest has no signatures")]
    NoSignatures,
    /// The manifest's `signatures` member is there but is not an array, so there is no
    /// signature to number.
    #[error("manifest's `signatures` member is not an array (it is {found})")]
    SignaturesNotAnArray {
        /// The JSON type found instead, such as `an object`.
        found: &'static str,
    },
    /// A field of a signature entry is missing or has the wrong JSON type.
    #[error("signature {index}: field `{field}` is missing or malformed: {reason}")]
    MalformedSignature {
        /// Position of the signature in the `signatures` array.
        index: usize,
        /// The offending field, as a path such as `header.jwk.crv`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A base64url field did not decode (libtrust uses unpadded base64url).
    #[error("signature {index}: field `{field}` is not valid unpadded base64url")]
    Base64 {
        /// Position of the signature in the `signatures` array.
        index: usize,
        /// The offending field.
        field: &'static str,
    },
    /// The protected header decoded but is not the JSON object libtrust writes.
    #[error("signature {index}: protected header is malformed: {reason}")]
    ProtectedHeader {
        /// Position of the signature in the `signatures` array.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// `formatLength` points outside the manifest bytes.
    #[error("signature {index}: formatLength {format_length} is out of range for a {len}-byte manifest")]
    FormatLengthOutOfRange {
        /// Position of the signature in the `signatures` array.
        index: usize,
        /// The `formatLength` the protected header declared.
        format_length: u64,
        /// Length of the manifest bytes.
        len: usize,
    },
    /// The manifest is not laid out as its protected header says: `formatTail` may only close
    /// the object, and must fit in what follows the first `formatLength` bytes. Otherwise the
    /// rebuilt payload, which the digest and the signatures cover, would hold content the
    /// manifest does not show.
    #[error("signature {index}: the manifest is not laid out as its protected header says: {reason}")]
    LayoutMismatch {
        /// Position of the signature in the `signatures` array.
        index: usize,
        /// What does not fit.
        reason: &'static str,
    },
    /// Two signatures rebuild different payloads.
    #[error("signature {index} signs a different payload than signature 0")]
    PayloadMismatch {
        /// Position of the first disagreeing signature.
        index: usize,
    },
    /// The `alg` of a signature is not one this crate knows.
    #[error("signature {index}: unsupported algorithm {alg:?}")]
    UnsupportedAlgorithm {
        /// Position of the signature in the `signatures` array.
        index: usize,
        /// The algorithm name as given.
        alg: String,
    },
    /// The key type or curve is not one this crate can use.
    #[error("signature {index}: unsupported key {key:?}")]
    UnsupportedKey {
        /// Position of the signature in the `signatures` array
        /// (0 when loading a signing key).
        index: usize,
        /// The key type or curve as given, for example `EC P-521`.
        key: String,
    },
    /// The key does not fit the algorithm (an RSA key with `ES256`, a P-384 key with `ES256`).
    #[error("signature {index}: algorithm {alg} cannot be used with a {key} key")]
    AlgorithmKeyMismatch {
        /// Position of the signature in the `signatures` array.
        index: usize,
        /// The algorithm of the signature.
        alg: String,
        /// The kind of key found.
        key: String,
    },
    /// The JWK `kid` is not the libtrust key ID of the key it describes.
    #[error("signature {index}: key ID {declared:?} does not match the key (its ID is {actual:?})")]
    KeyIdMismatch {
        /// Position of the signature in the `signatures` array.
        index: usize,
        /// The `kid` as declared.
        declared: String,
        /// The key ID computed from the key.
        actual: String,
    },
    /// Text that should be a libtrust key ID is not one.
    #[error("{input:?} is not a libtrust key ID (12 groups of 4 base32 characters joined by `:`)")]
    MalformedKeyId {
        /// The rejected text.
        input: String,
    },
    /// An `x5c` certificate could not be parsed, or the chain does not link up.
    #[error("signature {index}: x5c certificate {position} is unusable: {reason}")]
    Certificate {
        /// Position of the signature in the `signatures` array.
        index: usize,
        /// Position of the certificate in the `x5c` chain (0 is the leaf).
        position: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A signing key could not be loaded from PKCS#8 or PEM.
    #[error("signing key is unusable: {reason}")]
    InvalidKey {
        /// What is wrong with it.
        reason: String,
    },
    /// The payload to sign is not a JSON object ending in `}` libtrust can append to.
    #[error("payload cannot be signed: {reason}")]
    UnsignablePayload {
        /// What is wrong with it.
        reason: String,
    },
    /// The signing time cannot be written as an RFC 3339 UTC timestamp
    /// (it is before 1970 or after 9999).
    #[error("signing time is outside the years 1970 to 9999")]
    TimeOutOfRange,
    /// A signature did not verify.
    ///
    /// Deliberately carries no detail.
    #[error("signature {index} is invalid")]
    Invalid {
        /// Position of the signature in the `signatures` array.
        index: usize,
    },
    /// The cryptographic library failed to produce a signature or a key.
    ///
    /// Deliberately carries no detail.
    #[error("signing failed")]
    SigningFailed,
}
