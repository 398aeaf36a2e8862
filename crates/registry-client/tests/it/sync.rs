//! Sync: the planner alone (`plan`), and its names against `skopeo sync` run on the same input
//! (`skopeo`).

mod plan;
mod skopeo;
