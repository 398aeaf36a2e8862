//! JSON spelled byte for byte the way Go's `encoding/json` spells it.
//!
//! Image IDs are digests of JSON bytes that Docker and containers/image write
//! with Go's `json.Marshal`. Three of its habits differ from `serde_json`:
//! object keys of maps come out sorted, `<`, `>` and `&` (and U+2028/U+2029)
//! are escaped as `\u003c`-style sequences, and embedded raw JSON
//! (`json.RawMessage`) is compacted but otherwise copied unchanged, so the
//! escapes its author chose survive. Everything else `serde_json` already
//! writes identically (control characters as `\n`, `\b` or `\u001f`).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// Replaces the characters Go escapes for HTML safety in already-encoded JSON.
///
/// These characters can only occur inside strings of encoded JSON, so the
/// replacement never touches structure.
pub(crate) fn escape_html(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out
}

/// Removes insignificant whitespace from valid JSON and applies Go's HTML
/// escaping, leaving every other byte (including escapes inside strings) as is:
/// what Go does to a `json.RawMessage` it marshals.
pub(crate) fn compact(json: &str) -> String {
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
        out.push(c);
    }
    escape_html(&out)
}

/// Encodes a value compactly, as Go's `json.Marshal` would for a struct with
/// the same fields in the same order.
pub(crate) fn to_string<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).expect("plain data serialises to JSON");
    escape_html(&json)
}

/// Encodes a value with Go's `json.MarshalIndent(value, "", indent)` layout.
pub(crate) fn to_string_indented<T: Serialize>(value: &T, indent: &str) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut serializer)
        .expect("plain data serialises to JSON");
    let json = String::from_utf8(out).expect("serde_json writes UTF-8");
    escape_html(&json)
}

/// A JSON object read the way Go reads `map[string]*json.RawMessage`: keys
/// decoded (a repeated key keeps its last value), values kept as raw text.
pub(crate) type RawObject = BTreeMap<String, Box<RawValue>>;

/// Parses a JSON object into a [`RawObject`].
pub(crate) fn parse_raw_object(json: &str) -> Result<RawObject, serde_json::Error> {
    serde_json::from_str(json)
}

/// Encodes a [`RawObject`] as Go's `json.Marshal` encodes the map: keys sorted
/// bytewise, raw values compacted.
pub(crate) fn raw_object_to_string(object: &RawObject) -> String {
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

/// Decodes a JSON object into `T`. Unlike plain `serde_json`, a JSON array is
/// refused even when `T` could be filled from one: Go only fills a struct from
/// an object.
pub(crate) fn from_object<T: DeserializeOwned>(json: &[u8]) -> Result<T, serde_json::Error> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(json)?;
    T::deserialize(serde_json::Value::Object(object))
}

/// Reads an optional list of strings as Go does: a `null` element becomes "".
pub(crate) fn lenient_strings<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    let list: Option<Vec<Option<String>>> = Option::deserialize(deserializer)?;
    Ok(list.map(|items| items.into_iter().map(Option::unwrap_or_default).collect()))
}

/// Reads an optional string map as Go does: a `null` value becomes "".
pub(crate) fn lenient_string_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    let map: Option<BTreeMap<String, Option<String>>> = Option::deserialize(deserializer)?;
    Ok(map.map(|entries| {
        entries
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect()
    }))
}

/// Wraps already-encoded JSON as a raw value for a [`RawObject`].
pub(crate) fn raw(json: String) -> Box<RawValue> {
    RawValue::from_string(json).expect("encoded by this module, so valid JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_characters_like_go() {
        let cases = [
            ("a && b", "\"a \\u0026\\u0026 b\""),
            ("<tag>", "\"\\u003ctag\\u003e\""),
            ("line\u{2028}sep\u{2029}", "\"line\\u2028sep\\u2029\""),
            ("tab\there\nnl", "\"tab\\there\\nnl\""),
            ("bell\u{7}", "\"bell\\u0007\""),
            ("quote\" back\\", "\"quote\\\" back\\\\\""),
            ("é ✓", "\"é ✓\""),
        ];
        for (input, go) in cases {
            assert_eq!(to_string(&input), go, "{input:?}");
        }
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
            ("\"\\/path\"", "\"\\/path\""),
        ];
        for (input, go) in cases {
            assert_eq!(compact(input), go, "{input:?}");
        }
    }

    #[test]
    fn structs_come_only_from_objects() {
        #[derive(Deserialize, Debug)]
        struct S {
            #[serde(default)]
            _a: Option<u8>,
        }
        assert!(from_object::<S>(b"{}").is_ok());
        assert!(from_object::<S>(b"[]").is_err());
        assert!(from_object::<S>(b"null").is_err());
    }

    #[test]
    fn nulls_inside_strings_and_maps_read_as_empty() {
        #[derive(Deserialize)]
        struct S {
            #[serde(default, deserialize_with = "lenient_strings")]
            list: Option<Vec<String>>,
            #[serde(default, deserialize_with = "lenient_string_map")]
            map: Option<BTreeMap<String, String>>,
        }
        let s: S = from_object(br#"{"list":["a",null],"map":{"k":null}}"#).unwrap();
        assert_eq!(s.list.unwrap(), ["a", ""]);
        assert_eq!(s.map.unwrap()["k"], "");
        let s: S = from_object(br#"{"list":null}"#).unwrap();
        assert!(s.list.is_none() && s.map.is_none());
    }

    /// Arbitrary JSON, with strings drawn to include what Go escapes.
    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value;
        let text = "[ a<>&\"\\\\\n\t\u{7}é\u{2028}]{0,8}";
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
        fn compacting_pretty_json_gives_go_compact_json(value in json_value()) {
            let pretty = serde_json::to_string_pretty(&value).unwrap();
            proptest::prop_assert_eq!(compact(&pretty), to_string(&value));
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
            parse_raw_object("{\"b\": 1, \"a\": {\"z\": 1, \"y\": 2}, \"b\": 3, \"\\u0041\": null}").unwrap();
        assert_eq!(
            raw_object_to_string(&object),
            "{\"A\":null,\"a\":{\"z\":1,\"y\":2},\"b\":3}"
        );
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
            c: "x&y",
        };
        assert_eq!(
            to_string_indented(&value, "   "),
            "{\n   \"a\": [\n      1\n   ],\n   \"b\": [],\n   \"c\": \"x\\u0026y\"\n}"
        );
    }
}
