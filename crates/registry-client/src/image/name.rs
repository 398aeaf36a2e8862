//! How command lines and configuration files name an image: a transport prefix and what
//! that transport makes of the rest. The one grammar of this workspace; a new transport
//! adds its prefix in [`ImageName::from_str`] and a variant here.

use std::fmt;
use std::str::FromStr;

use oci_manifest::Reference;

use crate::archive::{DockerArchiveRef, OciArchiveRef};
use crate::layout::LayoutRef;
use crate::Error;

/// An image as a user names it, with skopeo's transports and their meaning.
///
/// | written | variant |
/// | --- | --- |
/// | `[docker://]HOST[:PORT]/NAME[:TAG][@DIGEST]` | [`ImageName::Registry`]: Docker's grammar (`docker.io` the default host, `library/` its default namespace, `latest` the default tag); without a prefix a name is a registry's |
/// | `oci:DIR[:TAG]` | [`ImageName::Layout`]: an image in an OCI image layout; the first `:` ends the directory, as in skopeo (see [`LayoutRef`]) |
/// | `oci-archive:FILE[:TAG]` | [`ImageName::OciArchive`]: an image in a tar of an OCI image layout, with `oci:`'s grammar (see [`OciArchiveRef`]) |
/// | `docker-archive:FILE[:NAME:TAG\|:@N]` | [`ImageName::DockerArchive`]: an image in a `docker save` tarball, by one of its tags or its position from 0; the first `:` ends the file (see [`DockerArchiveRef`]) |
///
/// Every variant is matched exhaustively by its users, so a new transport shows the
/// compiler every place that must learn about it.
///
/// ```
/// use registry_client::image::ImageName;
///
/// let name: ImageName = "oci:images/app:v1".parse()?;
/// let ImageName::Layout(layout) = &name else { unreachable!() };
/// assert_eq!(layout.dir().to_str(), Some("images/app"));
/// assert_eq!(layout.tag().map(|t| t.as_str()), Some("v1"));
/// assert_eq!(name.to_string(), "oci:images/app:v1");
///
/// // skopeo's reading: a tag may hold `:` and `/`, a directory may not hold `:`.
/// let name: ImageName = "oci:dir:with:colons".parse()?;
/// let ImageName::Layout(layout) = &name else { unreachable!() };
/// assert_eq!((layout.dir().to_str(), layout.tag().map(|t| t.as_str())), (Some("dir"), Some("with:colons")));
///
/// let name: ImageName = "docker://localhost:5000/team/app".parse()?;
/// assert_eq!(name.registry().map(|r| r.to_string()).as_deref(), Some("localhost:5000/team/app:latest"));
/// # Ok::<(), registry_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImageName {
    /// An image on a registry: `[docker://]HOST[:PORT]/NAME[:TAG][@DIGEST]`.
    Registry(Reference),
    /// An image in an OCI image layout: `oci:DIR[:TAG]`.
    Layout(LayoutRef),
    /// An image in a docker-archive: `docker-archive:FILE[:NAME:TAG|:@N]`.
    DockerArchive(DockerArchiveRef),
    /// An image in an OCI archive: `oci-archive:FILE[:TAG]`.
    OciArchive(OciArchiveRef),
}

impl ImageName {
    /// The prefix of the OCI image layout transport.
    pub const LAYOUT_PREFIX: &'static str = "oci:";

    /// The prefix of the docker-archive transport.
    pub const DOCKER_ARCHIVE_PREFIX: &'static str = "docker-archive:";

    /// The prefix of the OCI archive transport.
    pub const OCI_ARCHIVE_PREFIX: &'static str = "oci-archive:";

    /// The prefix of the registry transport, which a name may also go without.
    pub const REGISTRY_PREFIX: &'static str = "docker://";

    /// The registry reference, when the name is a registry's.
    pub fn registry(&self) -> Option<&Reference> {
        match self {
            ImageName::Registry(reference) => Some(reference),
            ImageName::Layout(_) | ImageName::DockerArchive(_) | ImageName::OciArchive(_) => None,
        }
    }

    /// The layout and tag, when the name is a layout's.
    pub fn layout(&self) -> Option<&LayoutRef> {
        match self {
            ImageName::Layout(layout) => Some(layout),
            ImageName::Registry(_) | ImageName::DockerArchive(_) | ImageName::OciArchive(_) => None,
        }
    }
}

impl FromStr for ImageName {
    type Err = Error;

    /// Parses a transport-prefixed name; the errors name `input` as it was written
    /// ([`Error::InvalidImageName`]) or, for a layout, the `DIR[:TAG]` after `oci:`
    /// ([`Error::NoLayoutDirectory`], [`Error::InvalidLayoutName`]), or for an archive the
    /// text after its prefix ([`Error::InvalidArchiveReference`]).
    fn from_str(input: &str) -> Result<ImageName, Error> {
        if let Some(layout) = input.strip_prefix(ImageName::LAYOUT_PREFIX) {
            return layout.parse().map(ImageName::Layout);
        }
        if let Some(archive) = input.strip_prefix(ImageName::DOCKER_ARCHIVE_PREFIX) {
            return archive.parse().map(ImageName::DockerArchive);
        }
        if let Some(archive) = input.strip_prefix(ImageName::OCI_ARCHIVE_PREFIX) {
            return archive.parse().map(ImageName::OciArchive);
        }
        let bare = input.strip_prefix(ImageName::REGISTRY_PREFIX).unwrap_or(input);
        Reference::parse(bare)
            .map(ImageName::Registry)
            .map_err(|source| Error::InvalidImageName {
                input: input.to_owned(),
                source: Box::new(source),
            })
    }
}

