//! Integration tests of `v1-compat`, one module per area: known-answer vectors from Docker,
//! layer scans of real archives, agreement with `skopeo` on a real `docker-registry` (both must
//! be installed; `cargo xtask test` installs them), and whole-image conversion against that
//! registry, which needs the default `client` feature.

#[cfg(feature = "client")]
mod convert;
mod go_escapes;
mod layers;
mod oci_layout;
mod registry;
mod skopeo;
mod util;
mod vectors;
