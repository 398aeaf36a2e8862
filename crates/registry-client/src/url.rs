//! Resolving the URLs a registry hands back (`Location`, `Link`) against the request URL.
//!
//! Registries send absolute URLs, absolute paths, and occasionally relative ones; all are used
//! exactly as given (their query parameters are opaque), only resolved per RFC 3986 §5.2.

use http::Uri;

use crate::error::Error;

/// `reference` resolved against `base`.
pub(crate) fn resolve(base: &Uri, reference: &str) -> Result<Uri, Error> {
    let invalid = |reason: &str| Error::InvalidUrl {
        input: reference.to_owned(),
        reason: reason.to_owned(),
    };
    let reference = reference.trim();
    if reference.is_empty() {
        return Err(invalid("empty"));
    }
    if has_scheme(reference) {
        let uri: Uri = reference
            .parse()
            .map_err(|e: http::uri::InvalidUri| invalid(&e.to_string()))?;
        return match uri.scheme_str() {
            Some("http" | "https") if uri.authority().is_some() => Ok(uri),
            _ => Err(invalid("only http and https URLs with a host are followed")),
        };
    }
    let scheme = base
        .scheme_str()
        .ok_or_else(|| invalid("the base URL has no scheme"))?;
    let authority = base
        .authority()
        .ok_or_else(|| invalid("the base URL has no host"))?;
    let combined = if let Some(network_path) = reference.strip_prefix("//") {
        format!("{scheme}://{network_path}")
    } else if reference.starts_with('/') {
        let (path, rest) = split_path(reference);
        format!("{scheme}://{authority}{}{rest}", remove_dot_segments(path))
    } else if reference.starts_with('?') {
        format!("{scheme}://{authority}{}{reference}", base.path())
    } else {
        let dir = match base.path().rfind('/') {
            Some(end) => &base.path()[..=end],
            None => "/",
        };
        let (path, rest) = split_path(reference);
        format!(
            "{scheme}://{authority}{}{rest}",
            remove_dot_segments(&format!("{dir}{path}"))
        )
    };
    combined
        .parse()
        .map_err(|e: http::uri::InvalidUri| invalid(&e.to_string()))
}

/// Whether `reference` starts with `scheme:` (letters, digits, `+`, `-`, `.` before the colon).
fn has_scheme(reference: &str) -> bool {
    match reference.split_once(':') {
        Some((scheme, _)) => {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Splits a reference into its path and the `?query#fragment` remainder.
fn split_path(reference: &str) -> (&str, &str) {
    match reference.find(['?', '#']) {
        Some(at) => reference.split_at(at),
        None => (reference, ""),
    }
}

fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            other => out.push(other),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

/// A query parameter value with everything but RFC 3986's unreserved characters
/// percent-encoded (digests carry `:`, media types `/` and `+`, which a query may misread).
pub(crate) fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Whether two URLs share scheme, host and port (credentials may travel between them).
pub(crate) fn same_origin(a: &Uri, b: &Uri) -> bool {
    a.scheme_str() == b.scheme_str()
        && a.host().map(str::to_ascii_lowercase) == b.host().map(str::to_ascii_lowercase)
        && effective_port(a) == effective_port(b)
}

fn effective_port(uri: &Uri) -> Option<u16> {
    uri.port_u16().or(match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_against_the_request() {
        let base: Uri = "https://reg.example:5000/v2/library/alpine/tags/list?n=2"
            .parse()
            .unwrap();
        let cases = [
            (
                "/v2/library/alpine/tags/list?last=b&n=2",
                "https://reg.example:5000/v2/library/alpine/tags/list?last=b&n=2",
            ),
            (
                "https://other.example/x?sig=abc",
                "https://other.example/x?sig=abc",
            ),
            ("//cdn.example/blob", "https://cdn.example/blob"),
            (
                "?last=c",
                "https://reg.example:5000/v2/library/alpine/tags/list?last=c",
            ),
            (
                "list?last=d",
                "https://reg.example:5000/v2/library/alpine/tags/list?last=d",
            ),
            (
                "../../busybox/tags/list",
                "https://reg.example:5000/v2/library/busybox/tags/list",
            ),
            ("/a/./b/../c", "https://reg.example:5000/a/c"),
        ];
        for (reference, expected) in cases {
            assert_eq!(
                resolve(&base, reference).unwrap().to_string(),
                expected,
                "{reference}"
            );
        }
    }

    #[test]
    fn unusable_references_are_errors() {
        let base: Uri = "https://reg.example/v2/".parse().unwrap();
        for reference in ["", "  ", "ftp://x/y", "javascript:alert(1)", "https://"] {
            assert!(resolve(&base, reference).is_err(), "{reference:?}");
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        let cases = [
            ("sha256:abc", "sha256%3Aabc"),
            ("application/vnd.example+json", "application%2Fvnd.example%2Bjson"),
            ("team/app_1-x.y~z", "team%2Fapp_1-x.y~z"),
            ("a b;c=d", "a%20b%3Bc%3Dd"),
            ("é", "%C3%A9"),
        ];
        for (value, expected) in cases {
            assert_eq!(encode_query_value(value), expected, "{value}");
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let cases = [
            ("https://a.example/x", "https://A.example:443/y", true),
            ("http://a.example/x", "http://a.example:80/", true),
            ("https://a.example/x", "http://a.example/x", false),
            ("https://a.example/x", "https://b.example/x", false),
            ("http://127.0.0.1:5000/", "http://127.0.0.1:5001/", false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(
                same_origin(&a.parse().unwrap(), &b.parse().unwrap()),
                expected,
                "{a} {b}"
            );
        }
    }
}
