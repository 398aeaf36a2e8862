//! HTTP request counts, seen by a proxy in front of the registry.
//!
//! Counting on the wire instead of asking each tool keeps the numbers
//! comparable between skiff and skopeo: both are counted the same way.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use skiff_integration::{Route, SeenRequest, TokenRequest};

/// What one command asked a registry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RequestCount {
    pub(crate) total: usize,
    pub(crate) heads: usize,
    /// Blob downloads.
    pub(crate) blob_gets: usize,
    /// Requests that start, feed or finish an upload (mount attempts included).
    pub(crate) uploads: usize,
    /// Upload starts asking for a cross-repository mount.
    pub(crate) mounts: usize,
}

impl RequestCount {
    pub(crate) fn of(seen: &[SeenRequest]) -> RequestCount {
        let mut count = RequestCount {
            total: seen.len(),
            ..RequestCount::default()
        };
        for request in seen {
            let method = request.method.as_str();
            match (method, request.route) {
                ("HEAD", _) => count.heads += 1,
                ("GET", Route::Blob) => count.blob_gets += 1,
                (_, Route::Upload) => {
                    count.uploads += 1;
                    if method == "POST" && request.path.contains("mount=") {
                        count.mounts += 1;
                    }
                }
                _ => {}
            }
        }
        count
    }
}

impl fmt::Display for RequestCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} HEAD, {} blob GET, {} upload, {} mount)",
            self.total, self.heads, self.blob_gets, self.uploads, self.mounts
        )
    }
}

/// Requests a client could have done without, from what the proxies of the source and of the
/// destination saw (the no-avoidable-request goal of issue 21).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Avoidable {
    /// `HEAD`s of a blob in a repository after the first, on either side.
    pub(crate) repeated_blob_heads: usize,
    /// Downloads of a blob from a repository after the first.
    pub(crate) repeated_blob_gets: usize,
    /// `GET`s of a manifest at the destination: existence and digest come with a `HEAD`.
    pub(crate) destination_manifest_gets: usize,
    /// Blob downloads beyond the blobs the destination registry was sent: a blob it mounted
    /// or held already needed no download. Counted when the destination took uploads.
    pub(crate) downloads_not_sent: usize,
}

impl Avoidable {
    pub(crate) fn of(source: &[SeenRequest], destination: &[SeenRequest]) -> Avoidable {
        Avoidable {
            repeated_blob_heads: repeats(source, "HEAD", Route::Blob)
                + repeats(destination, "HEAD", Route::Blob),
            repeated_blob_gets: repeats(source, "GET", Route::Blob),
            destination_manifest_gets: destination
                .iter()
                .filter(|r| r.method.as_str() == "GET" && r.route == Route::Manifest)
                .count(),
            downloads_not_sent: downloads_not_sent(source, destination),
        }
    }

    pub(crate) fn none(&self) -> bool {
        *self == Avoidable::default()
    }
}

/// Source blob downloads beyond the blob uploads the destination completed (its `PUT`s), when
/// it took any: a pull into a layout uploads nothing and is not judged here.
fn downloads_not_sent(source: &[SeenRequest], destination: &[SeenRequest]) -> usize {
    let sent = destination
        .iter()
        .filter(|r| r.method.as_str() == "PUT" && r.route == Route::Upload)
        .count();
    if !destination.iter().any(|r| r.route == Route::Upload) {
        return 0;
    }
    let downloads = source
        .iter()
        .filter(|r| r.method.as_str() == "GET" && r.route == Route::Blob)
        .count();
    downloads.saturating_sub(sent)
}

/// How many `method` requests of `route` repeat a path already asked for.
fn repeats(seen: &[SeenRequest], method: &str, route: Route) -> usize {
    let mut times: HashMap<&str, usize> = HashMap::new();
    for request in seen
        .iter()
        .filter(|r| r.method.as_str() == method && r.route == route)
    {
        *times.entry(request.path.as_str()).or_default() += 1;
    }
    times.values().map(|n| n - 1).sum()
}

impl fmt::Display for Avoidable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} repeated blob HEAD, {} repeated blob GET, {} destination manifest GET, {} download not sent",
            self.repeated_blob_heads,
            self.repeated_blob_gets,
            self.destination_manifest_gets,
            self.downloads_not_sent
        )
    }
}

/// What one command asked the token service (the once-per-scope goal of issue 21): a client
/// that keeps its tokens asks for each set of scopes once in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TokenExchanges {
    /// Token requests in all (refreshes and refusals included).
    pub(crate) total: usize,
    /// Distinct sets of scopes among them, for the same user.
    pub(crate) scope_sets: usize,
}

impl TokenExchanges {
    pub(crate) fn of(requests: &[TokenRequest]) -> TokenExchanges {
        let sets: BTreeSet<(Option<&str>, BTreeSet<&str>)> = requests
            .iter()
            .map(|r| {
                let scopes = r.scopes.iter().map(String::as_str).collect();
                (r.subject.as_deref(), scopes)
            })
            .collect();
        TokenExchanges {
            total: requests.len(),
            scope_sets: sets.len(),
        }
    }

    /// Exchanges for a set of scopes the run had asked for already.
    pub(crate) fn repeated(&self) -> usize {
        self.total - self.scope_sets
    }
}

