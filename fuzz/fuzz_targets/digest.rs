//! Digest strings (`algorithm:encoded`) from manifests, headers and references.
//!
//! The properties checked are in `checks/digest.rs`, shared with the corpus
//! replay test that runs in the main workspace.
#![no_main]

#[path = "../checks/digest.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
