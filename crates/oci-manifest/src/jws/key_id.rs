//! libtrust key IDs: how Docker names a public key.
//!
//! The ID is the SHA-256 of the key's DER SubjectPublicKeyInfo, truncated to 240
//! bits (30 bytes), base32-encoded (RFC 4648 alphabet, no padding: exactly 48
//! characters) and split into 12 groups of 4 joined by `:`, for example
//! `Y6JL:L5ZM:X6CH:GLP3:I4BT:LXJN:UUP3:ZRXC:DO7M:7NJ7:C6MU:MHPC`.

use std::fmt;
use std::str::FromStr;

use super::SignatureError;

/// The RFC 4648 base32 alphabet.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// How many bytes of the SHA-256 the ID keeps.
const TRUNCATED_LEN: usize = 30;
/// Characters per `:`-separated group, and the number of groups.
const GROUP_LEN: usize = 4;
const GROUPS: usize = 12;

/// A libtrust key ID such as `Y6JL:L5ZM:X6CH:GLP3:I4BT:LXJN:UUP3:ZRXC:DO7M:7NJ7:C6MU:MHPC`.
///
/// Serialises as its text; deserialising validates the form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    /// Computes the key ID of a DER-encoded SubjectPublicKeyInfo.
    pub fn from_spki_der(spki: &[u8]) -> KeyId {
        let hash = ring::digest::digest(&ring::digest::SHA256, spki);
        let encoded = base32(&hash.as_ref()[..TRUNCATED_LEN]);
        let groups: Vec<&str> = encoded
            .as_bytes()
            .chunks(GROUP_LEN)
            // The base32 alphabet is ASCII, so every chunk is valid UTF-8.
            .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
            .collect();
        KeyId(groups.join(":"))
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for KeyId {
    type Err = SignatureError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let groups: Vec<&str> = text.split(':').collect();
        let well_formed = groups.len() == GROUPS
            && groups
                .iter()
                .all(|group| group.len() == GROUP_LEN && group.bytes().all(|b| BASE32.contains(&b)));
        if well_formed {
            Ok(KeyId(text.to_owned()))
        } else {
            Err(SignatureError::MalformedKeyId {
                input: text.to_owned(),
            })
        }
    }
}

impl TryFrom<String> for KeyId {
    type Error = SignatureError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<KeyId> for String {
    fn from(id: KeyId) -> String {
        id.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// RFC 4648 base32 without padding; the 30-byte input is a multiple of 5 bytes,
/// so no padding would ever be needed.
fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u16 = 0;
    let mut bits = 0u32;
    for &byte in bytes {
        buffer = (buffer << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[usize::from((buffer >> bits) & 0x1f)]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[usize::from((buffer << (5 - bits)) & 0x1f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648_vectors() {
        // RFC 4648 §10, without the padding.
        let cases = [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ];
        for (input, expected) in cases {
            assert_eq!(base32(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn ids_have_libtrust_shape() {
        let id = KeyId::from_spki_der(b"not really a key");
        assert_eq!(id.as_str().len(), 48 + 11);
        assert_eq!(id.as_str().parse::<KeyId>(), Ok(id.clone()));
    }

    #[test]
    fn serde_goes_through_validation() {
        let id: KeyId =
            serde_json::from_str(r#""Y6JL:L5ZM:X6CH:GLP3:I4BT:LXJN:UUP3:ZRXC:DO7M:7NJ7:C6MU:MHPC""#).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{id}\""));
        assert!(serde_json::from_str::<KeyId>(r#""Y6JL""#).is_err());
    }

    #[test]
    fn parses_only_well_formed_ids() {
        let valid = ["Y6JL:L5ZM:X6CH:GLP3:I4BT:LXJN:UUP3:ZRXC:DO7M:7NJ7:C6MU:MHPC"];
        let invalid = [
            "",
            "Y6JL:L5ZM:X6CH:GLP3:I4BT:LXJN:UUP3:ZRXC:DO7M:7NJ7:C6MU",
            "Y6JL:L5ZM:X6CH:GLP3:I4BT:LXJN:UUP3:ZRXC:DO7M:7NJ7:C6MU:MHPC:AAAA",
            "y6jl:L5ZM:X6CH:GLP3:I4BT:LXJN:UUP3:ZRXC:DO7M:7NJ7:C6MU:MHPC",
            "Y6J1:L5ZM:X6CH:GLP3:I4BT:LXJN:UUP3:ZRXC:DO7M:7NJ7:C6MU:MHPC",
            "Y6JLL:5ZM:X6CH:GLP3:I4BT:LXJN:UUP3:ZRXC:DO7M:7NJ7:C6MU:MHPC",
        ];
        for text in valid {
            assert_eq!(
                text.parse::<KeyId>().map(|id| id.to_string()),
                Ok(text.to_owned())
            );
        }
        for text in invalid {
            assert_eq!(
                text.parse::<KeyId>(),
                Err(SignatureError::MalformedKeyId {
                    input: text.to_owned()
                })
            );
        }
    }
}
