//! Integration tests of `registry-client`, one module per area, against a real
//! `docker-registry` started by the shared harness, with skopeo as the peer: every client
//! operation, image transfers, the OCI layout, reliability through the fault proxy, the sync
//! planner (alone, and against `skopeo sync`), and the committed fuzz corpus replayed.

mod auth;
mod blobs;
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
mod proxies;
mod referrers;
mod reliability;
mod sync;
mod tls;
mod util;
