//! The HTTP side of the token service: reads a GET or an OAuth2 POST, authenticates, grants and
//! answers with a signed token.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::json;

use super::policy::{grant, Access, TokenUser};
use super::{State, TokenRequest, ISSUER, REGISTRY_LEEWAY, SERVICE};
use crate::serve::{full, Body};

/// Token requests are tiny; a larger form is a client bug worth seeing as an error.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// What one request asked for, whichever protocol carried it.
struct Ask {
    account: Option<String>,
    scopes: Vec<String>,
    grant_type: Option<String>,
    wants_refresh_token: bool,
}

/// What a request asked for (when it could be read) and who it authenticated as, or why it gets
/// no token.
type Reading<'s> = (Option<Ask>, Result<Option<&'s TokenUser>, Refusal>);

/// Answers one request to the token service.
pub(crate) async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Body> {
    let method = request.method().clone();
    let had_authorization = request.headers().contains_key(AUTHORIZATION);
    let (ask, outcome) = read(&state, request).await;

    let subject = match &outcome {
        Ok(Some(user)) => Some(user.user().name().to_owned()),
        _ => None,
    };
    let response = match (&ask, outcome) {
        (Some(ask), Ok(user)) => issue(&state, ask, user, method == Method::POST),
        (_, Err(refusal)) => refusal.into_response(),
        (None, Ok(_)) => Refusal::plain(StatusCode::BAD_REQUEST, "nothing asked").into_response(),
    };
    let (account, scopes, grant_type) = match ask {
        Some(ask) => (ask.account, ask.scopes, ask.grant_type),
        None => (None, Vec::new(), None),
    };
    state.log.lock().expect("token log lock").push(TokenRequest {
        method,
        had_authorization,
        account,
        subject,
        scopes,
        grant_type,
        status: response.status(),
    });
    response
}

async fn read(state: &State, request: Request<Incoming>) -> Reading<'_> {
    if request.uri().path() != "/token" {
        return (
            None,
            Err(Refusal::plain(StatusCode::NOT_FOUND, "no such endpoint")),
        );
    }
    match *request.method() {
        Method::GET => read_get(state, &request),
        Method::POST => read_post(state, request).await,
        _ => (
            None,
            Err(Refusal::plain(StatusCode::METHOD_NOT_ALLOWED, "GET or POST only")),
        ),
    }
}

/// The Docker token protocol: query parameters and optional Basic credentials.
fn read_get<'s>(state: &'s State, request: &Request<Incoming>) -> Reading<'s> {
    let params = pairs(request.uri().query().unwrap_or_default().as_bytes());
    let ask = Ask {
        account: first(&params, "account"),
        scopes: params
            .iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v.clone())
            .collect(),
        grant_type: None,
        wants_refresh_token: first(&params, "offline_token").as_deref() == Some("true"),
    };
    let outcome = check_service(&params).and_then(|()| match basic_credentials(request) {
        Some((name, password)) => authenticate(state, &name, &password).map(Some),
        None => Ok(None),
    });
    (Some(ask), outcome)
}

/// The OAuth2 protocol: a form with a password or refresh-token grant.
async fn read_post(state: &State, request: Request<Incoming>) -> Reading<'_> {
    let Ok(body) = Limited::new(request.into_body(), MAX_FORM_BYTES).collect().await else {
        return (
            None,
            Err(Refusal::plain(
                StatusCode::BAD_REQUEST,
                "unreadable or oversized form",
            )),
        );
    };
    let params = pairs(&body.to_bytes());
    let grant_type = first(&params, "grant_type");
    let scopes = first(&params, "scope").unwrap_or_default();
    let ask = Ask {
        account: first(&params, "username"),
        scopes: scopes
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        grant_type: grant_type.clone(),
        wants_refresh_token: first(&params, "access_type").as_deref() == Some("offline"),
    };
    let outcome = check_service(&params).and_then(|()| oauth_user(state, &params, grant_type));
    (Some(ask), outcome)
}

