//! Image references, `[HOST[:PORT]/]NAME[:TAG][@DIGEST]`, with Docker's grammar,
//! limits and normalisation (`docker.io`, `library/`, `latest`).

use std::fmt;
use std::str::FromStr;

use oci_digest::Digest;

use crate::Error;

/// The registry a reference names when it names none.
pub const DEFAULT_REGISTRY: &str = "docker.io";

/// The host that actually serves the API for [`DEFAULT_REGISTRY`].
pub const DOCKER_HUB_ENDPOINT: &str = "registry-1.docker.io";

/// The tag a reference carries when it names neither a tag nor a digest.
pub const DEFAULT_TAG: &str = "latest";

/// Longest repository name, registry included, that Docker accepts.
pub const MAX_NAME_LEN: usize = 255;

/// Longest tag Docker accepts.
pub const MAX_TAG_LEN: usize = 128;

/// The legacy host name that means Docker Hub and is rewritten to [`DEFAULT_REGISTRY`].
const DOCKER_HUB_LEGACY: &str = "index.docker.io";

/// A fully normalised image reference.
///
/// Parsing applies Docker's rules: a first path segment counts as a registry
/// only if it contains `.` or `:`, is `localhost`, or has an uppercase letter;
/// otherwise the registry is `docker.io`, where single-segment names gain
/// `library/`. Without a tag or digest the tag is `latest`.
///
/// ```
/// use oci_manifest::Reference;
///
/// let r: Reference = "busybox".parse()?;
/// assert_eq!(r.to_string(), "docker.io/library/busybox:latest");
/// assert_eq!(r.registry_endpoint(), "registry-1.docker.io");
///
/// let r: Reference = "localhost:5000/team/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".parse()?;
/// assert_eq!(r.registry(), "localhost:5000");
/// assert_eq!(r.repository().as_str(), "team/app");
/// assert_eq!(r.tag(), None);
/// # Ok::<(), oci_manifest::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: Box<str>,
    repository: Repository,
    tag: Option<Box<str>>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses and normalises a reference. Same as [`str::parse`].
    pub fn parse(input: &str) -> Result<Reference, Error> {
        input.parse()
    }

    /// Builds a reference from parts already in hand, validating each.
    ///
    /// `registry` is used as given apart from Docker Hub's legacy host name
    /// (no `library/` is added); without a tag or digest the tag is `latest`.
    pub fn from_parts(
        registry: &str,
        repository: Repository,
        tag: Option<&str>,
        digest: Option<Digest>,
    ) -> Result<Reference, Error> {
        let whole = format!("{registry}/{repository}");
        check_registry(&whole, registry)?;
        check_name_length(&whole, registry.len() + 1 + repository.as_str().len())?;
        if let Some(tag) = tag {
            check_tag(&whole, tag)?;
        }
        if let Some(digest) = &digest {
            check_digest_supported(&whole, digest)?;
        }
        let tag = match (tag, &digest) {
            (None, None) => Some(DEFAULT_TAG),
            (tag, _) => tag,
        };
        Ok(Reference {
            registry: canonical_registry(registry).into(),
            repository,
            tag: tag.map(Into::into),
            digest,
        })
    }

    /// The registry host, with `:port` when given: `docker.io`, `localhost:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host to send API requests to: `registry-1.docker.io` for Docker Hub,
    /// otherwise [`registry`](Self::registry).
    pub fn registry_endpoint(&self) -> &str {
        if self.is_docker_hub() {
            DOCKER_HUB_ENDPOINT
        } else {
            &self.registry
        }
    }

    /// Whether the reference points at Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        &*self.registry == DEFAULT_REGISTRY
    }

    /// The repository path within the registry, such as `library/busybox`.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The tag: as given, or `latest` when neither tag nor digest was given.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, when the reference pins one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// `registry/repository`, the name without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// What to put in a manifest URL: the digest when pinned (it is checked
    /// first, seed behaviour), else the tag.
    pub fn manifest_reference(&self) -> &str {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.as_str(),
            (None, Some(tag)) => tag,
            // Every constructor sets a tag or a digest; this arm only satisfies the match.
            (None, None) => DEFAULT_TAG,
        }
    }

    /// The same repository with `tag` and no digest.
    pub fn with_tag(&self, tag: &str) -> Result<Reference, Error> {
        check_tag(&self.to_string(), tag)?;
        Ok(Reference {
            tag: Some(tag.into()),
            digest: None,
            ..self.clone()
        })
    }

    /// The same repository pinned to `digest`, dropping any tag.
    pub fn with_digest(&self, digest: Digest) -> Result<Reference, Error> {
        check_digest_supported(&self.to_string(), &digest)?;
        Ok(Reference {
            tag: None,
            digest: Some(digest),
            ..self.clone()
        })
    }
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse_reference(input)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({self})")
    }
}

