//! Public keys as schema1 signatures carry them: a JSON Web Key in the header,
//! or the leaf of an `x5c` certificate chain.
//!
//! Both forms are brought to one [`PublicKey`], which knows its DER
//! SubjectPublicKeyInfo (for the libtrust key ID), its JWK (for signing) and how
//! to check a signature with `ring`.

use ring::signature::{self as ring_sig, UnparsedPublicKey};
use serde::Serialize;
use serde_json::{Map, Value};

use super::der::{self, Reader};
use super::{base64url, Algorithm, KeyId, SignatureError};

/// DER content of the `id-ecPublicKey` object identifier (1.2.840.10045.2.1).
pub(crate) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// DER content of the `rsaEncryption` object identifier (1.2.840.113549.1.1.1).
pub(crate) const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// ring verifies RSA signatures only for moduli of at least this many bits.
const RSA_MIN_BITS: usize = 2048;

/// The elliptic curves of schema1 signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    /// Parsed (so its key ID can be checked) but not verifiable: ring has no P-521.
    P521,
}

impl Curve {
    pub(crate) const ALL: [Curve; 3] = [Curve::P256, Curve::P384, Curve::P521];

    /// The JWK `crv` name.
    pub(crate) fn jwk_name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    /// DER content of the curve's object identifier.
    pub(crate) fn oid(self) -> &'static [u8] {
        match self {
            Curve::P256 => &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
            Curve::P384 => &[0x2b, 0x81, 0x04, 0x00, 0x22],
            Curve::P521 => &[0x2b, 0x81, 0x04, 0x00, 0x23],
        }
    }

    /// Bytes of one coordinate (and of `r` and of `s` in a signature).
    fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The only algorithm libtrust pairs with this curve.
    pub(crate) fn algorithm(self) -> Algorithm {
        match self {
            Curve::P256 => Algorithm::Es256,
            Curve::P384 => Algorithm::Es384,
            Curve::P521 => Algorithm::Es512,
        }
    }
}

/// A public key of a schema1 signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    /// An elliptic-curve point in uncompressed SEC1 form (`0x04 || x || y`).
    Ec { curve: Curve, point: Vec<u8> },
    /// An RSA key; both numbers big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

/// A public JWK as libtrust writes it: members in Go's sorted map order.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum JwkOut {
    Ec {
        crv: &'static str,
        kid: String,
        kty: &'static str,
        x: String,
        y: String,
    },
    Rsa {
        e: String,
        kid: String,
        kty: &'static str,
        n: String,
    },
}

impl PublicKey {
    /// Builds an EC key from its uncompressed point.
    pub(crate) fn ec(curve: Curve, point: &[u8]) -> Self {
        PublicKey::Ec {
            curve,
            point: point.to_vec(),
        }
    }

    /// Builds an RSA key from its big-endian modulus and exponent.
    pub(crate) fn rsa(n: &[u8], e: &[u8]) -> Self {
        PublicKey::Rsa {
            n: strip_leading_zeros(n).to_vec(),
            e: strip_leading_zeros(e).to_vec(),
        }
    }

    /// Reads the JWK of signature `index`, checking its `kid` if it has one.
    pub(crate) fn from_jwk(jwk: &Map<String, Value>, index: usize) -> Result<Self, SignatureError> {
        let key = match jwk_string(jwk, "kty", "header.jwk.kty", index)? {
            "EC" => {
                let crv = jwk_string(jwk, "crv", "header.jwk.crv", index)?;
                let curve = Curve::ALL
                    .into_iter()
                    .find(|curve| curve.jwk_name() == crv)
                    .ok_or_else(|| SignatureError::UnsupportedKey {
                        index,
                        key: format!("EC {crv}"),
                    })?;
                let x = jwk_coordinate(jwk, "x", "header.jwk.x", curve, index)?;
                let y = jwk_coordinate(jwk, "y", "header.jwk.y", curve, index)?;
                PublicKey::Ec {
                    curve,
                    point: [&[0x04][..], &x, &y].concat(),
                }
            }
            "RSA" => {
                let n = jwk_bytes(jwk, "n", "header.jwk.n", index)?;
                let e = jwk_bytes(jwk, "e", "header.jwk.e", index)?;
                PublicKey::rsa(&n, &e)
            }
            other => {
                return Err(SignatureError::UnsupportedKey {
                    index,
                    key: other.to_owned(),
                })
            }
        };
        if let Some(declared) = jwk.get("kid") {
            let declared = declared
                .as_str()
                .ok_or_else(|| SignatureError::MalformedSignature {
                    index,
                    field: "header.jwk.kid",
                    reason: "not a string".to_owned(),
                })?;
            key.check_key_id(declared, index)?;
        }
        Ok(key)
    }

