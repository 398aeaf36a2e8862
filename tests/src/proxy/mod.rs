//! The fault proxy: an in-process loopback proxy in front of a real registry that passes requests
//! on, except those a [`Rule`] selects, which get a [`Fault`]: a download or upload cut short, a
//! stalled body, an ignored `Range`, a 429/503 with `Retry-After`, rate-limit headers, a 401 that
//! forces a token refresh, a redirect to a second listener, a corrupted byte, or a delay. A
//! [`Latency`] set on the proxy delays every request and every answer on top of that: a far
//! registry. Each request is recorded with when it arrived and when its answer left, so a run's
//! timeline (what was in flight at once, which round trips waited on which) can be read back.
//!
//! Clients talk to [`FaultProxy::addr`] as if it were the registry; the registry sees the
//! proxy's address in `Host`, so the upload URLs it hands out lead back through the proxy. The
//! proxy can also speak https in front of a plain-http registry ([`FaultProxy::start_tls`]).

mod body;
mod forward;
mod latency;
mod mirror;
mod referrers;
mod route;
mod rules;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_TYPE, HOST, LOCATION, RANGE, RETRY_AFTER,
    WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;

pub use latency::Latency;
pub use mirror::MirrorHit;
pub use route::Route;
pub use rules::{Fault, Match, Rule};

use body::{EndlessBody, FaultyBody};
use forward::forward;
use mirror::Mirror;

use crate::pki::TlsFiles;
use crate::registry::Registry;
use crate::serve::{full, Body, DropConnection, Server};

/// One request the proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// The method.
    pub method: Method,
    /// Path and query as the client sent them.
    pub path: String,
    /// The endpoint kind.
    pub route: Route,
    /// Whether it carried `Authorization`.
    pub had_authorization: bool,
    /// The fault applied to it, if any.
    pub fault: Option<Fault>,
    /// When it arrived, since the proxy started (before any delay).
    pub arrived: Duration,
    /// When its answer's headers left for the client, since the proxy started (after every
    /// delay); `None` while it is in flight and for a connection dropped without an answer.
    pub answered: Option<Duration>,
}

/// A running fault proxy; stops (with its mirror) on drop.
pub struct FaultProxy {
    server: Server,
    state: Arc<ProxyState>,
    /// The directory holding the TLS files, and the files, when the proxy speaks https.
    tls: Option<(tempfile::TempDir, TlsFiles)>,
}

struct ProxyState {
    upstream: String,
    /// Whether clients reach the proxy over https (the registry behind it is told so).
    front_is_tls: bool,
    rules: Mutex<Vec<Rule>>,
    seen: Mutex<Vec<SeenRequest>>,
    mirror: Mirror,
    /// Whether the proxy plays the OCI 1.1 referrers API (see [`FaultProxy::start_with_referrers_api`]).
    referrers_api: bool,
    /// The gate of [`Fault::HoldUntil`].
    gate: Gate,
    /// The delays added to every request and answer.
    latency: Mutex<Latency>,
    /// What [`SeenRequest::arrived`] and [`SeenRequest::answered`] count from.
    started: Instant,
}

/// Requests held by [`Fault::HoldUntil`] until enough are held at once.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    opened: tokio::sync::Notify,
}

#[derive(Default)]
struct GateState {
    held: usize,
    most_held: usize,
    open: bool,
}

impl Gate {
    /// Holds one request until `together` are held or `at_most` passed; the gate then stays
    /// open.
    async fn hold(&self, together: usize, at_most: Duration) {
        let opened = self.opened.notified();
        tokio::pin!(opened);
        // Registered before the state is read, so an opening in between is not missed.
        opened.as_mut().enable();
        let wait = {
            let mut state = self.state.lock().expect("gate lock");
            if state.open {
                return;
            }
            state.held += 1;
            state.most_held = state.most_held.max(state.held);
            state.held < together
        };
        if wait {
            let _ = tokio::time::timeout(at_most, opened).await;
        }
        let mut state = self.state.lock().expect("gate lock");
        state.open = true;
        state.held -= 1;
        drop(state);
        self.opened.notify_waiters();
    }
}

impl FaultProxy {
    /// Starts a proxy (and its mirror) in front of `registry`, which must speak plain http.
    pub fn start(registry: &Registry) -> FaultProxy {
        FaultProxy::launch(registry, None, false)
    }

