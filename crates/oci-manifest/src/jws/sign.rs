//! Producing libtrust-compatible pretty signatures.
//!
//! The signed output is the payload up to its closing brace, then a
//! `"signatures"` member, then `}`. Each protected header records
//! `formatLength` (where the payload was cut) and `formatTail` (what was cut
//! off), so a verifier can rebuild the exact payload bytes. The signatures block
//! is indented like the payload, and several signatures are sorted by key ID
//! then signature, as libtrust does.

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self as ring_sig, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use serde::Serialize;
use serde_json::{Map, Value};

use super::der::{self, Reader};
use super::public_key::{Curve, JwkOut, PublicKey, OID_EC_PUBLIC_KEY, OID_RSA_ENCRYPTION};
use super::{base64url, rfc3339, Algorithm, KeyId, SignatureError};

/// A private key that signs schema1 manifests.
///
/// RSA keys sign with RS256 unless [`SigningKey::with_algorithm`] picks RS384 or
/// RS512; EC keys sign with the algorithm of their curve (P-256: ES256, P-384:
/// ES384). ring cannot sign with P-521 keys, nor generate RSA keys.
pub struct SigningKey {
    pair: KeyPair,
    algorithm: Algorithm,
    public: PublicKey,
    key_id: KeyId,
}

enum KeyPair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl fmt::Debug for SigningKey {
    // Only public facts: the private key never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads an RSA, EC P-256 or EC P-384 private key from PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SignatureError> {
        let rejected = |e: ring::error::KeyRejected| SignatureError::InvalidKey {
            reason: e.to_string(),
        };
        match key_kind(der)? {
            KeyKind::Rsa => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(rejected)?;
                let components = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
                let public = PublicKey::rsa(&components.n, &components.e);
                Ok(Self::assemble(KeyPair::Rsa(pair), Algorithm::Rs256, public))
            }
            KeyKind::Ec(curve) => {
                let signing = match curve {
                    Curve::P256 => &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    Curve::P384 => &ring_sig::ECDSA_P384_SHA384_FIXED_SIGNING,
                    Curve::P521 => {
                        return Err(SignatureError::UnsupportedKey {
                            index: 0,
                            key: "EC P-521".to_owned(),
                        })
                    }
                };
                let pair = EcdsaKeyPair::from_pkcs8(signing, der, &SystemRandom::new()).map_err(rejected)?;
                let public = PublicKey::ec(curve, pair.public_key().as_ref());
                Ok(Self::assemble(KeyPair::Ec(pair), curve.algorithm(), public))
            }
        }
    }

    /// Loads a private key from a PEM `PRIVATE KEY` (PKCS#8) block.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, SignatureError> {
        Self::from_pkcs8_der(&pkcs8_from_pem(pem)?)
    }

    /// Generates a throwaway EC P-256 key, as `AddDummyV2S1Signature` does.
    pub fn generate_ec_p256() -> Result<Self, SignatureError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| SignatureError::SigningFailed)?;
        Self::from_pkcs8_der(pkcs8.as_ref())
    }

    /// Picks the algorithm: RS256, RS384 or RS512 for an RSA key; an EC key
    /// accepts only its curve's algorithm.
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Result<Self, SignatureError> {
        let fits = match &self.pair {
            KeyPair::Rsa(_) => algorithm.is_rsa(),
            KeyPair::Ec(_) => algorithm == self.algorithm,
        };
        if !fits {
            return Err(SignatureError::AlgorithmKeyMismatch {
                index: 0,
                alg: algorithm.to_string(),
                key: self.public.describe(),
            });
        }
        self.algorithm = algorithm;
        Ok(self)
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The libtrust key ID of the public key.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_spki_der(&self) -> Vec<u8> {
        self.public.spki_der()
    }

    fn assemble(pair: KeyPair, algorithm: Algorithm, public: PublicKey) -> Self {
        let key_id = public.key_id();
        Self {
            pair,
            algorithm,
            public,
            key_id,
        }
    }

    fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let rng = SystemRandom::new();
        match &self.pair {
            KeyPair::Rsa(pair) => {
                let padding: &'static dyn ring_sig::RsaEncoding = match self.algorithm {
                    Algorithm::Rs384 => &ring_sig::RSA_PKCS1_SHA384,
                    Algorithm::Rs512 => &ring_sig::RSA_PKCS1_SHA512,
                    _ => &ring_sig::RSA_PKCS1_SHA256,
                };
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, message, &mut signature)
                    .map_err(|_| SignatureError::SigningFailed)?;
                Ok(signature)
            }
            KeyPair::Ec(pair) => pair
                .sign(&rng, message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| SignatureError::SigningFailed),
        }
    }
}

