//! Credentials on the wire: the registry's challenge decides between none, Basic and a Bearer
//! token for the scopes a request needs.
//!
//! Tokens are cached per registry and scope set in `registry_auth`'s [`TokenCache`], which
//! lets concurrent requests needing the same token wait for one exchange instead of each
//! starting their own; on a 401 the rejected token is replaced once, and a request that finds
//! the entry already refreshed by another simply uses the new token.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use http::header::HeaderValue;
use http::{HeaderMap, Method, StatusCode};
use registry_auth::{
    get_fallback, token_request, BearerChallenge, CacheKey, Challenge, Credential, Lookup, Scope, ScopeSet,
    Token, TokenCache, TokenOptions,
};

use crate::dispatch::{Dispatcher, Prepared};
use crate::endpoint::InsecureHosts;
use crate::error::Error;

/// Token service answers are read up to this size.
const TOKEN_BODY_LIMIT: u64 = 1024 * 1024;

/// Where the client gets the credentials for a registry.
pub trait CredentialSource: Send + Sync + fmt::Debug {
    /// The credentials for `registry` (the host the user named, e.g. `docker.io` or
    /// `localhost:5000`); [`Credential::Anonymous`] when there are none.
    fn credential(&self, registry: &str) -> Credential;
}

/// A fixed set of credentials per registry host; `Debug` never shows secrets.
#[derive(Debug, Clone, Default)]
pub struct StaticCredentials {
    by_registry: HashMap<String, Credential>,
}

impl StaticCredentials {
    /// No credentials for any registry.
    pub fn new() -> StaticCredentials {
        StaticCredentials::default()
    }

    /// Adds the credentials for `registry`.
    pub fn with(mut self, registry: &str, credential: Credential) -> StaticCredentials {
        self.by_registry.insert(registry.to_owned(), credential);
        self
    }
}

impl CredentialSource for StaticCredentials {
    fn credential(&self, registry: &str) -> Credential {
        self.by_registry.get(registry).cloned().unwrap_or_default()
    }
}

/// The access a request needs, turned into token scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read a repository.
    Pull(String),
    /// Read and write a repository.
    Push(String),
    /// Write `to` while reading `from` (cross-repository mount).
    Mount { to: String, from: String },
    /// Delete from a repository.
    Delete(String),
    /// List the registry's repositories.
    Catalog,
}

impl Access {
    fn scopes(&self) -> Result<ScopeSet, registry_auth::Error> {
        let set = ScopeSet::new();
        Ok(match self {
            Access::Pull(repository) => set.with(Scope::pull(repository)?),
            Access::Push(repository) => set.with(Scope::push_pull(repository)?),
            Access::Mount { to, from } => set.with(Scope::push_pull(to)?).with(Scope::pull(from)?),
            Access::Delete(repository) => set.with(Scope::repository(
                repository,
                [registry_auth::Action::PULL, registry_auth::Action::DELETE],
            )?),
            Access::Catalog => set.with(Scope::catalog()),
        })
    }
}

/// What a token exchange needs of the client: the dispatcher that sends every request (its
/// redirect, retry and timeout policy apply to token requests too), and the hosts the user
/// marked insecure (a realm on one of them may be plain http or unverified https).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenRoute<'a> {
    pub(crate) dispatcher: &'a Dispatcher,
    pub(crate) insecure_hosts: &'a InsecureHosts,
}

impl TokenRoute<'_> {
    /// Sends a token request, prepared outside the registry's auth flow; returns the status
    /// and the body, read up to [`TOKEN_BODY_LIMIT`].
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        verify_tls: bool,
    ) -> Result<(StatusCode, bytes::Bytes), Error> {
        let (parts, body) = request.into_parts();
        let mut prepared = Prepared::new(parts.method, parts.uri, verify_tls);
        prepared.headers = parts.headers;
        // The request that needs the token may hold slots (an upload opened beside the download
        // it streams), and the token cache shares one exchange per scope: it takes none (see
        // `crate::dispatch`).
        prepared.takes_slot = false;
        if !body.is_empty() || prepared.method == Method::POST {
            // A token form holds a password, refresh or identity token: it stays with the realm.
            prepared.body_holds_credentials = !body.is_empty();
            prepared.body = crate::transport::RequestBody::full(body);
        }
        let response = self.dispatcher.send(prepared).await?;
        let status = response.status();
        let body = response.into_body().bytes(TOKEN_BODY_LIMIT).await?;
        Ok((status, body))
    }
}

