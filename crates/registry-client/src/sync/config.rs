//! The sync sources: `skopeo sync`'s YAML file, read unchanged, and the
//! `--src docker` reference form.
//!
//! Every name in the file is checked while it is read, so a bad one is
//! reported at its line: registry keys (`HOST[:PORT][/PATH]`), image names,
//! tags and digests, regexes and semver ranges. Unknown keys are errors
//! (skopeo ignores them silently, so a typo such as `tls-verfy` would change
//! what a skopeo run does without a word).

use std::collections::BTreeMap;
use std::fmt;

use oci_digest::Digest;
use oci_manifest::{Reference, Repository};
use regex::Regex;
use serde::Deserialize;

use super::SemverRange;
use crate::Error;

/// What one source repository asks for.
#[derive(Debug, Clone)]
pub enum Selector {
    /// Every tag the repository lists.
    AllTags,
    /// These tags and digests, as given.
    Refs(Vec<ImageRef>),
    /// Listed tags matching the regex (anchored at neither end, as in skopeo).
    TagRegex(Regex),
    /// Listed tags that read as versions within the range.
    Semver(SemverRange),
}

/// One image of a repository asked for by name: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// A tag.
    Tag(String),
    /// A digest (`sha256:...`), mirrored under the same digest.
    Digest(Digest),
}

impl ImageRef {
    /// Reads a tag or a digest as skopeo does: a digest when it parses as one, else a tag.
    pub fn parse(text: &str) -> Result<ImageRef, String> {
        if let Ok(digest) = text.parse::<Digest>() {
            return Ok(ImageRef::Digest(digest));
        }
        // The tag grammar is the reference parser's; a throwaway name carries it.
        Reference::parse(&format!("localhost/x:{text}"))
            .map(|_| ImageRef::Tag(text.to_owned()))
            .map_err(|_| {
                format!("{text:?} is neither a tag (up to 128 of [A-Za-z0-9_.-], not starting with . or -) nor a digest")
            })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageRef::Tag(tag) => f.write_str(tag),
            ImageRef::Digest(digest) => write!(f, "{digest}"),
        }
    }
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

impl fmt::Debug for Credentials {
    // The password never reaches a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
    /// Normalised repository path (`library/busybox` on Docker Hub), with the
    /// path of a `HOST/PATH` registry key in front.
    pub name: Repository,
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

    /// The repository on its registry.
    pub fn repository(&self) -> crate::RepositoryRef {
        crate::RepositoryRef::new(&self.registry, self.name.clone())
    }
}

/// A parsed sync source: the repositories in the order of registry keys, then
/// of images within each (`images`, `images-by-tag-regex`, `images-by-semver`),
/// each group sorted by name (skopeo's order is that of Go map iteration,
/// which is random).
#[derive(Debug, Clone)]
pub struct SyncConfig {
    repositories: Vec<SourceRepository>,
}

/// A registry key: `HOST[:PORT]`, optionally followed by `/PATH`, a namespace
/// the key's image names live under (skopeo joins key and name with `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct RegistryKey {
    host: String,
    path: Option<String>,
}

/// Checks a registry key's shape.
fn parse_registry_key(text: &str) -> Result<RegistryKey, String> {
    let bad = |why: &str| format!("registry key {text:?} {why}: write it as HOST[:PORT] or HOST[:PORT]/PATH");
    if text.contains("://") {
        return Err(bad("has a scheme"));
    }
    let text = text.trim_end_matches('/');
    let (host, path) = match text.split_once('/') {
        Some((host, path)) => (host, Some(path)),
        None => (text, None),
    };
    // Docker's rule for where a name's registry ends: a first component with
    // a dot or a port, or `localhost`. Anything else would be read as a
    // Docker Hub namespace, which a registry key never means.
    let looks_like_host = host.contains('.') || host.contains(':') || host == "localhost";
    if host.is_empty() || !looks_like_host {
        return Err(bad("does not name a registry host"));
    }
    if let Some(path) = path {
        path.parse::<Repository>()
            .map_err(|e| bad(&format!("has an invalid path ({e})")))?;
    }
    Reference::parse(&format!("{host}/x")).map_err(|e| bad(&format!("is not a host ({e})")))?;
    Ok(RegistryKey {
        host: host.to_owned(),
        path: path.map(str::to_owned),
    })
}

