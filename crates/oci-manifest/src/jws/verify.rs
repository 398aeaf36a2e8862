//! Verifying every signature of a pretty-signed schema1 manifest.

use super::parse::{parse_signatures, payload_of, JwsSignature};
use super::public_key::PublicKey;
use super::{base64url, certificate, Algorithm, KeyId, SignatureError};

/// A signature that verified: who signed, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    algorithm: Algorithm,
    key_id: KeyId,
    from_certificate: bool,
    time: Option<String>,
}

impl VerifiedSignature {
    /// The algorithm of the signature.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The libtrust key ID of the key that signed.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// Whether the key came from the leaf of an `x5c` chain rather than a JWK.
    /// The chain itself is not checked against any trust root.
    pub fn from_certificate(&self) -> bool {
        self.from_certificate
    }

    /// The signing time the protected header claims (RFC 3339), if any.
    pub fn time(&self) -> Option<&str> {
        self.time.as_deref()
    }
}

/// Verifies every signature of a pretty-signed schema1 manifest.
///
/// All signatures must cover the same payload (see
/// [`signed_payload`](super::signed_payload)) and every one must verify; the
/// result lists them in manifest order. Keys come from the header's JWK, or from
/// the leaf certificate of its `x5c` chain when there is one (then a JWK, if also
/// present, must describe the same key).
pub fn verify(bytes: &[u8]) -> Result<Vec<VerifiedSignature>, SignatureError> {
    let signatures = parse_signatures(bytes)?;
    let payload = payload_of(bytes, &signatures)?;
    let encoded_payload = base64url::encode(&payload);
    signatures
        .iter()
        .enumerate()
        .map(|(index, signature)| verify_one(signature, &encoded_payload, index))
        .collect()
}

fn verify_one(
    signature: &JwsSignature,
    encoded_payload: &str,
    index: usize,
) -> Result<VerifiedSignature, SignatureError> {
    let algorithm =
        Algorithm::from_name(signature.alg()).ok_or_else(|| SignatureError::UnsupportedAlgorithm {
            index,
            alg: signature.alg().to_owned(),
        })?;
    let jwk_key = signature
        .jwk()
        .map(|jwk| PublicKey::from_jwk(jwk, index))
        .transpose()?;
    let from_certificate = !signature.x5c().is_empty();
    let key = if from_certificate {
        let leaf = certificate::leaf_key(signature.x5c(), index)?;
        if let Some(jwk_key) = &jwk_key {
            leaf.check_key_id(jwk_key.key_id().as_str(), index)?;
        }
        leaf
    } else {
        jwk_key.ok_or(SignatureError::MalformedSignature {
            index,
            field: "header.jwk",
            reason: "missing".to_owned(),
        })?
    };
    let signing_input = format!("{}.{}", signature.protected(), encoded_payload);
    key.verify(algorithm, signing_input.as_bytes(), signature.signature(), index)?;
    Ok(VerifiedSignature {
        algorithm,
        key_id: key.key_id(),
        from_certificate,
        time: signature.time().map(str::to_owned),
    })
}
