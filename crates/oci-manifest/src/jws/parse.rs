//! Reading the `signatures` array of a pretty-signed schema1 manifest and
//! rebuilding the payload the signatures cover. No cryptography here: this is
//! what computing a schema1 digest needs, and it is compiled without `ring`.

use serde_json::{Map, Value};

use super::protected::ProtectedHeader;
use super::{base64url, SignatureError};

/// One entry of the `signatures` array, decoded but not verified.
///
/// The shape is `{"header": {"jwk": {...}, "alg": "ES256", "x5c": [...]},
/// "signature": "<base64url>", "protected": "<base64url>"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwsSignature {
    alg: String,
    jwk: Option<Map<String, Value>>,
    x5c: Vec<String>,
    signature: Vec<u8>,
    protected: String,
    header: ProtectedHeader,
}

impl JwsSignature {
    /// The `alg` of the unprotected header, as written (`ES256`, `RS256`, ...).
    pub fn alg(&self) -> &str {
        &self.alg
    }

    /// The JSON Web Key of the signer, if the header carries one.
    pub fn jwk(&self) -> Option<&Map<String, Value>> {
        self.jwk.as_ref()
    }

    /// The `x5c` certificate chain (standard base64 DER, leaf first); empty when absent.
    pub fn x5c(&self) -> &[String] {
        &self.x5c
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The `protected` field exactly as written: the signing input starts with it.
    pub fn protected(&self) -> &str {
        &self.protected
    }

    /// `formatLength` from the protected header: how many leading manifest bytes are signed.
    pub fn format_length(&self) -> u64 {
        self.header.format_length
    }

    /// `formatTail` from the protected header, decoded: the bytes appended after them.
    pub fn format_tail(&self) -> &[u8] {
        &self.header.format_tail
    }

    /// The signing time from the protected header, as written (RFC 3339), if present.
    pub fn time(&self) -> Option<&str> {
        self.header.time.as_deref()
    }
}

/// Reads and decodes every entry of the manifest's `signatures` array.
///
/// Fails with [`SignatureError::NoSignatures`] if there is no array or it is empty,
/// and names the entry and field of any structural problem.
pub fn parse_signatures(bytes: &[u8]) -> Result<Vec<JwsSignature>, SignatureError> {
    let manifest: Value = serde_json::from_slice(bytes).map_err(|e| SignatureError::NotJsonObject {
        reason: e.to_string(),
    })?;
    let manifest = manifest
        .as_object()
        .ok_or_else(|| SignatureError::NotJsonObject {
            reason: "the top level is not an object".to_owned(),
        })?;
    let entries = match manifest.get("signatures") {
        Some(Value::Array(entries)) if !entries.is_empty() => entries,
        Some(Value::Array(_)) | None | Some(Value::Null) => return Err(SignatureError::NoSignatures),
        Some(other) => {
            return Err(SignatureError::SignaturesNotAnArray {
                found: json_type(other),
            })
        }
    };
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| parse_entry(entry, index))
        .collect()
}

/// Rebuilds the payload a pretty-signed schema1 manifest's signatures cover:
/// the first `formatLength` bytes followed by `formatTail`.
///
/// Every signature must describe the same payload. The schema1 manifest digest is
/// the SHA-256 of the result.
pub fn signed_payload(bytes: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let signatures = parse_signatures(bytes)?;
    payload_of(bytes, &signatures)
}

/// Rebuilds the payload from already parsed signatures (see [`signed_payload`]).
pub(crate) fn payload_of(bytes: &[u8], signatures: &[JwsSignature]) -> Result<Vec<u8>, SignatureError> {
    let Some((first, rest)) = signatures.split_first() else {
        return Err(SignatureError::NoSignatures);
    };
    if let Some(position) = rest.iter().position(|other| {
        other.header.format_length != first.header.format_length
            || other.header.format_tail != first.header.format_tail
    }) {
        return Err(SignatureError::PayloadMismatch { index: position + 1 });
    }
    let length = usize::try_from(first.header.format_length)
        .ok()
        .filter(|&length| length <= bytes.len())
        .ok_or(SignatureError::FormatLengthOutOfRange {
            index: 0,
            format_length: first.header.format_length,
            len: bytes.len(),
        })?;
    check_layout(bytes, length, &first.header.format_tail)?;
    let mut payload = Vec::with_capacity(length + first.header.format_tail.len());
    payload.extend_from_slice(&bytes[..length]);
    payload.extend_from_slice(&first.header.format_tail);
    Ok(payload)
}

