//! Integration tests of `v1-compat`: known-answer vectors from Docker, layer
//! scans of real archives, and agreement with `skopeo` on a real
//! `docker-registry` (both must be installed; `cargo xtask test` installs them).

mod layers;
mod oci_layout;
mod registry;
mod skopeo;
mod util;
mod vectors;
