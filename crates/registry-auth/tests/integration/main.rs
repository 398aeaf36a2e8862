//! Integration tests of the I/O this crate does: auth files on disk, credential
//! helper programs, and the credential store that combines them.
//!
//! The helpers are shell scripts and the checks read Unix modes.
#![cfg(unix)]

mod auth_file;
mod flow;
mod helper;
mod store;
mod util;
