//! From source repositories and their listed tags to (source, destination)
//! pairs, named as `skopeo sync` names them; and the shard split.

use std::fmt;
use std::path::{Path, PathBuf};

use oci_manifest::Reference;
use sha2::{Digest as _, Sha256};

use super::{ImageRef, Selector, SourceRepository, TagFilter};
use crate::archive::ArchiveFormat;
use crate::layout::LayoutTag;
use crate::Error;

/// Where one image goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A registry reference (`--dest docker`): by tag, or by digest for a
    /// source named by digest.
    Registry(Reference),
    /// An OCI image layout (`--dest oci`), one per repository: the image is
    /// named `tag` in it, or listed untagged when the source was a digest.
    Layout {
        /// The layout's directory.
        dir: PathBuf,
        /// The tag inside the layout.
        tag: Option<LayoutTag>,
    },
    /// One archive for the whole run (`--dest docker-archive|oci-archive`):
    /// the image is named in it by its full source name, as `--scoped` names
    /// it under a registry prefix (untagged when the source was a digest).
    Archive {
        /// The archive file.
        file: PathBuf,
        /// docker-archive or OCI archive.
        format: ArchiveFormat,
        /// The image's name in the archive: its source reference.
        name: Reference,
    },
}

impl fmt::Display for Target {
    /// `HOST/NAME:TAG`, `HOST/NAME@DIGEST`, `oci:DIR:TAG` for a layout
    /// (`oci:DIR` for an untagged entry), or the archive reference the image
    /// reads back by: `docker-archive:FILE:HOST/NAME:TAG`,
    /// `oci-archive:FILE:HOST/NAME:TAG` (the bare file for an untagged entry).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Registry(reference) => write!(f, "{reference}"),
            Target::Layout { dir, tag: Some(tag) } => write!(f, "oci:{}:{tag}", dir.display()),
            Target::Layout { dir, tag: None } => write!(f, "oci:{}", dir.display()),
            Target::Archive { file, format, name } => {
                let transport = match format {
                    ArchiveFormat::Docker => "docker-archive",
                    ArchiveFormat::Oci => "oci-archive",
                };
                match name.tag() {
                    Some(_) => write!(f, "{transport}:{}:{name}", file.display()),
                    None => write!(f, "{transport}:{}", file.display()),
                }
            }
        }
    }
}

/// One image to mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedImage {
    /// `registry/name:tag` or `registry/name@digest`.
    pub source: Reference,
    /// Where it goes: the destination prefix joined with the name skopeo gives.
    pub destination: Target,
}

/// `--shard I/N`: shard I (0-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Parses `I/N` with `0 <= I < N`.
    pub fn parse(text: &str) -> Result<Shard, Error> {
        let bad = || Error::sync_input("--shard", None, format!("{text:?} is not I/N with 0 <= I < N"));
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

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What kind of place the destination prefix names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DestinationKind {
    /// A registry prefix `HOST[/PATH]` (`--dest docker`).
    #[default]
    Registry,
    /// A directory holding one OCI image layout per repository (`--dest oci`).
    Layouts,
    /// One archive file holding every image (`--dest docker-archive|oci-archive`).
    Archive(ArchiveFormat),
}

/// How to name and filter.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Destination prefix `HOST[/PATH]`, or the layouts' directory.
    pub destination: String,
    /// What the destination is.
    pub kind: DestinationKind,
    /// `--scoped`: keep the source registry and full path in the name.
    pub scoped: bool,
    /// Command-line tag filters.
    pub filter: TagFilter,
}

impl PlanOptions {
    /// Unscoped, unfiltered, into the registry prefix `destination`.
    pub fn new(destination: &str) -> PlanOptions {
        PlanOptions {
            destination: destination.to_owned(),
            kind: DestinationKind::Registry,
            scoped: false,
            filter: TagFilter::default(),
        }
    }

    /// Unscoped, unfiltered, into one layout per repository under `dir`.
    pub fn layouts(dir: &Path) -> PlanOptions {
        PlanOptions {
            kind: DestinationKind::Layouts,
            ..PlanOptions::new(&dir.display().to_string())
        }
    }

    /// Unfiltered, every image into the one archive `file`, in `format`.
    pub fn archive(file: &Path, format: ArchiveFormat) -> PlanOptions {
        PlanOptions {
            kind: DestinationKind::Archive(format),
            ..PlanOptions::new(&file.display().to_string())
        }
    }
}