/// The DER inside the first `PRIVATE KEY` block of a PEM text (RFC 7468).
fn pkcs8_from_pem(pem: &str) -> Result<Vec<u8>, SignatureError> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let invalid = |reason: &str| SignatureError::InvalidKey {
        reason: reason.to_owned(),
    };
    let start = pem
        .find(BEGIN)
        .ok_or_else(|| invalid("no PEM `PRIVATE KEY` (PKCS#8) block"))?
        + BEGIN.len();
    let len = pem[start..]
        .find(END)
        .ok_or_else(|| invalid("the PEM block has no END line"))?;
    let body: String = pem[start..start + len].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| invalid("the PEM block is not valid base64"))
}

/// What a PKCS#8 key's algorithm identifier says it is.
enum KeyKind {
    Rsa,
    Ec(Curve),
}

/// Reads the algorithm identifier of a PKCS#8 `PrivateKeyInfo`, so that an
/// unsupported curve gets a precise error instead of a generic rejection.
fn key_kind(der: &[u8]) -> Result<KeyKind, SignatureError> {
    let invalid = || SignatureError::InvalidKey {
        reason: "not a PKCS#8 private key".to_owned(),
    };
    let mut outer = Reader::new(der);
    let info = outer.expect(der::SEQUENCE).ok_or_else(invalid)?;
    let mut fields = Reader::new(info.content);
    fields.expect(der::INTEGER).ok_or_else(invalid)?;
    let algorithm = fields.expect(der::SEQUENCE).ok_or_else(invalid)?;
    let mut identifier = Reader::new(algorithm.content);
    let oid = identifier.expect(der::OID).ok_or_else(invalid)?;
    if oid.content == OID_RSA_ENCRYPTION {
        return Ok(KeyKind::Rsa);
    }
    if oid.content == OID_EC_PUBLIC_KEY {
        let curve = identifier.expect(der::OID).ok_or_else(invalid)?;
        return Curve::ALL
            .into_iter()
            .find(|known| known.oid() == curve.content)
            .map(KeyKind::Ec)
            .ok_or_else(|| SignatureError::UnsupportedKey {
                index: 0,
                key: "EC on an unknown curve".to_owned(),
            });
    }
    Err(SignatureError::UnsupportedKey {
        index: 0,
        key: "PKCS#8 key of an unknown type".to_owned(),
    })
}

/// Signs a schema1 payload with one key, producing a pretty-signed manifest.
///
/// `time` goes into the protected header; a fixed time and an RSA key give
/// byte-identical output (RSA PKCS#1 v1.5 is deterministic, ECDSA in ring is not).
pub fn sign(payload: &[u8], key: &SigningKey, time: SystemTime) -> Result<Vec<u8>, SignatureError> {
    sign_all(payload, &[key], time)
}

/// Signs a schema1 payload with several keys; the signatures are sorted by key
/// ID, then by signature, as libtrust sorts them.
pub fn sign_all(payload: &[u8], keys: &[&SigningKey], time: SystemTime) -> Result<Vec<u8>, SignatureError> {
    let format_length = check_payload(payload)?;
    let protected = ProtectedOut {
        format_length,
        format_tail: base64url::encode(&payload[format_length..]),
        time: rfc3339::format(time)?,
    };
    let protected = crate::go_json::to_vec(&protected).map_err(|_| SignatureError::SigningFailed)?;
    let protected = base64url::encode(&protected);
    let signing_input = format!("{protected}.{}", base64url::encode(payload));

    let mut entries = keys
        .iter()
        .map(|key| {
            let signature = base64url::encode(&key.sign_bytes(signing_input.as_bytes())?);
            Ok(EntryOut {
                header: HeaderOut {
                    jwk: key.public.to_jwk(),
                    alg: key.algorithm.as_str(),
                },
                signature,
                protected: protected.clone(),
                key_id: key.key_id.clone(),
            })
        })
        .collect::<Result<Vec<_>, SignatureError>>()?;
    if entries.is_empty() {
        return Err(SignatureError::NoSignatures);
    }
    entries.sort_by(|a, b| (&a.key_id, &a.signature).cmp(&(&b.key_id, &b.signature)));
    render(&payload[..format_length], &detect_indent(payload), &entries)
}

/// Signs an unsigned schema1 manifest with a fresh throwaway EC P-256 key.
///
/// The signature proves nothing; it only makes the manifest acceptable to
/// registries that insist on a signed schema1 manifest (the equivalent of
/// containers/image's `AddDummyV2S1Signature`).
pub fn add_dummy_signature(unsigned: &[u8]) -> Result<Vec<u8>, SignatureError> {
    sign(unsigned, &SigningKey::generate_ec_p256()?, SystemTime::now())
}