impl fmt::Display for ImageName {
    /// A registry image as its normalised reference (`docker.io/library/alpine:latest`), a
    /// layout image as `oci:DIR[:TAG]`, an archive's with its prefix; each parses back to
    /// the same name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageName::Registry(reference) => write!(f, "{reference}"),
            ImageName::Layout(layout) => write!(f, "{}{layout}", ImageName::LAYOUT_PREFIX),
            ImageName::DockerArchive(archive) => write!(f, "{archive}"),
            ImageName::OciArchive(archive) => write!(f, "{archive}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn registry_names_follow_dockers_grammar() {
        let table = [
            ("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:1.0"),
            ("docker://127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app:latest"),
            ("docker://alpine", "docker.io/library/alpine:latest"),
            ("alpine", "docker.io/library/alpine:latest"),
            (
                "localhost:5000/app@sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
                "localhost:5000/app@sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
            ),
            (
                "localhost:5000/app:1@sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
                "localhost:5000/app:1@sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
            ),
            // `oci:` only as a prefix: elsewhere it is part of a registry name.
            ("localhost:5000/oci:1", "localhost:5000/oci:1"),
        ];
        for (input, printed) in table {
            let name: ImageName = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                name.registry().map(ToString::to_string).as_deref(),
                Some(printed),
                "{input}"
            );
            assert_eq!(name.to_string(), printed, "{input}");
            assert_eq!(printed.parse::<ImageName>().unwrap(), name, "{input}");
        }
    }

    #[test]
    fn layout_names_split_at_the_first_colon_as_skopeo_does() {
        // (input, directory, tag): skopeo 1.9 writes each of these to the same directory
        // and `org.opencontainers.image.ref.name`.
        let table = [
            ("oci:dir", "dir", None),
            ("oci:./dir:1.0", "./dir", Some("1.0")),
            ("oci:some/dir:tag", "some/dir", Some("tag")),
            ("oci:dir:with:colons", "dir", Some("with:colons")),
            ("oci:/srv/a:b/layout:v2", "/srv/a", Some("b/layout:v2")),
            ("oci:dir:example.com/app:1", "dir", Some("example.com/app:1")),
            ("oci:oci:tag", "oci", Some("tag")),
        ];
        for (input, dir, tag) in table {
            let name: ImageName = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            let layout = name.layout().unwrap_or_else(|| panic!("{input}: {name:?}"));
            assert_eq!(layout.dir(), Path::new(dir), "{input}");
            assert_eq!(layout.tag().map(|t| t.as_str()), tag, "{input}");
            assert_eq!(name.to_string(), input);
        }
    }

    #[test]
    fn archive_names_take_skopeos_grammar() {
        let name: ImageName = "docker-archive:/srv/images.tar:team/app:1.0".parse().unwrap();
        let ImageName::DockerArchive(archive) = &name else {
            panic!("{name:?}")
        };
        assert_eq!(archive.path(), Path::new("/srv/images.tar"));
        assert_eq!(
            name.to_string(),
            "docker-archive:/srv/images.tar:docker.io/team/app:1.0"
        );
        assert_eq!(name.to_string().parse::<ImageName>().unwrap(), name);
        let name: ImageName = "docker-archive:images.tar:@3".parse().unwrap();
        assert_eq!(name.to_string(), "docker-archive:images.tar:@3");
        let name: ImageName = "oci-archive:app.tar:1.0".parse().unwrap();
        let ImageName::OciArchive(archive) = &name else {
            panic!("{name:?}")
        };
        assert_eq!(
            (archive.path(), archive.tag().map(|t| t.as_str())),
            (Path::new("app.tar"), Some("1.0"))
        );
        assert_eq!(name.to_string(), "oci-archive:app.tar:1.0");
        for (input, message) in [
            (
                "docker-archive:",
                "\"\" is not an archive reference: it names no file",
            ),
            (
                "docker-archive:a.tar:@x",
                "\"a.tar:@x\" is not an archive reference: \"@x\" is not @N",
            ),
            (
                "oci-archive:a.tar:bad tag",
                "\"a.tar:bad tag\" is not an archive reference: ",
            ),
        ] {
            match input.parse::<ImageName>() {
                Ok(name) => panic!("{input:?} accepted as {name:?}"),
                Err(error) => assert!(error.to_string().starts_with(message), "{input:?}: {error}"),
            }
        }
    }

    #[test]
    fn malformed_names_say_what_is_wrong_with_them() {
        let table = [
            ("", "\"\" is not an image reference: "),
            ("team/Upper", "\"team/Upper\" is not an image reference: "),
            ("docker://", "\"docker://\" is not an image reference: "),
            (
                "localhost:5000/app@sha256:short",
                "\"localhost:5000/app@sha256:short\" is not an image reference: ",
            ),
            // Another transport's name is no registry reference either.
            ("dir:/tmp/x", "\"dir:/tmp/x\" is not an image reference: "),
            ("oci:", "\"\" names no directory"),
            ("oci::tag", "\":tag\" names no directory"),
            (
                "oci:dir:",
                "\"dir:\": \"\" is not a valid tag in an OCI layout: invalid layout tag \"\": it is empty",
            ),
            (
                "oci:dir:bad tag",
                "\"dir:bad tag\": \"bad tag\" is not a valid tag in an OCI layout: invalid layout tag \"bad tag\": only ",
            ),
            ("oci:dir:../up", "\"dir:../up\": \"../up\" is not a valid tag"),
            // `//x` is no tag: the tag grammar has no empty component.
            ("oci:docker://x", "\"docker://x\": \"//x\" is not a valid tag"),
        ];
        for (input, message) in table {
            match input.parse::<ImageName>() {
                Ok(name) => panic!("{input:?} accepted as {name:?}"),
                Err(error) => assert!(error.to_string().starts_with(message), "{input:?}: {error}"),
            }
        }
    }
}
