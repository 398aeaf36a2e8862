//! Signed Docker schema1 manifests: the JWS `signatures` member, the payload it
//!
//! The properties checked are in `checks/jws.rs`, shared with the corpus
//! replay test that runs in the main workspace.
#![no_main]

#[path = "../checks/jws.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