/// The protected header, members in the sorted order Go's encoder writes.
#[derive(Serialize)]
struct ProtectedOut {
    #[serde(rename = "formatLength")]
    format_length: usize,
    #[serde(rename = "formatTail")]
    format_tail: String,
    time: String,
}

#[derive(Serialize)]
struct EntryOut {
    header: HeaderOut,
    signature: String,
    protected: String,
    #[serde(skip)]
    key_id: KeyId,
}

#[derive(Serialize)]
struct HeaderOut {
    jwk: JwkOut,
    alg: &'static str,
}

/// Checks the payload is a signable JSON object and returns `formatLength`:
/// the length up to and including the last byte before the closing brace
/// that is not whitespace.
fn check_payload(payload: &[u8]) -> Result<usize, SignatureError> {
    let unsignable = |reason: &str| SignatureError::UnsignablePayload {
        reason: reason.to_owned(),
    };
    let object: Map<String, Value> =
        serde_json::from_slice(payload).map_err(|e| unsignable(&e.to_string()))?;
    if object.contains_key("signatures") {
        return Err(unsignable("it already has a `signatures` member"));
    }
    if object.is_empty() {
        return Err(unsignable("it is an empty object"));
    }
    // A JSON object ends in `}` followed only by whitespace.
    let close = payload
        .iter()
        .rposition(|b| !is_json_space(*b))
        .ok_or_else(|| unsignable("it is empty"))?;
    let last = payload[..close]
        .iter()
        .rposition(|b| !is_json_space(*b))
        .ok_or_else(|| unsignable("it is empty"))?;
    Ok(last + 1)
}

fn is_json_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// The indent of the payload's first member when the payload starts with `{`
/// and a newline, as libtrust detects it; empty (compact output) otherwise.
fn detect_indent(payload: &[u8]) -> String {
    let Some(rest) = payload.strip_prefix(b"{\n") else {
        return String::new();
    };
    let indent_len = rest.iter().position(|&b| b == b'"').unwrap_or(0);
    let indent = &rest[..indent_len];
    // A pretty payload indents with spaces or tabs; anything else is no indent we could reuse.
    if indent.iter().all(|&b| b == b' ' || b == b'\t') {
        String::from_utf8_lossy(indent).into_owned()
    } else {
        String::new()
    }
}

/// Writes `head`, then the signatures member, then the closing brace, the way
/// Go's `json.MarshalIndent(signatures, indent, indent)` lays them out.
fn render(head: &[u8], indent: &str, entries: &[EntryOut]) -> Result<Vec<u8>, SignatureError> {
    let mut out = head.to_vec();
    out.push(b',');
    if indent.is_empty() {
        out.extend_from_slice(b"\"signatures\":");
        out.extend(crate::go_json::to_vec(entries).map_err(|_| SignatureError::SigningFailed)?);
    } else {
        let block =
            crate::go_json::to_vec_indented(entries, indent).map_err(|_| SignatureError::SigningFailed)?;
        out.push(b'\n');
        out.extend_from_slice(indent.as_bytes());
        out.extend_from_slice(b"\"signatures\": ");
        // Every line of the block after its first carries the member's indent as a prefix.
        for (i, line) in block.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                out.push(b'\n');
                out.extend_from_slice(indent.as_bytes());
            }
            out.extend_from_slice(line);
        }
        out.push(b'\n');
    }
    out.push(b'}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_format_length() {
        let cases: &[(&str, usize)] = &[
            ("{\"a\":1}", 6),
            ("{\n   \"a\": 1\n}", 11),
            ("{\n   \"a\": 1\n}\n", 11),
            ("{\"a\":[1,2]}  \r\n", 10),
        ];
        for &(payload, length) in cases {
            assert_eq!(check_payload(payload.as_bytes()), Ok(length), "{payload:?}");
        }
    }

    #[test]
    fn refuses_unsignable_payloads() {
        let cases = [
            "",
            "{}",
            " { } ",
            "[1]",
            "{\"a\":1",
            "{\"signatures\":[]}",
            "{\"a\":1,}",
            "1",
        ];
        for payload in cases {
            assert!(
                matches!(
                    check_payload(payload.as_bytes()),
                    Err(SignatureError::UnsignablePayload { .. })
                ),
                "{payload:?}"
            );
        }
    }

    #[test]
    fn detects_indent_like_libtrust() {
        let cases = [
            ("{\"a\":1}", ""),
            ("{\n   \"a\": 1\n}", "   "),
            ("{\n\t\"a\": 1\n}", "\t"),
            ("{\n\"a\": 1\n}", ""),
            ("{\r\n  \"a\": 1\r\n}", ""),
        ];
        for (payload, indent) in cases {
            assert_eq!(detect_indent(payload.as_bytes()), indent, "{payload:?}");
        }
    }
}
