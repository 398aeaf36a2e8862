//! The committed fuzz corpora of this crate's targets, replayed through the
//! targets' own checks (`fuzz/checks/`): what the fuzzers kept keeps passing.

#[path = "../../../fuzz/checks/replay.rs"]
mod replay;

#[path = "../../../fuzz/checks/challenge.rs"]
mod challenge;

#[path = "../../../fuzz/checks/token_response.rs"]
mod token_response;

#[path = "../../../fuzz/checks/auth_file.rs"]
mod auth_file;

#[test]
fn challenge_corpus_passes_the_fuzz_checks() {
    assert!(
        replay::replay("challenge", challenge::check) > 0,
        "the challenge corpus is empty"
    );
}

#[test]
fn token_response_corpus_passes_the_fuzz_checks() {
    assert!(
        replay::replay("token_response", token_response::check) > 0,
        "the token_response corpus is empty"
    );
}

#[test]
fn auth_file_corpus_passes_the_fuzz_checks() {
    assert!(
        replay::replay("auth_file", auth_file::check) > 0,
        "the auth_file corpus is empty"
    );
}