/// A pretty signature is written as the payload's first `formatLength` bytes, then the
/// `signatures` member, then the closing brace; `formatTail` is the rest of the payload,
/// which for any payload libtrust accepts is whitespace around that one `}`. Holding the
/// header to this (a fuzzer found the gap) keeps the payload, which the digest and the
/// signatures cover, from holding content the manifest does not show.
fn check_layout(bytes: &[u8], length: usize, tail: &[u8]) -> Result<(), SignatureError> {
    let mismatch = |reason| Err(SignatureError::LayoutMismatch { index: 0, reason });
    let is_space = |b: &&u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    if !tail.iter().filter(|b| !is_space(b)).eq([&b'}']) {
        return mismatch("formatTail is not a closing brace");
    }
    if length + tail.len() > bytes.len() {
        return mismatch("formatTail is longer than what follows formatLength");
    }
    Ok(())
}

/// The JSON type of `value`, with its article, for messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_entry(entry: &Value, index: usize) -> Result<JwsSignature, SignatureError> {
    let malformed = |field: &'static str, reason: &str| SignatureError::MalformedSignature {
        index,
        field,
        reason: reason.to_owned(),
    };
    let entry = entry
        .as_object()
        .ok_or_else(|| malformed("signatures[]", "not an object"))?;
    let header = entry
        .get("header")
        .ok_or_else(|| malformed("header", "missing"))?
        .as_object()
        .ok_or_else(|| malformed("header", "not an object"))?;
    let alg = string_field(header.get("alg"), "header.alg", index)?.to_owned();
    let jwk = match header.get("jwk") {
        None | Some(Value::Null) => None,
        Some(Value::Object(jwk)) => Some(jwk.clone()),
        Some(_) => return Err(malformed("header.jwk", "not an object")),
    };
    let x5c = match header.get("x5c") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(chain)) => chain
            .iter()
            .map(|cert| {
                cert.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| malformed("header.x5c", "not a string"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(malformed("header.x5c", "not an array")),
    };
    if jwk.is_none() && x5c.is_empty() {
        return Err(malformed(
            "header.jwk",
            "missing, and there is no x5c chain either",
        ));
    }
    let signature = string_field(entry.get("signature"), "signature", index)?;
    let signature = base64url::decode(signature).ok_or(SignatureError::Base64 {
        index,
        field: "signature",
    })?;
    let protected = string_field(entry.get("protected"), "protected", index)?.to_owned();
    let header = ProtectedHeader::decode(&protected, index)?;
    Ok(JwsSignature {
        alg,
        jwk,
        x5c,
        signature,
        protected,
        header,
    })
}

fn string_field<'a>(
    value: Option<&'a Value>,
    field: &'static str,
    index: usize,
) -> Result<&'a str, SignatureError> {
    let reason = match value {
        Some(Value::String(text)) => return Ok(text),
        Some(_) => "not a string",
        None => "missing",
    };
    Err(SignatureError::MalformedSignature {
        index,
        field,
        reason: reason.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{"formatLength":N,"formatTail":TAIL}` in base64url.
    fn protected(length: u64, tail: &[u8]) -> String {
        let json = format!(
            r#"{{"formatLength":{length},"formatTail":"{}"}}"#,
            base64url::encode(tail)
        );
        base64url::encode(json.as_bytes())
    }

    fn manifest(entries: &str) -> Vec<u8> {
        format!(r#"{{"schemaVersion":1,"signatures":{entries}}}"#).into_bytes()
    }

    #[test]
    fn rebuilds_the_payload() {
        let entry = format!(
            r#"{{"header":{{"jwk":{{}},"alg":"ES256"}},"signature":"","protected":"{}"}}"#,
            protected(18, b"}")
        );
        let bytes = manifest(&format!("[{entry},{entry}]"));
        assert_eq!(signed_payload(&bytes).unwrap(), br#"{"schemaVersion":1}"#);
        let signatures = parse_signatures(&bytes).unwrap();
        assert_eq!(
            (signatures.len(), signatures[0].alg(), signatures[0].time()),
            (2, "ES256", None)
        );
    }

    #[test]
    fn names_structural_problems() {
        let good = protected(18, b"}");
        let malformed = |field, reason: &str| SignatureError::MalformedSignature {
            index: 0,
            field,
            reason: reason.to_owned(),
        };
        let cases = [
            ("null".to_owned(), SignatureError::NoSignatures),
            ("[]".to_owned(), SignatureError::NoSignatures),
            (
                "{}".to_owned(),
                SignatureError::SignaturesNotAnArray { found: "an object" },
            ),
            (
                r#""sig""#.to_owned(),
                SignatureError::SignaturesNotAnArray { found: "a string" },
            ),
            ("[1]".to_owned(), malformed("signatures[]", "not an object")),
            ("[{}]".to_owned(), malformed("header", "missing")),
            (
                r#"[{"header":[]}]"#.to_owned(),
                malformed("header", "not an object"),
            ),
            (
                r#"[{"header":{"jwk":{}}}]"#.to_owned(),
                malformed("header.alg", "missing"),
            ),
            (
                r#"[{"header":{"alg":1}}]"#.to_owned(),
                malformed("header.alg", "not a string"),
            ),
            (
                r#"[{"header":{"alg":"ES256"}}]"#.to_owned(),
                malformed("header.jwk", "missing, and there is no x5c chain either"),
            ),
            (
                r#"[{"header":{"alg":"ES256","jwk":"k"}}]"#.to_owned(),
                malformed("header.jwk", "not an object"),
            ),
            (
                r#"[{"header":{"alg":"ES256","x5c":"c"}}]"#.to_owned(),
                malformed("header.x5c", "not an array"),
            ),
            (
                r#"[{"header":{"alg":"ES256","x5c":[1]}}]"#.to_owned(),
                malformed("header.x5c", "not a string"),
            ),
            (
                r#"[{"header":{"alg":"ES256","jwk":{}}}]"#.to_owned(),
                malformed("signature", "missing"),
            ),
            (
                r#"[{"header":{"alg":"ES256","jwk":{}},"signature":"!"}]"#.to_owned(),
                SignatureError::Base64 {
                    index: 0,
                    field: "signature",
                },
            ),
            (
                r#"[{"header":{"alg":"ES256","jwk":{}},"signature":""}]"#.to_owned(),
                malformed("protected", "missing"),
            ),
            (
                format!(
                    r#"[{{"header":{{"alg":"ES256","jwk":{{}}}},"signature":"","protected":"{good}"}},2]"#
                ),
                SignatureError::MalformedSignature {
                    index: 1,
                    field: "signatures[]",
                    reason: "not an object".to_owned(),
                },
            ),
        ];
        for (entries, expected) in cases {
            assert_eq!(signed_payload(&manifest(&entries)), Err(expected), "{entries}");
        }
    }

    #[test]
    fn signatures_must_agree_and_fit() {
        let entry = |protected: String| {
            format!(r#"{{"header":{{"jwk":{{}},"alg":"ES256"}},"signature":"","protected":"{protected}"}}"#)
        };
        let cases = [
            (
                vec![protected(18, b"}"), protected(17, b"}")],
                SignatureError::PayloadMismatch { index: 1 },
            ),
            (
                vec![protected(18, b"}"), protected(18, b"}"), protected(18, b"\n}")],
                SignatureError::PayloadMismatch { index: 2 },
            ),
            (
                vec![protected(18, br#","x":1}"#)],
                SignatureError::LayoutMismatch {
                    index: 0,
                    reason: "formatTail is not a closing brace",
                },
            ),
            (
                vec![protected(9_999, b"}")],
                SignatureError::FormatLengthOutOfRange {
                    index: 0,
                    format_length: 9_999,
                    len: 0,
                },
            ),
        ];
        for (headers, expected) in cases {
            let entries: Vec<String> = headers.into_iter().map(entry).collect();
            let bytes = manifest(&format!("[{}]", entries.join(",")));
            let expected = match expected {
                SignatureError::FormatLengthOutOfRange {
                    index, format_length, ..
                } => SignatureError::FormatLengthOutOfRange {
                    index,
                    format_length,
                    len: bytes.len(),
                },
                other => other,
            };
            assert_eq!(signed_payload(&bytes), Err(expected));
        }
    }
}