impl serde::Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A repository path within a registry: `/`-separated lowercase components
/// such as `library/busybox` or `team/app`.
///
/// Each component is `[a-z0-9]+` runs joined by `.`, `_`, `__` or any number
/// of `-`; the whole path is at most 255 characters.
///
/// ```
/// use oci_manifest::Repository;
///
/// assert!("library/busy_box".parse::<Repository>().is_ok());
/// assert!("Library/busybox".parse::<Repository>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Repository(Box<str>);

impl Repository {
    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path's components, first to last.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl FromStr for Repository {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        check_name_length(input, input.len())?;
        check_path(input, input)?;
        Ok(Repository(input.into()))
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Repository({})", self.0)
    }
}

impl AsRef<str> for Repository {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for Repository {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Repository {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn parse_reference(input: &str) -> Result<Reference, Error> {
    if input.is_empty() {
        return Err(Error::EmptyReference);
    }
    if input.len() == 64 && input.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        // Docker refuses these so that an image ID is never mistaken for a name.
        return Err(invalid_repository(
            input,
            input,
            "a 64-character hexadecimal string is an image ID, not a repository name",
        ));
    }

    let (before_digest, digest) = match input.split_once('@') {
        Some((name, digest_text)) => {
            let digest = digest_text
                .parse::<Digest>()
                .map_err(|source| Error::InvalidReferenceDigest {
                    input: input.to_owned(),
                    source,
                })?;
            check_digest_supported(input, &digest)?;
            (name, Some(digest))
        }
        None => (input, None),
    };

    // A `:` after the last `/` starts the tag; an earlier one belongs to a port.
    let (name, tag) = match before_digest.rfind(':') {
        Some(colon) if !before_digest[colon..].contains('/') => {
            (&before_digest[..colon], Some(&before_digest[colon + 1..]))
        }
        _ => (before_digest, None),
    };
    if name.is_empty() {
        return Err(invalid_repository(input, name, "it is empty"));
    }
    if let Some(tag) = tag {
        check_tag(input, tag)?;
    }

    let (registry, path) = split_registry(name);
    if let Some(registry) = registry {
        check_registry(input, registry)?;
    }
    check_path(input, path)?;

    let registry = registry.map_or(DEFAULT_REGISTRY, canonical_registry);
    let repository = if registry == DEFAULT_REGISTRY && !path.contains('/') {
        format!("library/{path}")
    } else {
        path.to_owned()
    };
    // Docker limits the normalised name, so `docker.io/library/` counts: a
    // shorter limit on the input would accept names whose own printed form is refused.
    check_name_length(input, registry.len() + 1 + repository.len())?;
    let tag = match (tag, &digest) {
        (Some(tag), _) => Some(tag.into()),
        (None, Some(_)) => None,
        (None, None) => Some(DEFAULT_TAG.into()),
    };
    Ok(Reference {
        registry: registry.into(),
        repository: Repository(repository.into()),
        tag,
        digest,
    })
}

/// Splits `name` into an explicit registry (if its first segment looks like
/// one) and the repository path.
fn split_registry(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

fn canonical_registry(registry: &str) -> &str {
    if registry == DOCKER_HUB_LEGACY {
        DEFAULT_REGISTRY
    } else {
        registry
    }
}

fn check_name_length(input: &str, length: usize) -> Result<(), Error> {
    if length > MAX_NAME_LEN {
        return Err(Error::NameTooLong {
            input: input.to_owned(),
            length,
            max: MAX_NAME_LEN,
        });
    }
    Ok(())
}

/// Checks `host[:port]` where host is dot-separated labels of letters, digits
/// and inner hyphens, or a bracketed IPv6 address.
fn check_registry(input: &str, registry: &str) -> Result<(), Error> {
    let fail = |reason| {
        Err(Error::InvalidRegistry {
            input: input.to_owned(),
            registry: registry.to_owned(),
            reason,
        })
    };
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        let Some((address, after)) = rest.split_once(']') else {
            return fail("an IPv6 address must be closed with `]`");
        };
        if address.is_empty() || !address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return fail("an IPv6 address may only hold hexadecimal digits and `:`");
        }
        match after {
            "" => (None, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => return fail("only `:PORT` may follow an IPv6 address"),
            },
        }
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(registry), None),
        }
    };
    if let Some(host) = host {
        if host.is_empty() {
            return fail("the host is empty");
        }
        for label in host.split('.') {
            if label.is_empty() {
                return fail("a host name has an empty label between dots");
            }
            if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return fail("a host name may only hold letters, digits, `-` and `.`");
            }
            if label.starts_with('-') || label.ends_with('-') {
                return fail("a host label must not start or end with `-`");
            }
        }
    }
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return fail("the port must be a number");
        }
    }
    Ok(())
}

