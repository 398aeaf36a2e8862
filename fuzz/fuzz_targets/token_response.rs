//! Token service answers (`POST`/`GET` on the realm of a Bearer challenge).
//!
//! The properties checked are in `checks/token_response.rs`, shared with the corpus
//! replay test that runs in the main workspace.
#![no_main]

#[path = "../checks/token_response.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
