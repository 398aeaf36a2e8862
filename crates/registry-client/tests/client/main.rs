//! Integration tests against a real `docker-registry` started by the shared harness.

mod auth;
mod blobs;
mod faults;
mod listing;
mod manifests;
mod referrers;
mod tls;
mod util;
