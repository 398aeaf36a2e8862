//! Sync: the planner alone (`plan`), its names against `skopeo sync` run on the same input
//! (`skopeo`), and the runner against real registries (`run`).

mod plan;
mod run;
mod skopeo;
