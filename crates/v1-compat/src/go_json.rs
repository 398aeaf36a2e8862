//! JSON read and written the way Go's `encoding/json` handles it.
//!
//! Image IDs are digests of JSON bytes that Docker and containers/image write
//! with Go's `json.Marshal`; the encoder is `oci_manifest::go_json`, the one
//! the whole workspace writes with. What this module adds is Go's
//! `map[string]*json.RawMessage`, through which Docker and containers/image
//! convert v1 metadata to configs and back: keys decoded (a repeated key keeps
//! its last value) and written sorted, values kept as raw text and written
//! compacted but otherwise unchanged, so the escapes their author chose survive.

use std::collections::BTreeMap;

use oci_manifest::go_json;
use serde::Serialize;
use serde_json::value::RawValue;

/// Encodes a value compactly, as Go's `json.Marshal` would for a struct with
/// the same fields in the same order.
pub(crate) fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    let json = go_json::to_vec(value).expect("plain data serialises to JSON");
    String::from_utf8(json).expect("JSON is UTF-8")
}

/// Encodes a value with Go's `json.MarshalIndent(value, "", indent)` layout.
pub(crate) fn to_string_indented<T: Serialize + ?Sized>(value: &T, indent: &str) -> String {
    let json = go_json::to_vec_indented(value, indent).expect("plain data serialises to JSON");
    String::from_utf8(json).expect("JSON is UTF-8")
}

/// A JSON object read the way Go reads `map[string]*json.RawMessage`.
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
        out.push_str(&go_json::compact(value.get()));
    }
    out.push('}');
    out
}

/// Wraps already-encoded JSON as a raw value for a [`RawObject`].
pub(crate) fn raw(json: String) -> Box<RawValue> {
    RawValue::from_string(json).expect("encoded by this module, so valid JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

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
