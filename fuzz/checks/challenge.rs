//! `WWW-Authenticate` header values from registries and token services.
//!
//! Properties: parsing never panics; each accepted challenge prints as a header
//! value that parses back to exactly that challenge; reading it as a Bearer
//! challenge does not panic.
//!
//! Shared by the fuzz target and by the corpus replay test of `registry-auth`.

use registry_auth::{BearerChallenge, Challenge};

/// Checks one input (as the fuzzer gives it: raw bytes) against the properties above;
/// a violation panics.
pub(crate) fn check(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(challenges) = Challenge::parse(input) else {
        return;
    };
    for challenge in &challenges {
        let printed = challenge.to_string();
        let reparsed = Challenge::parse(&printed)
            .unwrap_or_else(|e| panic!("{printed:?} (from {input:?}) does not parse again: {e}"));
        assert_eq!(
            reparsed.as_slice(),
            std::slice::from_ref(challenge),
            "round trip of {printed:?}"
        );
        if let Ok(bearer) = BearerChallenge::try_from(challenge) {
            let _ = bearer.requested_scopes();
        }
    }
}
