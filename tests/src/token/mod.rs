//! An in-process token service for the registry's `auth: token` mode: it authenticates users from
//! a table, grants what each asked scope allows, and issues JWTs the registry trusts.
//!
//! It speaks both token protocols clients use: `GET` with `service`, repeated `scope` and
//! `account` plus Basic credentials, and the OAuth2 `POST` form (`grant_type=password` or
//! `refresh_token`, with a refresh token back when `access_type=offline`). Every request is
//! recorded so tests can check when a client fetched or refreshed a token and whether it sent
//! credentials.

mod endpoint;
mod jwt;
mod policy;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::{Method, StatusCode};

pub use jwt::decode_claims;
pub use policy::{Access, TokenUser, ANONYMOUS_PULL_PREFIX};

use crate::htpasswd::User;
use crate::serve::Server;

/// The `service` the registry names in its challenge and expects as the token audience.
pub const SERVICE: &str = "skiff-test-registry";

/// The `iss` of every token, which the registry checks.
pub const ISSUER: &str = "skiff-test-token-service";

/// How long after `exp` distribution 2.8 still accepts a token (its clock-skew leeway). Tokens are
/// issued with `exp` this much earlier than their lifetime, so the registry stops accepting them
/// when the lifetime the test asked for runs out.
const REGISTRY_LEEWAY: Duration = Duration::from_secs(60);

/// One request the token service answered.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `GET` or `POST`.
    pub method: Method,
    /// Whether the request carried an `Authorization` header.
    pub had_authorization: bool,
    /// The `account` parameter (GET) or `username` (POST), if any.
    pub account: Option<String>,
    /// The user the request authenticated as; `None` for anonymous or failed requests.
    pub subject: Option<String>,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The OAuth2 `grant_type` of a POST.
    pub grant_type: Option<String>,
    /// The status the service answered.
    pub status: StatusCode,
}

/// Settings for a [`TokenService`], started with [`TokenServiceBuilder::start`].
#[derive(Debug, Clone)]
pub struct TokenServiceBuilder {
    users: Vec<TokenUser>,
    lifetime: Duration,
}

impl TokenServiceBuilder {
    /// Adds a user.
    pub fn user(mut self, user: TokenUser) -> TokenServiceBuilder {
        self.users.push(user);
        self
    }

    /// How long the registry accepts each token (default 5 minutes). Lifetimes of a few seconds
    /// let tests see tokens expire mid-operation; `expires_in` reports the same figure.
    pub fn lifetime(mut self, lifetime: Duration) -> TokenServiceBuilder {
        self.lifetime = lifetime;
        self
    }

    /// Starts the service on a free loopback port.
    pub fn start(self) -> TokenService {
        let state = Arc::new(State {
            users: self.users,
            lifetime: self.lifetime,
            signer: jwt::Signer::generate(),
            refresh_tokens: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            issued: AtomicUsize::new(0),
        });
        let handler_state = Arc::clone(&state);
        let server = Server::start(move |request| endpoint::handle(Arc::clone(&handler_state), request));
        TokenService {
            inner: Arc::new(Inner { server, state }),
        }
    }
}

/// A running token service; clones share it, and it stops when the last clone is dropped.
#[derive(Clone)]
pub struct TokenService {
    inner: Arc<Inner>,
}

struct Inner {
    server: Server,
    state: Arc<State>,
}

/// What the request handler shares with the [`TokenService`] handle.
pub(crate) struct State {
    users: Vec<TokenUser>,
    lifetime: Duration,
    signer: jwt::Signer,
    /// Refresh token -> user name.
    refresh_tokens: Mutex<HashMap<String, String>>,
    log: Mutex<Vec<TokenRequest>>,
    issued: AtomicUsize,
}

impl TokenService {
    /// Settings with no users and a 5-minute lifetime.
    pub fn builder() -> TokenServiceBuilder {
        TokenServiceBuilder {
            users: Vec::new(),
            lifetime: Duration::from_secs(300),
        }
    }

    /// The token endpoint, `http://127.0.0.1:PORT/token`: the registry's `realm`.
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.inner.server.addr())
    }

    /// The certificate (PEM) that signs the tokens: the registry's `rootcertbundle`.
    pub fn root_cert_pem(&self) -> &str {
        self.inner.state.signer.cert_pem()
    }

    /// How long each token is accepted.
    pub fn lifetime(&self) -> Duration {
        self.inner.state.lifetime
    }

    /// The users it knows, in the order they were added.
    pub fn users(&self) -> Vec<User> {
        self.inner.state.users.iter().map(|u| u.user().clone()).collect()
    }

    /// How many tokens were issued so far (refreshes included).
    pub fn tokens_issued(&self) -> usize {
        self.inner.state.issued.load(Ordering::SeqCst)
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.inner.state.log.lock().expect("token log lock").clone()
    }
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("realm", &self.realm())
            .finish_non_exhaustive()
    }
}
