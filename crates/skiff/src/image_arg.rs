//! What the command line names: images (`[docker://]HOST/NAME[:TAG][@DIGEST]` or
//! `oci:DIR[:TAG]`), layout directories (`DIR[:TAG]`) and registry hosts.
//!
//! They parse in `FromStr`, so clap reports a malformed one as a usage error (exit 2).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use oci_manifest::Reference;
use registry_client::layout::LayoutTag;

/// Why an argument is not an image, a layout or a host.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ArgError {
    /// A registry image reference that breaks Docker's grammar.
    #[error("{input:?} is not an image reference: {source}")]
    Reference {
        input: String,
        #[source]
        source: Box<oci_manifest::Error>,
    },
    /// A layout argument without a directory.
    #[error("{input:?} names no directory")]
    EmptyDirectory { input: String },
    /// A layout tag that breaks the `org.opencontainers.image.ref.name` grammar.
    #[error("{input:?}: {tag:?} is not a valid tag in an OCI layout: {reason}")]
    LayoutTag {
        input: String,
        tag: String,
        reason: String,
    },
    /// Something that cannot be a registry host.
    #[error("{input:?} is not a registry host (HOST or HOST:PORT): {reason}")]
    Host { input: String, reason: &'static str },
}

/// An image on a registry or in an OCI image layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImageArg {
    /// `[docker://]HOST[:PORT]/NAME[:TAG][@DIGEST]`.
    Registry(Reference),
    /// `oci:DIR[:TAG]`.
    Layout(LayoutArg),
}

impl FromStr for ImageArg {
    type Err = ArgError;

    fn from_str(input: &str) -> Result<ImageArg, ArgError> {
        if let Some(layout) = input.strip_prefix("oci:") {
            return Ok(ImageArg::Layout(layout.parse()?));
        }
        let bare = input.strip_prefix("docker://").unwrap_or(input);
        Reference::parse(bare)
            .map(ImageArg::Registry)
            .map_err(|source| ArgError::Reference {
                input: input.to_owned(),
                source: Box::new(source),
            })
    }
}

impl fmt::Display for ImageArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageArg::Registry(reference) => write!(f, "{reference}"),
            ImageArg::Layout(layout) => write!(f, "oci:{layout}"),
        }
    }
}

/// An OCI image layout directory and the tag of an image in it: `DIR[:TAG]`.
///
/// The tag is what follows the last `:` after the last `/`, so directories may hold `:` in
/// any component but the last (`/mnt/c:/images/app:1.0` is `/mnt/c:/images/app`, tag `1.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayoutArg {
    dir: PathBuf,
    tag: Option<LayoutTag>,
}

impl LayoutArg {
    /// The layout's directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The tag of the image inside, when one was given.
    pub(crate) fn tag(&self) -> Option<&LayoutTag> {
        self.tag.as_ref()
    }
}

impl FromStr for LayoutArg {
    type Err = ArgError;

    fn from_str(input: &str) -> Result<LayoutArg, ArgError> {
        // `push` and `pull` take a plain `DIR[:TAG]`; users who write the transport prefix
        // there, as they do for `copy`, mean the same layout.
        let input = input.strip_prefix("oci:").unwrap_or(input);
        let last_component_start = input.rfind('/').map_or(0, |slash| slash + 1);
        let (dir, tag) = match input[last_component_start..].rfind(':') {
            Some(colon) => {
                let at = last_component_start + colon;
                (&input[..at], Some(&input[at + 1..]))
            }
            None => (input, None),
        };
        if dir.is_empty() {
            return Err(ArgError::EmptyDirectory {
                input: input.to_owned(),
            });
        }
        let tag = tag
            .map(|tag| {
                tag.parse::<LayoutTag>().map_err(|e| ArgError::LayoutTag {
                    input: input.to_owned(),
                    tag: tag.to_owned(),
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        Ok(LayoutArg {
            dir: PathBuf::from(dir),
            tag,
        })
    }
}

impl fmt::Display for LayoutArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.dir.display())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        Ok(())
    }
}

/// A registry host as users name it: `HOST` or `HOST:PORT` (an optional `docker://` prefix
/// is dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistryHost(String);

impl RegistryHost {
    /// The host, with its port when given.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RegistryHost {
    type Err = ArgError;

