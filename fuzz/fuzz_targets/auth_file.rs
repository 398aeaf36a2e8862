//! Auth files (Docker's `config.json`, the containers `auth.json`) as found on
//!
//! The properties checked are in `checks/auth_file.rs`, shared with the corpus
//! replay test that runs in the main workspace.
#![no_main]

#[path = "../checks/auth_file.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
