//! `registries.conf` (containers-registries.conf(5), version 2): where a repository is really
//! read from and written to.
//!
//! A `[[registry]]` entry applies to the names under its `prefix` (the longest matching prefix
//! wins; `*.example.com` matches every host under `example.com`): `location` rewrites that prefix,
//! `insecure` allows unverified TLS and plain http, `blocked` refuses every request, and its
//! `[[registry.mirror]]` entries are tried in order for reads before the registry itself
//! (`pull-from-mirror`: `all`, `digest-only` or `tag-only`). Writes go to the registry only.
//! Short-name resolution (`unqualified-search-registries`, `[aliases]`, `short-name-mode`) is
//! not done: every name skiff reads already names its registry, so those keys are ignored.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::environment::NetworkEnv;
use crate::error::Error;

/// The `[[registry]]` entries of the registries.conf files, merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registries {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    prefix: String,
    location: String,
    insecure: bool,
    blocked: bool,
    mirrors: Vec<MirrorEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct MirrorEntry {
    location: String,
    insecure: bool,
    pull: PullFromMirror,
}

/// Which reads a mirror serves (`pull-from-mirror`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullFromMirror {
    /// Every read (the default).
    All,
    /// Reads by digest only: blobs and manifests by digest.
    DigestOnly,
    /// Manifests by tag only.
    TagOnly,
}

impl PullFromMirror {
    /// Whether this mirror may serve a read; `by_digest` says whether it is by digest (a blob,
    /// or a manifest by digest) rather than by tag.
    pub fn serves(self, by_digest: bool) -> bool {
        match self {
            PullFromMirror::All => true,
            PullFromMirror::DigestOnly => by_digest,
            PullFromMirror::TagOnly => !by_digest,
        }
    }
}

/// A repository on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// `host[:port]`.
    pub host: String,
    /// The repository name on that host.
    pub repository: String,
    /// Whether the entry marks it insecure.
    pub insecure: bool,
}

/// A mirror of a repository, and the reads it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// Where the mirror has the repository.
    pub location: Location,
    /// Which reads it serves.
    pub pull: PullFromMirror,
}

/// Where one repository is read from and written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The registry itself (after `location` rewriting): every write, and reads no mirror served.
    pub registry: Location,
    /// The mirrors, in the order reads try them.
    pub mirrors: Vec<Mirror>,
}

#[derive(Debug, Deserialize)]
struct RawFile {
    #[serde(default)]
    registry: Vec<RawRegistry>,
    /// Version 1's tables; refused with a message rather than ignored.
    registries: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawRegistry {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    blocked: bool,
    #[serde(default)]
    mirror_by_digest_only: bool,
    #[serde(default)]
    mirror: Vec<RawMirror>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawMirror {
    location: String,
    #[serde(default)]
    insecure: bool,
    pull_from_mirror: Option<String>,
}

impl Registries {
    /// The files the environment names: `CONTAINERS_REGISTRIES_CONF`, else
    /// `~/.config/containers/registries.conf` when it exists, else
    /// `/etc/containers/registries.conf` (when it exists); then the drop-ins.
    pub fn from_env(env: &NetworkEnv) -> Result<Registries, Error> {
        let main = env.registries_conf.clone().or_else(|| {
            [
                env.home_path(".config/containers/registries.conf"),
                env.system_path("/etc/containers/registries.conf"),
            ]
            .into_iter()
            .flatten()
            .find(|path| path.is_file())
        });
        Registries::load(main.as_deref(), env)
    }

    /// `path` (which must exist; `--registries-conf`), then the drop-ins of `env`.
    pub fn from_file(path: &Path, env: &NetworkEnv) -> Result<Registries, Error> {
        Registries::load(Some(path), env)
    }

    /// The main file, then every `*.conf` of `/etc/containers/registries.conf.d/` and
    /// `~/.config/containers/registries.conf.d/` in name order: an entry with the prefix of an
    /// earlier one replaces it.
    fn load(main: Option<&Path>, env: &NetworkEnv) -> Result<Registries, Error> {
        let mut registries = Registries::default();
        if let Some(path) = main {
            registries.merge(read(path)?);
        }
        let drop_in_dirs = [
            env.system_path("/etc/containers/registries.conf.d"),
            env.home_path(".config/containers/registries.conf.d"),
        ];
        for dir in drop_in_dirs.into_iter().flatten() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.extension().is_some_and(|e| e == "conf"))
                .collect();
            files.sort();
            for path in files {
                registries.merge(read(&path)?);
            }
        }
        Ok(registries)
    }

