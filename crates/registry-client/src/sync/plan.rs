//! From source repositories and their listed tags to (source, destination)
//! pairs, named as `skopeo sync` names them; and the shard split.

use sha2::{Digest as _, Sha256};

use super::{PlanError, Selector, SourceRepository, TagFilter};

/// One image to mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedImage {
    /// `registry/name:tag` or `registry/name@digest`.
    pub source: String,
    /// Where it goes: the destination prefix joined with the name skopeo gives.
    pub destination: String,
}

/// `--shard I/N`: shard I (0-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Parses `I/N` with `0 <= I < N`.
    pub fn parse(text: &str) -> Result<Shard, PlanError> {
        let bad = || PlanError::new("--shard", None, format!("{text:?} is not I/N with 0 <= I < N"));
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the repository falls in this shard: the first 8 bytes of the
    /// SHA-256 of `registry/name`, big-endian, modulo N. Stable across
    /// machines, versions and runs, so N processes cover everything once.
    pub fn holds(&self, repository: &SourceRepository) -> bool {
        let hash = Sha256::digest(repository.full_name().as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash[..8]);
        u64::from_be_bytes(first) % self.count == self.index
    }
}

/// How to name and filter.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Destination prefix `HOST[/PATH]` (or the OCI layouts' directory).
    pub destination: String,
    /// `--scoped`: keep the source registry and full path in the name.
    pub scoped: bool,
    /// Command-line tag filters.
    pub filter: TagFilter,
}

impl PlanOptions {
    /// Unscoped, unfiltered, into `destination`.
    pub fn new(destination: &str) -> PlanOptions {
        PlanOptions {
            destination: destination.to_string(),
            scoped: false,
            filter: TagFilter::default(),
        }
    }
}

/// Plans one repository. `listed_tags` is its tag list, required when
/// [`SourceRepository::needs_tag_list`] says so.
pub fn plan_repository(
    repository: &SourceRepository,
    listed_tags: Option<&[String]>,
    options: &PlanOptions,
) -> Result<Vec<PlannedImage>, PlanError> {
    let listed = || {
        listed_tags.ok_or_else(|| {
            PlanError::new(
                &repository.full_name(),
                None,
                "the planner needs this repository's tag list",
            )
        })
    };
    let refs: Vec<&str> = match &repository.selector {
        Selector::Refs(refs) => refs.iter().map(String::as_str).collect(),
        Selector::AllTags => listed()?.iter().map(String::as_str).collect(),
        Selector::TagRegex(re) => listed()?
            .iter()
            .map(String::as_str)
            .filter(|t| re.is_match(t))
            .collect(),
        Selector::Semver(range) => listed()?
            .iter()
            .map(String::as_str)
            .filter(|t| range.matches_tag(t))
            .collect(),
    };
    let base = repository.full_name();
    Ok(refs
        .into_iter()
        .filter(|r| is_digest(r) || options.filter.admits(r))
        .map(|r| {
            let source = if is_digest(r) {
                format!("{base}@{r}")
            } else {
                format!("{base}:{r}")
            };
            PlannedImage {
                destination: destination_name(&options.destination, &source, options.scoped),
                source,
            }
        })
        .collect())
}

fn is_digest(reference: &str) -> bool {
    reference.contains(':')
}

/// skopeo's rule: the destination joined with the whole source reference
/// when scoped, else with its last path element (`name:tag`).
fn destination_name(destination: &str, source: &str, scoped: bool) -> String {
    let suffix = if scoped {
        source
    } else {
        source.rsplit('/').next().unwrap_or(source)
    };
    format!("{}/{suffix}", destination.trim_end_matches('/'))
}
