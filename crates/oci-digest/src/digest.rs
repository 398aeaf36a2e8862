//! The validated `algorithm:encoded` digest value and its parser.

use std::fmt;
use std::str::FromStr;

use crate::{Algorithm, Digester, Error, Mismatch};

/// A content digest, `algorithm:encoded`, validated on construction.
///
/// The grammar is the OCI image specification's: the algorithm is
/// `[a-z0-9]+([+._-][a-z0-9]+)*` and the encoded part `[a-zA-Z0-9=_-]+`.
/// For `sha256` and `sha512` the encoded part must additionally be lowercase
/// hex of exactly 64 or 128 characters.
///
/// ```
/// use oci_digest::{Algorithm, Digest};
///
/// let d: Digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
///     .parse()
///     .unwrap();
/// assert_eq!(d.algorithm(), &Algorithm::Sha256);
/// assert_eq!(d, Digest::compute(Algorithm::Sha256, b"").unwrap());
/// assert!("sha256:E3B0".parse::<Digest>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    // Field order matters for the derived `Ord`: compare by the full text.
    repr: Box<str>,
    colon: usize,
    algorithm: Algorithm,
}

impl Digest {
    /// Parses and validates a digest string. Same as [`str::parse`].
    pub fn parse(input: &str) -> Result<Digest, Error> {
        input.parse()
    }

    /// Computes the digest of `data` with `algorithm` in one call.
    pub fn compute(algorithm: Algorithm, data: &[u8]) -> Result<Digest, Error> {
        let mut digester = Digester::new(algorithm)?;
        digester.update(data);
        Ok(digester.finish())
    }

    /// The SHA-256 digest of `data`: the registry's canonical digest.
    pub fn sha256(data: &[u8]) -> Digest {
        let mut digester = Digester::sha256();
        digester.update(data);
        digester.finish()
    }

    /// Builds a digest from an algorithm and raw hash bytes (hex-encoded here).
    pub(crate) fn from_hash(algorithm: Algorithm, hash: &[u8]) -> Digest {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let name = algorithm.as_str();
        let mut repr = String::with_capacity(name.len() + 1 + hash.len() * 2);
        repr.push_str(name);
        repr.push(':');
        for byte in hash {
            repr.push(HEX[usize::from(byte >> 4)] as char);
            repr.push(HEX[usize::from(byte & 0x0f)] as char);
        }
        Digest {
            colon: name.len(),
            repr: repr.into_boxed_str(),
            algorithm,
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> &Algorithm {
        &self.algorithm
    }

    /// The encoded part after the `:` (lowercase hex for registered algorithms).
    pub fn encoded(&self) -> &str {
        &self.repr[self.colon + 1..]
    }

    /// The whole digest as text, `algorithm:encoded`.
    pub fn as_str(&self) -> &str {
        &self.repr
    }

    /// Whether `data` hashes to this digest. Unsupported algorithms never match.
    pub fn matches(&self, data: &[u8]) -> bool {
        Digest::compute(self.algorithm.clone(), data).is_ok_and(|actual| &actual == self)
    }

    /// Checks that `data` hashes to this digest, naming both digests if not.
    pub fn verify(&self, data: &[u8]) -> Result<(), Error> {
        let actual = Digest::compute(self.algorithm.clone(), data)?;
        if &actual == self {
            Ok(())
        } else {
            Err(Mismatch::new(self.clone(), actual).into())
        }
    }
}

/// Validates the algorithm part against `[a-z0-9]+([+._-][a-z0-9]+)*`.
pub(crate) fn check_algorithm(input: &str, algorithm: &str) -> Result<(), Error> {
    let fail = |reason| {
        Err(Error::InvalidAlgorithm {
            input: input.to_owned(),
            algorithm: algorithm.to_owned(),
            reason,
        })
    };
    if algorithm.is_empty() {
        return fail("it is empty");
    }
    let mut previous_was_separator = true; // forbids a leading separator
    for c in algorithm.chars() {
        match c {
            'a'..='z' | '0'..='9' => previous_was_separator = false,
            '+' | '.' | '_' | '-' => {
                if previous_was_separator {
                    return fail("a separator (+ . _ -) must sit between lowercase letters or digits");
                }
                previous_was_separator = true;
            }
            'A'..='Z' => return fail("it must be lowercase"),
            _ => return fail("only lowercase letters, digits and the separators + . _ - are allowed"),
        }
    }
    if previous_was_separator {
        return fail("it must not end with a separator");
    }
    Ok(())
}

/// Validates the encoded part against `[a-zA-Z0-9=_-]+` and, for registered
/// algorithms, the exact lowercase-hex rule.
fn check_encoded(input: &str, algorithm: &Algorithm, encoded: &str) -> Result<(), Error> {
    if let Some(expected) = algorithm.encoded_len() {
        let name = match algorithm {
            Algorithm::Sha256 => "sha256",
            _ => "sha512",
        };
        if let Some((position, found)) = encoded
            .char_indices()
            .find(|(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
        {
            return Err(Error::NotLowercaseHex {
                algorithm: name,
                input: input.to_owned(),
                found,
                position,
            });
        }
        if encoded.len() != expected {
            return Err(Error::WrongLength {
                algorithm: name,
                actual: encoded.len(),
                expected,
            });
        }
        return Ok(());
    }
    if encoded.is_empty() {
        return Err(Error::InvalidEncoded {
            input: input.to_owned(),
            reason: "it is empty".to_owned(),
        });
    }
    if let Some(found) = encoded
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '=' | '_' | '-')))
    {
        return Err(Error::InvalidEncoded {
            input: input.to_owned(),
            reason: format!("character {found:?} is not allowed (only a-z A-Z 0-9 = _ -)"),
        });
    }
    Ok(())
}

impl FromStr for Digest {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.is_empty() {
            return Err(Error::Empty);
        }
        let Some(colon) = input.find(':') else {
            return Err(Error::MissingSeparator {
                input: input.to_owned(),
            });
        };
        let (name, encoded) = (&input[..colon], &input[colon + 1..]);
        check_algorithm(input, name)?;
        let algorithm = Algorithm::from_validated(name);
        check_encoded(input, &algorithm, encoded)?;
        Ok(Digest {
            repr: input.into(),
            colon,
            algorithm,
        })
    }
}

impl TryFrom<&str> for Digest {
    type Error = Error;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl TryFrom<String> for Digest {
    type Error = Error;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl AsRef<str> for Digest {
    fn as_ref(&self) -> &str {
        &self.repr
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.repr)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.repr)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
