//! Registry authentication without sockets: challenges, scopes, token exchange and caching, auth files.
//!
//! This crate is being built: its public API does not exist yet, and nothing
//! here claims to work. See the workspace README for what is available today.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
