//! Token requests, shaped as `http::Request` values for the caller to send.
//!
//! Two forms exist. The Docker token protocol's GET sends `service`, one
//! `scope` parameter per scope and `account`, with Basic credentials. The OAuth2
//! POST form sends a `password` or `refresh_token` grant in the body; it is
//! used when an identity token is held or the caller prefers it, and servers
//! that do not implement it (GCR answers 404, Artifactory 401, ACR 400, others
//! 405) get the GET form instead, see [`get_fallback`].

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, StatusCode};

use crate::credential::basic_header;
use crate::{BearerChallenge, Credential, Error, ScopeSet, Secret};

/// How to ask for tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenOptions {
    /// Sent as `client_id`; OAuth2 servers require one.
    pub client_id: String,
    /// Ask for a refresh token (`access_type=offline` / `offline_token=true`),
    /// as `login` does to store an identity token instead of a password.
    pub offline_access: bool,
    /// Exchange a username and password with the OAuth2 POST form rather than
    /// the GET form. Identity tokens always use the POST form.
    pub prefer_oauth: bool,
    /// Allow credentials to travel to a token service over plain http. Loopback
    /// addresses, `localhost` and `*.local` hosts are allowed regardless.
    pub allow_plain_http: bool,
}

impl Default for TokenOptions {
    fn default() -> Self {
        Self {
            client_id: concat!("skiff/", env!("CARGO_PKG_VERSION")).to_owned(),
            offline_access: false,
            prefer_oauth: false,
            allow_plain_http: false,
        }
    }
}

/// Builds the request that exchanges `credential` for a token granting `scopes`
/// at the token service `challenge` names.
///
/// The body is empty for GET and `application/x-www-form-urlencoded` for POST;
/// the `Authorization` header, when present, is marked sensitive. A
/// [`Credential::RegistryToken`] needs no exchange and is an error here.
pub fn token_request(
    challenge: &BearerChallenge,
    scopes: &ScopeSet,
    credential: &Credential,
    options: &TokenOptions,
) -> Result<Request<Vec<u8>>, Error> {
    check_transport(challenge, credential, options)?;
    match credential {
        Credential::RegistryToken(_) => Err(Error::NoExchangeForRegistryToken),
        Credential::IdentityToken { token, .. } => {
            post_request(challenge, scopes, options, Grant::RefreshToken(token))
        }
        Credential::Basic { username, password } if options.prefer_oauth => {
            post_request(challenge, scopes, options, Grant::Password { username, password })
        }
        Credential::Basic { username, password } => {
            get_request(challenge, scopes, options, Some((username.as_str(), password)))
        }
        Credential::Anonymous => get_request(challenge, scopes, options, None),
    }
}

/// The GET request to try when the POST form of [`token_request`] was answered
/// with `status` 400, 401, 404 or 405 (servers without OAuth2 support).
///
/// `None` when the first request was already a GET, when the status is not one
/// of those, or when an identity token has no username to send it with (the GET
/// form sends the identity token as the Basic password, as containerd does).
pub fn get_fallback(
    status: StatusCode,
    challenge: &BearerChallenge,
    scopes: &ScopeSet,
    credential: &Credential,
    options: &TokenOptions,
) -> Option<Result<Request<Vec<u8>>, Error>> {
    let falls_back = matches!(
        status,
        StatusCode::BAD_REQUEST
            | StatusCode::UNAUTHORIZED
            | StatusCode::NOT_FOUND
            | StatusCode::METHOD_NOT_ALLOWED
    );
    if !falls_back {
        return None;
    }
    let basic = match credential {
        Credential::Basic { username, password } if options.prefer_oauth => (username.as_str(), password),
        Credential::IdentityToken {
            username: Some(username),
            token,
        } => (username.as_str(), token),
        _ => return None,
    };
    Some(
        check_transport(challenge, credential, options)
            .and_then(|()| get_request(challenge, scopes, options, Some(basic))),
    )
}

enum Grant<'a> {
    Password { username: &'a str, password: &'a Secret },
    RefreshToken(&'a Secret),
}

fn get_request(
    challenge: &BearerChallenge,
    scopes: &ScopeSet,
    options: &TokenOptions,
    basic: Option<(&str, &Secret)>,
) -> Result<Request<Vec<u8>>, Error> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(service) = challenge.service() {
        query.append_pair("service", service);
    }
    for scope in scopes {
        query.append_pair("scope", &scope.to_string());
    }
    if let Some((username, _)) = basic {
        query.append_pair("account", username);
    }
    query.append_pair("client_id", &options.client_id);
    if options.offline_access {
        query.append_pair("offline_token", "true");
    }
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(realm_with_query(challenge, &query.finish())?)
        .header(ACCEPT, "application/json");
    if let Some((username, password)) = basic {
        request = request.header(AUTHORIZATION, basic_header(username, password)?);
    }
    request.body(Vec::new()).map_err(|_| unusable_realm(challenge))
}

fn post_request(
    challenge: &BearerChallenge,
    scopes: &ScopeSet,
    options: &TokenOptions,
    grant: Grant<'_>,
) -> Result<Request<Vec<u8>>, Error> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    match grant {
        Grant::Password { username, password } => {
            form.append_pair("grant_type", "password");
            form.append_pair("username", username);
            form.append_pair("password", password.expose());
        }
        Grant::RefreshToken(token) => {
            form.append_pair("grant_type", "refresh_token");
            form.append_pair("refresh_token", token.expose());
        }
    }
    if let Some(service) = challenge.service() {
        form.append_pair("service", service);
    }
    if !scopes.is_empty() {
        form.append_pair("scope", &scopes.to_string());
    }
    form.append_pair("client_id", &options.client_id);
    if options.offline_access {
        form.append_pair("access_type", "offline");
    }
    Request::builder()
        .method(Method::POST)
        .uri(challenge.realm().clone())
        .header(ACCEPT, "application/json")
        .header(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        )
        .body(form.finish().into_bytes())
        .map_err(|_| unusable_realm(challenge))
}

/// The realm with `query` appended to any query it already has.
fn realm_with_query(challenge: &BearerChallenge, query: &str) -> Result<http::Uri, Error> {
    let realm = challenge.realm().to_string();
    let separator = match challenge.realm().query() {
        None => "?",
        Some("") => "",
        Some(_) => "&",
    };
    format!("{realm}{separator}{query}")
        .parse()
        .map_err(|_| unusable_realm(challenge))
}

fn unusable_realm(challenge: &BearerChallenge) -> Error {
    Error::InvalidRealm {
        realm: challenge.realm().to_string(),
        reason: "a token request cannot be built for it",
    }
}

/// Credentials go over plain http only where the caller allowed it or the token
/// service is on this machine or the local network.
fn check_transport(
    challenge: &BearerChallenge,
    credential: &Credential,
    options: &TokenOptions,
) -> Result<(), Error> {
    let realm = challenge.realm();
    let plain = realm.scheme_str() == Some("http");
    if !plain
        || credential.is_anonymous()
        || options.allow_plain_http
        || realm.host().is_some_and(crate::is_local_host)
    {
        return Ok(());
    }
    Err(Error::InsecureRealm {
        realm: realm.to_string(),
    })
}

#[cfg(test)]
mod tests;