    fn from_str(input: &str) -> Result<RegistryHost, ArgError> {
        let host = input.strip_prefix("docker://").unwrap_or(input);
        let fail = |reason| ArgError::Host {
            input: input.to_owned(),
            reason,
        };
        if host.is_empty() {
            return Err(fail("it is empty"));
        }
        if host.contains('/') {
            return Err(fail("it contains `/`; give the host without a repository"));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
        if !host.chars().all(allowed) {
            return Err(fail(
                "only letters, digits, `.`, `-`, `:` and IPv6 brackets are allowed",
            ));
        }
        Ok(RegistryHost(host.to_owned()))
    }
}

impl fmt::Display for RegistryHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_parse_by_transport() {
        // (input, registry reference as printed, or layout (dir, tag))
        let registry = [
            ("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:1.0"),
            (
                "docker://127.0.0.1:5000/team/app",
                "127.0.0.1:5000/team/app:latest",
            ),
            (
                "localhost:5000/app@sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
                "localhost:5000/app@sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
            ),
            ("alpine", "docker.io/library/alpine:latest"),
        ];
        for (input, expected) in registry {
            match input.parse::<ImageArg>() {
                Ok(ImageArg::Registry(reference)) => assert_eq!(reference.to_string(), expected, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
        }
        let layouts = [
            ("oci:dir", "dir", None),
            ("oci:./dir:1.0", "./dir", Some("1.0")),
            ("oci:/srv/a:b/layout:v2", "/srv/a:b/layout", Some("v2")),
            ("oci:/srv/a:b/layout", "/srv/a:b/layout", None),
        ];
        for (input, dir, tag) in layouts {
            match input.parse::<ImageArg>() {
                Ok(ImageArg::Layout(layout)) => {
                    assert_eq!(layout.dir(), Path::new(dir), "{input}");
                    assert_eq!(layout.tag().map(LayoutTag::as_str), tag, "{input}");
                }
                other => panic!("{input}: {other:?}"),
            }
        }
        let invalid = [
            "",
            "team/Upper",
            "docker://",
            "localhost:5000/app@sha256:short",
            "oci:",
            "oci::tag",
            "oci:dir:",
            "oci:dir:bad tag",
        ];
        for input in invalid {
            assert!(input.parse::<ImageArg>().is_err(), "{input}");
        }
    }

    #[test]
    fn layout_arguments_accept_the_transport_prefix() {
        for input in ["./dir:1.0", "oci:./dir:1.0"] {
            let layout: LayoutArg = input.parse().unwrap();
            assert_eq!(layout.dir(), Path::new("./dir"), "{input}");
            assert_eq!(layout.tag().map(LayoutTag::as_str), Some("1.0"), "{input}");
        }
    }

    #[test]
    fn images_print_as_given() {
        for input in ["127.0.0.1:5000/team/app:1.0", "oci:dir:1.0", "oci:dir"] {
            assert_eq!(input.parse::<ImageArg>().unwrap().to_string(), input);
        }
    }

    #[test]
    fn hosts_are_host_and_port_only() {
        for valid in [
            "localhost",
            "127.0.0.1:5000",
            "registry.example.com",
            "[::1]:5000",
            "docker://h:1",
        ] {
            assert!(valid.parse::<RegistryHost>().is_ok(), "{valid}");
        }
        assert_eq!("docker://h:1".parse::<RegistryHost>().unwrap().as_str(), "h:1");
        for invalid in ["", "host/repo", "host name", "user@host"] {
            assert!(invalid.parse::<RegistryHost>().is_err(), "{invalid}");
        }
    }
}
