//! How command lines name an image in an archive, after the transport prefix:
//! `FILE[:NAME:TAG|:@N]` for `docker-archive:`, `FILE[:TAG]` for `oci-archive:`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use oci_manifest::Reference;

use crate::layout::{LayoutRef, LayoutTag};
use crate::Error;

/// Which image of a docker-archive: by one of its `RepoTags`, or by position.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ArchiveImage {
    /// `NAME:TAG`, normalised as Docker does (`busybox` is `docker.io/library/busybox:latest`).
    Tagged(Reference),
    /// `@N`: the N-th image of `manifest.json`, from 0.
    Index(usize),
}

/// A docker-archive file and, optionally, the image in it: `FILE[:NAME:TAG|:@N]`.
///
/// Parsed as skopeo's `docker-archive:` transport does: the first `:` ends the
/// file name (so the file name has no `:`), what follows is a tagged name or
/// `@N`. As a destination, `NAME:TAG` is the tag the image gets (`RepoTags`);
/// without it the image is stored untagged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DockerArchiveRef {
    path: PathBuf,
    image: Option<ArchiveImage>,
}

impl DockerArchiveRef {
    /// The archive `path`, and the image in it.
    pub fn new(path: impl Into<PathBuf>, image: Option<ArchiveImage>) -> DockerArchiveRef {
        DockerArchiveRef {
            path: path.into(),
            image,
        }
    }

    /// The archive file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The image named, if one was.
    pub fn image(&self) -> Option<&ArchiveImage> {
        self.image.as_ref()
    }
}

impl FromStr for DockerArchiveRef {
    type Err = Error;

    fn from_str(input: &str) -> Result<DockerArchiveRef, Error> {
        let invalid = |reason: String| Error::InvalidArchiveReference {
            input: input.to_owned(),
            reason,
        };
        let (path, image) = match input.split_once(':') {
            Some((path, image)) => (path, Some(image)),
            None => (input, None),
        };
        if path.is_empty() {
            return Err(invalid("it names no file (FILE[:NAME:TAG|:@N])".to_owned()));
        }
        let image = match image {
            None => None,
            Some(index) if index.starts_with('@') => {
                let n = index[1..]
                    .parse::<usize>()
                    .map_err(|_| invalid(format!("{index:?} is not @N with N a number from 0")))?;
                Some(ArchiveImage::Index(n))
            }
            Some(name) => {
                let reference = Reference::parse(name).map_err(|e| invalid(e.to_string()))?;
                if reference.digest().is_some() {
                    return Err(invalid(format!(
                        "{name:?} has a digest; an archive names its images by NAME:TAG"
                    )));
                }
                Some(ArchiveImage::Tagged(reference))
            }
        };
        Ok(DockerArchiveRef {
            path: PathBuf::from(path),
            image,
        })
    }
}

impl fmt::Display for DockerArchiveRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "docker-archive:{}", self.path.display())?;
        match &self.image {
            None => Ok(()),
            Some(ArchiveImage::Tagged(reference)) => write!(f, ":{reference}"),
            Some(ArchiveImage::Index(n)) => write!(f, ":@{n}"),
        }
    }
}

/// An OCI archive file and, optionally, the tag of the image in it: `FILE[:TAG]`.
///
/// Parsed as an `oci:` layout reference is ([`LayoutRef`]): the first `:` ends
/// the file name, the tag (an `org.opencontainers.image.ref.name`) follows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OciArchiveRef {
    path: PathBuf,
    tag: Option<LayoutTag>,
}

impl OciArchiveRef {
    /// The archive `path`, and the tag of the image in it.
    pub fn new(path: impl Into<PathBuf>, tag: Option<LayoutTag>) -> OciArchiveRef {
        OciArchiveRef {
            path: path.into(),
            tag,
        }
    }

    /// The archive file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tag, if one was given.
    pub fn tag(&self) -> Option<&LayoutTag> {
        self.tag.as_ref()
    }
}

impl FromStr for OciArchiveRef {
    type Err = Error;

    fn from_str(input: &str) -> Result<OciArchiveRef, Error> {
        let layout: LayoutRef = input.parse().map_err(|e: Error| Error::InvalidArchiveReference {
            input: input.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(OciArchiveRef {
            path: layout.dir().to_path_buf(),
            tag: layout.tag().cloned(),
        })
    }
}

impl fmt::Display for OciArchiveRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci-archive:{}", self.path.display())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        Ok(())
    }
}

/// The two archive formats `save` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchiveFormat {
    /// `docker load`'s format: `manifest.json` with `RepoTags`, configs, uncompressed layers.
    Docker,
    /// A tar of an OCI image layout, one `index.json` entry per image.
    Oci,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_archive_references_parse_as_skopeo_reads_them() {
        let table: [(&str, &str, Option<ArchiveImage>); 5] = [
            ("a.tar", "a.tar", None),
            (
                "/srv/a.tar:busybox",
                "/srv/a.tar",
                Some(ArchiveImage::Tagged(
                    "docker.io/library/busybox:latest".parse().unwrap(),
                )),
            ),
            (
                "a.tar:127.0.0.1:5000/team/app:1.0",
                "a.tar",
                Some(ArchiveImage::Tagged(
                    "127.0.0.1:5000/team/app:1.0".parse().unwrap(),
                )),
            ),
            ("a.tar:@0", "a.tar", Some(ArchiveImage::Index(0))),
            ("a.tar:@12", "a.tar", Some(ArchiveImage::Index(12))),
        ];
        for (input, path, image) in table {
            let parsed: DockerArchiveRef = input.parse().unwrap();
            assert_eq!(parsed.path(), Path::new(path), "{input}");
            assert_eq!(parsed.image(), image.as_ref(), "{input}");
        }
        for bad in [
            "",
            ":busybox",
            "a.tar:@",
            "a.tar:@-1",
            "a.tar:@x",
            "a.tar:Bad/Name",
            "a.tar:busybox@sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
        ] {
            assert!(bad.parse::<DockerArchiveRef>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "a.tar:@2".parse::<DockerArchiveRef>().unwrap().to_string(),
            "docker-archive:a.tar:@2"
        );
    }

    #[test]
    fn oci_archive_references_split_at_the_first_colon() {
        let parsed: OciArchiveRef = "a.tar:127.0.0.1:5000/team/app:1.0".parse().unwrap();
        assert_eq!(parsed.path(), Path::new("a.tar"));
        assert_eq!(
            parsed.tag().map(LayoutTag::as_str),
            Some("127.0.0.1:5000/team/app:1.0")
        );
        assert!("a.tar:bad tag".parse::<OciArchiveRef>().is_err());
        assert!("".parse::<OciArchiveRef>().is_err());
    }
}
