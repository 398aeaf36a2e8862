//! When and how long to wait before repeating a request.
//!
//! Only requests that are safe to repeat are retried (idempotent method, body that can be sent
//! again); uploads recover by resuming or restarting instead. The wait grows exponentially up to
//! a cap, with jitter so many clients hit by the same outage do not return in lockstep, and a
//! server's `Retry-After` is honoured when it asks for longer.
//!
//! Rate limits are not failures: a `429` is waited out (its `Retry-After`, else the backoff) as
//! often as it comes, for any request whose body can be sent again (the server refused it
//! unprocessed), until the request has spent the rate-limit deadline waiting; and a response
//! saying `RateLimit-Remaining: 0` makes the client hold back that registry's requests until the
//! limit resets (`RateLimit-Reset`, else `Retry-After`, else a second).

use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};

/// How often and how patiently requests are repeated after transient failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
    rate_limit_deadline: Duration,
}

impl Default for RetryPolicy {
    /// Four retries, starting at 200 ms and doubling to at most 10 s; a `Retry-After` of up to
    /// 60 s is waited out, a longer one ends the attempt; a request is held back by rate limits
    /// for at most 5 minutes in all.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 4,
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            rate_limit_deadline: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// At most `max_retries` repetitions after the first attempt.
    pub fn with_max_retries(mut self, max_retries: u32) -> RetryPolicy {
        self.max_retries = max_retries;
        self
    }

    /// The first wait, doubled after each retry up to `max_delay`.
    pub fn with_delays(mut self, initial_delay: Duration, max_delay: Duration) -> RetryPolicy {
        self.initial_delay = initial_delay;
        self.max_delay = max_delay.max(initial_delay);
        self
    }

    /// The longest `Retry-After` the client waits out; a longer one is reported as the error.
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> RetryPolicy {
        self.max_retry_after = max_retry_after;
        self
    }

    /// The longest one request waits for rate limits in all (`429` answers and
    /// `RateLimit-Remaining: 0` pauses together); past it, the `429` is the error.
    pub fn with_rate_limit_deadline(mut self, deadline: Duration) -> RetryPolicy {
        self.rate_limit_deadline = deadline;
        self
    }

    /// See [`RetryPolicy::with_max_retry_after`].
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// See [`RetryPolicy::with_rate_limit_deadline`].
    pub fn rate_limit_deadline(&self) -> Duration {
        self.rate_limit_deadline
    }

    /// How many retries are allowed.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The backoff before retry number `retry` (0-based): exponential, capped, with jitter
    /// drawn from the upper half of the interval.
    pub fn backoff(&self, retry: u32) -> Duration {
        let full = self
            .initial_delay
            .saturating_mul(2u32.saturating_pow(retry.min(31)))
            .min(self.max_delay);
        let half = full / 2;
        let jitter_nanos = fastrand::u64(0..=half.as_nanos().min(u64::MAX as u128) as u64);
        half + Duration::from_nanos(jitter_nanos)
    }

    /// The wait before retry number `retry` after a response, or `None` when the server asked
    /// for longer than this policy waits.
    pub(crate) fn wait_after(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        let backoff = self.backoff(retry);
        match retry_after {
            Some(asked) if asked > self.max_retry_after => None,
            Some(asked) => Some(asked.max(backoff)),
            None => Some(backoff),
        }
    }
}

impl RetryPolicy {
    /// The wait before trying again after rate-limit answer number `attempt` (0-based) that
    /// asked for `retry_after`, when the request has already waited `waited` for rate limits;
    /// `None` when the server asked for longer than this policy waits at once, or the wait
    /// would pass the rate-limit deadline.
    pub(crate) fn rate_limit_wait(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        waited: Duration,
    ) -> Option<Duration> {
        let wait = self.wait_after(attempt, retry_after)?;
        (waited + wait <= self.rate_limit_deadline).then_some(wait)
    }
}

/// How long a response asks the client to leave its registry alone: when it says
/// `RateLimit-Remaining: 0` (the IETF draft's header, which Docker Hub sends as `N;w=WINDOW`),
/// until `RateLimit-Reset` (delta-seconds), else `Retry-After`, else one second; `None` while
/// requests remain.
pub(crate) fn rate_limit_pause(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let leading_number = |name: &str| -> Option<u64> {
        let value = headers.get(name)?.to_str().ok()?;
        value.split([';', ',']).next()?.trim().parse().ok()
    };
    if leading_number("ratelimit-remaining")? != 0 {
        return None;
    }
    let reset = leading_number("ratelimit-reset").map(Duration::from_secs);
    Some(
        reset
            .or_else(|| retry_after(headers, now))
            .unwrap_or(Duration::from_secs(1)),
    )
}

