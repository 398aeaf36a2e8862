//! The async registry client: the Docker Registry HTTP API V2 and the OCI distribution spec over hyper and rustls.
//!
//! This crate is being built: its public API does not exist yet, and nothing
//! here claims to work. See the workspace README for what is available today.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
