//! JSON written the way Go's `encoding/json` writes it: the workspace's one
//! encoder, `oci_manifest::go_json`, with its `map[string]*json.RawMessage`
//! helpers, and the indented layout `skiff inspect` prints.

use oci_manifest::go_json;
pub(crate) use oci_manifest::go_json::{parse_raw_object, raw, raw_object_to_string, to_string};
use serde::Serialize;

/// Encodes a value with Go's `json.MarshalIndent(value, "", indent)` layout.
pub(crate) fn to_string_indented<T: Serialize + ?Sized>(value: &T, indent: &str) -> String {
    let json = go_json::to_vec_indented(value, indent).expect("plain data serialises to JSON");
    String::from_utf8(json).expect("JSON is UTF-8")
}
