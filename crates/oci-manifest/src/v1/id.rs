//! The v1 image ID: 64 lowercase hexadecimal characters.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A Docker v1 image ID, as found in a schema1 `v1Compatibility` (`id`, `parent`).
///
/// Docker accepts exactly 64 lowercase hexadecimal characters; so does this type.
///
/// ```
/// use oci_manifest::v1::V1Id;
///
/// let id: V1Id = "d0c4f1eb7dc8f4dae2b45fe5c0cf4cfc70e5be85d933f5f5f4deb59f134fb520".parse()?;
/// assert_eq!(id.as_str().len(), 64);
/// assert!("D0C4".parse::<V1Id>().is_err());
/// # Ok::<(), oci_manifest::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct V1Id(String);

/// Length of a v1 ID: a SHA-256 in hexadecimal.
const V1_ID_LEN: usize = 64;

impl V1Id {
    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ID made of the hexadecimal part of a SHA-256 digest.
    pub fn from_sha256(digest: &oci_digest::Digest) -> V1Id {
        V1Id(digest.encoded().to_owned())
    }
}

impl FromStr for V1Id {
    type Err = Error;

    fn from_str(input: &str) -> Result<V1Id, Error> {
        let valid = input.len() == V1_ID_LEN && input.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if valid {
            Ok(V1Id(input.to_owned()))
        } else {
            Err(Error::InvalidV1Id { id: input.to_owned() })
        }
    }
}

impl fmt::Display for V1Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for V1Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "V1Id({})", self.0)
    }
}

impl AsRef<str> for V1Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for V1Id {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for V1Id {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<V1Id, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_64_lowercase_hex() {
        let valid = [
            "d0c4f1eb7dc8f4dae2b45fe5c0cf4cfc70e5be85d933f5f5f4deb59f134fb520",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ];
        for input in valid {
            assert_eq!(input.parse::<V1Id>().unwrap().as_str(), input);
        }
    }

    #[test]
    fn rejects_everything_else() {
        let invalid = [
            "",
            "d0c4",
            "D0C4F1EB7DC8F4DAE2B45FE5C0CF4CFC70E5BE85D933F5F5F4DEB59F134FB520",
            "d0c4f1eb7dc8f4dae2b45fe5c0cf4cfc70e5be85d933f5f5f4deb59f134fb52g",
            "d0c4f1eb7dc8f4dae2b45fe5c0cf4cfc70e5be85d933f5f5f4deb59f134fb5200",
            "sha256:d0c4f1eb7dc8f4dae2b45fe5c0cf4cfc70e5be85d933f5f5f4deb59f134f",
        ];
        for input in invalid {
            match input.parse::<V1Id>() {
                Err(Error::InvalidV1Id { id }) => assert_eq!(id, input),
                other => panic!("{input:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn serde_goes_through_validation() {
        let id: V1Id =
            serde_json::from_str("\"d0c4f1eb7dc8f4dae2b45fe5c0cf4cfc70e5be85d933f5f5f4deb59f134fb520\"")
                .unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap().len(), 66);
        assert!(serde_json::from_str::<V1Id>("\"abc\"").is_err());
    }
}
