//! Integration tests of `oci-digest`, one module per area: the public API (known answers,
//! parsing tables, round trips, verification) and the committed fuzz corpus replayed.

mod digest;
mod fuzz_corpus;