    /// Like [`FaultProxy::start`], and the proxy also plays the OCI 1.1 referrers API from the
    /// registry's own data (distribution 2.8 has none): `GET /v2/NAME/referrers/DIGEST` answers
    /// the subject's fallback-tag index, and a manifest `PUT` with a `subject` updates that index
    /// and is answered with `OCI-Subject`.
    pub fn start_with_referrers_api(registry: &Registry) -> FaultProxy {
        FaultProxy::launch(registry, None, true)
    }

    /// Like [`FaultProxy::start`], but the proxy speaks https with a certificate from a fresh test
    /// CA (see [`FaultProxy::tls`]), while its mirror stays plain http: a redirect to the mirror is
    /// then an https-to-http downgrade.
    pub fn start_tls(registry: &Registry) -> FaultProxy {
        let dir = tempfile::Builder::new()
            .prefix("proxy-tls-")
            .tempdir()
            .expect("temp dir for TLS files");
        let files = TlsFiles::generate(dir.path());
        FaultProxy::launch(registry, Some((dir, files)), false)
    }

    fn launch(
        registry: &Registry,
        tls: Option<(tempfile::TempDir, TlsFiles)>,
        referrers_api: bool,
    ) -> FaultProxy {
        assert_eq!(
            registry.scheme(),
            "http",
            "the fault proxy forwards to plain-http registries only"
        );
        let upstream = registry.addr();
        let state = Arc::new(ProxyState {
            upstream: upstream.to_owned(),
            front_is_tls: tls.is_some(),
            rules: Mutex::new(Vec::new()),
            seen: Mutex::new(Vec::new()),
            mirror: Mirror::start(upstream),
            referrers_api,
            gate: Gate::default(),
            latency: Mutex::new(Latency::default()),
            started: Instant::now(),
        });
        let handler_state = Arc::clone(&state);
        let acceptor = tls.as_ref().map(|(_, files)| files.acceptor());
        let server = Server::start_droppable(acceptor, move |request| {
            handle(Arc::clone(&handler_state), request)
        });
        FaultProxy { server, state, tls }
    }

    /// `127.0.0.1:PORT`: use it where the registry's address would go.
    pub fn addr(&self) -> String {
        self.server.addr().to_string()
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// `SCHEME://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme(), self.server.addr())
    }

    /// The CA and certificate files of a proxy started with [`FaultProxy::start_tls`].
    pub fn tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref().map(|(_, files)| files)
    }

    /// `127.0.0.1:PORT/NAME`: an image reference that goes through the proxy.
    pub fn reference(&self, name: &str) -> String {
        format!("{}/{name}", self.server.addr())
    }

    /// Adds a rule after the existing ones; the first rule that applies to a request wins.
    pub fn add(&self, rule: Rule) {
        self.state.rules.lock().expect("rules lock").push(rule);
    }

    /// Delays every request and answer from now on by `latency` (on top of any fault), as a
    /// registry that far away would; [`Latency::default`] takes the delays away again.
    pub fn set_latency(&self, latency: Latency) {
        *self.state.latency.lock().expect("latency lock") = latency;
    }

    /// The instant [`SeenRequest::arrived`] and [`SeenRequest::answered`] count from, for putting
    /// the timelines of several proxies on one clock.
    pub fn started(&self) -> Instant {
        self.state.started
    }

    /// Removes every rule: from now on requests pass through untouched.
    pub fn clear(&self) {
        self.state.rules.lock().expect("rules lock").clear();
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state.seen.lock().expect("seen lock").clone()
    }

    /// How many `method` requests to `route` were received.
    pub fn count(&self, method: &Method, route: Route) -> usize {
        self.state
            .seen
            .lock()
            .expect("seen lock")
            .iter()
            .filter(|s| s.method == *method && s.route == route)
            .count()
    }

    /// Request counts per method and route.
    pub fn counts(&self) -> HashMap<(Method, Route), usize> {
        self.counts_since(0)
    }

    /// Request counts per method and route of the requests after the first `first` (what a
    /// step cost: take `requests().len()` before it).
    pub fn counts_since(&self, first: usize) -> HashMap<(Method, Route), usize> {
        let mut counts = HashMap::new();
        for seen in self.state.seen.lock().expect("seen lock").iter().skip(first) {
            *counts.entry((seen.method.clone(), seen.route)).or_insert(0) += 1;
        }
        counts
    }

    /// What a step that should only check manifests cost, after the first `first` requests:
    /// the manifest `HEAD`s, and every other request but pings (a client's first contact).
    pub fn manifest_heads_since(&self, first: usize) -> (usize, HashMap<(Method, Route), usize>) {
        let mut rest = self.counts_since(first);
        let heads = rest.remove(&(Method::HEAD, Route::Manifest)).unwrap_or(0);
        rest.retain(|(_, route), _| *route != Route::Ping);
        (heads, rest)
    }

    /// How many requests got a fault.
    pub fn faults_applied(&self) -> usize {
        self.state
            .seen
            .lock()
            .expect("seen lock")
            .iter()
            .filter(|s| s.fault.is_some())
            .count()
    }

    /// The most requests [`Fault::HoldUntil`] held at once.
    pub fn most_held(&self) -> usize {
        self.state.gate.state.lock().expect("gate lock").most_held
    }

    /// Every request that reached the redirect target, oldest first.
    pub fn mirror_hits(&self) -> Vec<MirrorHit> {
        self.state.mirror.hits()
    }
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.server.addr())
            .field("upstream", &self.state.upstream)
            .finish_non_exhaustive()
    }
}

