//! Faults and the rules that say which requests get them.

use std::time::Duration;

use hyper::Method;

use super::route::Route;

/// Something the proxy does to a request instead of (or while) passing it on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Pass the request on, send the response headers and the first N body bytes, then drop the
    /// connection. With N = 0 the client may not even get the headers.
    CutBodyAfter(u64),
    /// Pass the request on with only the first N bytes of its body, then drop both connections
    /// without an answer: an upload whose connection broke.
    CutRequestAfter(u64),
    /// Pass the response on, send the headers and the first N body bytes, then send nothing more
    /// while keeping the connection open (a stalled transfer).
    StallBodyAfter(u64),
    /// Drop the request's `Range` header, so the registry answers 200 with the whole body.
    IgnoreRange,
    /// Answer with this status (429, 503, ...) and the registry's JSON error body, with
    /// `Retry-After: SECONDS` when given; the registry never sees the request.
    Status {
        /// The status code.
        status: u16,
        /// The `Retry-After` value in seconds.
        retry_after: Option<u64>,
    },
    /// Answer 401 with the challenge the registry gives an unauthenticated client, marked
    /// `error="invalid_token"` for Bearer (as when a token expired): forces a token refresh.
    Unauthorized,
    /// Answer 307 to a second loopback listener (a stand-in CDN) that serves the same content and
    /// records whether `Authorization` arrived there.
    RedirectToMirror,
    /// Pass the response on with the body byte at this offset flipped.
    CorruptByteAt(u64),
    /// Answer with this status and an error body that never ends: a complete JSON error
    /// (code `DENIED` for 401/403, `UNKNOWN` otherwise) followed by endless whitespace. A
    /// client that caps what it reads of error bodies still gets the code; one that does not
    /// never returns.
    EndlessErrorBody(u16),
    /// Wait this long before passing the request on (a slow server).
    Delay(Duration),
    /// Hold the request until `together` requests with this fault are held at once, or
    /// `at_most` passed; then release every held request and pass all later ones on at once.
    /// [`FaultProxy::most_held`](super::FaultProxy::most_held) tells how many were held at once:
    /// the client's concurrency, seen by counting rather than timing.
    HoldUntil {
        /// How many requests held at once open the gate.
        together: usize,
        /// The longest a request is held.
        at_most: Duration,
    },
    /// Pass the request on and add the rate-limit headers of the IETF draft to the answer:
    /// `RateLimit-Remaining: REMAINING` and `RateLimit-Reset: RESET` (seconds).
    RateLimitHeaders {
        /// Requests left in the window.
        remaining: u64,
        /// Seconds until the window resets.
        reset: u64,
    },
}

/// Which requests a rule applies to; every part given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Match {
    method: Option<Method>,
    route: Option<Route>,
    path_contains: Option<String>,
}

impl Match {
    /// Every request.
    pub fn any() -> Match {
        Match::default()
    }

    /// `GET` of a blob: the usual target of download faults.
    pub fn blob_get() -> Match {
        Match::any().method(Method::GET).route(Route::Blob)
    }

    /// Only requests with this method.
    pub fn method(mut self, method: Method) -> Match {
        self.method = Some(method);
        self
    }

    /// Only requests to this kind of endpoint.
    pub fn route(mut self, route: Route) -> Match {
        self.route = Some(route);
        self
    }

    /// Only requests whose path and query contain `text`.
    pub fn path_contains(mut self, text: &str) -> Match {
        self.path_contains = Some(text.to_owned());
        self
    }

    pub(crate) fn matches(&self, method: &Method, route: Route, path_and_query: &str) -> bool {
        self.method.as_ref().is_none_or(|m| m == method)
            && self.route.is_none_or(|r| r == route)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|t| path_and_query.contains(t))
    }
}

/// A fault for the requests a [`Match`] selects, a limited number of times or always.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    matcher: Match,
    fault: Fault,
    remaining: Option<usize>,
}

impl Rule {
    /// Applies `fault` to every request `matcher` selects.
    pub fn new(matcher: Match, fault: Fault) -> Rule {
        Rule {
            matcher,
            fault,
            remaining: None,
        }
    }

    /// Applies the fault to the first `n` selected requests only.
    pub fn times(mut self, n: usize) -> Rule {
        self.remaining = Some(n);
        self
    }

    /// Takes one use of the rule for this request, if it applies.
    pub(crate) fn take(&mut self, method: &Method, route: Route, path_and_query: &str) -> Option<Fault> {
        if self.remaining == Some(0) || !self.matcher.matches(method, route, path_and_query) {
            return None;
        }
        if let Some(n) = &mut self.remaining {
            *n -= 1;
        }
        Some(self.fault.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_need_every_given_part() {
        let cases = [
            (Match::any(), Method::PUT, "/v2/a/manifests/x", true),
            (Match::blob_get(), Method::GET, "/v2/a/blobs/sha256:1", true),
            (Match::blob_get(), Method::HEAD, "/v2/a/blobs/sha256:1", false),
            (Match::blob_get(), Method::GET, "/v2/a/manifests/sha256:1", false),
            (
                Match::any().path_contains("digest="),
                Method::PUT,
                "/v2/a/blobs/uploads/u?digest=sha256:1",
                true,
            ),
            (
                Match::any().path_contains("digest="),
                Method::PATCH,
                "/v2/a/blobs/uploads/u",
                false,
            ),
        ];
        for (matcher, method, path, expected) in cases {
            let route = Route::of(path.split('?').next().unwrap());
            assert_eq!(
                matcher.matches(&method, route, path),
                expected,
                "{matcher:?} {method} {path}"
            );
        }
    }

    #[test]
    fn limited_rules_run_out() {
        let mut rule = Rule::new(Match::any(), Fault::IgnoreRange).times(2);
        let take = |rule: &mut Rule| rule.take(&Method::GET, Route::Ping, "/v2/");
        assert_eq!(take(&mut rule), Some(Fault::IgnoreRange));
        assert_eq!(take(&mut rule), Some(Fault::IgnoreRange));
        assert_eq!(take(&mut rule), None);
        let mut forever = Rule::new(Match::any(), Fault::Unauthorized);
        assert!((0..10).all(|_| take(&mut forever).is_some()));
    }
}
