//! The whole handshake against an in-memory token service, the way a client
//! drives it: ping challenge, token request, POST-to-GET fallback, cache, and a
//! refresh after the registry rejects the token.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::AUTHORIZATION;
use http::{Method, Request, StatusCode};
use registry_auth::{
    get_fallback, token_request, BearerChallenge, CacheKey, Challenge, Credential, Error, Lookup, Scope,
    ScopeSet, Token, TokenCache, TokenOptions,
};

const PING_CHALLENGE: &str =
    r#"Bearer realm="https://auth.example.com/token",service="registry.example.com""#;

/// A token service like GCR's: no OAuth2 POST (404), Basic `alice:pw` on GET,
/// a numbered token per answer.
struct TokenService {
    issued: u32,
}

impl TokenService {
    fn answer(&mut self, request: &Request<Vec<u8>>) -> (StatusCode, Vec<u8>) {
        if request.method() == Method::POST {
            return (StatusCode::NOT_FOUND, b"404 page not found".to_vec());
        }
        let authorization = request
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.to_str().expect("ascii").to_owned());
        if authorization.as_deref() != Some("Basic YWxpY2U6cHc=") {
            return (
                StatusCode::UNAUTHORIZED,
                br#"{"details":"incorrect username or password"}"#.to_vec(),
            );
        }
        self.issued += 1;
        (
            StatusCode::OK,
            format!(r#"{{"token":"token-{}","expires_in":300}}"#, self.issued).into_bytes(),
        )
    }
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// What a client does to get a token: look up, or exchange and fill the cache.
fn bearer(
    cache: &TokenCache,
    service: &mut TokenService,
    key: &CacheKey,
    credential: &Credential,
) -> Result<Token, Error> {
    match cache.lookup(key, now()) {
        Lookup::Cached(token) => Ok(token),
        Lookup::Wait(_) => panic!("nobody else is fetching in this test"),
        Lookup::Begin(ticket) => {
            let challenges = cache.challenges(key.registry()).expect("pinged before");
            let challenge = BearerChallenge::find(&challenges).expect("bearer")?;
            let mut options = TokenOptions::default();
            options.prefer_oauth = true;
            let request = token_request(&challenge, key.scopes(), credential, &options)?;
            let (mut status, mut body) = service.answer(&request);
            if let Some(fallback) = get_fallback(status, &challenge, key.scopes(), credential, &options) {
                (status, body) = service.answer(&fallback?);
            }
            let token = Token::from_response(status, &body, now())?;
            ticket.complete(token.clone());
            Ok(token)
        }
    }
}

#[test]
fn pull_push_refresh() {
    let cache = TokenCache::new();
    let mut service = TokenService { issued: 0 };
    let credential = Credential::basic("alice", "pw");

    // The ping's challenge is remembered for 401s that come without one.
    cache.remember_challenges(
        "registry.example.com",
        Challenge::parse(PING_CHALLENGE).expect("valid"),
    );

    let pull = CacheKey::new(
        "registry.example.com",
        ScopeSet::from(Scope::pull("app").expect("valid")),
    );
    let token = bearer(&cache, &mut service, &pull, &credential).expect("token");
    assert_eq!(token.authorization_header(), "Bearer token-1");
    // Cached: no second exchange.
    assert_eq!(
        bearer(&cache, &mut service, &pull, &credential)
            .expect("token")
            .value()
            .expose(),
        "token-1"
    );

    // A cross-repository mount needs its own scope set, so its own token.
    let mount: ScopeSet = [
        Scope::push_pull("app").expect("valid"),
        Scope::pull("base").expect("valid"),
    ]
    .into_iter()
    .collect();
    let mount = CacheKey::new("registry.example.com", mount);
    assert_eq!(
        bearer(&cache, &mut service, &mount, &credential)
            .expect("token")
            .value()
            .expose(),
        "token-2"
    );

    // The registry rejects token-1 (expired early, revoked): invalidate and fetch once more.
    let rejection = Challenge::parse(&format!(r#"{PING_CHALLENGE},error="invalid_token""#)).expect("valid");
    let rejection = BearerChallenge::find(&rejection).expect("bearer").expect("valid");
    assert!(rejection.is_invalid_token());
    cache.invalidate(&pull);
    assert_eq!(
        bearer(&cache, &mut service, &pull, &credential)
            .expect("token")
            .value()
            .expose(),
        "token-3"
    );
    assert_eq!(service.issued, 3);
}

#[test]
fn a_wrong_password_is_a_clear_error_without_the_password() {
    let cache = TokenCache::new();
    let mut service = TokenService { issued: 0 };
    cache.remember_challenges(
        "registry.example.com",
        Challenge::parse(PING_CHALLENGE).expect("valid"),
    );
    let key = CacheKey::new(
        "registry.example.com",
        ScopeSet::from(Scope::pull("app").expect("valid")),
    );
    let wrong = Credential::basic("alice", "wrong-password");

    let err = bearer(&cache, &mut service, &key, &wrong).unwrap_err();
    assert!(err.is_unauthorized());
    let message = err.to_string();
    assert_eq!(
        message,
        "token service answered 401 Unauthorized: incorrect username or password"
    );
    assert!(!message.contains("wrong-password"));
    // The failed exchange left nothing behind: the next caller may try again.
    assert!(matches!(cache.lookup(&key, now()), Lookup::Begin(_)));
}
