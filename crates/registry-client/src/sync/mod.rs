//! The sync planner: which images a `sync` run mirrors, and under which names.
//!
//! Pure and network-free: [`SyncConfig`] reads `skopeo sync`'s YAML file (or
//! the `--src docker` form) into [`SourceRepository`] entries; the caller
//! lists tags for those that need it and hands them to [`plan_repository`],
//! which applies the [`TagFilter`] and names each destination exactly as
//! `skopeo sync` does, scoped or not. [`Shard`] splits the repositories
//! between processes by a stable hash.
//!
//! ```
//! use registry_client::sync::{plan_repository, PlanOptions, SyncConfig};
//!
//! let yaml = "registry.example.com:\n  images:\n    team/app: []\n";
//! let config = SyncConfig::from_yaml("sync.yaml", yaml)?;
//! let repo = &config.repositories()[0];
//! assert!(repo.needs_tag_list());
//! let tags = vec!["1.0".to_string(), "latest".to_string()];
//! let plan = plan_repository(repo, Some(&tags), &PlanOptions::new("mirror.local"))?;
//! assert_eq!(plan[0].source, "registry.example.com/team/app:1.0");
//! assert_eq!(plan[0].destination, "mirror.local/app:1.0");
//! # Ok::<(), registry_client::sync::PlanError>(())
//! ```

mod config;
mod filter;
mod plan;
mod semver_range;

pub use config::{Credentials, Selector, SourceRepository, SyncConfig};
pub use filter::TagFilter;
pub use plan::{plan_repository, PlanOptions, PlannedImage, Shard};
pub use semver_range::SemverRange;

/// Bad sync input: the file (or flag), the line when known, and the problem.
#[derive(Debug, thiserror::Error)]
#[error("{origin}{}: {problem}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PlanError {
    /// The file, or the flag, the bad input came from.
    pub origin: String,
    /// 1-based line in the file, when the input is a file.
    pub line: Option<usize>,
    /// What was wrong.
    pub problem: String,
}

impl PlanError {
    pub(crate) fn new(origin: &str, line: Option<usize>, problem: impl Into<String>) -> PlanError {
        PlanError {
            origin: origin.to_string(),
            line,
            problem: problem.into(),
        }
    }
}
