//! The command-line tag filters (`--tags-regex`, `--tags-exclude`,
//! `--semver`), applied on top of what each source selects.

use regex::Regex;

use super::SemverRange;
use crate::Error;

/// Tag filters given on the command line; each one set must pass.
#[derive(Debug, Clone, Default)]
pub struct TagFilter {
    include: Option<Regex>,
    exclude: Option<Regex>,
    semver: Option<SemverRange>,
}

impl TagFilter {
    /// Builds the filter from the flags' texts; a bad regex or range is an
    /// error naming the flag.
    pub fn new(
        include: Option<&str>,
        exclude: Option<&str>,
        semver: Option<&str>,
    ) -> Result<TagFilter, Error> {
        let regex = |flag: &str, text: &str| {
            Regex::new(text).map_err(|e| Error::sync_input(flag, None, format!("bad regex {text:?}: {e}")))
        };
        Ok(TagFilter {
            include: include.map(|t| regex("--tags-regex", t)).transpose()?,
            exclude: exclude.map(|t| regex("--tags-exclude", t)).transpose()?,
            semver: semver
                .map(|t| SemverRange::parse(t).map_err(|e| Error::sync_input("--semver", None, e)))
                .transpose()?,
        })
    }

    /// Whether a tag passes every filter set. Digests are never filtered:
    /// they were asked for by name.
    pub fn admits(&self, tag: &str) -> bool {
        self.include.as_ref().map_or(true, |r| r.is_match(tag))
            && !self.exclude.as_ref().is_some_and(|r| r.is_match(tag))
            && self.semver.as_ref().map_or(true, |s| s.matches_tag(tag))
    }
}
