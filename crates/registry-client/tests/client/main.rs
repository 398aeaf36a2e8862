//! Integration tests against a real `docker-registry` started by the shared harness.

mod auth;
mod blobs;
mod cert_dirs;
mod faults;
mod listing;
mod manifests;
mod mirrors;
mod proxies;
mod referrers;
mod tls;
mod util;
