//! `Link: <...>; rel="next"` headers that paginate tag listings.
//!
//! The properties checked are in `checks/link_header.rs`, shared with the corpus
//! replay test that runs in the main workspace.
#![no_main]

#[path = "../checks/link_header.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
