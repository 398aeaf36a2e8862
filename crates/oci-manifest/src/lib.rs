//! Image references and every Docker and OCI manifest format, byte-exact, with schema1 JWS signatures.
//!
//! This crate is being built: its public API does not exist yet, and nothing
//! here claims to work. See the workspace README for what is available today.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod jws;
