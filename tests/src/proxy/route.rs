//! Which part of the distribution API a request path addresses, for matching faults and counting.

/// A kind of registry endpoint, told from the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `/v2/`.
    Ping,
    /// `/v2/_catalog`.
    Catalog,
    /// `/v2/NAME/tags/list`.
    Tags,
    /// `/v2/NAME/manifests/REFERENCE`.
    Manifest,
    /// `/v2/NAME/blobs/DIGEST`.
    Blob,
    /// `/v2/NAME/blobs/uploads/...`.
    Upload,
    /// `/v2/NAME/referrers/DIGEST`.
    Referrers,
    /// Anything else.
    Other,
}

impl Route {
    /// The route of `path` (without the query string).
    pub fn of(path: &str) -> Route {
        let Some(rest) = path.strip_prefix("/v2") else {
            return Route::Other;
        };
        // Repository names may contain the words below; the API's keywords are the last segments.
        match rest {
            "" | "/" => Route::Ping,
            "/_catalog" => Route::Catalog,
            _ if rest.ends_with("/tags/list") => Route::Tags,
            _ if rest.contains("/blobs/uploads") => Route::Upload,
            _ if has_keyword_before_last(rest, "manifests") => Route::Manifest,
            _ if has_keyword_before_last(rest, "blobs") => Route::Blob,
            _ if has_keyword_before_last(rest, "referrers") => Route::Referrers,
            _ => Route::Other,
        }
    }
}

/// Whether the second-to-last segment of `path` is `keyword` (`.../KEYWORD/LAST`).
fn has_keyword_before_last(path: &str, keyword: &str) -> bool {
    let mut segments = path.rsplit('/');
    let last = segments.next();
    last.is_some_and(|l| !l.is_empty()) && segments.next() == Some(keyword)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_routes() {
        let cases = [
            ("/v2/", Route::Ping),
            ("/v2", Route::Ping),
            ("/v2/_catalog", Route::Catalog),
            ("/v2/a/b/tags/list", Route::Tags),
            ("/v2/a/manifests/latest", Route::Manifest),
            ("/v2/manifests/manifests/sha256:abc", Route::Manifest),
            ("/v2/a/blobs/sha256:abc", Route::Blob),
            ("/v2/blobs/x/blobs/sha256:abc", Route::Blob),
            ("/v2/a/blobs/uploads/", Route::Upload),
            ("/v2/a/blobs/uploads/3f1c-uuid", Route::Upload),
            ("/v2/a/referrers/sha256:abc", Route::Referrers),
            ("/v2/a/manifests/", Route::Other),
            ("/token", Route::Other),
            ("/", Route::Other),
        ];
        for (path, route) in cases {
            assert_eq!(Route::of(path), route, "{path}");
        }
    }
}
