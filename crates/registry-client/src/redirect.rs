//! What a redirect may and may not do.
//!
//! Registries redirect blob downloads to storage or CDN hosts. The request follows, but never
//! carries the registry's `Authorization` to another origin and never steps down from https to
//! plain http, where a man in the middle could alter the content or read signed URLs.

use http::{Method, StatusCode, Uri};

use crate::error::{display_url, Error};
use crate::url::{resolve, same_origin};

/// At most this many hops are followed for one request.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// The next hop of a redirect chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    /// Where to send the request next.
    pub(crate) uri: Uri,
    /// The method to use there (303 turns anything but HEAD into GET).
    pub(crate) method: Method,
    /// Whether the request body and Authorization may be sent again.
    pub(crate) same_origin: bool,
}

/// Whether `status` is a redirect this client follows.
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The hop for a redirect from `from` with `status` to `location`.
pub(crate) fn next_hop(
    from: &Uri,
    method: &Method,
    status: StatusCode,
    location: &str,
) -> Result<Hop, Error> {
    let uri = resolve(from, location)?;
    if from.scheme_str() == Some("https") && uri.scheme_str() == Some("http") {
        return Err(Error::InsecureRedirect {
            from: display_url(from),
            to: display_url(&uri),
        });
    }
    let method = match status.as_u16() {
        303 if *method != Method::HEAD => Method::GET,
        301 | 302 if *method == Method::POST => Method::GET,
        _ => method.clone(),
    };
    let same_origin = same_origin(from, &uri);
    Ok(Hop {
        uri,
        method,
        same_origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a redirect should lead: URL, method, same origin; `None` when it must be refused.
    type Expected = Option<(&'static str, Method, bool)>;

    #[test]
    fn redirect_policy() {
        // (from, method, status, location, expected)
        let cases: &[(&str, Method, u16, &str, Expected)] = &[
            (
                "https://reg.example/v2/a/blobs/sha256:1",
                Method::GET,
                307,
                "https://cdn.example/b?sig=1",
                Some(("https://cdn.example/b?sig=1", Method::GET, false)),
            ),
            (
                "https://reg.example/v2/a/blobs/sha256:1",
                Method::GET,
                302,
                "/storage/b",
                Some(("https://reg.example/storage/b", Method::GET, true)),
            ),
            (
                "https://reg.example/v2/a/blobs/sha256:1",
                Method::GET,
                302,
                "http://cdn.example/b",
                None,
            ),
            (
                "http://127.0.0.1:5000/v2/a/blobs/sha256:1",
                Method::HEAD,
                303,
                "http://127.0.0.1:5001/b",
                Some(("http://127.0.0.1:5001/b", Method::HEAD, false)),
            ),
            (
                "http://127.0.0.1:5000/v2/a/blobs/uploads/",
                Method::POST,
                303,
                "/x",
                Some(("http://127.0.0.1:5000/x", Method::GET, true)),
            ),
            (
                "http://reg.local/v2/",
                Method::PUT,
                308,
                "https://reg.local/v2/",
                Some(("https://reg.local/v2/", Method::PUT, false)),
            ),
        ];
        for (from, method, status, location, expected) in cases {
            let from: Uri = from.parse().unwrap();
            let got = next_hop(&from, method, StatusCode::from_u16(*status).unwrap(), location);
            match (got, expected) {
                (Ok(hop), Some((to, m, same))) => {
                    assert_eq!(hop.uri.to_string(), *to);
                    assert_eq!(&hop.method, m);
                    assert_eq!(hop.same_origin, *same, "{location}");
                }
                (Err(Error::InsecureRedirect { .. }), None) => {}
                (got, _) => panic!("{from} -> {location}: unexpected {got:?}"),
            }
        }
    }

    #[test]
    fn only_redirect_statuses_are_followed() {
        for status in [301, 302, 303, 307, 308] {
            assert!(is_redirect(StatusCode::from_u16(status).unwrap()));
        }
        for status in [200, 300, 304, 305, 400] {
            assert!(!is_redirect(StatusCode::from_u16(status).unwrap()));
        }
    }
}
