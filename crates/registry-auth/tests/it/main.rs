//! Integration tests of `registry-auth`, one module per area: the I/O this crate does (auth
//! files on disk, credential helper programs, and the credential store that combines them) and
//! the committed fuzz corpora replayed.
//!
//! The helpers are shell scripts and the checks read Unix modes, so those modules are Unix-only.

#[cfg(unix)]
mod auth_file;
#[cfg(unix)]
mod flow;
mod fuzz_corpus;
#[cfg(unix)]
mod helper;
#[cfg(unix)]
mod store;
#[cfg(unix)]
mod util;
