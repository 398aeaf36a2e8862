//! Image references as users type them (`[HOST[:PORT]/]NAME[:TAG][@DIGEST]`).
//!
//! Properties: parsing never panics; an accepted reference prints in its
//! normalised form, which parses again to an equal reference and prints the
//! same; the repository name also stands alone as a `Repository`.
//!
//! Shared by the fuzz target and by the corpus replay test of `oci-manifest`.

use oci_manifest::{Reference, Repository};

/// Checks one input (as the fuzzer gives it: raw bytes) against the properties above;
/// a violation panics.
pub(crate) fn check(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(reference) = input.parse::<Reference>() else {
        return;
    };
    let printed = reference.to_string();
    let reparsed: Reference = printed
        .parse()
        .unwrap_or_else(|e| panic!("{printed:?} (from {input:?}) does not parse again: {e}"));
    assert_eq!(reparsed, reference, "round trip of {input:?}");
    assert_eq!(reparsed.to_string(), printed, "the normal form is stable");

    let repository = reference.repository();
    assert_eq!(
        repository.as_str().parse::<Repository>().ok().as_ref(),
        Some(repository),
        "the repository of {input:?} parses on its own"
    );
    // These derive from the parsed parts; they must not panic.
    let _ = reference.registry_endpoint();
    let _ = reference.manifest_reference();
    let _ = reference.name();
}
