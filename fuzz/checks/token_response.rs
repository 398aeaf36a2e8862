//! Token service answers (`POST`/`GET` on the realm of a Bearer challenge).
//!
//! The first byte picks the HTTP status, the next four the clock; the rest is
//! the body. Properties: reading never panics, also for huge `expires_in` or
//! far-off `issued_at` values; an accepted token lives at least
//! `MIN_TOKEN_LIFETIME`, expires after it arrived, and makes a header.
//!
//! Shared by the fuzz target and by the corpus replay test of `registry-auth`.

use std::time::{Duration, UNIX_EPOCH};

use http::StatusCode;
use registry_auth::{Token, MIN_TOKEN_LIFETIME};

/// Statuses token services answer with.
const STATUSES: &[u16] = &[200, 201, 204, 299, 301, 400, 401, 403, 404, 429, 500, 503];

/// Checks one input (as the fuzzer gives it: raw bytes) against the properties above;
/// a violation panics.
pub(crate) fn check(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some((clock, body)) = rest.split_first_chunk::<4>() else {
        return;
    };
    let status =
        StatusCode::from_u16(STATUSES[usize::from(selector) % STATUSES.len()]).expect("valid status");
    let now = UNIX_EPOCH + Duration::from_secs(u64::from(u32::from_le_bytes(*clock)));

    let Ok(token) = Token::from_response(status, body, now) else {
        return;
    };
    assert!(status.is_success(), "a token from a {status} answer");
    assert!(
        token.lifetime() >= MIN_TOKEN_LIFETIME,
        "lifetime {:?}",
        token.lifetime()
    );
    assert!(
        token.expires_at() > token.received_at(),
        "expires before it arrived"
    );
    let _ = token.authorization_header();
    let _ = token.issued_at();
    let _ = token.refresh_token();
    let _ = token.is_fresh(now);
}
