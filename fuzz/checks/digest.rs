//! Digest strings (`algorithm:encoded`) from manifests, headers and references.
//!
//! Properties: parsing never panics; an accepted digest prints back exactly as
//! given (digests are case- and byte-exact) and parses again to an equal value.
//!
//! Shared by the fuzz target and by the corpus replay test of `oci-digest`.

use oci_digest::Digest;

/// Checks one input (as the fuzzer gives it: raw bytes) against the properties above;
/// a violation panics.
pub(crate) fn check(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(digest) = input.parse::<Digest>() else {
        return;
    };
    let printed = digest.to_string();
    assert_eq!(printed, input, "a valid digest prints as given");
    assert_eq!(printed.parse::<Digest>().ok(), Some(digest.clone()), "round trip");
    assert_eq!(
        digest.as_str(),
        format!("{}:{}", digest.algorithm(), digest.encoded()),
        "the parts make up the whole"
    );
    // Matching arbitrary bytes against it must not panic either.
    let _ = digest.matches(input.as_bytes());
}
