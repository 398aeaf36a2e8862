//! Naming a repository on a registry: the target of every repository-level operation.

use std::fmt;
use std::str::FromStr;

use oci_manifest::{Reference, Repository};

use crate::endpoint::api_host;
use crate::Error;

/// A repository on a registry, such as `127.0.0.1:5000/team/app` or `docker.io/library/alpine`.
///
/// Built from a [`Reference`] (dropping its tag and digest) or parsed from
/// `HOST[:PORT]/NAME` with the same defaults as a reference (`docker.io`, `library/`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RepositoryRef {
    registry: String,
    repository: Repository,
}

impl RepositoryRef {
    /// The repository `repository` on `registry` (a host with optional port, used as given).
    pub fn new(registry: &str, repository: Repository) -> RepositoryRef {
        RepositoryRef {
            registry: registry.to_owned(),
            repository,
        }
    }

    /// The registry as the user named it (`docker.io`, `localhost:5000`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host that serves the registry's API (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        api_host(&self.registry)
    }

    /// The repository path.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// A reference to `tag` in this repository.
    pub fn tagged(&self, tag: &str) -> Result<Reference, Error> {
        Ok(Reference::from_parts(
            &self.registry,
            self.repository.clone(),
            Some(tag),
            None,
        )?)
    }

    /// A reference to `digest` in this repository.
    pub fn digested(&self, digest: &oci_digest::Digest) -> Result<Reference, Error> {
        Ok(Reference::from_parts(
            &self.registry,
            self.repository.clone(),
            None,
            Some(digest.clone()),
        )?)
    }
}

impl From<&Reference> for RepositoryRef {
    fn from(reference: &Reference) -> RepositoryRef {
        RepositoryRef::new(reference.registry(), reference.repository().clone())
    }
}

impl FromStr for RepositoryRef {
    type Err = Error;

    /// Parses `HOST[:PORT]/NAME` (a tag or digest, if present, is ignored).
    fn from_str(input: &str) -> Result<RepositoryRef, Error> {
        Ok(RepositoryRef::from(&Reference::parse(input)?))
    }
}

impl fmt::Display for RepositoryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)
    }
}

impl fmt::Debug for RepositoryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RepositoryRef({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_reference_defaults() {
        let cases = [
            ("alpine", "docker.io", "library/alpine", "registry-1.docker.io"),
            (
                "127.0.0.1:5000/team/app",
                "127.0.0.1:5000",
                "team/app",
                "127.0.0.1:5000",
            ),
            (
                "localhost:5000/app:1.0",
                "localhost:5000",
                "app",
                "localhost:5000",
            ),
        ];
        for (input, registry, repository, host) in cases {
            let r: RepositoryRef = input.parse().unwrap();
            assert_eq!(
                (r.registry(), r.repository().as_str(), r.api_host()),
                (registry, repository, host)
            );
        }
        assert!("UPPER/Case".parse::<RepositoryRef>().is_err());
    }
}
