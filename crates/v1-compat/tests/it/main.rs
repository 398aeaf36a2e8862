//! Integration tests of `v1-compat`: known-answer vectors from Docker, layer
//! scans of real archives, and agreement with `skopeo` on a real registry.

mod layers;
mod util;
mod vectors;
