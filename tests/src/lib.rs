//! The integration harness: starts Debian's `docker-registry` on a free
//! loopback port in a temporary directory and stops it on drop.
//!
//! Tests that need a peer program fail (never skip) with the command that
//! installs it.

mod registry;
mod tools;

pub use registry::{free_port, Registry};
pub use tools::require;