/// Checks a repository path: components of `[a-z0-9]` runs joined by `.`,
/// `_`, `__` or `-`+.
fn check_path(input: &str, path: &str) -> Result<(), Error> {
    let fail = |reason| Err(invalid_repository(input, path, reason));
    if path.is_empty() {
        return fail("it is empty");
    }
    if path.bytes().any(|b| b.is_ascii_uppercase()) {
        return fail("it must be lowercase");
    }
    for component in path.split('/') {
        if component.is_empty() {
            return fail("it has an empty path component");
        }
        check_path_component(component).or_else(fail)?;
    }
    Ok(())
}

fn check_path_component(component: &str) -> Result<(), &'static str> {
    let bytes = component.as_bytes();
    let alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alphanumeric(bytes[0]) || !alphanumeric(bytes[bytes.len() - 1]) {
        return Err("a path component must start and end with a lowercase letter or digit");
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if alphanumeric(b) {
            i += 1;
            continue;
        }
        // A separator run: `.`, `_`, `__`, or any number of `-`.
        let run = bytes[i..].iter().take_while(|&&c| !alphanumeric(c)).count();
        let separator = &component[i..i + run];
        let allowed = matches!(separator, "." | "_" | "__") || separator.bytes().all(|c| c == b'-');
        if !allowed {
            return Err(if separator.bytes().all(|c| matches!(c, b'.' | b'_' | b'-')) {
                "separators between path characters must be `.`, `_`, `__` or dashes"
            } else {
                "a path component may only hold lowercase letters, digits, `.`, `_` and `-`"
            });
        }
        i += run;
    }
    Ok(())
}

/// Checks a tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(input: &str, tag: &str) -> Result<(), Error> {
    let fail = |reason| {
        Err(Error::InvalidTag {
            input: input.to_owned(),
            tag: tag.to_owned(),
            reason,
        })
    };
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    match tag.as_bytes().first() {
        None => return fail("it is empty"),
        Some(&first) if !word(first) => return fail("it must start with a letter, digit or `_`"),
        Some(_) => {}
    }
    if tag.len() > MAX_TAG_LEN {
        return fail("it is longer than 128 characters");
    }
    if !tag.bytes().all(|b| word(b) || b == b'.' || b == b'-') {
        return fail("it may only hold letters, digits, `_`, `.` and `-`");
    }
    Ok(())
}

fn check_digest_supported(input: &str, digest: &Digest) -> Result<(), Error> {
    if digest.algorithm().is_supported() {
        Ok(())
    } else {
        Err(Error::InvalidReferenceDigest {
            input: input.to_owned(),
            source: oci_digest::Error::UnsupportedAlgorithm {
                algorithm: digest.algorithm().to_string(),
            },
        })
    }
}

