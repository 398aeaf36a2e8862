//! Helpers shared by the integration tests.

use std::path::PathBuf;

use oci_digest::Digest;
use serde_json::Value;
use v1_compat::V1History;

/// The bytes of a file under `tests/data`.
pub(crate) fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The v1 history of a schema1 manifest's JSON (signatures ignored).
pub(crate) fn schema1_history(manifest: &[u8]) -> V1History {
    let json: Value = serde_json::from_slice(manifest).expect("manifest is JSON");
    let text = |v: &Value| v.as_str().expect("string field").to_owned();
    let fs_layers: Vec<Digest> = json["fsLayers"]
        .as_array()
        .expect("fsLayers")
        .iter()
        .map(|l| text(&l["blobSum"]).parse().expect("blobSum is a digest"))
        .collect();
    let history: Vec<String> = json["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| text(&h["v1Compatibility"]))
        .collect();
    V1History::from_manifest_order(
        text(&json["name"]),
        text(&json["tag"]),
        text(&json["architecture"]),
        fs_layers,
        history,
    )
    .expect("valid schema1 history")
}