    /// Parses one file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Registries, Error> {
        let error = |reason: String| Error::RegistriesConf {
            path: path.to_owned(),
            reason,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        if raw.registries.is_some() {
            return Err(error(
                "version 1 tables ([registries.search], ...) are not supported; use [[registry]]".to_owned(),
            ));
        }
        let mut entries = Vec::new();
        for registry in raw.registry {
            let prefix = if registry.prefix.is_empty() {
                registry.location.clone()
            } else {
                registry.prefix.clone()
            };
            if prefix.is_empty() {
                return Err(error("a [[registry]] needs a prefix or a location".to_owned()));
            }
            if !prefix.starts_with("*.") && registry.location.is_empty() {
                // As containers/image: only a wildcard entry may leave the location out.
                return Err(error(format!(
                    "[[registry]] {prefix:?} has no location (only a *.domain prefix may omit it)"
                )));
            }
            if prefix.starts_with("*.") && !registry.location.is_empty() {
                return Err(error(format!(
                    "wildcard prefix {prefix:?} cannot have a location"
                )));
            }
            let default_pull = if registry.mirror_by_digest_only {
                PullFromMirror::DigestOnly
            } else {
                PullFromMirror::All
            };
            let mut mirrors = Vec::new();
            for mirror in registry.mirror {
                let pull = match mirror.pull_from_mirror.as_deref() {
                    None => default_pull,
                    Some("all") => PullFromMirror::All,
                    Some("digest-only") => PullFromMirror::DigestOnly,
                    Some("tag-only") => PullFromMirror::TagOnly,
                    Some(other) => {
                        return Err(error(format!(
                            "pull-from-mirror {other:?} is not one of all, digest-only, tag-only"
                        )))
                    }
                };
                if mirror.location.is_empty() {
                    return Err(error(format!("a mirror of {prefix:?} has no location")));
                }
                mirrors.push(MirrorEntry {
                    location: mirror.location,
                    insecure: mirror.insecure,
                    pull,
                });
            }
            entries.push(Entry {
                location: if registry.location.is_empty() {
                    prefix.clone()
                } else {
                    registry.location
                },
                prefix,
                insecure: registry.insecure,
                blocked: registry.blocked,
                mirrors,
            });
        }
        Ok(Registries { entries })
    }

    fn merge(&mut self, later: Registries) {
        for entry in later.entries {
            match self.entries.iter_mut().find(|known| known.prefix == entry.prefix) {
                Some(known) => *known = entry,
                None => self.entries.push(entry),
            }
        }
    }

    /// Whether there is no entry at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every host an entry marks insecure (registry locations and mirrors).
    pub(crate) fn insecure_hosts(&self) -> Vec<String> {
        let mut hosts = Vec::new();
        for entry in &self.entries {
            if entry.insecure && !entry.prefix.starts_with("*.") {
                hosts.push(host_of(&entry.location).to_owned());
            }
            for mirror in entry.mirrors.iter().filter(|m| m.insecure) {
                hosts.push(host_of(&mirror.location).to_owned());
            }
        }
        hosts
    }