    /// Reads a DER SubjectPublicKeyInfo; `None` if it is malformed, an error if
    /// it is well formed but of a kind we cannot use.
    pub(crate) fn from_spki(spki: &[u8], index: usize) -> Result<Option<Self>, SignatureError> {
        let Some((algorithm, parameters, key)) = split_spki(spki) else {
            return Ok(None);
        };
        if algorithm == OID_EC_PUBLIC_KEY {
            let Some(parameters) = parameters.filter(|p| p.tag == der::OID) else {
                return Ok(None);
            };
            let Some(curve) = Curve::ALL
                .into_iter()
                .find(|curve| curve.oid() == parameters.content)
            else {
                return Err(SignatureError::UnsupportedKey {
                    index,
                    key: "EC on an unknown curve".to_owned(),
                });
            };
            if key.len() != 1 + 2 * curve.coordinate_len() || key[0] != 0x04 {
                return Ok(None);
            }
            Ok(Some(PublicKey::ec(curve, key)))
        } else if algorithm == OID_RSA_ENCRYPTION {
            let mut outer = Reader::new(key);
            let Some(sequence) = outer.expect(der::SEQUENCE).filter(|_| outer.is_empty()) else {
                return Ok(None);
            };
            let mut fields = Reader::new(sequence.content);
            match (
                fields.expect(der::INTEGER),
                fields.expect(der::INTEGER),
                fields.is_empty(),
            ) {
                (Some(n), Some(e), true) => Ok(Some(PublicKey::rsa(n.content, e.content))),
                _ => Ok(None),
            }
        } else {
            Err(SignatureError::UnsupportedKey {
                index,
                key: "certificate key of an unknown type".to_owned(),
            })
        }
    }

    /// The DER SubjectPublicKeyInfo, as Go's `x509.MarshalPKIXPublicKey` writes it.
    pub(crate) fn spki_der(&self) -> Vec<u8> {
        let (algorithm, key) = match self {
            PublicKey::Ec { curve, point } => {
                let algorithm = [
                    der::tlv(der::OID, OID_EC_PUBLIC_KEY),
                    der::tlv(der::OID, curve.oid()),
                ]
                .concat();
                (algorithm, point.clone())
            }
            PublicKey::Rsa { n, e } => {
                let algorithm = [der::tlv(der::OID, OID_RSA_ENCRYPTION), der::tlv(der::NULL, &[])].concat();
                let key = der::tlv(
                    der::SEQUENCE,
                    &[der::unsigned_integer(n), der::unsigned_integer(e)].concat(),
                );
                (algorithm, key)
            }
        };
        let bit_string = der::tlv(der::BIT_STRING, &[&[0u8][..], &key].concat());
        der::tlv(
            der::SEQUENCE,
            &[der::tlv(der::SEQUENCE, &algorithm), bit_string].concat(),
        )
    }

    /// The libtrust key ID.
    pub(crate) fn key_id(&self) -> KeyId {
        KeyId::from_spki_der(&self.spki_der())
    }

    /// Fails with [`SignatureError::KeyIdMismatch`] unless `declared` is this key's ID.
    pub(crate) fn check_key_id(&self, declared: &str, index: usize) -> Result<(), SignatureError> {
        let actual = self.key_id();
        if actual.as_str() == declared {
            Ok(())
        } else {
            Err(SignatureError::KeyIdMismatch {
                index,
                declared: declared.to_owned(),
                actual: actual.to_string(),
            })
        }
    }

    /// A short name of the key kind for messages, such as `EC P-256` or `RSA-2048`.
    pub(crate) fn describe(&self) -> String {
        match self {
            PublicKey::Ec { curve, .. } => format!("EC {}", curve.jwk_name()),
            PublicKey::Rsa { n, .. } => format!("RSA-{}", bit_len(n)),
        }
    }

    /// The public JWK libtrust would write for this key.
    pub(crate) fn to_jwk(&self) -> JwkOut {
        let kid = self.key_id().to_string();
        match self {
            PublicKey::Ec { curve, point } => {
                let (x, y) = point[1..].split_at(curve.coordinate_len());
                JwkOut::Ec {
                    crv: curve.jwk_name(),
                    kid,
                    kty: "EC",
                    x: base64url::encode(x),
                    y: base64url::encode(y),
                }
            }
            PublicKey::Rsa { n, e } => JwkOut::Rsa {
                e: base64url::encode(e),
                kid,
                kty: "RSA",
                n: base64url::encode(n),
            },
        }
    }

    /// Checks `signature` over `message` with `alg`, for signature `index`.
    pub(crate) fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
        index: usize,
    ) -> Result<(), SignatureError> {
        let mismatch = || SignatureError::AlgorithmKeyMismatch {
            index,
            alg: alg.to_string(),
            key: self.describe(),
        };
        let invalid = |_| SignatureError::Invalid { index };
        match self {
            PublicKey::Ec { curve, point } => {
                if curve.algorithm() != alg {
                    return Err(mismatch());
                }
                let verification: &'static dyn ring_sig::VerificationAlgorithm = match curve {
                    Curve::P256 => &ring_sig::ECDSA_P256_SHA256_FIXED,
                    Curve::P384 => &ring_sig::ECDSA_P384_SHA384_FIXED,
                    Curve::P521 => {
                        return Err(SignatureError::UnsupportedKey {
                            index,
                            key: self.describe(),
                        })
                    }
                };
                UnparsedPublicKey::new(verification, point)
                    .verify(message, signature)
                    .map_err(invalid)
            }
            PublicKey::Rsa { n, e } => {
                let params = match alg {
                    Algorithm::Rs256 => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::Rs384 => &ring_sig::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::Rs512 => &ring_sig::RSA_PKCS1_2048_8192_SHA512,
                    _ => return Err(mismatch()),
                };
                if bit_len(n) < RSA_MIN_BITS {
                    return Err(SignatureError::UnsupportedKey {
                        index,
                        key: self.describe(),
                    });
                }
                ring_sig::RsaPublicKeyComponents { n, e }
                    .verify(params, message, signature)
                    .map_err(invalid)
            }
        }
    }
}

