//! Integration tests of `registry-client`, one module per area, against a real
//! `docker-registry` started by the shared harness, with skopeo as the peer: every client
//! operation, image transfers, the OCI layout, reliability through the fault proxy, the sync
//! planner (alone, and against `skopeo sync`), and the committed fuzz corpus replayed.
//!
//! The areas that configure TLS need the `tls` feature; the others also build without it, so
//! `cargo test -p registry-client --no-default-features --test it -- layout:: image::` runs
//! the layout and the engine in a build with no TLS stack.

mod auth;
mod blobs;
#[cfg(feature = "tls")]
mod cert_dirs;
mod faults;
mod fuzz_corpus;
mod image;
#[path = "../image_fixtures/mod.rs"]
mod image_fixtures;
mod layout;
mod listing;
mod manifests;
mod mirrors;
#[cfg(feature = "tls")]
mod proxies;
mod recompress;
mod referrers;
mod reliability;
mod sync;
#[cfg(feature = "tls")]
mod tls;
mod util;