    /// Where `registry`/`repository` is read and written; `None` when no entry applies. A
    /// blocked entry is an error: nothing may be sent there.
    pub fn resolve(&self, registry: &str, repository: &str) -> Result<Option<Resolution>, Error> {
        let name = format!("{registry}/{repository}");
        let best = self
            .entries
            .iter()
            .filter_map(|entry| matched_len(entry, registry, &name).map(|len| (len, entry)))
            .max_by_key(|(len, _)| *len);
        let Some((matched, entry)) = best else {
            return Ok(None);
        };
        if entry.blocked {
            return Err(Error::Blocked {
                name,
                prefix: entry.prefix.clone(),
            });
        }
        let rest = &name[matched..];
        let wildcard = entry.prefix.starts_with("*.");
        let location = |base: &str, insecure: bool| {
            let rewritten = format!("{base}{rest}");
            let (host, repository) = rewritten.split_once('/').unwrap_or((&rewritten, ""));
            Location {
                host: host.to_owned(),
                repository: repository.to_owned(),
                insecure,
            }
        };
        let registry_base = if wildcard {
            registry
        } else {
            entry.location.as_str()
        };
        Ok(Some(Resolution {
            registry: location(registry_base, entry.insecure),
            mirrors: entry
                .mirrors
                .iter()
                .map(|mirror| Mirror {
                    location: location(&mirror.location, mirror.insecure),
                    pull: mirror.pull,
                })
                .collect(),
        }))
    }
}

/// How much of `name` the entry's prefix covers, if it matches: the whole prefix, ending at a
/// path boundary; for `*.domain`, the registry host when it is under `domain`.
fn matched_len(entry: &Entry, registry: &str, name: &str) -> Option<usize> {
    if let Some(domain) = entry.prefix.strip_prefix("*.") {
        let host = registry.split(':').next().unwrap_or(registry);
        let under = host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.';
        return under.then_some(registry.len());
    }
    let rest = name.strip_prefix(entry.prefix.as_str())?;
    (rest.is_empty() || rest.starts_with('/')).then_some(entry.prefix.len())
}

fn host_of(location: &str) -> &str {
    location.split('/').next().unwrap_or(location)
}

