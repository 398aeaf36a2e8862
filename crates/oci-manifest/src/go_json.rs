//! JSON written byte for byte the way Go's `encoding/json` writes it: the one
//! encoder of the workspace, for manifests, configs and v1 metadata alike.
//!
//! Digests of JSON that Docker and containers/image (skopeo, podman) wrote
//! with `json.Marshal` are manifest digests and image IDs, so matching Go's
//! bytes is what makes ours agree with theirs. Go differs from `serde_json` in
//! its string escapes: `<`, `>` and `&` (and U+2028, U+2029) become
//! `\u003c`-style sequences, and the control characters without a short form
//! in Go are `\u00XX`. Backspace and form feed are among those: Go before 1.22
//! writes them as `\u0008` and `\u000c` (1.22 changed to `\b` and `\f`), and
//! the skopeo the tests run is built with such a Go; a test holds this encoder
//! to the bytes it writes. Members come out in the order the value serialises
//! them (Go: struct field order, map keys sorted).
//!
//! Public only so that the workspace's other crates write JSON with it; it is
//! not part of this crate's API and may change at any time.

use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};

/// `json.Marshal(value)`: compact, with Go's escaping.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    write(value, Go(CompactFormatter))
}

/// `json.MarshalIndent(value, "", indent)`.
pub fn to_vec_indented<T: Serialize + ?Sized>(value: &T, indent: &str) -> Result<Vec<u8>, serde_json::Error> {
    write(value, Go(PrettyFormatter::with_indent(indent.as_bytes())))
}

fn write<T: Serialize + ?Sized, F: Formatter>(value: &T, formatter: F) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, formatter))?;
    Ok(out)
}

/// What Go writes for a `json.RawMessage` holding `json`, which must be valid
/// JSON: insignificant whitespace removed and the HTML characters escaped,
/// every other byte (the escapes inside strings included) copied as it is.
pub fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        } else if c == '"' {
            in_string = true;
        }
        match html_escape(c) {
            Some(escape) => out.push_str(escape),
            None => out.push(c),
        }
    }
    out
}

/// Go's escape for a character it escapes for HTML safety.
/// A JSON object read the way Go reads `map[string]*json.RawMessage`: keys decoded (a
/// repeated key keeps its last value) and kept sorted, values kept as raw text. Docker
/// and containers/image convert v1 metadata to configs and back through such a map.
pub type RawObject = std::collections::BTreeMap<String, Box<serde_json::value::RawValue>>;

/// `json.Marshal(value)` as text.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    let json = to_vec(value).expect("plain data serialises to JSON");
    String::from_utf8(json).expect("JSON is UTF-8")
}

/// Parses a JSON object into a [`RawObject`].
pub fn parse_raw_object(json: &str) -> Result<RawObject, serde_json::Error> {
    serde_json::from_str(json)
}

/// Encodes a [`RawObject`] as Go's `json.Marshal` encodes the map: keys sorted
/// bytewise, raw values compacted (the escapes their author chose survive).
pub fn raw_object_to_string(object: &RawObject) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in object.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&to_string(key));
        out.push(':');
        out.push_str(&compact(value.get()));
    }
    out.push('}');
    out
}

/// Wraps already-encoded JSON as a raw value for a [`RawObject`].
pub fn raw(json: String) -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string(json).expect("encoded by this module, so valid JSON")
}

fn html_escape(c: char) -> Option<&'static str> {
    Some(match c {
        '<' => "\\u003c",
        '>' => "\\u003e",
        '&' => "\\u0026",
        '\u{2028}' => "\\u2028",
        '\u{2029}' => "\\u2029",
        _ => return None,
    })
}

/// A `serde_json` formatter (compact or pretty) with Go's string escaping.
struct Go<F>(F);

