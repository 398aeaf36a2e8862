//! How many HTTP requests a client has sent, per method, so a command can report its cost.

use std::sync::atomic::{AtomicU64, Ordering};

use http::Method;

/// Live counters shared by every clone of a client.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    get: AtomicU64,
    head: AtomicU64,
    put: AtomicU64,
    post: AtomicU64,
    patch: AtomicU64,
    delete: AtomicU64,
    other: AtomicU64,
    rate_limit_waits: AtomicU64,
}

impl Counters {
    /// Counts one wait for a registry's rate limit (a `429`, or `RateLimit-Remaining: 0`).
    pub(crate) fn record_rate_limit_wait(&self) {
        self.rate_limit_waits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one request that was handed to the transport.
    pub(crate) fn record(&self, method: &Method) {
        let counter = match *method {
            Method::GET => &self.get,
            Method::HEAD => &self.head,
            Method::PUT => &self.put,
            Method::POST => &self.post,
            Method::PATCH => &self.patch,
            Method::DELETE => &self.delete,
            _ => &self.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RequestCounts {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RequestCounts {
            get: load(&self.get),
            head: load(&self.head),
            put: load(&self.put),
            post: load(&self.post),
            patch: load(&self.patch),
            delete: load(&self.delete),
            other: load(&self.other),
            rate_limit_waits: load(&self.rate_limit_waits),
        }
    }
}

/// A snapshot of the requests sent so far: every attempt counts, including pings, token
/// requests, retries and redirect hops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// `GET` requests.
    pub get: u64,
    /// `HEAD` requests.
    pub head: u64,
    /// `PUT` requests.
    pub put: u64,
    /// `POST` requests.
    pub post: u64,
    /// `PATCH` requests.
    pub patch: u64,
    /// `DELETE` requests.
    pub delete: u64,
    /// Requests with any other method.
    pub other: u64,
    /// Times the client held requests back for a registry's rate limit (a `429` it waited
    /// out, a `RateLimit-Remaining: 0` it paused for); not requests, so not in the total.
    pub rate_limit_waits: u64,
}

impl RequestCounts {
    /// All requests together.
    pub fn total(&self) -> u64 {
        self.get + self.head + self.put + self.post + self.patch + self.delete + self.other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_method() {
        let counters = Counters::default();
        for method in [
            Method::GET,
            Method::GET,
            Method::HEAD,
            Method::PATCH,
            Method::OPTIONS,
        ] {
            counters.record(&method);
        }
        let counts = counters.snapshot();
        assert_eq!(
            (counts.get, counts.head, counts.patch, counts.other),
            (2, 1, 1, 1)
        );
        assert_eq!(counts.total(), 5);
    }
}
