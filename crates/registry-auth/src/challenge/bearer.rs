//! The `Bearer` challenge of the Docker token protocol: where to get a token,
//! for which service, and why the last one was refused.

use http::Uri;

use super::Challenge;
use crate::{Error, Scope, ScopeSet};

/// A validated `Bearer` challenge: `realm` (the token service URL), `service`,
/// `scope` and `error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerChallenge {
    realm: Uri,
    service: Option<String>,
    scope: Option<String>,
    error: Option<String>,
}

impl BearerChallenge {
    /// The first `Bearer` challenge among `challenges`, validated; `None` when there is none.
    pub fn find(challenges: &[Challenge]) -> Option<Result<Self, Error>> {
        challenges.iter().find(|c| c.is_bearer()).map(Self::try_from)
    }

    /// The token service URL. Always absolute, `http` or `https`, with a host.
    pub fn realm(&self) -> &Uri {
        &self.realm
    }

    /// The `service` parameter, passed back to the token service as is.
    pub fn service(&self) -> Option<&str> {
        self.service.as_deref()
    }

    /// The `scope` parameter exactly as received (space-separated scopes).
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The scopes the server asked for, parsed. Scopes this crate cannot parse
    /// are left out rather than failing: the server's wording is advice, and
    /// the caller always adds the scopes it knows it needs.
    pub fn requested_scopes(&self) -> ScopeSet {
        self.scope
            .as_deref()
            .unwrap_or_default()
            .split_ascii_whitespace()
            .filter_map(|s| s.parse::<Scope>().ok())
            .collect()
    }

    /// The `error` parameter (RFC 6750), such as `invalid_token` or `insufficient_scope`.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether the server said the token lacks a needed scope: asking again with
    /// the same scopes will not help.
    pub fn is_insufficient_scope(&self) -> bool {
        self.error.as_deref() == Some("insufficient_scope")
    }

    /// Whether the server said the token was expired, revoked or malformed: a fresh
    /// token may help.
    pub fn is_invalid_token(&self) -> bool {
        self.error.as_deref() == Some("invalid_token")
    }
}

impl TryFrom<&Challenge> for BearerChallenge {
    type Error = Error;

    fn try_from(challenge: &Challenge) -> Result<Self, Error> {
        if !challenge.is_bearer() {
            return Err(Error::WrongScheme {
                scheme: challenge.scheme().to_owned(),
                expected: "Bearer",
            });
        }
        let realm = challenge
            .param("realm")
            .ok_or_else(|| Error::MissingChallengeParam {
                scheme: challenge.scheme().to_owned(),
                param: "realm",
            })?;
        Ok(Self {
            realm: parse_realm(realm)?,
            service: challenge.param("service").map(str::to_owned),
            scope: challenge.param("scope").map(str::to_owned),
            error: challenge.param("error").map(str::to_owned),
        })
    }
}

fn parse_realm(realm: &str) -> Result<Uri, Error> {
    let invalid = |reason| Error::InvalidRealm {
        realm: realm.to_owned(),
        reason,
    };
    let uri: Uri = realm.parse().map_err(|_| invalid("not a URL"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(_) => return Err(invalid("the scheme must be http or https")),
        None => return Err(invalid("not an absolute URL")),
    }
    if !uri.host().is_some_and(|host| !host.is_empty()) {
        return Err(invalid("it has no host"));
    }
    Ok(uri)
}
