//! JSON in and out for every format: typed parse errors, the checks every
//! format shares, and the canonical way this crate writes a manifest.
//!
//! New manifests are written the way containers/image (skopeo, podman) writes
//! them, with Go's `json.Marshal` ([`crate::go_json`]): matching it byte for
//! byte means a manifest we build has the digest skopeo would give the same
//! content.

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

/// Serialises `value` the way Go's `json.Marshal` does (see [`crate::go_json`]).
pub(crate) fn to_canonical<T: Serialize + ?Sized>(format: &'static str, value: &T) -> Result<Vec<u8>, Error> {
    crate::go_json::to_vec(value).map_err(|source| Error::Serialize { format, source })
}