impl<F: Formatter> Formatter for Go<F> {
    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_key(writer)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (index, c) in fragment.char_indices() {
            if let Some(escape) = html_escape(c) {
                writer.write_all(&fragment.as_bytes()[start..index])?;
                writer.write_all(escape.as_bytes())?;
                start = index + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        let short = match char_escape {
            CharEscape::Quote => "\\\"",
            CharEscape::ReverseSolidus => "\\\\",
            CharEscape::LineFeed => "\\n",
            CharEscape::CarriageReturn => "\\r",
            CharEscape::Tab => "\\t",
            // Go before 1.22 has no short forms for these two (see the module docs).
            CharEscape::Backspace => "\\u0008",
            CharEscape::FormFeed => "\\u000c",
            CharEscape::AsciiControl(byte) => return write!(writer, "\\u{byte:04x}"),
            // serde_json never asks for `/` to be escaped; Go does not escape it either.
            CharEscape::Solidus => "/",
        };
        writer.write_all(short.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(value: &impl Serialize) -> String {
        String::from_utf8(to_vec(value).unwrap()).unwrap()
    }

    #[test]
    fn escapes_like_go() {
        let table = [
            ("plain", r#""plain""#),
            ("a<b>&c", r#""a\u003cb\u003e\u0026c""#),
            ("a && b", r#""a \u0026\u0026 b""#),
            ("line\nbreak\ttab\r", r#""line\nbreak\ttab\r""#),
            (
                "\u{8}\u{c}\u{1}\u{1f}\u{7}",
                r#""\u0008\u000c\u0001\u001f\u0007""#,
            ),
            ("quote\" back\\", r#""quote\" back\\""#),
            ("sep\u{2028}\u{2029}", r#""sep\u2028\u2029""#),
            ("héllo ✓ \u{7f}", "\"héllo ✓ \u{7f}\""),
        ];
        for (input, expected) in table {
            assert_eq!(go(&input), expected, "{input:?}");
        }
    }

    #[test]
    fn compact_output() {
        let value = serde_json::json!({"a": [1, 2], "b": {"c": null}});
        assert_eq!(go(&value), r#"{"a":[1,2],"b":{"c":null}}"#);
    }

    #[test]
    fn indented_output_matches_go_layout() {
        #[derive(Serialize)]
        struct S {
            a: Vec<u8>,
            b: Vec<u8>,
            c: &'static str,
        }
        let value = S {
            a: vec![1],
            b: vec![],
            c: "x&y\u{8}",
        };
        let indented = to_vec_indented(&value, "   ").unwrap();
        assert_eq!(
            String::from_utf8(indented).unwrap(),
            "{\n   \"a\": [\n      1\n   ],\n   \"b\": [],\n   \"c\": \"x\\u0026y\\u0008\"\n}"
        );
    }

    #[test]
    fn compact_keeps_escapes_and_drops_whitespace() {
        let cases = [
            ("{ \"a\" : [ 1 , 2 ] }", "{\"a\":[1,2]}"),
            (
                "\"keep  spaces\\u0026 & \\\" \"",
                "\"keep  spaces\\u0026 \\u0026 \\\" \"",
            ),
            ("\n{\"x\":\t1.50e+3}\r\n", "{\"x\":1.50e+3}"),
            ("\"\\/path \\b\"", "\"\\/path \\b\""),
        ];
        for (input, expected) in cases {
            assert_eq!(compact(input), expected, "{input:?}");
        }
    }

    /// Arbitrary JSON, with strings drawn to include what Go escapes.
    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value;
        let text = "[ a<>&\"\\\\\n\t\u{7}\u{8}\u{c}é\u{2028}]{0,8}";
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            text.prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(text, inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn compacting_indented_go_json_gives_compact_go_json(value in json_value()) {
            let indented = String::from_utf8(to_vec_indented(&value, "  ").unwrap()).unwrap();
            proptest::prop_assert_eq!(compact(&indented), go(&value));
        }

        #[test]
        fn compacting_is_idempotent(value in json_value()) {
            let once = compact(&serde_json::to_string_pretty(&value).unwrap());
            proptest::prop_assert_eq!(compact(&once), once.clone());
        }
    }

    #[test]
    fn raw_objects_sort_keys_and_keep_the_last_duplicate() {
        let object =
            parse_raw_object("{\"b\": 1, \"a\": {\"z\": 1, \"y\": \"<\\b>\"}, \"b\": 3, \"\\u0041\": null}")
                .unwrap();
        assert_eq!(
            raw_object_to_string(&object),
            "{\"A\":null,\"a\":{\"z\":1,\"y\":\"\\u003c\\b\\u003e\"},\"b\":3}"
        );
    }
}
