//! The committed fuzz corpora of this crate's targets, replayed through the
//! targets' own checks (`fuzz/checks/`): what the fuzzers kept keeps passing.

#[macro_use]
#[path = "../../../../fuzz/checks/replay.rs"]
mod replay;

#[path = "../../../../fuzz/checks/link_header.rs"]
mod link_header;

corpus_tests!(link_header);