/// A registry entry as the file has it; names are checked afterwards, where
/// their lines can be found (serde reports the start of the enclosing node).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RegistryEntry {
    #[serde(default)]
    images: BTreeMap<String, Option<Vec<String>>>,
    #[serde(default)]
    images_by_tag_regex: BTreeMap<String, String>,
    #[serde(default)]
    images_by_semver: BTreeMap<String, String>,
    credentials: Option<Credentials>,
    tls_verify: Option<bool>,
    cert_dir: Option<String>,
}

/// Reads a selector's text (a regex, a semver range).
type SelectorParser = dyn Fn(&str) -> Result<Selector, String>;

/// Finds the lines of keys and list items in the YAML text, for error
/// messages: by indentation blocks, as a block-style file lays them out.
/// A flow-style file (`{a: [b]}`) gets the line of the nearest key found.
struct Lines<'a> {
    lines: Vec<&'a str>,
}

/// A block: the 0-based line of a key, and its body: the lines after it up
/// to the next key at its indentation or less.
#[derive(Debug, Clone, Copy)]
struct Block {
    line: usize,
    body: usize,
    end: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        Lines {
            lines: text.lines().collect(),
        }
    }

    fn whole(&self) -> Block {
        Block {
            line: 0,
            body: 0,
            end: self.lines.len(),
        }
    }

    fn indent(line: &str) -> usize {
        line.len() - line.trim_start().len()
    }

    fn is_content(line: &str) -> bool {
        let trimmed = line.trim_start();
        !trimmed.is_empty() && !trimmed.starts_with('#')
    }

    /// The block of `key` within `within` (the first line that starts with
    /// the key, bare or quoted, then `:`).
    fn key(&self, within: Option<Block>, key: &str) -> Option<Block> {
        let within = within?;
        let quoted = [key.to_owned(), format!("\"{key}\""), format!("'{key}'")];
        let start = (within.body..within.end).find(|&i| {
            let trimmed = self.lines[i].trim_start();
            quoted.iter().any(|q| {
                trimmed
                    .strip_prefix(q.as_str())
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
            })
        })?;
        let indent = Self::indent(self.lines[start]);
        let end = (start + 1..within.end)
            .find(|&i| Self::is_content(self.lines[i]) && Self::indent(self.lines[i]) <= indent)
            .unwrap_or(within.end);
        Some(Block {
            line: start,
            body: start + 1,
            end,
        })
    }

    /// The first line of `within` holding `text`.
    fn containing(&self, within: Option<Block>, text: &str) -> Option<Block> {
        let within = within?;
        (within.line..within.end)
            .find(|&i| self.lines[i].contains(text))
            .map(|line| Block {
                line,
                body: line + 1,
                end: line + 1,
            })
    }
}

/// The 1-based line of the first block found, innermost first.
fn line_of(blocks: &[Option<Block>]) -> Option<usize> {
    blocks.iter().flatten().next().map(|b| b.line + 1)
}

impl SyncConfig {
    /// Reads `skopeo sync`'s YAML format; `origin` (the file name) is named in errors
    /// ([`Error::SyncInput`], with the line).
    pub fn from_yaml(origin: &str, text: &str) -> Result<SyncConfig, Error> {
        let entries: BTreeMap<String, Option<RegistryEntry>> =
            serde_yaml_ng::from_str(text).map_err(|e| {
                Error::sync_input(
                    origin,
                    e.location().map(|l| l.line()),
                    strip_location(&e.to_string()),
                )
            })?;
        let lines = Lines::new(text);
        let mut repositories = Vec::new();
        for (key_text, entry) in entries {
            let key_block = lines.key(Some(lines.whole()), &key_text);
            let key = parse_registry_key(&key_text)
                .map_err(|e| Error::sync_input(origin, line_of(&[key_block]), e))?;
            // An entry with no settings at all selects nothing, as in skopeo.
            let Some(entry) = entry else { continue };
            let group = |name: &str| lines.key(key_block, name);
            let (images, regex_group, semver_group) = (
                group("images"),
                group("images-by-tag-regex"),
                group("images-by-semver"),
            );
            let repo =
                |image: &str, block: Option<Block>, selector: Selector| -> Result<SourceRepository, Error> {
                    let bad = |e: String| Error::sync_input(origin, line_of(&[block, key_block]), e);
                    image
                        .parse::<Repository>()
                        .map_err(|e| bad(format!("{key_text}: image {image:?}: {e}")))?;
                    let name = normalise(&key, image).map_err(|e| bad(format!("{key_text}: {e}")))?;
                    Ok(SourceRepository {
                        registry: key.host.clone(),
                        name,
                        selector,
                        credentials: entry.credentials.clone(),
                        tls_verify: entry.tls_verify,
                        cert_dir: entry.cert_dir.clone(),
                    })
                };
            for (image, refs) in &entry.images {
                let block = lines.key(images, image);
                let refs = refs.as_deref().unwrap_or_default();
                let selector = if refs.is_empty() {
                    Selector::AllTags
                } else {
                    let parsed = refs.iter().map(|text| {
                        ImageRef::parse(text).map_err(|e| {
                            let item = lines.containing(block, text);
                            Error::sync_input(
                                origin,
                                line_of(&[item, block, images, key_block]),
                                format!("{key_text}: {image}: {e}"),
                            )
                        })
                    });
                    Selector::Refs(parsed.collect::<Result<_, _>>()?)
                };
                repositories.push(repo(image, block.or(images), selector)?);
            }
            let by_regex = |pattern: &str| {
                Regex::new(pattern)
                    .map(Selector::TagRegex)
                    .map_err(|e| format!("bad regex {pattern:?}: {e}"))
            };
            let by_range = |range: &str| SemverRange::parse(range).map(Selector::Semver);
            let filtered: [(_, _, &SelectorParser); 2] = [
                (&entry.images_by_tag_regex, regex_group, &by_regex),
                (&entry.images_by_semver, semver_group, &by_range),
            ];
            for (map, group, select) in filtered {
                for (image, text) in map {
                    let block = lines.key(group, image).or(group);
                    let selector = select(text).map_err(|e| {
                        Error::sync_input(
                            origin,
                            line_of(&[block, key_block]),
                            format!("{key_text}: {image}: {e}"),
                        )
                    })?;
                    repositories.push(repo(image, block, selector)?);
                }
            }
        }
        Ok(SyncConfig { repositories })
    }

