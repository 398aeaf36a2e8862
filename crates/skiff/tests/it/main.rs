//! The `skiff` binary end to end: outputs, exit codes and error lines, against a real
//! `docker-registry` with `skopeo` as the peer. One module per area, plus `util` for running
//! the binary in a clean environment.

mod archives;
mod artifacts;
mod auth;
mod compress;
mod conformance;
mod convert;
mod errors;
mod hostile;
mod legacy_archives;
mod local;
mod network;
mod platforms;
mod reads;
mod sync;
mod util;
mod writes;
