//! Signed Docker schema1 manifests: the JWS `signatures` member, the payload it
//! protects, and signature verification.
//!
//! Properties: none of the three entry points panics; a manifest whose
//! signatures verify also yields its signed payload and parsed signatures,
//! one verified signature per parsed one.
//!
//! Shared by the fuzz target and by the corpus replay test of `oci-manifest`.

use oci_manifest::jws;

/// Checks one input (as the fuzzer gives it: raw bytes) against the properties above;
/// a violation panics.
pub(crate) fn check(data: &[u8]) {
    let signatures = jws::parse_signatures(data);
    let payload = jws::signed_payload(data);
    if let Ok(payload) = &payload {
        assert!(
            payload.len() <= data.len(),
            "the payload comes from the bytes given"
        );
    }
    if let Ok(verified) = jws::verify(data) {
        assert!(payload.is_ok(), "verified but no signed payload");
        let parsed = signatures.expect("verified but signatures do not parse");
        assert_eq!(verified.len(), parsed.len(), "every signature is verified");
    }
}
