//! Mirroring many images: which images a sync copies, under which names,
//! and the runner that copies them.
//!
//! The planner is pure and network-free: [`SyncConfig`] reads `skopeo sync`'s
//! YAML file (or the `--src docker` form) into [`SourceRepository`] entries;
//! [`plan_repository`] takes a repository and its listed tags, applies the
//! [`TagFilter`] and names each destination exactly as `skopeo sync` does,
//! scoped or not. [`Shard`] splits the repositories between processes by a
//! stable hash. Bad input is [`crate::Error::SyncInput`], naming the file (or
//! flag), the line and the problem.
//!
//! The runner ([`run`], or [`plan`] then [`execute`]) lists tags, plans, and
//! drives the image engine over the plan: [`SyncOptions::parallel`] images
//! at once over one [`crate::Client`], an image already at the destination
//! by the same digest found `unchanged` at the cost of one manifest `HEAD` on
//! each side, blobs shared between images moved once per destination (and
//! mounted into the other repositories of a registry), and a [`SyncReport`]
//! of every image. See [`run`] for an example.
//!
//! ```
//! use registry_client::sync::{plan_repository, PlanOptions, SyncConfig, Target};
//!
//! let yaml = "registry.example.com:\n  images:\n    team/app: []\n";
//! let config = SyncConfig::from_yaml("sync.yaml", yaml)?;
//! let repo = &config.repositories()[0];
//! assert!(repo.needs_tag_list());
//! let tags = vec!["1.0".to_string(), "latest".to_string()];
//! let plan = plan_repository(repo, Some(&tags), &PlanOptions::new("mirror.local"))?;
//! assert_eq!(plan[0].source.to_string(), "registry.example.com/team/app:1.0");
//! assert_eq!(plan[0].destination.to_string(), "mirror.local/app:1.0");
//! assert!(matches!(plan[0].destination, Target::Registry(_)));
//! # Ok::<(), registry_client::Error>(())
//! ```

mod config;
mod filter;
mod ledger;
mod plan;
mod repositories;
mod run;
mod semver_range;

pub use config::{Credentials, ImageRef, Selector, SourceRepository, SyncConfig};
pub use filter::TagFilter;
pub use plan::{plan_repository, DestinationKind, PlanOptions, PlannedImage, Shard, Target};
pub use run::{
    execute, plan, run, ImageResult, ImageStatus, NoSyncProgress, Plan, SyncOptions, SyncProgress,
    SyncReport, DEFAULT_PARALLEL,
};
pub use semver_range::SemverRange;