fn invalid_repository(input: &str, repository: &str, reason: &'static str) -> Error {
    Error::InvalidRepository {
        input: input.to_owned(),
        repository: repository.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    /// (input, registry, repository, tag, digest)
    type Case<'a> = (String, &'a str, &'a str, Option<&'a str>, Option<&'a str>);

    #[test]
    fn valid_references_normalise() {
        let d = format!("sha256:{HEX}");
        let cases: Vec<Case<'_>> = vec![
            (
                "busybox".into(),
                "docker.io",
                "library/busybox",
                Some("latest"),
                None,
            ),
            (
                "test_com".into(),
                "docker.io",
                "library/test_com",
                Some("latest"),
                None,
            ),
            (
                "test.com:tag".into(),
                "docker.io",
                "library/test.com",
                Some("tag"),
                None,
            ),
            (
                "test.com:5000".into(),
                "docker.io",
                "library/test.com",
                Some("5000"),
                None,
            ),
            ("test.com/repo:tag".into(), "test.com", "repo", Some("tag"), None),
            ("test:5000/repo".into(), "test:5000", "repo", Some("latest"), None),
            (
                "test:5000/repo:tag".into(),
                "test:5000",
                "repo",
                Some("tag"),
                None,
            ),
            (format!("test:5000/repo@{d}"), "test:5000", "repo", None, Some(&d)),
            (
                format!("test:5000/repo:tag@{d}"),
                "test:5000",
                "repo",
                Some("tag"),
                Some(&d),
            ),
            (
                "lowercase:Uppercase".into(),
                "docker.io",
                "library/lowercase",
                Some("Uppercase"),
                None,
            ),
            (
                "sub-dom1.foo.com/bar/baz/quux".into(),
                "sub-dom1.foo.com",
                "bar/baz/quux",
                Some("latest"),
                None,
            ),
            (
                "b.gcr.io/test.example.com/my-app:test.example.com".into(),
                "b.gcr.io",
                "test.example.com/my-app",
                Some("test.example.com"),
                None,
            ),
            (
                "xn--n3h.com/myimage:xn--n3h.com".into(),
                "xn--n3h.com",
                "myimage",
                Some("xn--n3h.com"),
                None,
            ),
            (
                "foo_bar.com:8080".into(),
                "docker.io",
                "library/foo_bar.com",
                Some("8080"),
                None,
            ),
            (
                "foo/foo_bar.com:8080".into(),
                "docker.io",
                "foo/foo_bar.com",
                Some("8080"),
                None,
            ),
            (
                "192.168.1.1:5000/repo:5050".into(),
                "192.168.1.1:5000",
                "repo",
                Some("5050"),
                None,
            ),
            (
                "[2001:db8::1]:5000/repo".into(),
                "[2001:db8::1]:5000",
                "repo",
                Some("latest"),
                None,
            ),
            (
                "[2001:db8::1]/repo".into(),
                "[2001:db8::1]",
                "repo",
                Some("latest"),
                None,
            ),
            ("localhost/repo".into(), "localhost", "repo", Some("latest"), None),
            (
                "localhost:5000/a/b/c".into(),
                "localhost:5000",
                "a/b/c",
                Some("latest"),
                None,
            ),
            (
                "index.docker.io/busybox".into(),
                "docker.io",
                "library/busybox",
                Some("latest"),
                None,
            ),
            (
                "docker.io/library/busybox:1".into(),
                "docker.io",
                "library/busybox",
                Some("1"),
                None,
            ),
            (
                "docker.io/user/app".into(),
                "docker.io",
                "user/app",
                Some("latest"),
                None,
            ),
            ("Foo.com/bar".into(), "Foo.com", "bar", Some("latest"), None),
            (
                "a__b/c---d/e.f".into(),
                "docker.io",
                "a__b/c---d/e.f",
                Some("latest"),
                None,
            ),
            (format!("repo@{d}"), "docker.io", "library/repo", None, Some(&d)),
        ];
        for (input, registry, repository, tag, digest) in cases {
            let r: Reference = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.registry(), registry, "{input}");
            assert_eq!(r.repository().as_str(), repository, "{input}");
            assert_eq!(r.tag(), tag, "{input}");
            assert_eq!(r.digest().map(Digest::as_str), digest, "{input}");
            // Display output parses back to the same reference.
            assert_eq!(r.to_string().parse::<Reference>().unwrap(), r, "{input}");
        }
    }

    #[test]
    fn invalid_references_name_the_part() {
        let long_name = format!("{}/{}", "a".repeat(128), "a".repeat(127));
        let long_tag = format!("repo:{}", "a".repeat(129));
        let cases: Vec<(String, &str)> = vec![
            ("".into(), "empty"),
            (":justtag".into(), "repository"),
            (format!("@sha256:{HEX}"), "repository"),
            ("Uppercase:tag".into(), "repository"),
            ("docker.io/Docker/docker".into(), "repository"),
            ("aa/asdf$$^/aa".into(), "repository"),
            ("a/-bad".into(), "repository"),
            ("a/bad-".into(), "repository"),
            ("a/a..b".into(), "repository"),
            ("a/a___b".into(), "repository"),
            ("a//b".into(), "repository"),
            ("a/".into(), "repository"),
            (HEX.into(), "repository"),
            (long_name, "too long"),
            ("repo:".into(), "tag"),
            ("repo:-tag".into(), "tag"),
            ("repo:ta$g".into(), "tag"),
            (long_tag, "tag"),
            ("validname@invaliddigest:ffff".into(), "digest"),
            ("repo@sha256:abc".into(), "digest"),
            ("repo@".into(), "digest"),
            ("-bad.com/repo".into(), "registry"),
            ("bad..com/repo".into(), "registry"),
            ("host:port/repo".into(), "registry"),
            ("[fe80::1%eth0]:5000/repo".into(), "registry"),
            ("[::1/repo".into(), "registry"),
            ("a_b.com:5000/repo".into(), "registry"),
        ];
        for (input, part) in cases {
            let err = input.parse::<Reference>().expect_err(&input);
            let ok = matches!(
                (&err, part),
                (Error::EmptyReference, "empty")
                    | (Error::InvalidRepository { .. }, "repository")
                    | (Error::NameTooLong { .. }, "too long")
                    | (Error::InvalidTag { .. }, "tag")
                    | (Error::InvalidReferenceDigest { .. }, "digest")
                    | (Error::InvalidRegistry { .. }, "registry")
            );
            assert!(ok, "{input:?}: expected a {part} error, got {err:?}");
        }
    }

    #[test]
    fn name_length_limit_is_255() {
        let at_limit = format!("example.com/{}/{}", "a".repeat(121), "b".repeat(121));
        assert_eq!(at_limit.len(), 255);
        assert!(at_limit.parse::<Reference>().is_ok());
        let over = format!("{at_limit}b");
        assert!(matches!(
            over.parse::<Reference>(),
            Err(Error::NameTooLong { length: 256, .. })
        ));
    }

    #[test]
    fn name_length_limit_counts_the_normalised_name() {
        // Found by the `reference` fuzz target: the input fits, but
        // `docker.io/library/` makes the name 264 characters, and the printed
        // reference would not parse again.
        let short_input = "a".repeat(246);
        assert!(matches!(
            short_input.parse::<Reference>(),
            Err(Error::NameTooLong { length: 264, .. })
        ));
        let at_limit = "a".repeat(255 - "docker.io/library/".len());
        let reference: Reference = at_limit.parse().expect("fits once normalised");
        assert_eq!(reference.to_string().parse::<Reference>().ok(), Some(reference));
        // The legacy Docker Hub host is longer than `docker.io`; only the normalised name counts.
        let legacy = format!("index.docker.io/library/{at_limit}");
        assert!(legacy.len() > 255);
        assert!(legacy.parse::<Reference>().is_ok(), "{legacy}");
    }

    #[test]
    fn tag_length_limit_is_128() {
        assert!(format!("repo:{}", "t".repeat(128)).parse::<Reference>().is_ok());
        assert!(format!("repo:{}", "t".repeat(129)).parse::<Reference>().is_err());
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = "Busybox".parse::<Reference>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "reference \"Busybox\" has an invalid repository name \"Busybox\": it must be lowercase"
        );
        let err = "repo:bad$".parse::<Reference>().unwrap_err();
        assert!(err.to_string().contains("tag \"bad$\""), "{err}");
    }

    #[test]
    fn endpoints_and_manifest_reference() {
        let hub: Reference = "busybox".parse().unwrap();
        assert_eq!(hub.registry_endpoint(), DOCKER_HUB_ENDPOINT);
        assert_eq!(hub.manifest_reference(), "latest");
        assert_eq!(hub.name(), "docker.io/library/busybox");
        let local: Reference = format!("127.0.0.1:5000/app:v1@sha256:{HEX}").parse().unwrap();
        assert_eq!(local.registry_endpoint(), "127.0.0.1:5000");
        assert_eq!(local.manifest_reference(), format!("sha256:{HEX}"));
        let retagged = local.with_tag("v2").unwrap();
        assert_eq!(retagged.to_string(), "127.0.0.1:5000/app:v2");
        assert!(local.with_tag("no good").is_err());
    }

    #[test]
    fn from_parts_validates_each_part() {
        let repo: Repository = "team/app".parse().unwrap();
        let r = Reference::from_parts("localhost:5000", repo.clone(), Some("v1"), None).unwrap();
        assert_eq!(r.to_string(), "localhost:5000/team/app:v1");
        let defaulted = Reference::from_parts("index.docker.io", repo.clone(), None, None).unwrap();
        assert_eq!(defaulted.to_string(), "docker.io/team/app:latest");
        assert!(Reference::from_parts("bad host", repo.clone(), None, None).is_err());
        assert!(Reference::from_parts("h", repo, Some(""), None).is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(input in ".{0,300}") {
            if let Ok(reference) = input.parse::<Reference>() {
                // Whatever parses prints to something that parses to the same thing.
                proptest::prop_assert_eq!(reference.to_string().parse::<Reference>().ok(), Some(reference));
            }
        }

        #[test]
        fn reference_like_input_never_panics(input in "[a-zA-Z0-9._:/@\\[\\]-]{0,80}") {
            let _ = input.parse::<Reference>();
        }
    }

    #[test]
    fn serde_goes_through_text() {
        let r: Reference = serde_json::from_str("\"busybox:1\"").unwrap();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            "\"docker.io/library/busybox:1\""
        );
        assert!(serde_json::from_str::<Reference>("\"Bad\"").is_err());
    }
}
