//! Manifest bytes as a registry serves them, in every format.
//!
//! The properties checked are in `checks/manifest.rs`, shared with the corpus
//! replay test that runs in the main workspace.
#![no_main]

#[path = "../checks/manifest.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