/// Records the request, delays it and its answer by the proxy's [`Latency`], and answers it.
async fn handle(
    state: Arc<ProxyState>,
    request: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let arrived = state.started.elapsed();
    let (index, fault) = record(&state, &request, arrived);
    let latency = *state.latency.lock().expect("latency lock");
    pause(latency.request).await;
    let answer = respond(&state, request, fault).await;
    if answer.is_ok() {
        pause(latency.response).await;
        state.seen.lock().expect("seen lock")[index].answered = Some(state.started.elapsed());
    }
    answer
}

/// A delay that costs nothing when there is none.
async fn pause(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

/// Adds the request to the seen list and takes the fault a rule has for it: its index there
/// and the fault.
fn record(state: &ProxyState, request: &Request<Incoming>, arrived: Duration) -> (usize, Option<Fault>) {
    let method = request.method().clone();
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let route = Route::of(request.uri().path());
    let fault = state
        .rules
        .lock()
        .expect("rules lock")
        .iter_mut()
        .find_map(|rule| rule.take(&method, route, &path));
    let mut seen = state.seen.lock().expect("seen lock");
    seen.push(SeenRequest {
        method,
        path,
        route,
        had_authorization: request.headers().contains_key(AUTHORIZATION),
        fault: fault.clone(),
        arrived,
        answered: None,
    });
    (seen.len() - 1, fault)
}

/// The answer to `request`: the registry's, changed by `fault`, or one the fault makes up.
async fn respond(
    state: &ProxyState,
    request: Request<Incoming>,
    fault: Option<Fault>,
) -> Result<Response<Body>, DropConnection> {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut request = request;
    if state.referrers_api && fault.is_none() {
        request = match referrers::handle(&state.upstream, request).await {
            Ok(answered) => return Ok(answered),
            Err(untouched) => untouched,
        };
    }
    match &fault {
        // Faults in the response body are applied to it below.
        None
        | Some(
            Fault::CutBodyAfter(_)
            | Fault::StallBodyAfter(_)
            | Fault::CorruptByteAt(_)
            | Fault::RateLimitHeaders { .. },
        ) => {}
        Some(Fault::Status { status, retry_after }) => return Ok(status_response(*status, *retry_after)),
        Some(Fault::Unauthorized) => return Ok(unauthorized(&state.upstream).await),
        Some(Fault::EndlessErrorBody(status)) => return Ok(endless_error_response(*status)),
        Some(Fault::RedirectToMirror) => {
            let location = state
                .mirror
                .location_for(&path, request.headers().get(AUTHORIZATION).cloned());
            return Ok(Response::builder()
                .status(StatusCode::TEMPORARY_REDIRECT)
                .header(LOCATION, location)
                .body(full(""))
                .expect("redirect response"));
        }
        Some(Fault::CutRequestAfter(bytes)) => {
            let request = request.map(|body| FaultyBody::new(body).cut_after(*bytes));
            // The registry sees the body break off; whatever it answers, the client gets nothing.
            let _ = forward(&state.upstream, request).await;
            return Err(DropConnection);
        }
        Some(Fault::Delay(pause)) => tokio::time::sleep(*pause).await,
        Some(Fault::HoldUntil { together, at_most }) => state.gate.hold(*together, *at_most).await,
        Some(Fault::IgnoreRange) => {
            request.headers_mut().remove(RANGE);
        }
    }

    request.headers_mut().remove(CONNECTION);
    if state.front_is_tls {
        // distribution builds the URLs it returns (upload locations) with this scheme.
        request
            .headers_mut()
            .insert("x-forwarded-proto", HeaderValue::from_static("https"));
    }
    Ok(match forward(&state.upstream, request).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            parts.headers.remove(CONNECTION);
            if let Some(Fault::RateLimitHeaders { remaining, reset }) = &fault {
                parts
                    .headers
                    .insert("ratelimit-remaining", HeaderValue::from(*remaining));
                parts.headers.insert("ratelimit-reset", HeaderValue::from(*reset));
            }
            Response::from_parts(parts, faulty_body(body, fault.as_ref()).boxed())
        }
        Err(error) => Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(full(format!("fault proxy could not reach the registry: {error}")))
            .expect("bad gateway response"),
    })
}

