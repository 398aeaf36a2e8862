//! Bearer tokens from a token service's answer, and when to renew them.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderValue, StatusCode};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::credential::bearer_header;
use crate::{Error, Secret};

/// The largest token-service body [`Token::from_response`] accepts. Real
/// answers are a few KiB; callers should stop reading past this.
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 1024 * 1024;

/// The shortest lifetime a token is given, whatever `expires_in` says. The token
/// protocol sets this floor so clients do not renew on every request.
pub const MIN_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// The longest a token is renewed before it expires.
const MAX_RENEWAL_MARGIN: Duration = Duration::from_secs(30);

/// The longest message quoted from a token service's error body.
const MAX_MESSAGE_CHARS: usize = 200;

/// A bearer token with its lifetime.
///
/// Expiry is counted from the moment the answer was received on this machine,
/// not from the server's `issued_at`: a client whose clock is off would
/// otherwise think every token already expired (or never expiring).
/// `Debug` shows the times but not the token.
#[derive(Clone)]
pub struct Token {
    value: Secret,
    header: HeaderValue,
    received_at: SystemTime,
    lifetime: Duration,
    issued_at: Option<SystemTime>,
    refresh_token: Option<Secret>,
}

impl Token {
    /// A token with a known lifetime (raised to [`MIN_TOKEN_LIFETIME`]).
    pub fn new(value: Secret, lifetime: Duration, now: SystemTime) -> Result<Self, Error> {
        let header = bearer_header(&value, "token")?;
        Ok(Self {
            value,
            header,
            received_at: now,
            lifetime: lifetime.max(MIN_TOKEN_LIFETIME),
            issued_at: None,
            refresh_token: None,
        })
    }

    /// Reads a token service's answer: `token` or `access_token` (the latter wins
    /// when both are present, as Docker does), `expires_in` in seconds (60 when
    /// missing, never less than 60), `issued_at` (RFC 3339) and `refresh_token`.
    ///
    /// A status other than 2xx gives [`Error::TokenRejected`] with the service's
    /// message when its body has one; `now` is when the answer arrived.
    pub fn from_response(status: StatusCode, body: &[u8], now: SystemTime) -> Result<Self, Error> {
        if body.len() > MAX_TOKEN_RESPONSE_BYTES {
            return Err(Error::TokenResponseTooLarge {
                size: body.len(),
                limit: MAX_TOKEN_RESPONSE_BYTES,
            });
        }
        if !status.is_success() {
            return Err(Error::TokenRejected {
                status,
                message: error_message(body),
            });
        }
        let malformed = |reason: String| Error::MalformedTokenResponse { reason };
        let document: Value = serde_json::from_slice(body)
            .map_err(|e| malformed(format!("not JSON (line {}, column {})", e.line(), e.column())))?;
        let Value::Object(fields) = document else {
            return Err(malformed("not a JSON object".to_owned()));
        };
        let non_empty = |name| string_field(&fields, name).map(|t| t.filter(|t| !t.is_empty()));
        let value = non_empty("access_token")?
            .or(non_empty("token")?)
            .ok_or_else(|| malformed("it has neither `token` nor `access_token`".to_owned()))?;
        let lifetime = match fields.get("expires_in") {
            None | Some(Value::Null) => MIN_TOKEN_LIFETIME,
            Some(Value::Number(n)) => {
                // Whole seconds; negative counts as 0 (then the floor applies), and
                // absurd values are capped so that expiry arithmetic cannot overflow.
                let cap = u64::from(u32::MAX);
                let seconds = n.as_u64().unwrap_or_else(|| {
                    n.as_f64()
                        .filter(|s| s.is_finite() && *s > 0.0)
                        .map_or(0, |s| s.min(cap as f64) as u64)
                });
                Duration::from_secs(seconds.min(cap))
            }
            Some(_) => return Err(malformed("field `expires_in` is not a number".to_owned())),
        };
        let issued_at = string_field(&fields, "issued_at")?
            .map(|text| {
                OffsetDateTime::parse(text, &Rfc3339)
                    .map(SystemTime::from)
                    .map_err(|_| malformed("field `issued_at` is not an RFC 3339 time".to_owned()))
            })
            .transpose()?;
        let refresh_token = string_field(&fields, "refresh_token")?
            .filter(|t| !t.is_empty())
            .map(Secret::new);
        let header = bearer_header(&Secret::new(value), "token service response")?;
        Ok(Self {
            value: Secret::new(value),
            header,
            received_at: now,
            lifetime: lifetime.max(MIN_TOKEN_LIFETIME),
            issued_at,
            refresh_token,
        })
    }

    /// `Authorization: Bearer ...`, marked sensitive.
    pub fn authorization_header(&self) -> HeaderValue {
        self.header.clone()
    }

    /// The token itself.
    pub fn value(&self) -> &Secret {
        &self.value
    }

    /// How long the token lives, counted from [`Token::received_at`].
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// When the answer carrying the token arrived.
    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }

    /// When the token stops being valid.
    pub fn expires_at(&self) -> SystemTime {
        self.received_at + self.lifetime
    }

    /// The server's `issued_at`, for information only.
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.issued_at
    }

    /// The OAuth2 refresh token the service returned (when `access_type=offline`
    /// was asked for): store it as an identity token to log in without a password.
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh_token.as_ref()
    }

    /// Whether the token can still be used at `now` without renewing: it is renewed
    /// a fifth of its lifetime (at most 30 s) before it expires, so a request
    /// started now does not arrive with an expired token.
    pub fn is_fresh(&self, now: SystemTime) -> bool {
        let margin = (self.lifetime / 5).min(MAX_RENEWAL_MARGIN);
        now + margin < self.expires_at()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &self.value)
            .field("received_at", &self.received_at)
            .field("lifetime", &self.lifetime)
            .field("issued_at", &self.issued_at)
            .field("refresh_token", &self.refresh_token)
            .finish()
    }
}

/// A string field; absent and `null` are `None`, any other type is an error.
fn string_field<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Error> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(Error::MalformedTokenResponse {
            reason: format!("field `{name}` is not a string"),
        }),
    }
}

/// The explanation in a token service's error body: registry `errors[]`, OAuth2
/// `error`/`error_description`, or Docker Hub's `details`.
fn error_message(body: &[u8]) -> Option<String> {
    let document: Value = serde_json::from_slice(body).ok()?;
    let text = |v: &Value| {
        v.as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let message = if let Some(first) = document["errors"].get(0) {
        match (text(&first["code"]), text(&first["message"])) {
            (Some(code), Some(message)) => Some(format!("{code}: {message}")),
            (code, message) => message.or(code),
        }
    } else if let Some(error) = text(&document["error"]) {
        Some(match text(&document["error_description"]) {
            Some(description) => format!("{error}: {description}"),
            None => error,
        })
    } else {
        text(&document["details"]).or_else(|| text(&document["message"]))
    }?;
    Some(sanitize(&message))
}

/// Keeps a server's message to one printable line of bounded length.
fn sanitize(message: &str) -> String {
    let mut clean: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    if message.chars().count() > MAX_MESSAGE_CHARS {
        clean.push_str("...");
    }
    clean
}

#[cfg(test)]
mod tests;
