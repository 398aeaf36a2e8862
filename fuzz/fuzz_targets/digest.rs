//! Digest strings (`algorithm:encoded`) from manifests, headers and references.
//!
//! Properties: parsing never panics; an accepted digest prints back exactly as
//! given (digests are case- and byte-exact) and parses again to an equal value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_digest::Digest;

fuzz_target!(|input: &str| {
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
});