fn read(path: &Path) -> Result<Registries, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::RegistriesConf {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    Registries::parse(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Registries {
        Registries::parse(text, Path::new("r.conf")).unwrap()
    }

    fn resolved(registries: &Registries, registry: &str, repository: &str) -> (String, Vec<String>) {
        let resolution = registries.resolve(registry, repository).unwrap().unwrap();
        let show = |l: &Location| format!("{}/{}", l.host, l.repository);
        (
            show(&resolution.registry),
            resolution.mirrors.iter().map(|m| show(&m.location)).collect(),
        )
    }

    const CONF: &str = r#"
unqualified-search-registries = ["docker.io"]

[[registry]]
prefix = "example.com/team"
location = "internal:5000/mirror/team"

[[registry]]
prefix = "example.com"
location = "other:5000"
[[registry.mirror]]
location = "m1:5000/cache"
[[registry.mirror]]
location = "m2:5000"
insecure = true
pull-from-mirror = "digest-only"

[[registry]]
location = "bad.example"
blocked = true

[[registry]]
prefix = "*.corp.example"
insecure = true

[aliases]
"app" = "example.com/app"
"#;

    #[test]
    fn the_longest_prefix_rewrites_on_a_path_boundary() {
        let r = parse(CONF);
        assert_eq!(
            resolved(&r, "example.com", "team/app"),
            ("internal:5000/mirror/team/app".to_owned(), vec![])
        );
        assert_eq!(
            resolved(&r, "example.com", "teamwork/app"),
            (
                "other:5000/teamwork/app".to_owned(),
                vec![
                    "m1:5000/cache/teamwork/app".to_owned(),
                    "m2:5000/teamwork/app".to_owned()
                ]
            )
        );
        assert_eq!(r.resolve("example.org", "app").unwrap(), None);
        assert_eq!(r.resolve("example.com.evil", "app").unwrap(), None);
    }

    #[test]
    fn blocked_wildcard_insecure_and_pull_policies() {
        let r = parse(CONF);
        match r.resolve("bad.example", "x/y") {
            Err(Error::Blocked { name, .. }) => assert_eq!(name, "bad.example/x/y"),
            other => panic!("{other:?}"),
        }
        let wild = r.resolve("r.corp.example:5000", "app").unwrap().unwrap();
        assert_eq!(wild.registry.host, "r.corp.example:5000");
        assert!(wild.registry.insecure);
        assert_eq!(r.resolve("corp.example", "app").unwrap(), None);
        let mirrors = r.resolve("example.com", "app").unwrap().unwrap().mirrors;
        assert_eq!(mirrors[0].pull, PullFromMirror::All);
        assert_eq!(mirrors[1].pull, PullFromMirror::DigestOnly);
        assert!(mirrors[1].location.insecure);
        assert!(PullFromMirror::TagOnly.serves(false) && !PullFromMirror::TagOnly.serves(true));
        assert!(PullFromMirror::DigestOnly.serves(true) && !PullFromMirror::DigestOnly.serves(false));
        assert_eq!(r.insecure_hosts(), ["m2:5000"]);
    }

    #[test]
    fn bad_files_name_the_file_and_the_problem() {
        for (text, wanted) in [
            ("[[registry]]\ninsecure = true\n", "prefix or a location"),
            ("[registries.search]\nregistries = []\n", "version 1"),
            (
                "[[registry]]\nlocation = \"a\"\n[[registry.mirror]]\nlocation = \"b\"\npull-from-mirror = \"some\"\n",
                "pull-from-mirror",
            ),
            ("[[registry]\n", "r.conf"),
            ("[[registry]]\nprefix = \"a.example\"\nblocked = true\n", "no location"),
            ("[[registry]]\nprefix = \"*.x\"\nlocation = \"y\"\n", "wildcard"),
        ] {
            let error = Registries::parse(text, Path::new("r.conf")).unwrap_err().to_string();
            assert!(error.contains("r.conf") && error.contains(wanted), "{text}: {error}");
        }
    }

    #[test]
    fn files_come_from_the_environment_and_drop_ins_replace_by_prefix() {
        let root = tempfile::tempdir().unwrap();
        let etc = root.path().join("etc/containers");
        std::fs::create_dir_all(etc.join("registries.conf.d")).unwrap();
        std::fs::write(
            etc.join("registries.conf"),
            "[[registry]]\nlocation = \"a.example\"\nblocked = true\n",
        )
        .unwrap();
        std::fs::write(
            etc.join("registries.conf.d/50-a.conf"),
            "[[registry]]\nlocation = \"a.example\"\ninsecure = true\n",
        )
        .unwrap();
        std::fs::write(etc.join("registries.conf.d/README"), "not toml").unwrap();
        let env = NetworkEnv {
            system_root: Some(root.path().to_owned()),
            ..NetworkEnv::default()
        };
        let r = Registries::from_env(&env).unwrap();
        let a = r.resolve("a.example", "app").unwrap().unwrap();
        assert!(a.registry.insecure, "the drop-in replaced the blocked entry");

        // The user's file, when it exists, is read instead of the system's.
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".config/containers")).unwrap();
        std::fs::write(
            home.path().join(".config/containers/registries.conf"),
            "[[registry]]\nlocation = \"b.example\"\nblocked = true\n",
        )
        .unwrap();
        let env = NetworkEnv {
            home: Some(home.path().to_owned()),
            ..env
        };
        let r = Registries::from_env(&env).unwrap();
        assert!(r.resolve("b.example", "app").is_err());
        assert!(r.resolve("a.example", "app").unwrap().unwrap().registry.insecure);
        assert!(Registries::from_env(&NetworkEnv::default()).unwrap().is_empty());
    }
}
