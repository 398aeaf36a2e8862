//! The harness itself, proven with real clients: skopeo and plain HTTP requests against the
//! registry in each configuration, the token service and the fault proxy.

mod auth;
mod configurations;
mod proxy;
