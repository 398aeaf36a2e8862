//! The committed fuzz corpora of this crate's targets, replayed through the
//! targets' own checks (`fuzz/checks/`): what the fuzzers kept keeps passing.

#[path = "../../../fuzz/checks/replay.rs"]
mod replay;

#[path = "../../../fuzz/checks/reference.rs"]
mod reference;

#[path = "../../../fuzz/checks/manifest.rs"]
mod manifest;

#[path = "../../../fuzz/checks/jws.rs"]
mod jws;

#[test]
fn reference_corpus_passes_the_fuzz_checks() {
    assert!(
        replay::replay("reference", reference::check) > 0,
        "the reference corpus is empty"
    );
}

#[test]
fn manifest_corpus_passes_the_fuzz_checks() {
    assert!(
        replay::replay("manifest", manifest::check) > 0,
        "the manifest corpus is empty"
    );
}

#[test]
fn jws_corpus_passes_the_fuzz_checks() {
    assert!(replay::replay("jws", jws::check) > 0, "the jws corpus is empty");
}
