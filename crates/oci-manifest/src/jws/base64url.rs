//! The base64 flavours JWS uses: unpadded base64url for everything libtrust
//! writes, standard padded base64 for `x5c` certificates (RFC 7515 §4.1.6).

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

/// Decodes base64url with or without `=` padding: libtrust never pads, but its
/// decoder (and other JOSE implementations) accept padded input, so we do too.
const URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encodes as unpadded base64url, the only form libtrust writes.
#[cfg(any(feature = "jws", test))]
pub(crate) fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url, tolerating (but not requiring) padding.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    URL_LENIENT.decode(text).ok()
}

/// Decodes the standard padded base64 of an `x5c` certificate.
#[cfg(feature = "jws")]
pub(crate) fn decode_standard(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_with_and_without_padding() {
        let cases: &[(&str, Option<&[u8]>)] = &[
            ("", Some(b"")),
            ("Cn0", Some(b"\n}")),
            ("Cn0=", Some(b"\n}")),
            ("e30", Some(b"{}")),
            ("_-8", Some(&[0xff, 0xef])),
            ("/+8", None),
            ("A", None),
            ("Cn0==", None),
            ("e3 0", None),
        ];
        for (input, expected) in cases {
            assert_eq!(decode(input).as_deref(), *expected, "input {input:?}");
        }
    }

    #[test]
    fn encodes_without_padding() {
        assert_eq!(encode(b"\n}"), "Cn0");
        assert_eq!(encode(&[0xff, 0xef]), "_-8");
    }
}