impl fmt::Display for TokenExchanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} token exchanges for {} scope sets ({} repeated)",
            self.total,
            self.scope_sets,
            self.repeated()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(method: &str, path: &str) -> SeenRequest {
        SeenRequest {
            // Parsed so that this crate needs no direct `http` dependency.
            method: method.parse().expect("a valid method"),
            path: path.to_owned(),
            route: Route::of(path.split('?').next().unwrap()),
            had_authorization: false,
            fault: None,
            arrived: std::time::Duration::ZERO,
            answered: None,
        }
    }

    #[test]
    fn counts_each_kind_of_request() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let requests = [
            seen("GET", "/v2/"),
            seen("HEAD", &format!("/v2/a/b/blobs/{digest}")),
            seen("HEAD", "/v2/a/b/manifests/1"),
            seen("GET", &format!("/v2/a/b/blobs/{digest}")),
            seen("POST", &format!("/v2/a/b/blobs/uploads/?mount={digest}&from=c/d")),
            seen("POST", "/v2/a/b/blobs/uploads/"),
            seen("PUT", &format!("/v2/a/b/blobs/uploads/123?digest={digest}")),
            seen("PUT", "/v2/a/b/manifests/1"),
        ];
        let count = RequestCount::of(&requests);
        let expected = RequestCount {
            total: 8,
            heads: 2,
            blob_gets: 1,
            uploads: 3,
            mounts: 1,
        };
        assert_eq!(count, expected);
        assert_eq!(count.to_string(), "8 (2 HEAD, 1 blob GET, 3 upload, 1 mount)");
    }

    #[test]
    fn avoidable_requests_are_repeats_and_destination_manifest_reads() {
        let digest = format!("sha256:{}", "b".repeat(64));
        let blob = format!("/v2/a/blobs/{digest}");
        let source = [
            seen("GET", "/v2/a/manifests/1"),
            seen("GET", &blob),
            seen("GET", &blob),
            seen("HEAD", &blob),
        ];
        let destination = [
            seen("HEAD", &format!("/v2/m/blobs/{digest}")),
            seen("HEAD", &format!("/v2/n/blobs/{digest}")),
            seen("HEAD", &format!("/v2/n/blobs/{digest}")),
            seen("HEAD", "/v2/n/manifests/1"),
            seen("GET", "/v2/n/manifests/1"),
        ];
        let avoidable = Avoidable::of(&source, &destination);
        let expected = Avoidable {
            repeated_blob_heads: 1,
            repeated_blob_gets: 1,
            destination_manifest_gets: 1,
            downloads_not_sent: 0,
        };
        assert_eq!(avoidable, expected);
        assert!(!avoidable.none());
        assert!(Avoidable::of(&source[..2], &destination[..2]).none());
    }

    #[test]
    fn a_download_the_destination_was_not_sent_is_avoidable() {
        let digest = format!("sha256:{}", "c".repeat(64));
        let source = [
            seen("GET", &format!("/v2/a/blobs/{digest}")),
            seen("GET", &format!("/v2/b/blobs/{digest}")),
        ];
        let put = format!("/v2/m/a/blobs/uploads/1?digest={digest}");
        let mount = format!("/v2/m/b/blobs/uploads/?mount={digest}&from=m/a");
        let destination = [
            seen("POST", "/v2/m/a/blobs/uploads/"),
            seen("PUT", &put),
            seen("POST", &mount),
        ];
        // Sent once, mounted once, downloaded twice: one download was for nothing.
        assert_eq!(Avoidable::of(&source, &destination).downloads_not_sent, 1);
        assert_eq!(Avoidable::of(&source[..1], &destination).downloads_not_sent, 0);
        // A pull writes no upload anywhere: its downloads are the point.
        assert_eq!(Avoidable::of(&source, &[]).downloads_not_sent, 0);
    }

    fn token_request(subject: Option<&str>, scopes: &[&str]) -> TokenRequest {
        TokenRequest {
            method: "GET".parse().expect("a valid method"),
            had_authorization: subject.is_some(),
            account: subject.map(str::to_owned),
            subject: subject.map(str::to_owned),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            grant_type: None,
            status: http::StatusCode::OK,
        }
    }

    #[test]
    fn token_exchanges_repeat_when_the_same_scopes_are_asked_again() {
        let requests = [
            token_request(Some("bench"), &["repository:a:pull"]),
            token_request(Some("bench"), &["repository:a:pull,push"]),
            // The same set in another order is the same set.
            token_request(Some("bench"), &["repository:b:pull", "repository:a:pull"]),
            token_request(Some("bench"), &["repository:a:pull", "repository:b:pull"]),
            token_request(Some("bench"), &["repository:a:pull"]),
            // Another user's exchange is not a repeat of this one's.
            token_request(None, &["repository:a:pull"]),
        ];
        let exchanges = TokenExchanges::of(&requests);
        assert_eq!(
            exchanges,
            TokenExchanges {
                total: 6,
                scope_sets: 4
            }
        );
        assert_eq!(exchanges.repeated(), 2);
        assert_eq!(
            exchanges.to_string(),
            "6 token exchanges for 4 scope sets (2 repeated)"
        );
        assert_eq!(TokenExchanges::of(&requests[..2]).repeated(), 0);
    }
}
