//! The committed fuzz corpora of this crate's targets, replayed through the
//! targets' own checks (`fuzz/checks/`): what the fuzzers kept keeps passing.

#[path = "../../../fuzz/checks/replay.rs"]
mod replay;

#[path = "../../../fuzz/checks/digest.rs"]
mod digest;

#[test]
fn digest_corpus_passes_the_fuzz_checks() {
    assert!(
        replay::replay("digest", digest::check) > 0,
        "the digest corpus is empty"
    );
}
