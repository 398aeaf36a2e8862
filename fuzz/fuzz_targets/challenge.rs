//! `WWW-Authenticate` header values from registries and token services.
//!
//! The properties checked are in `checks/challenge.rs`, shared with the corpus
//! replay test that runs in the main workspace.
#![no_main]

#[path = "../checks/challenge.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
