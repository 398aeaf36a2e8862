//! The protected header libtrust writes into every signature:
//! `{"formatLength":N,"formatTail":"<base64url>","time":"<RFC 3339>"}`.
//!
//! `formatLength` and `formatTail` say how to rebuild the signed payload from the
//! signed manifest: keep the first `formatLength` bytes and append `formatTail`.

use serde_json::Value;

use super::{base64url, SignatureError};

/// The decoded protected header of one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProtectedHeader {
    pub(crate) format_length: u64,
    pub(crate) format_tail: Vec<u8>,
    pub(crate) time: Option<String>,
}

impl ProtectedHeader {
    /// Decodes the base64url `protected` field of signature `index`.
    pub(crate) fn decode(protected: &str, index: usize) -> Result<Self, SignatureError> {
        let malformed = |reason: &str| SignatureError::ProtectedHeader {
            index,
            reason: reason.to_owned(),
        };
        let json = base64url::decode(protected).ok_or(SignatureError::Base64 {
            index,
            field: "protected",
        })?;
        let header: Value = serde_json::from_slice(&json).map_err(|e| malformed(&e.to_string()))?;
        let header = header.as_object().ok_or_else(|| malformed("not a JSON object"))?;

        let format_length = header
            .get("formatLength")
            .ok_or_else(|| malformed("no formatLength"))
            .and_then(|n| {
                format_length(n).ok_or_else(|| malformed("formatLength is not a non-negative integer"))
            })?;
        let format_tail = header
            .get("formatTail")
            .ok_or_else(|| malformed("no formatTail"))?
            .as_str()
            .ok_or_else(|| malformed("formatTail is not a string"))?;
        let format_tail = base64url::decode(format_tail).ok_or(SignatureError::Base64 {
            index,
            field: "protected.formatTail",
        })?;
        let time = header.get("time").and_then(Value::as_str).map(str::to_owned);
        Ok(Self {
            format_length,
            format_tail,
            time,
        })
    }
}

/// Reads `formatLength`; Go's JSON decoder hands libtrust a float, so an
/// integral float such as `123.0` is accepted as well.
fn format_length(value: &Value) -> Option<u64> {
    let number = value.as_number()?;
    number.as_u64().or_else(|| {
        let float = number.as_f64()?;
        // Exactly representable integers only: anything else is not a byte count.
        (float >= 0.0 && float.fract() == 0.0 && float <= 2f64.powi(53)).then_some(float as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(json: &str) -> String {
        base64url::encode(json.as_bytes())
    }

    #[test]
    fn decodes_valid_headers() {
        let cases = [
            (
                r#"{"formatLength":12,"formatTail":"Cn0","time":"2015-01-01T00:00:00Z"}"#,
                12,
                &b"\n}"[..],
                true,
            ),
            (r#"{"formatLength":12.0,"formatTail":"fQ"}"#, 12, b"}", false),
            (r#"{"formatTail":"","formatLength":0}"#, 0, b"", false),
        ];
        for (json, length, tail, has_time) in cases {
            let header = ProtectedHeader::decode(&encoded(json), 3).unwrap();
            assert_eq!(header.format_length, length, "{json}");
            assert_eq!(header.format_tail, tail, "{json}");
            assert_eq!(header.time.is_some(), has_time, "{json}");
        }
    }

    #[test]
    fn rejects_malformed_headers() {
        let cases = [
            r#"[]"#,
            r#"not json"#,
            r#"{"formatTail":"Cn0"}"#,
            r#"{"formatLength":12}"#,
            r#"{"formatLength":-1,"formatTail":"Cn0"}"#,
            r#"{"formatLength":1.5,"formatTail":"Cn0"}"#,
            r#"{"formatLength":"12","formatTail":"Cn0"}"#,
            r#"{"formatLength":12,"formatTail":7}"#,
        ];
        for json in cases {
            let err = ProtectedHeader::decode(&encoded(json), 3).unwrap_err();
            assert!(
                matches!(err, SignatureError::ProtectedHeader { index: 3, .. }),
                "{json}: {err:?}"
            );
        }
    }

    #[test]
    fn names_bad_base64() {
        assert_eq!(
            ProtectedHeader::decode("*", 1).unwrap_err(),
            SignatureError::Base64 {
                index: 1,
                field: "protected"
            }
        );
        assert_eq!(
            ProtectedHeader::decode(&encoded(r#"{"formatLength":1,"formatTail":"*"}"#), 0).unwrap_err(),
            SignatureError::Base64 {
                index: 0,
                field: "protected.formatTail"
            }
        );
    }
}