/// Plans one repository. `listed_tags` is its tag list, required when
/// [`SourceRepository::needs_tag_list`] says so.
///
/// Fails ([`Error::SyncInput`]) when a destination name is not valid where
/// it goes: with `--scoped`, a source registry with a port gives a path
/// component with a `:`, which no image reference can hold (skopeo sync
/// refuses it too, but only once it reaches that image).
pub fn plan_repository(
    repository: &SourceRepository,
    listed_tags: Option<&[String]>,
    options: &PlanOptions,
) -> Result<Vec<PlannedImage>, Error> {
    let listed = || {
        listed_tags.ok_or_else(|| {
            Error::sync_input(
                &repository.full_name(),
                None,
                "the planner needs this repository's tag list",
            )
        })
    };
    // Listed tags in name order: registries list them in any order, and a plan (its output,
    // its report) should read the same every time.
    let listed_refs = |keep: &dyn Fn(&str) -> bool| -> Result<Vec<ImageRef>, Error> {
        let mut tags: Vec<&String> = listed()?.iter().filter(|tag| keep(tag)).collect();
        tags.sort();
        tags.dedup();
        Ok(tags.into_iter().map(|tag| ImageRef::Tag(tag.clone())).collect())
    };
    let refs: Vec<ImageRef> = match &repository.selector {
        Selector::Refs(refs) => refs.clone(),
        Selector::AllTags => listed_refs(&|_| true)?,
        Selector::TagRegex(re) => listed_refs(&|tag| re.is_match(tag))?,
        Selector::Semver(range) => listed_refs(&|tag| range.matches_tag(tag))?,
    };
    let base = repository.repository();
    refs.into_iter()
        // Digests are never filtered: they were asked for by name.
        .filter(|r| match r {
            ImageRef::Digest(_) => true,
            ImageRef::Tag(tag) => options.filter.admits(tag),
        })
        .map(|r| {
            let source = match &r {
                ImageRef::Tag(tag) => base.tagged(tag),
                ImageRef::Digest(digest) => base.digested(digest),
            }
            .map_err(|e| Error::sync_input(&repository.full_name(), None, e.to_string()))?;
            let destination = target(&source, &r, options)?;
            Ok(PlannedImage { source, destination })
        })
        .collect()
}

/// Where a repository's images go, without a tag: for a repository whose
/// tags could not be listed.
pub(crate) fn repository_destination(repository: &SourceRepository, options: &PlanOptions) -> String {
    let joined = join(
        &options.destination,
        named(&repository.full_name(), options.scoped),
    );
    match options.kind {
        DestinationKind::Registry => joined,
        DestinationKind::Layouts => format!("oci:{joined}"),
        DestinationKind::Archive(_) => options.destination.clone(),
    }
}

/// skopeo's rule: the destination joined (as Go's `path.Join` does) with the
/// whole source reference when scoped, else with its last path element.
fn target(source: &Reference, image: &ImageRef, options: &PlanOptions) -> Result<Target, Error> {
    let full = source.name();
    let name = named(&full, options.scoped);
    let bad = |problem: String| Error::sync_input(&source.to_string(), None, problem);
    match options.kind {
        DestinationKind::Registry => {
            let text = join(&options.destination, &format!("{name}{}", suffix(image)));
            let reference = Reference::parse(&text).map_err(|e| {
                let hint = if options.scoped && source.registry().contains(':') {
                    " (with --scoped, a source registry with a port makes a name no reference can hold)"
                } else {
                    ""
                };
                bad(format!(
                    "the destination {text:?} is not an image reference{hint}: {e}"
                ))
            })?;
            Ok(Target::Registry(reference))
        }
        DestinationKind::Layouts => {
            let dir = PathBuf::from(join(&options.destination, name));
            let tag = match image {
                ImageRef::Tag(tag) => Some(
                    tag.parse::<LayoutTag>()
                        .map_err(|e| bad(format!("tag {tag:?} cannot name a layout entry: {e}")))?,
                ),
                ImageRef::Digest(_) => None,
            };
            Ok(Target::Layout { dir, tag })
        }
        // An archive has no registry of its own to join a name to, and a bare `NAME:TAG` is
        // read by every tool as Docker Hub's: the full source name it is.
        DestinationKind::Archive(format) => Ok(Target::Archive {
            file: PathBuf::from(&options.destination),
            format,
            name: source.clone(),
        }),
    }
}

/// The part of `registry/name` a destination keeps: all of it when scoped,
/// else its last path element (Go's `path.Base`).
fn named(full: &str, scoped: bool) -> &str {
    if scoped {
        full
    } else {
        full.rsplit('/').next().unwrap_or(full)
    }
}

/// `:TAG` or `@DIGEST`.
fn suffix(image: &ImageRef) -> String {
    match image {
        ImageRef::Tag(tag) => format!(":{tag}"),
        ImageRef::Digest(digest) => format!("@{digest}"),
    }
}

/// Go's `path.Join(prefix, name)` for the names sync builds: empty and `.`
/// elements dropped, `..` removing the element before it, repeated and
/// trailing slashes collapsed.
fn join(prefix: &str, name: &str) -> String {
    let absolute = prefix.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in prefix.split('/').chain(name.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_join_as_go_path_join_does() {
        let cases = [
            ("mirror:5000", "app:1", "mirror:5000/app:1"),
            ("mirror:5000/repo/", "app:1", "mirror:5000/repo/app:1"),
            ("mirror:5000//repo", "app:1", "mirror:5000/repo/app:1"),
            ("/media/usb", "busybox", "/media/usb/busybox"),
            ("./out/", "a/b", "out/a/b"),
            ("../out", "a", "../out/a"),
            ("/..", "a", "/a"),
            ("out/x/..", "a", "out/a"),
        ];
        for (prefix, name, joined) in cases {
            assert_eq!(join(prefix, name), joined, "{prefix} + {name}");
        }
    }
}
