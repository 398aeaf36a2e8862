//! The committed fuzz corpora of this crate's targets, replayed through the
//! targets' own checks (`fuzz/checks/`): what the fuzzers kept keeps passing.

#[path = "../../../fuzz/checks/replay.rs"]
mod replay;

#[path = "../../../fuzz/checks/link_header.rs"]
mod link_header;

#[test]
fn link_header_corpus_passes_the_fuzz_checks() {
    assert!(
        replay::replay("link_header", link_header::check) > 0,
        "the link_header corpus is empty"
    );
}