fn issue(state: &State, ask: &Ask, user: Option<&TokenUser>, oauth: bool) -> Response<Body> {
    let access = grant(user, &ask.scopes);
    let subject = user.map(|u| u.user().name().to_owned());
    let token = mint(state, subject.as_deref().unwrap_or_default(), &access);
    state.issued.fetch_add(1, Ordering::SeqCst);

    let lifetime = state.lifetime.as_secs().max(1);
    let issued_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 formatting of now");
    let mut body = if oauth {
        json!({ "access_token": token, "token_type": "Bearer", "expires_in": lifetime,
                "issued_at": issued_at, "scope": ask.scopes.join(" ") })
    } else {
        json!({ "token": token, "access_token": token, "expires_in": lifetime, "issued_at": issued_at })
    };
    if let (true, Some(name)) = (ask.wants_refresh_token, &subject) {
        let refresh = random_hex();
        state
            .refresh_tokens
            .lock()
            .expect("refresh token lock")
            .insert(refresh.clone(), name.clone());
        body["refresh_token"] = json!(refresh);
    }
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "application/json")
        .body(full(body.to_string()))
        .expect("a well-formed response")
}

fn mint(state: &State, subject: &str, access: &[Access]) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    // The registry adds its leeway to `exp`; subtracting it here makes the lifetime exact.
    let exp = (now + state.lifetime.as_secs()).saturating_sub(REGISTRY_LEEWAY.as_secs());
    let access: Vec<_> = access
        .iter()
        .map(|a| json!({ "type": a.resource_type, "name": a.name, "actions": a.actions }))
        .collect();
    let claims = json!({
        "iss": ISSUER, "sub": subject, "aud": SERVICE,
        "exp": exp, "nbf": now, "iat": now, "jti": random_hex(),
        "access": access,
    });
    state.signer.sign(&claims)
}

fn oauth_user<'s>(
    state: &'s State,
    params: &[(String, String)],
    grant_type: Option<String>,
) -> Result<Option<&'s TokenUser>, Refusal> {
    match grant_type.as_deref() {
        Some("password") => {
            let name = first(params, "username").unwrap_or_default();
            let password = first(params, "password").unwrap_or_default();
            authenticate(state, &name, &password).map(Some)
        }
        Some("refresh_token") => {
            let presented = first(params, "refresh_token").unwrap_or_default();
            let owner = state
                .refresh_tokens
                .lock()
                .expect("refresh token lock")
                .get(&presented)
                .cloned();
            owner
                .and_then(|name| state.users.iter().find(|u| u.user().name() == name))
                .map(Some)
                .ok_or(Refusal::OAuth("invalid_grant"))
        }
        _ => Err(Refusal::OAuth("unsupported_grant_type")),
    }
}

fn authenticate<'s>(state: &'s State, name: &str, password: &str) -> Result<&'s TokenUser, Refusal> {
    state
        .users
        .iter()
        .find(|u| u.user().name() == name && u.user().password() == password)
        .ok_or(Refusal::plain(StatusCode::UNAUTHORIZED, "authentication failed"))
}

fn check_service(params: &[(String, String)]) -> Result<(), Refusal> {
    match first(params, "service") {
        Some(service) if service != SERVICE => {
            Err(Refusal::plain(StatusCode::BAD_REQUEST, "unknown service"))
        }
        _ => Ok(()),
    }
}

fn basic_credentials(request: &Request<Incoming>) -> Option<(String, String)> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (name, password) = decoded.split_once(':')?;
    Some((name.to_owned(), password.to_owned()))
}

fn pairs(encoded: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(encoded).into_owned().collect()
}

fn first(params: &[(String, String)], key: &str) -> Option<String> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).expect("system randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a request gets no token.
enum Refusal {
    /// A registry-style error: status and message.
    Plain {
        status: StatusCode,
        message: &'static str,
    },
    /// An OAuth2 error code (`invalid_grant`, ...), answered with 401.
    OAuth(&'static str),
}

impl Refusal {
    fn plain(status: StatusCode, message: &'static str) -> Refusal {
        Refusal::Plain { status, message }
    }

    fn into_response(self) -> Response<Body> {
        let (status, body) = match self {
            Refusal::Plain { status, message } => {
                let code = if status == StatusCode::UNAUTHORIZED {
                    "UNAUTHORIZED"
                } else {
                    "UNSUPPORTED"
                };
                (
                    status,
                    json!({ "errors": [{ "code": code, "message": message }] }),
                )
            }
            Refusal::OAuth(error) => (StatusCode::UNAUTHORIZED, json!({ "error": error })),
        };
        Response::builder()
            .status(status)
            .header(CONTENT_TYPE, "application/json")
            .body(full(body.to_string()))
            .expect("a well-formed response")
    }
}