/// Whether a request with this method may be sent twice without changing the outcome.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Whether a response status signals a transient condition worth retrying.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// The `Retry-After` header as a duration from `now`: delta-seconds or an HTTP date (a date in
/// the past means "now"). Malformed values are ignored.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_bounds() {
        let policy = RetryPolicy::default().with_delays(Duration::from_millis(100), Duration::from_secs(1));
        let ceilings = [100, 200, 400, 800, 1000, 1000, 1000];
        for (retry, ceiling) in ceilings.into_iter().enumerate() {
            let ceiling = Duration::from_millis(ceiling);
            for _ in 0..200 {
                let wait = policy.backoff(retry as u32);
                assert!(wait >= ceiling / 2 && wait <= ceiling, "retry {retry}: {wait:?}");
            }
        }
        // Huge retry counts saturate instead of overflowing.
        assert!(policy.backoff(u32::MAX) <= Duration::from_secs(1));
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::default()
            .with_delays(Duration::from_millis(10), Duration::from_millis(10))
            .with_max_retry_after(Duration::from_secs(5));
        assert_eq!(
            policy.wait_after(0, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.wait_after(0, Some(Duration::from_secs(6))), None);
        let plain = policy.wait_after(0, None).unwrap();
        assert!(plain <= Duration::from_millis(10));
        // A Retry-After shorter than the backoff does not shorten it.
        let short = policy.wait_after(0, Some(Duration::ZERO)).unwrap();
        assert!(short >= Duration::from_millis(5));
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let cases = [
            ("120", Some(Duration::from_secs(120))),
            (" 0 ", Some(Duration::ZERO)),
            ("Wed, 21 Oct 2015 07:28:30 GMT", Some(Duration::from_secs(30))),
            ("Wed, 21 Oct 2015 07:27:00 GMT", Some(Duration::ZERO)),
            ("-5", None),
            ("soon", None),
            ("", None),
        ];
        for (value, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(http::header::RETRY_AFTER, value.parse().unwrap());
            assert_eq!(retry_after(&headers, now), expected, "{value:?}");
        }
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn rate_limits_are_waited_out_until_the_deadline() {
        let policy = RetryPolicy::default()
            .with_delays(Duration::from_millis(10), Duration::from_millis(10))
            .with_max_retry_after(Duration::from_secs(5))
            .with_rate_limit_deadline(Duration::from_secs(6));
        let second = Some(Duration::from_secs(1));
        assert_eq!(
            policy.rate_limit_wait(0, second, Duration::ZERO),
            Some(Duration::from_secs(1))
        );
        // However many times it comes, as long as the deadline allows.
        assert_eq!(
            policy.rate_limit_wait(40, second, Duration::from_secs(5)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(policy.rate_limit_wait(41, second, Duration::from_secs(6)), None);
        assert_eq!(
            policy.rate_limit_wait(0, Some(Duration::from_secs(9)), Duration::ZERO),
            None
        );
    }

    #[test]
    fn remaining_zero_pauses_until_the_reset() {
        let now = SystemTime::UNIX_EPOCH;
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, value.parse().unwrap());
            }
            headers
        };
        let cases = [
            (vec![("ratelimit-remaining", "5")], None),
            (
                vec![("ratelimit-remaining", "0"), ("ratelimit-reset", "7")],
                Some(7),
            ),
            (vec![("ratelimit-remaining", "0;w=21600")], Some(1)),
            (vec![("ratelimit-remaining", "0"), ("retry-after", "3")], Some(3)),
            (vec![("ratelimit-remaining", "x")], None),
            (vec![], None),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                rate_limit_pause(&headers(&pairs), now),
                expected.map(Duration::from_secs),
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn only_transient_statuses_and_safe_methods_retry() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(
                is_retryable_status(StatusCode::from_u16(status).unwrap()),
                "{status}"
            );
        }
        for status in [200, 202, 400, 401, 403, 404, 416, 501, 505] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(status).unwrap()),
                "{status}"
            );
        }
        for method in [Method::GET, Method::HEAD, Method::PUT, Method::DELETE] {
            assert!(is_idempotent(&method), "{method}");
        }
        for method in [Method::POST, Method::PATCH] {
            assert!(!is_idempotent(&method), "{method}");
        }
    }
}
