//! `DIR[:TAG]`, the way command lines name an image in a layout (after the
//! `oci:` transport prefix).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::LayoutTag;
use crate::Error;

/// A layout directory and, optionally, the tag of one image in it.
///
/// Parsed from `DIR[:TAG]` as skopeo's `oci:` transport does: the first `:`
/// separates the directory from the tag, so tags may themselves contain `:`
/// and `/` (the ref.name grammar allows both) but directories may not hold a
/// `:` (`oci:/srv/a:b/app:1` is the directory `/srv/a` and the tag `b/app:1`).
/// [`ImageName`](crate::image::ImageName) reads what follows `oci:` with this
/// grammar.
///
/// ```
/// use registry_client::layout::LayoutRef;
///
/// let r: LayoutRef = "images/app:v1".parse()?;
/// assert_eq!(r.dir().to_str(), Some("images/app"));
/// assert_eq!(r.tag().map(|t| t.as_str()), Some("v1"));
/// let r: LayoutRef = "images/app".parse()?;
/// assert!(r.tag().is_none());
/// # Ok::<(), registry_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LayoutRef {
    dir: PathBuf,
    tag: Option<LayoutTag>,
}

impl LayoutRef {
    /// The layout directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The tag, if one was given.
    pub fn tag(&self) -> Option<&LayoutTag> {
        self.tag.as_ref()
    }
}

impl FromStr for LayoutRef {
    type Err = Error;

    /// Parses `DIR[:TAG]`: [`Error::NoLayoutDirectory`] when `DIR` is empty,
    /// [`Error::InvalidLayoutName`] when `TAG` breaks the ref.name grammar.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let (dir, tag) = match input.split_once(':') {
            Some((dir, tag)) => (dir, Some(tag)),
            None => (input, None),
        };
        if dir.is_empty() {
            return Err(Error::NoLayoutDirectory {
                input: input.to_owned(),
            });
        }
        let tag = tag
            .map(|tag| {
                LayoutTag::check(tag).map_err(|reason| Error::InvalidLayoutName {
                    input: input.to_owned(),
                    tag: tag.to_owned(),
                    reason,
                })
            })
            .transpose()?;
        Ok(LayoutRef {
            dir: PathBuf::from(dir),
            tag,
        })
    }
}

impl fmt::Display for LayoutRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.dir.display())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dir_and_tag() {
        let table = [
            ("dir", "dir", None),
            ("dir:latest", "dir", Some("latest")),
            ("/abs/dir:v1.0", "/abs/dir", Some("v1.0")),
            ("./rel:a:b", "./rel", Some("a:b")),
            ("dir:example.com/app:1", "dir", Some("example.com/app:1")),
            ("/srv/a:b/layout:v2", "/srv/a", Some("b/layout:v2")),
            ("oci:dir", "oci", Some("dir")),
        ];
        for (input, dir, tag) in table {
            let parsed: LayoutRef = input.parse().unwrap();
            assert_eq!(parsed.dir(), Path::new(dir), "{input}");
            assert_eq!(parsed.tag().map(LayoutTag::as_str), tag, "{input}");
            assert_eq!(parsed.to_string(), input);
        }
    }

    #[test]
    fn rejects_empty_dirs_and_bad_tags() {
        for input in ["", ":tag", ":"] {
            match input.parse::<LayoutRef>() {
                Err(Error::NoLayoutDirectory { input: named }) => assert_eq!(named, input),
                other => panic!("{input:?}: {other:?}"),
            }
        }
        for (input, bad) in [
            ("dir:", ""),
            ("dir:../x", "../x"),
            ("dir:a b", "a b"),
            ("d:a//b", "a//b"),
        ] {
            match input.parse::<LayoutRef>() {
                Err(Error::InvalidLayoutName {
                    input: named, tag, ..
                }) => {
                    assert_eq!((named.as_str(), tag.as_str()), (input, bad));
                }
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }
}
