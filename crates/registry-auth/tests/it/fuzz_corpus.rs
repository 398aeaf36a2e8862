//! The committed fuzz corpora of this crate's targets, replayed through the
//! targets' own checks (`fuzz/checks/`): what the fuzzers kept keeps passing.

#[macro_use]
#[path = "../../../../fuzz/checks/replay.rs"]
mod replay;

#[path = "../../../../fuzz/checks/challenge.rs"]
mod challenge;

#[path = "../../../../fuzz/checks/token_response.rs"]
mod token_response;

#[path = "../../../../fuzz/checks/auth_file.rs"]
mod auth_file;

corpus_tests!(challenge, token_response, auth_file);
