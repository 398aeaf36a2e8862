//! Registry names as auth files spell them: `docker.io`, Docker's
//! `https://index.docker.io/v1/`, `host`, `https://host`, `host/v2/`, and the
//! containers auth file's `host/namespace` keys.

use crate::Error;

/// The key Docker uses for Docker Hub in `config.json` and with credential helpers.
pub(crate) const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// Host names that all mean Docker Hub.
const DOCKER_HUB_ALIASES: &[&str] = &["docker.io", "index.docker.io", "registry-1.docker.io"];

/// The canonical form of a registry name given by a user or a reference:
/// lowercase `host[:port]`, Docker Hub's aliases folded to `docker.io`.
pub(crate) fn canonical_registry(input: &str) -> Result<String, Error> {
    let invalid = |reason| Error::InvalidRegistry {
        input: input.to_owned(),
        reason,
    };
    let (_, rest) = strip_scheme(input.trim());
    let host = rest.trim_end_matches('/');
    let host = match host.split_once('/') {
        Some((host, "v1" | "v2")) => host,
        Some(_) => {
            return Err(invalid(
                "a registry is a host name with an optional port, without a path",
            ))
        }
        None => host,
    };
    if host.is_empty() {
        return Err(invalid("it is empty"));
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
    {
        return Err(invalid(
            "a host name holds only letters, digits, `.`, `-`, `_`, `:` and brackets",
        ));
    }
    Ok(fold_docker_hub(host))
}

/// An auth file key read as `(registry, namespace)`: the canonical registry and
/// the repository path the entry is restricted to (empty for the whole registry).
///
/// Keys with a scheme are Docker's URL keys: only their host counts. Keys
/// without one may name a namespace (`quay.io/org`), as the containers auth
/// file allows; `host/v1` and `host/v2` are the host alone.
pub(crate) fn parse_key(key: &str) -> Option<(String, String)> {
    let (had_scheme, rest) = strip_scheme(key.trim());
    let rest = rest.trim_end_matches('/');
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() {
        return None;
    }
    let path = if had_scheme || path == "v1" || path == "v2" {
        ""
    } else {
        path
    };
    Some((fold_docker_hub(host), path.to_owned()))
}

/// How specifically `key` matches `registry` and `repository`: `None` when it
/// does not match, otherwise the length of the namespace it names (longer wins).
pub(crate) fn match_len(key: &str, registry: &str, repository: Option<&str>) -> Option<usize> {
    let (host, namespace) = parse_key(key)?;
    if host != registry {
        return None;
    }
    if namespace.is_empty() {
        return Some(0);
    }
    let repository = repository?;
    let inside = repository == namespace
        || repository
            .strip_prefix(namespace.as_str())
            .is_some_and(|rest| rest.starts_with('/'));
    inside.then_some(namespace.len())
}

/// What to pass a credential helper as the server URL, and the key to write for
/// Docker: Docker's own key for Docker Hub, the host for everything else.
pub(crate) fn docker_server_url(registry: &str) -> &str {
    if registry == "docker.io" {
        DOCKER_HUB_KEY
    } else {
        registry
    }
}

fn strip_scheme(text: &str) -> (bool, &str) {
    for scheme in ["https://", "http://"] {
        // `get`, not indexing: a key is any string, and the scheme's length may fall inside
        // a multi-byte character (found by fuzzing).
        if let Some(rest) = text
            .get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .and_then(|_| text.get(scheme.len()..))
        {
            return (true, rest);
        }
    }
    (false, text)
}

fn fold_docker_hub(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    if DOCKER_HUB_ALIASES.contains(&host.as_str()) {
        "docker.io".to_owned()
    } else {
        host
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_registries_and_namespaces() {
        let table = [
            ("https://index.docker.io/v1/", Some(("docker.io", ""))),
            ("index.docker.io", Some(("docker.io", ""))),
            ("registry-1.docker.io", Some(("docker.io", ""))),
            ("docker.io", Some(("docker.io", ""))),
            ("docker.io/library", Some(("docker.io", "library"))),
            ("registry.example.com", Some(("registry.example.com", ""))),
            ("https://registry.example.com", Some(("registry.example.com", ""))),
            ("http://Registry.Example.com/", Some(("registry.example.com", ""))),
            ("registry.example.com/v2/", Some(("registry.example.com", ""))),
            ("registry.example.com/v1/", Some(("registry.example.com", ""))),
            (
                "https://registry.example.com/v2/",
                Some(("registry.example.com", "")),
            ),
            ("localhost:5000", Some(("localhost:5000", ""))),
            ("quay.io/org/repo", Some(("quay.io", "org/repo"))),
            ("https://quay.io/org", Some(("quay.io", ""))),
            ("", None),
            ("https://", None),
            // Multi-byte characters where a scheme's length ends (found by fuzzing).
            ("quay.io\u{4c9}1", Some(("quay.io\u{4c9}1", ""))),
            ("htt\u{e9}://x", Some(("htt\u{e9}:", "/x"))),
        ];
        for (key, expected) in table {
            let got = parse_key(key);
            let got = got.as_ref().map(|(h, p)| (h.as_str(), p.as_str()));
            assert_eq!(got, expected, "key {key:?}");
        }
    }

    #[test]
    fn canonical_registries() {
        let valid = [
            ("docker.io", "docker.io"),
            ("Index.Docker.io", "docker.io"),
            ("https://index.docker.io/v1/", "docker.io"),
            ("localhost:5000", "localhost:5000"),
            ("[::1]:5000", "[::1]:5000"),
            ("https://ghcr.io", "ghcr.io"),
        ];
        for (input, expected) in valid {
            assert_eq!(canonical_registry(input).expect(input), expected);
        }
        for input in ["", "quay.io/org", "a b", "host/", "https://"] {
            let result = canonical_registry(input);
            if input == "host/" {
                assert_eq!(result.expect("a trailing slash is fine"), "host");
            } else {
                assert!(matches!(result, Err(Error::InvalidRegistry { .. })), "{input:?}");
            }
        }
    }

    #[test]
    fn namespaced_keys_match_their_repositories_only() {
        assert_eq!(match_len("quay.io", "quay.io", Some("org/repo")), Some(0));
        assert_eq!(match_len("quay.io/org", "quay.io", Some("org/repo")), Some(3));
        assert_eq!(
            match_len("quay.io/org/repo", "quay.io", Some("org/repo")),
            Some(8)
        );
        assert_eq!(
            match_len("quay.io/org", "quay.io", Some("organisation/repo")),
            None
        );
        assert_eq!(match_len("quay.io/org", "quay.io", None), None);
        assert_eq!(match_len("ghcr.io", "quay.io", Some("org/repo")), None);
    }
}