    /// The `--src docker` form: `HOST/NAME` (every tag), `HOST/NAME:TAG` or `HOST/NAME@DIGEST`.
    pub fn from_docker(source: &str) -> Result<SyncConfig, Error> {
        let bad = |e: String| Error::sync_input("--src docker", None, format!("{source:?}: {e}"));
        let reference = Reference::parse(source).map_err(|e| bad(e.to_string()))?;
        let last = source.rsplit('/').next().unwrap_or(source);
        let tagged = last.split('@').next().is_some_and(|name| name.contains(':'));
        let selector = match (reference.digest(), tagged) {
            (Some(_), true) => {
                return Err(bad(
                    "names a tag and a digest; give one of them (skopeo refuses both together)".to_owned(),
                ))
            }
            (Some(digest), false) => Selector::Refs(vec![ImageRef::Digest(digest.clone())]),
            (None, true) => Selector::Refs(vec![ImageRef::Tag(
                reference.tag().unwrap_or_default().to_owned(),
            )]),
            (None, false) => Selector::AllTags,
        };
        Ok(SyncConfig {
            repositories: vec![SourceRepository {
                registry: reference.registry().to_owned(),
                name: reference.repository().clone(),
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

/// The repository path as the reference grammar normalises `KEY/IMAGE`
/// (`busybox` on Docker Hub is `library/busybox`, as skopeo names it).
fn normalise(key: &RegistryKey, image: &str) -> Result<Repository, String> {
    let joined = match &key.path {
        Some(path) => format!("{}/{path}/{image}", key.host),
        None => format!("{}/{image}", key.host),
    };
    let reference = Reference::parse(&joined).map_err(|e| format!("image {image:?}: {e}"))?;
    Ok(reference.repository().clone())
}

/// The YAML error text ends with "at line L column C"; the line is reported separately.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_keys_name_a_host_and_maybe_a_path() {
        let good = [
            ("docker.io", "docker.io", None),
            ("localhost", "localhost", None),
            ("127.0.0.1:5000", "127.0.0.1:5000", None),
            ("registry.example.com/team/", "registry.example.com", Some("team")),
            ("r.example:5000/a/b", "r.example:5000", Some("a/b")),
        ];
        for (text, host, path) in good {
            let key = parse_registry_key(text).unwrap();
            assert_eq!((key.host.as_str(), key.path.as_deref()), (host, path), "{text}");
        }
        for bad in ["busybox", "", "https://r.example", "r.example/Team", "/r.example"] {
            assert!(parse_registry_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refs_are_tags_or_digests() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            ImageRef::parse(&digest).unwrap(),
            ImageRef::Digest(digest.parse().unwrap())
        );
        assert_eq!(ImageRef::parse("v1.0").unwrap(), ImageRef::Tag("v1.0".into()));
        for bad in ["", "-x", "a b", "sha256:short/x"] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
    }
}