/// Splits a SubjectPublicKeyInfo into algorithm OID content, optional
/// parameters and the key bits.
fn split_spki(spki: &[u8]) -> Option<(&[u8], Option<der::Element<'_>>, &[u8])> {
    let mut outer = Reader::new(spki);
    let sequence = outer.expect(der::SEQUENCE).filter(|_| outer.is_empty())?;
    let mut fields = Reader::new(sequence.content);
    let algorithm = fields.expect(der::SEQUENCE)?;
    let bits = fields.expect(der::BIT_STRING).filter(|_| fields.is_empty())?;
    let mut identifier = Reader::new(algorithm.content);
    let oid = identifier.expect(der::OID)?;
    let parameters = identifier.next_element();
    if !identifier.is_empty() {
        return None;
    }
    // Key bits are always whole bytes: the unused-bits count must be zero.
    let (&0, key) = bits.content.split_first()? else {
        return None;
    };
    Some((oid.content, parameters, key))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    &bytes[bytes.iter().take_while(|&&b| b == 0).count()..]
}

fn bit_len(big_endian: &[u8]) -> usize {
    let trimmed = strip_leading_zeros(big_endian);
    trimmed
        .first()
        .map_or(0, |&first| trimmed.len() * 8 - first.leading_zeros() as usize)
}

fn jwk_string<'a>(
    jwk: &'a Map<String, Value>,
    member: &str,
    field: &'static str,
    index: usize,
) -> Result<&'a str, SignatureError> {
    match jwk.get(member) {
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(SignatureError::MalformedSignature {
            index,
            field,
            reason: "not a string".to_owned(),
        }),
        None => Err(SignatureError::MalformedSignature {
            index,
            field,
            reason: "missing".to_owned(),
        }),
    }
}

fn jwk_bytes(
    jwk: &Map<String, Value>,
    member: &str,
    field: &'static str,
    index: usize,
) -> Result<Vec<u8>, SignatureError> {
    let text = jwk_string(jwk, member, field, index)?;
    let bytes = base64url::decode(text).ok_or(SignatureError::Base64 { index, field })?;
    if strip_leading_zeros(&bytes).is_empty() {
        return Err(SignatureError::MalformedSignature {
            index,
            field,
            reason: "is zero".to_owned(),
        });
    }
    Ok(bytes)
}

/// Reads an EC coordinate; like libtrust, it must be exactly the curve's size.
fn jwk_coordinate(
    jwk: &Map<String, Value>,
    member: &str,
    field: &'static str,
    curve: Curve,
    index: usize,
) -> Result<Vec<u8>, SignatureError> {
    let text = jwk_string(jwk, member, field, index)?;
    let bytes = base64url::decode(text).ok_or(SignatureError::Base64 { index, field })?;
    if bytes.len() != curve.coordinate_len() {
        return Err(SignatureError::MalformedSignature {
            index,
            field,
            reason: format!(
                "{} bytes, {} needs {}",
                bytes.len(),
                curve.jwk_name(),
                curve.coordinate_len()
            ),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_round_trips_for_every_key_kind() {
        let keys = [
            PublicKey::ec(Curve::P256, &[[4u8].as_slice(), &[1; 64]].concat()),
            PublicKey::ec(Curve::P384, &[[4u8].as_slice(), &[2; 96]].concat()),
            PublicKey::ec(Curve::P521, &[[4u8].as_slice(), &[3; 132]].concat()),
            PublicKey::rsa(&[0x00, 0xc5, 0x01, 0x02], &[0x01, 0x00, 0x01]),
        ];
        for key in keys {
            assert_eq!(
                PublicKey::from_spki(&key.spki_der(), 0),
                Ok(Some(key.clone())),
                "{key:?}"
            );
        }
    }

    #[test]
    fn bit_lengths() {
        let cases: &[(&[u8], usize)] = &[(&[], 0), (&[0], 0), (&[1], 1), (&[0, 0x80], 8), (&[0x7f, 0], 15)];
        for &(input, bits) in cases {
            assert_eq!(bit_len(input), bits, "{input:02x?}");
        }
    }

    #[test]
    fn malformed_spki_is_none() {
        let good = PublicKey::rsa(&[0xc5, 1], &[1, 0, 1]).spki_der();
        for cut in 0..good.len() {
            assert_eq!(PublicKey::from_spki(&good[..cut], 0), Ok(None), "cut at {cut}");
        }
    }
}