/// The upstream response body with the fault that concerns it, if any.
fn faulty_body(body: Incoming, fault: Option<&Fault>) -> FaultyBody {
    let body = FaultyBody::new(body);
    match fault {
        Some(Fault::CutBodyAfter(bytes)) => body.cut_after(*bytes),
        Some(Fault::StallBodyAfter(bytes)) => body.stall_after(*bytes),
        Some(Fault::CorruptByteAt(offset)) => body.corrupt_at(*offset),
        _ => body,
    }
}

/// The registry's error body for a status the proxy makes up.
fn status_response(status: u16, retry_after: Option<u64>) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let code = if status == StatusCode::TOO_MANY_REQUESTS {
        "TOOMANYREQUESTS"
    } else {
        "UNAVAILABLE"
    };
    let body =
        json!({ "errors": [{ "code": code, "message": "injected by the fault proxy", "detail": null }] });
    let mut response = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json");
    if let Some(seconds) = retry_after {
        response = response.header(RETRY_AFTER, seconds);
    }
    response.body(full(body.to_string())).expect("status response")
}

fn endless_error_response(status: u16) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
    let code = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "DENIED",
        _ => "UNKNOWN",
    };
    let head = json!({ "errors": [{ "code": code, "message": "endless body from the fault proxy", "detail": null }] });
    let body = EndlessBody::new(head.to_string(), bytes::Bytes::from(vec![b' '; 64 * 1024]));
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .body(body.boxed())
        .expect("endless error response")
}

/// A Bearer challenge as distribution words it for a token it no longer accepts.
fn expired_token_challenge(challenge: HeaderValue) -> HeaderValue {
    match challenge.to_str() {
        Ok(text) if text.starts_with("Bearer ") => {
            HeaderValue::from_str(&format!("{text},error=\"invalid_token\"")).unwrap_or(challenge)
        }
        _ => challenge,
    }
}

/// A 401 carrying the challenge the registry gives an unauthenticated `GET /v2/` (marked
/// `error="invalid_token"` for Bearer; none when the registry is anonymous, as some registries
/// answer 401 without one).
async fn unauthorized(upstream: &str) -> Response<Body> {
    let ping = Request::get("/v2/")
        .header(HOST, upstream)
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("ping request");
    let challenge: Option<HeaderValue> = match forward(upstream, ping).await {
        Ok(response) => response
            .headers()
            .get(WWW_AUTHENTICATE)
            .cloned()
            .map(expired_token_challenge),
        Err(_) => None,
    };
    let body = json!({ "errors": [{ "code": "UNAUTHORIZED", "message": "authentication required", "detail": null }] });
    let mut response = Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header(CONTENT_TYPE, "application/json");
    if let Some(challenge) = challenge {
        response = response.header(WWW_AUTHENTICATE, challenge);
    }
    response.body(full(body.to_string())).expect("401 response")
}
