//! The committed fuzz corpora of this crate's targets, replayed through the
//! targets' own checks (`fuzz/checks/`): what the fuzzers kept keeps passing.

#[macro_use]
#[path = "../../../../fuzz/checks/replay.rs"]
mod replay;

#[path = "../../../../fuzz/checks/reference.rs"]
mod reference;

#[path = "../../../../fuzz/checks/manifest.rs"]
mod manifest;

#[path = "../../../../fuzz/checks/jws.rs"]
mod jws;

corpus_tests!(reference, manifest, jws);
