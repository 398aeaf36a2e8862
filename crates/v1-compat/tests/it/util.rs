//! Helpers shared by the integration tests.

use std::path::PathBuf;

use oci_manifest::Schema1;
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
    V1History::from_schema1(&schema1(manifest)).expect("valid schema1 history")
}

/// A schema1 manifest's JSON, parsed.
pub(crate) fn schema1(manifest: &[u8]) -> Schema1 {
    Schema1::from_slice(manifest).expect("a schema1 manifest")
}
