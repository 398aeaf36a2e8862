//! Image references as users type them (`[HOST[:PORT]/]NAME[:TAG][@DIGEST]`).
//!
//! The properties checked are in `checks/reference.rs`, shared with the corpus
//! replay test that runs in the main workspace.
#![no_main]

#[path = "../checks/reference.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
