//! The sync sources: `skopeo sync`'s YAML file, read unchanged, and the
//! `--src docker` reference form.

use std::collections::BTreeMap;

use oci_manifest::Reference;
use regex::Regex;
use serde::{Deserialize, Deserializer};

use super::{PlanError, SemverRange};

/// What one source repository asks for.
#[derive(Debug, Clone)]
pub enum Selector {
    /// Every tag the repository lists.
    AllTags,
    /// These tags and `sha256:` digests, as given.
    Refs(Vec<String>),
    /// Listed tags matching the regex (anchored at neither end, as in skopeo).
    TagRegex(Regex),
    /// Listed tags that read as versions within the range.
    Semver(SemverRange),
}

/// Credentials a YAML registry entry carries.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password or token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    // The password never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// One source repository of a sync, with the registry settings it came with.
#[derive(Debug, Clone)]
pub struct SourceRepository {
    /// Registry host as written (`docker.io`, `localhost:5000`).
    pub registry: String,
    /// Normalised repository path (`library/busybox` on Docker Hub).
    pub name: String,
    /// Which of its images to copy.
    pub selector: Selector,
    /// The entry's `credentials`, if any.
    pub credentials: Option<Credentials>,
    /// The entry's `tls-verify`, if given.
    pub tls_verify: Option<bool>,
    /// The entry's `cert-dir`, if given.
    pub cert_dir: Option<String>,
}

impl SourceRepository {
    /// `registry/name`: what the shard hash and the output name.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.registry, self.name)
    }

    /// Whether the caller must list the repository's tags before planning it.
    pub fn needs_tag_list(&self) -> bool {
        !matches!(self.selector, Selector::Refs(_))
    }
}

/// A parsed sync source: the repositories in file order of registries, then
/// of images within each (`images`, `images-by-tag-regex`, `images-by-semver`).
#[derive(Debug, Clone)]
pub struct SyncConfig {
    repositories: Vec<SourceRepository>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RegistryEntry {
    #[serde(default)]
    images: BTreeMap<String, Option<Vec<String>>>,
    #[serde(default)]
    images_by_tag_regex: BTreeMap<String, YamlRegex>,
    #[serde(default)]
    images_by_semver: BTreeMap<String, YamlSemver>,
    credentials: Option<Credentials>,
    tls_verify: Option<bool>,
    cert_dir: Option<String>,
}

/// Compiled while parsing so a bad regex is reported at its line.
struct YamlRegex(Regex);

impl<'de> Deserialize<'de> for YamlRegex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Regex::new(&text)
            .map(YamlRegex)
            .map_err(|e| serde::de::Error::custom(format!("bad regex {text:?}: {e}")))
    }
}

/// Parsed while parsing so a bad range is reported at its line.
struct YamlSemver(SemverRange);

impl<'de> Deserialize<'de> for YamlSemver {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SemverRange::parse(&text)
            .map(YamlSemver)
            .map_err(serde::de::Error::custom)
    }
}

impl SyncConfig {
    /// Reads `skopeo sync`'s YAML format; `origin` (the file name) is named in errors.
    pub fn from_yaml(origin: &str, text: &str) -> Result<SyncConfig, PlanError> {
        let entries: BTreeMap<String, RegistryEntry> = serde_yaml_ng::from_str(text).map_err(|e| {
            PlanError::new(
                origin,
                e.location().map(|l| l.line()),
                strip_location(&e.to_string()),
            )
        })?;
        let mut repositories = Vec::new();
        for (registry, entry) in entries {
            let repo = |image: &str, selector: Selector| -> Result<SourceRepository, PlanError> {
                let name = normalise(&registry, image).map_err(|e| PlanError::new(origin, None, e))?;
                Ok(SourceRepository {
                    registry: registry.clone(),
                    name,
                    selector,
                    credentials: entry.credentials.clone(),
                    tls_verify: entry.tls_verify,
                    cert_dir: entry.cert_dir.clone(),
                })
            };
            for (image, refs) in &entry.images {
                let selector = match refs {
                    Some(refs) if !refs.is_empty() => Selector::Refs(refs.clone()),
                    _ => Selector::AllTags,
                };
                repositories.push(repo(image, selector)?);
            }
            for (image, re) in &entry.images_by_tag_regex {
                repositories.push(repo(image, Selector::TagRegex(re.0.clone()))?);
            }
            for (image, range) in &entry.images_by_semver {
                repositories.push(repo(image, Selector::Semver(range.0.clone()))?);
            }
        }
        Ok(SyncConfig { repositories })
    }

    /// The `--src docker` form: `HOST/NAME` (every tag), `HOST/NAME:TAG` or `HOST/NAME@DIGEST`.
    pub fn from_docker(source: &str) -> Result<SyncConfig, PlanError> {
        let bad = |e: String| PlanError::new("--src docker", None, format!("{source:?}: {e}"));
        let reference = Reference::parse(source).map_err(|e| bad(e.to_string()))?;
        let last = source.rsplit('/').next().unwrap_or(source);
        let selector = if let Some(digest) = reference.digest() {
            Selector::Refs(vec![digest.to_string()])
        } else if last.contains(':') {
            Selector::Refs(vec![reference.tag().unwrap_or_default().to_string()])
        } else {
            Selector::AllTags
        };
        Ok(SyncConfig {
            repositories: vec![SourceRepository {
                registry: reference.registry().to_string(),
                name: reference.repository().as_str().to_string(),
                selector,
                credentials: None,
                tls_verify: None,
                cert_dir: None,
            }],
        })
    }

    /// The repositories to sync.
    pub fn repositories(&self) -> &[SourceRepository] {
        &self.repositories
    }
}

/// The repository path as the reference grammar normalises it (`busybox` on
/// Docker Hub is `library/busybox`, as skopeo names it).
fn normalise(registry: &str, image: &str) -> Result<String, String> {
    let reference =
        Reference::parse(&format!("{registry}/{image}")).map_err(|e| format!("image {image:?}: {e}"))?;
    if reference.registry() != registry.trim_end_matches('/') && !reference.is_docker_hub() {
        return Err(format!(
            "image {image:?} under registry {registry:?} is not a repository name"
        ));
    }
    Ok(reference.repository().as_str().to_string())
}

/// The YAML error text ends with "at line L column C"; the line is reported separately.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
