//! JSON in and out for every format: typed parse errors, the checks every
//! format shares, and the one canonical way this crate writes JSON.
//!
//! New manifests are written the way containers/image (skopeo, podman) writes
//! them: Go's `json.Marshal`, compact, with `<`, `>`, `&`, U+2028 and U+2029
//! escaped and control characters as `\u00XX`. Matching it byte for byte means
//! a manifest we build has the digest skopeo would give the same content.

use std::io;

use serde::{Deserialize, Serialize};

use crate::{Error, MediaType};

/// Parses `bytes` as the JSON of `format`.
pub(crate) fn parse<'a, T: Deserialize<'a>>(format: &'static str, bytes: &'a [u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|source| Error::Json { format, source })
}

/// Parses `bytes` as the JSON of `format`, which has `schemaVersion`
/// `expected`. The version is checked first so that a manifest of another
/// format gets an error naming the version rather than a missing member.
pub(crate) fn parse_versioned<'a, T: Deserialize<'a>>(
    format: &'static str,
    expected: u32,
    bytes: &'a [u8],
) -> Result<T, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Versioned {
        schema_version: Option<i64>,
    }
    if let Ok(versioned) = serde_json::from_slice::<Versioned>(bytes) {
        check_schema_version(format, expected, versioned.schema_version)?;
    }
    // Malformed JSON, or a version of the wrong JSON type: the full parse says which.
    parse(format, bytes)
}

/// Checks `schemaVersion`.
fn check_schema_version(format: &'static str, expected: u32, found: Option<i64>) -> Result<(), Error> {
    if found == Some(i64::from(expected)) {
        Ok(())
    } else {
        Err(Error::SchemaVersion {
            format,
            expected,
            found,
        })
    }
}

/// Checks that a `mediaType` field, when present, names the format being read.
pub(crate) fn check_media_type(expected: MediaType, found: Option<&MediaType>) -> Result<(), Error> {
    match found {
        Some(found) if *found != expected => Err(Error::MediaTypeMismatch {
            declared: expected,
            found: found.clone(),
        }),
        _ => Ok(()),
    }
}

/// Serialises `value` the way Go's `json.Marshal` does.
pub(crate) fn to_canonical<T: Serialize>(format: &'static str, value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    value
        .serialize(&mut serializer)
        .map_err(|source| Error::Serialize { format, source })?;
    Ok(out)
}

/// A compact formatter with Go's string escaping.
struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (index, c) in fragment.char_indices() {
            let escape = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..index])?;
            writer.write_all(escape.as_bytes())?;
            start = index + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: serde_json::ser::CharEscape,
    ) -> io::Result<()> {
        use serde_json::ser::CharEscape;
        let text = match char_escape {
            CharEscape::Quote => "\\\"".to_owned(),
            CharEscape::ReverseSolidus => "\\\\".to_owned(),
            CharEscape::LineFeed => "\\n".to_owned(),
            CharEscape::CarriageReturn => "\\r".to_owned(),
            CharEscape::Tab => "\\t".to_owned(),
            // Go has no short forms for these two.
            CharEscape::Backspace => "\\u0008".to_owned(),
            CharEscape::FormFeed => "\\u000c".to_owned(),
            CharEscape::AsciiControl(byte) => format!("\\u{byte:04x}"),
            // serde_json never asks for `/` to be escaped; Go does not escape it either.
            CharEscape::Solidus => "/".to_owned(),
        };
        writer.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        let table = [
            ("plain", r#""plain""#),
            ("a<b>&c", r#""a\u003cb\u003e\u0026c""#),
            ("line\nbreak\ttab\r", r#""line\nbreak\ttab\r""#),
            ("\u{8}\u{c}\u{1}\u{1f}", r#""\u0008\u000c\u0001\u001f""#),
            ("quote\" back\\", r#""quote\" back\\""#),
            ("sep\u{2028}\u{2029}", r#""sep\u2028\u2029""#),
            ("héllo ✓", "\"héllo ✓\""),
        ];
        for (input, expected) in table {
            let out = to_canonical("test", &input).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{input:?}");
        }
    }

    #[test]
    fn compact_output() {
        let value = serde_json::json!({"a": [1, 2], "b": {"c": null}});
        assert_eq!(
            to_canonical("test", &value).unwrap(),
            br#"{"a":[1,2],"b":{"c":null}}"#
        );
    }
}