/// Credentials and cached tokens of one client.
pub(crate) struct Auth {
    source: Option<Arc<dyn CredentialSource>>,
    tokens: TokenCache,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Auth {
    pub(crate) fn new(source: Option<Arc<dyn CredentialSource>>) -> Auth {
        Auth {
            source,
            tokens: TokenCache::new(),
        }
    }

    fn credential(&self, registry: &str) -> Credential {
        self.source
            .as_ref()
            .map(|s| s.credential(registry))
            .unwrap_or_default()
    }

    /// The `Authorization` value for a request to `host` needing `access` under `challenge`
    /// (the `WWW-Authenticate` headers of the ping or of a 401), or `None` when
    /// the registry is open or nothing better than anonymous access is possible.
    ///
    /// `rejected` is the value a 401 just refused: a cached token equal to it is replaced.
    pub(crate) async fn authorization(
        &self,
        route: TokenRoute<'_>,
        registry: &str,
        host: &str,
        challenge: &HeaderMap,
        access: &Access,
        rejected: Option<&HeaderValue>,
    ) -> Result<Option<HeaderValue>, Error> {
        if challenge.is_empty() {
            return Ok(None);
        }
        let auth_error = |source| Error::Auth {
            registry: registry.to_owned(),
            source,
        };
        let credential = self.credential(registry);
        if let Some(header) = credential.registry_token_header() {
            return header.map(Some).map_err(auth_error);
        }
        let challenges = Challenge::from_headers(challenge).map_err(auth_error)?;
        if let Some(bearer) = BearerChallenge::find(&challenges) {
            let bearer = bearer.map_err(auth_error)?;
            let scopes = access.scopes().map_err(auth_error)?;
            let token = self
                .token(route, registry, host, &bearer, &scopes, &credential, rejected)
                .await?;
            return Ok(Some(token));
        }
        if challenges.iter().any(Challenge::is_basic) {
            return credential
                .basic_authorization_header()
                .transpose()
                .map_err(auth_error);
        }
        let challenge = challenges
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        Err(Error::UnsupportedChallenge {
            registry: registry.to_owned(),
            challenge,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn token(
        &self,
        route: TokenRoute<'_>,
        registry: &str,
        host: &str,
        challenge: &BearerChallenge,
        scopes: &ScopeSet,
        credential: &Credential,
        rejected: Option<&HeaderValue>,
    ) -> Result<HeaderValue, Error> {
        let key = CacheKey::new(host, scopes.clone());
        loop {
            match self.tokens.lookup(&key, SystemTime::now()) {
                Lookup::Cached(token) => {
                    let header = token.authorization_header();
                    if rejected.is_some_and(|r| *r == header) {
                        // The registry refused this very token: fetch a new one. A token
                        // another request already refreshed is different and is used as is.
                        self.tokens.invalidate(&key);
                        continue;
                    }
                    return Ok(header);
                }
                Lookup::Begin(ticket) => {
                    // On failure the ticket is dropped and a waiting request tries itself.
                    let token = self
                        .exchange(route, registry, challenge, scopes, credential)
                        .await?;
                    let header = token.authorization_header();
                    ticket.complete(token);
                    return Ok(header);
                }
                Lookup::Wait(waiter) => waiter.await,
            }
        }
    }

    async fn exchange(
        &self,
        route: TokenRoute<'_>,
        registry: &str,
        challenge: &BearerChallenge,
        scopes: &ScopeSet,
        credential: &Credential,
    ) -> Result<Token, Error> {
        let auth_error = |source| Error::Auth {
            registry: registry.to_owned(),
            source,
        };
        let realm_host = challenge
            .realm()
            .authority()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        let insecure = route.insecure_hosts.contains(registry) || route.insecure_hosts.contains(&realm_host);
        let mut options = TokenOptions::default();
        options.allow_plain_http = insecure;
        let request = token_request(challenge, scopes, credential, &options).map_err(auth_error)?;
        let (status, body) = route.send(request, !insecure).await?;
        if let Some(fallback) = get_fallback(status, challenge, scopes, credential, &options) {
            let request = fallback.map_err(auth_error)?;
            let (status, body) = route.send(request, !insecure).await?;
            return Token::from_response(status, &body, SystemTime::now()).map_err(auth_error);
        }
        Token::from_response(status, &body, SystemTime::now()).map_err(auth_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stable cache key for a scope set: its scopes, sorted.
    fn scope_key(scopes: &ScopeSet) -> String {
        let mut parts: Vec<String> = scopes.iter().map(ToString::to_string).collect();
        parts.sort();
        parts.join(" ")
    }

    #[test]
    fn access_becomes_scopes() {
        let cases = [
            (Access::Pull("a/b".into()), "repository:a/b:pull"),
            (Access::Push("a".into()), "repository:a:pull,push"),
            (
                Access::Mount {
                    to: "a".into(),
                    from: "b".into(),
                },
                "repository:a:pull,push repository:b:pull",
            ),
            (Access::Delete("a".into()), "repository:a:delete,pull"),
            (Access::Catalog, "registry:catalog:*"),
        ];
        for (access, expected) in cases {
            assert_eq!(scope_key(&access.scopes().unwrap()), expected, "{access:?}");
        }
    }

    #[test]
    fn static_credentials_default_to_anonymous() {
        let source = StaticCredentials::new().with("r.example", Credential::basic("u", "p"));
        assert_eq!(source.credential("r.example").username(), Some("u"));
        assert!(source.credential("other.example").is_anonymous());
        assert!(!format!("{source:?}").contains("\"p\""));
    }
}
