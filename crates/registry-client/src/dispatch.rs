//! The one place every request passes through: concurrency limits, rate limits, counters,
//! deadlines, redirects and retries.
//!
//! Callers prepare a [`Prepared`] request completely (URL, headers, credentials, body) and hand
//! it here. Redirects drop `Authorization` when they leave the origin and never downgrade
//! https; transient failures are retried only when the request is safe to repeat.
//!
//! Concurrency: each request takes a slot of its host (`max_requests_per_registry`), then one of
//! the client (`max_concurrent_requests`), and a streaming response keeps both until its body is
//! dropped. The steps of an upload (the `POST` that opens it, a `PATCH`, the closing `PUT`) and
//! token exchanges take none: they are made while a download of the same transfer may hold
//! slots (the copier opens the source beside the upload, and streams it into the `PATCH` or
//! `PUT`), and waiting for more while holding those could, with every slot so held, wait
//! forever. Uploads are bounded by the engine's blob jobs instead, token exchanges by the token
//! cache, which shares one exchange per scope.
//!
//! Rate limits slow a host down rather than fail: a `429` (its `Retry-After`, else the backoff)
//! and a `RateLimit-Remaining: 0` answer pause every request to that host until the time is up
//! (never longer than the policy's longest `Retry-After`), and a request is repeated after a
//! `429` as often as it comes until it has waited the policy's rate-limit deadline (see
//! [`crate::RetryPolicy`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, LOCATION, USER_AGENT};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use hyper::body::Body as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::counters::Counters;
use crate::diagnostic::parse_diagnostics;
use crate::error::{display_url, Error};
use crate::redirect::{is_redirect, next_hop, MAX_REDIRECTS};
use crate::retry::{is_idempotent, is_retryable_status, rate_limit_pause, retry_after, RetryPolicy};
use crate::timeouts::Timeouts;
use crate::transport::{RequestBody, SkipTlsVerification, Transport, TransportBody};

/// Error bodies are read up to this size; the rest is dropped.
pub(crate) const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// A request ready to send.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: RequestBody,
    pub(crate) verify_tls: bool,
    /// Whether a failed connection is worth repeating; off when the caller has a fallback.
    pub(crate) retry_connection: bool,
    /// Whether the body carries credentials (a token request's form): it is never sent to
    /// another origin, and a redirect that would re-send it there is an error.
    pub(crate) body_holds_credentials: bool,
    /// Whether the request waits for concurrency slots; off for the steps of an upload and for
    /// token exchanges (see the module documentation).
    pub(crate) takes_slot: bool,
}

impl Prepared {
    pub(crate) fn new(method: Method, uri: Uri, verify_tls: bool) -> Prepared {
        Prepared {
            method,
            uri,
            headers: HeaderMap::new(),
            body: RequestBody::empty(),
            verify_tls,
            retry_connection: true,
            body_holds_credentials: false,
            takes_slot: true,
        }
    }

    #[cfg(test)]
    pub(crate) fn with_body(mut self, body: RequestBody) -> Prepared {
        self.body = body;
        self
    }

    /// A copy for a second attempt, when the body allows one.
    pub(crate) fn try_clone(&self) -> Option<Prepared> {
        Some(Prepared {
            method: self.method.clone(),
            uri: self.uri.clone(),
            headers: self.headers.clone(),
            body: self.body.try_clone()?,
            verify_tls: self.verify_tls,
            retry_connection: self.retry_connection,
            body_holds_credentials: self.body_holds_credentials,
            takes_slot: self.takes_slot,
        })
    }
}

/// What the client keeps per host: its request slots, and how long it asked to be left alone.
#[derive(Debug)]
struct Host {
    slots: Arc<Semaphore>,
    paused_until: Mutex<Option<tokio::time::Instant>>,
}

impl Host {
    /// Holds this host's requests back for `pause` from now (unless already held longer).
    fn pause(&self, pause: Duration) {
        let until = tokio::time::Instant::now() + pause;
        let mut paused = self.paused_until.lock().unwrap_or_else(PoisonError::into_inner);
        if paused.map_or(true, |current| current < until) {
            *paused = Some(until);
        }
    }

    /// When requests may go again, if they are held back now.
    fn paused_until(&self) -> Option<tokio::time::Instant> {
        let paused = *self.paused_until.lock().unwrap_or_else(PoisonError::into_inner);
        paused.filter(|until| *until > tokio::time::Instant::now())
    }
}

/// Every host's [`Host`], made on first use.
#[derive(Debug)]
pub(crate) struct Hosts {
    limit: usize,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

impl Hosts {
    /// Hosts with `limit` requests in flight each.
    pub(crate) fn new(limit: usize) -> Hosts {
        Hosts {
            limit: limit.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, uri: &Uri) -> Arc<Host> {
        let key = uri
            .authority()
            .map(|a| a.as_str().to_ascii_lowercase())
            .unwrap_or_default();
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(hosts.entry(key).or_insert_with(|| {
            Arc::new(Host {
                slots: Arc::new(Semaphore::new(self.limit)),
                paused_until: Mutex::new(None),
            })
        }))
    }
}

/// Sends prepared requests under the client's policies.
#[derive(Debug)]
pub(crate) struct Dispatcher {
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
    pub(crate) limit: Arc<Semaphore>,
    pub(crate) hosts: Hosts,
    pub(crate) counters: Counters,
    pub(crate) user_agent: HeaderValue,
}

impl Dispatcher {
    /// Sends `request`, following redirects, waiting out rate limits and retrying transient
    /// failures.
    pub(crate) async fn send(&self, request: Prepared) -> Result<Response<Body>, Error> {
        let first_url = display_url(&request.uri);
        let repeatable = is_idempotent(&request.method) && request.body.try_clone().is_some();
        let retry_connection = request.retry_connection;
        let mut current = request;
        let mut retries = 0u32;
        let mut hops = 0usize;
        let mut rate_limited = 0u32;
        let mut rate_waited = Duration::ZERO;
        loop {
            let host = self.hosts.get(&current.uri);
            rate_waited += self.wait_for(&host).await;
            let spare = current.try_clone();
            let method = current.method.clone();
            let uri = current.uri.clone();
            let outcome = self.send_once(current, &host).await;
            let can_retry = repeatable && retries < self.retry.max_retries();
            let response = match outcome {
                Ok(response) => response,
                Err(error) => match spare {
                    Some(spare) if can_retry && retry_connection && is_transient(&error) => {
                        tracing::debug!(%method, url = %display_url(&uri), %error, "retrying");
                        tokio::time::sleep(self.retry.backoff(retries)).await;
                        retries += 1;
                        current = spare;
                        continue;
                    }
                    _ => return Err(error),
                },
            };
            let status = response.status();
            let asked = retry_after(response.headers(), SystemTime::now());
            if let Some(pause) = rate_limit_pause(response.headers(), SystemTime::now()) {
                tracing::debug!(url = %display_url(&uri), ?pause, "rate limit reached; holding requests back");
                host.pause(pause.min(self.retry.max_retry_after()));
            }
            if is_redirect(status) {
                if let (Some(location), Some(spare)) = (response.headers().get(LOCATION), spare) {
                    hops += 1;
                    if hops > MAX_REDIRECTS {
                        return Err(Error::TooManyRedirects {
                            url: first_url,
                            limit: MAX_REDIRECTS,
                        });
                    }
                    let location = location.to_str().map_err(|_| Error::InvalidResponse {
                        url: display_url(&uri),
                        problem: "Location header is not ASCII".to_owned(),
                    })?;
                    let hop = next_hop(&uri, &method, status, location)?;
                    current = follow(spare, hop)?;
                    continue;
                }
                return Ok(response);
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                // Refused unprocessed: any request that can be sent again is, for as long as
                // the deadline allows, and the whole host slows down meanwhile.
                if let (Some(wait), Some(spare)) = (
                    self.retry.rate_limit_wait(rate_limited, asked, rate_waited),
                    spare,
                ) {
                    tracing::debug!(%method, url = %display_url(&uri), ?wait, "rate limited; waiting");
                    drop(response);
                    host.pause(wait);
                    rate_limited += 1;
                    current = spare;
                    continue;
                }
                return Ok(response);
            }
            if is_retryable_status(status) && can_retry {
                if let (Some(wait), Some(spare)) = (self.retry.wait_after(retries, asked), spare) {
                    tracing::debug!(%method, url = %display_url(&uri), %status, ?wait, "retrying");
                    drop(response);
                    tokio::time::sleep(wait).await;
                    retries += 1;
                    current = spare;
                    continue;
                }
            }
            return Ok(response);
        }
    }

    /// Waits while `host` asked for a pause; how long that was.
    async fn wait_for(&self, host: &Host) -> Duration {
        let Some(until) = host.paused_until() else {
            return Duration::ZERO;
        };
        self.counters.record_rate_limit_wait();
        let started = tokio::time::Instant::now();
        // The pause was capped when it was set; this bounds the wait again, whatever it holds.
        let until = until.min(started + self.retry.max_retry_after());
        tokio::time::sleep_until(until).await;
        started.elapsed()
    }

    async fn send_once(&self, request: Prepared, host: &Host) -> Result<Response<Body>, Error> {
        // The host's slot first, so that waiting for a busy host holds none of the client's.
        let permits = if request.takes_slot {
            let host_slot = Arc::clone(&host.slots).acquire_owned().await.ok();
            let client_slot = Arc::clone(&self.limit).acquire_owned().await.ok();
            [host_slot, client_slot]
        } else {
            [None, None]
        };
        let url = display_url(&request.uri);
        let method = request.method.clone();
        let request_uri = request.uri.clone();
        let mut http_request = Request::builder()
            .method(request.method)
            .uri(request.uri)
            .body(RequestBody::empty())
            .map_err(|e| Error::InvalidUrl {
                input: url.clone(),
                reason: e.to_string(),
            })?;
        *http_request.headers_mut() = request.headers;
        http_request
            .headers_mut()
            .insert(USER_AGENT, self.user_agent.clone());
        if let Some(len) = request.body.len() {
            if matches!(method, Method::POST | Method::PUT | Method::PATCH) || len > 0 {
                http_request
                    .headers_mut()
                    .insert(CONTENT_LENGTH, HeaderValue::from(len));
            }
        }
        *http_request.body_mut() = request.body;
        if !request.verify_tls {
            http_request.extensions_mut().insert(SkipTlsVerification);
        }
        self.counters.record(&method);
        let stall = self.timeouts.stall();
        let response = tokio::time::timeout(stall, self.transport.send(http_request))
            .await
            .map_err(|_| Error::Timeout {
                url: url.clone(),
                after: stall,
            })?
            .map_err(|source| match source.downcast::<Error>() {
                // The transport's own configuration failed (a certificate directory): that
                // error as it is, and not a connection failure worth retrying.
                Ok(own) => *own,
                Err(source) => Error::Connection {
                    method,
                    url: url.clone(),
                    source,
                },
            })?;
        let timeouts = self.timeouts;
        let mut response = response.map(|inner| Body {
            inner,
            timeouts,
            url,
            received: 0,
            window: RateWindow::new(),
            permits,
        });
        // Operations report errors against the URL that answered, after any redirects.
        response.extensions_mut().insert(request_uri);
        Ok(response)
    }
}

/// The request for the next hop of a redirect; an error when the hop would carry a
/// credential-bearing body to another origin.
fn follow(mut request: Prepared, hop: crate::redirect::Hop) -> Result<Prepared, Error> {
    let keeps_body = !(hop.method != request.method && hop.method == Method::GET);
    if !hop.same_origin && keeps_body && request.body_holds_credentials {
        return Err(Error::CredentialRedirect {
            from: display_url(&request.uri),
            to: display_url(&hop.uri),
        });
    }
    if !hop.same_origin {
        // Credentials belong to the registry; a storage or CDN host gets none, and its
        // certificate is always verified.
        request.headers.remove(AUTHORIZATION);
        request.verify_tls = true;
    }
    if !keeps_body {
        request.body = RequestBody::empty();
        request.headers.remove(http::header::CONTENT_TYPE);
    }
    request.method = hop.method;
    request.uri = hop.uri;
    Ok(request)
}

fn is_transient(error: &Error) -> bool {
    matches!(error, Error::Connection { .. } | Error::Timeout { .. })
}

/// A response body read under the client's deadlines: each chunk within the stall timeout,
/// the whole stream at no less than the minimum rate, and bounded reads ([`Body::bytes`],
/// [`Body::prefix`]) within the read deadline. It holds its concurrency slots until dropped.
pub(crate) struct Body {
    inner: TransportBody,
    timeouts: Timeouts,
    url: String,
    received: u64,
    window: RateWindow,
    /// The host's slot and the client's.
    permits: [Option<OwnedSemaphorePermit>; 2],
}

/// The bytes received since a window began, for the minimum-rate check.
///
/// The first window begins when the body is first read, not when its response arrived: a
/// download opened beside its upload waits for that upload to open, and the wait is the
/// client's, not a slow server's.
#[derive(Debug, Clone, Copy)]
struct RateWindow {
    started: Option<Instant>,
    received: u64,
}

impl RateWindow {
    /// A window that begins at the next read.
    fn new() -> RateWindow {
        RateWindow {
            started: None,
            received: 0,
        }
    }

    /// A window that begins now.
    fn starting_now() -> RateWindow {
        RateWindow {
            started: Some(Instant::now()),
            received: 0,
        }
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("url", &self.url)
            .field("received", &self.received)
            .finish()
    }
}

impl Body {
    /// Gives the concurrency slot back while the body is still held: for a body that broke
    /// off, or one kept only for its error while the caller sends another request (a token
    /// request, a resume), which would otherwise wait for this slot forever.
    pub(crate) fn release_slot(&mut self) {
        self.permits = [None, None];
    }

    /// The next chunk of data, `None` at the end.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        self.window.started.get_or_insert_with(Instant::now);
        loop {
            let stall = self.timeouts.stall();
            let frame = tokio::time::timeout(stall, http_body_util::BodyExt::frame(&mut self.inner))
                .await
                .map_err(|_| Error::Timeout {
                    url: self.url.clone(),
                    after: stall,
                })?;
            match frame {
                None => return Ok(None),
                Some(Err(source)) => {
                    return Err(Error::Body {
                        url: self.url.clone(),
                        received: self.received,
                        source,
                    })
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.received += data.len() as u64;
                        self.check_rate(data.len() as u64)?;
                        return Ok(Some(data));
                    }
                }
            }
        }
    }

    /// Fails when the window that just closed averaged less than the minimum rate.
    fn check_rate(&mut self, arrived: u64) -> Result<(), Error> {
        self.window.received += arrived;
        let (min_rate, window) = self.timeouts.min_rate();
        let elapsed = self
            .window
            .started
            .map_or(Duration::ZERO, |started| started.elapsed());
        if min_rate == 0 || elapsed < window {
            return Ok(());
        }
        if (self.window.received as f64) < min_rate as f64 * elapsed.as_secs_f64() {
            return Err(Error::TooSlow {
                url: self.url.clone(),
                min_rate,
                window,
                received: self.received,
            });
        }
        self.window = RateWindow::starting_now();
        Ok(())
    }

    /// The whole body, failing when it exceeds `limit` bytes or the read deadline.
    pub(crate) async fn bytes(mut self, limit: u64) -> Result<Bytes, Error> {
        if self.inner.size_hint().lower() > limit {
            return Err(Error::TooLarge { url: self.url, limit });
        }
        let deadline = self.timeouts.read();
        let url = self.url.clone();
        let read = async move {
            let mut out = BytesMut::new();
            while let Some(chunk) = self.chunk().await? {
                if out.len() as u64 + chunk.len() as u64 > limit {
                    return Err(Error::TooLarge { url: self.url, limit });
                }
                out.extend_from_slice(&chunk);
            }
            Ok(out.freeze())
        };
        crate::timeouts::bounded_read(deadline, url, read).await
    }

    /// At most `limit` bytes of the body, or what arrived within the read deadline; the rest
    /// is left unread.
    pub(crate) async fn prefix(mut self, limit: u64) -> Bytes {
        let mut out = BytesMut::new();
        let deadline = tokio::time::Instant::now() + self.timeouts.read();
        while (out.len() as u64) < limit {
            match tokio::time::timeout_at(deadline, self.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    let room = (limit - out.len() as u64).min(chunk.len() as u64) as usize;
                    out.extend_from_slice(&chunk[..room]);
                }
                _ => break,
            }
        }
        out.freeze()
    }
}

/// The error for a response the operation did not accept, with the registry's diagnostics
/// from the (capped) body.
pub(crate) async fn status_error(method: &Method, uri: &Uri, response: Response<Body>) -> Error {
    let status = response.status();
    let body = if *method == Method::HEAD {
        Bytes::new()
    } else {
        response.into_body().prefix(ERROR_BODY_LIMIT).await
    };
    Error::Registry {
        method: method.clone(),
        url: display_url(uri),
        status,
        diagnostics: parse_diagnostics(&body),
    }
}

/// The URL that produced `response` (after redirects).
pub(crate) fn response_uri<B>(response: &Response<B>) -> Uri {
    response.extensions().get::<Uri>().cloned().unwrap_or_default()
}

/// `response` when its status is one of `accepted`, else the registry's error.
pub(crate) async fn expect_status(
    method: &Method,
    response: Response<Body>,
    accepted: &[StatusCode],
) -> Result<Response<Body>, Error> {
    if accepted.contains(&response.status()) {
        Ok(response)
    } else {
        let uri = response_uri(&response);
        Err(status_error(method, &uri, response).await)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use std::time::Duration;

    use http_body_util::{BodyExt, Empty, Full};

    use super::*;
    use crate::transport::TransportFuture;

    /// What the fake server answers: a status with an optional `Location`, or a broken
    /// connection.
    #[derive(Debug, Clone, Copy)]
    enum Answer {
        Status(u16, Option<&'static str>),
        /// A status with these headers.
        With(u16, &'static [(&'static str, &'static str)]),
        Broken,
    }

    /// A transport that records what it was asked and answers from a script.
    #[derive(Debug, Default)]
    struct Scripted {
        answers: Mutex<VecDeque<Answer>>,
        seen: Mutex<Vec<(Method, String, bool)>>,
    }

    impl Transport for Arc<Scripted> {
        fn send(&self, request: Request<RequestBody>) -> TransportFuture {
            self.seen.lock().unwrap().push((
                request.method().clone(),
                request.uri().to_string(),
                request.headers().contains_key(AUTHORIZATION),
            ));
            let answer = self
                .answers
                .lock()
                .unwrap()
                .pop_front()
                .expect("a scripted answer");
            Box::pin(async move {
                match answer {
                    Answer::Broken => Err("connection reset".into()),
                    Answer::Status(status, location) => {
                        let location = location.map(|l| ("location", l));
                        Ok(answer_with(status, location.as_slice()))
                    }
                    Answer::With(status, headers) => Ok(answer_with(status, headers)),
                }
            })
        }
    }

    /// An empty response with `status` and `headers`.
    fn answer_with(status: u16, headers: &[(&'static str, &'static str)]) -> Response<TransportBody> {
        let mut response = Response::new(
            Empty::<Bytes>::new()
                .map_err(|never| match never {})
                .boxed_unsync(),
        );
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        for (name, value) in headers {
            response
                .headers_mut()
                .insert(*name, HeaderValue::from_static(value));
        }
        response
    }

    fn scripted(answers: &[Answer]) -> (Dispatcher, Arc<Scripted>) {
        let scripted = Arc::new(Scripted::default());
        scripted.answers.lock().unwrap().extend(answers.iter().cloned());
        let dispatcher = Dispatcher {
            transport: Arc::new(Arc::clone(&scripted)),
            retry: RetryPolicy::default()
                .with_max_retries(2)
                .with_delays(Duration::from_millis(1), Duration::from_millis(2)),
            timeouts: Timeouts::default().with_stall(Duration::from_secs(5)),
            limit: Arc::new(Semaphore::new(4)),
            hosts: Hosts::new(4),
            counters: Counters::default(),
            user_agent: HeaderValue::from_static("test"),
        };
        (dispatcher, scripted)
    }

    fn request(method: Method, url: &str) -> Prepared {
        let mut request = Prepared::new(method, url.parse().unwrap(), true);
        request
            .headers
            .insert(AUTHORIZATION, HeaderValue::from_static("Bearer secret"));
        request
    }

    /// A body of `len` bytes in one frame, held to `timeouts`.
    fn body_of(len: usize, timeouts: Timeouts) -> Body {
        Body {
            inner: Full::new(Bytes::from(vec![0u8; len]))
                .map_err(|never| match never {})
                .boxed_unsync(),
            timeouts,
            url: "https://reg.example/v2/a/blobs/x".to_owned(),
            received: 0,
            window: RateWindow::new(),
            permits: [None, None],
        }
    }

    #[tokio::test]
    async fn the_rate_window_begins_at_the_first_read() {
        // 1 MB/s over 50 ms: a body not read for 200 ms would have "arrived" at 20 KB/s if the
        // window began with the response. The wait was the reader's; the body is not slow.
        let timeouts = Timeouts::default().with_min_rate(1_000_000, Duration::from_millis(50));
        let mut body = body_of(4096, timeouts);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(body.chunk().await.unwrap().map(|c| c.len()), Some(4096));
        assert_eq!(body.chunk().await.unwrap(), None);

        // Once reading began, a body that trickles is still refused.
        let mut body = body_of(4096, timeouts);
        body.window.started = Some(Instant::now() - Duration::from_millis(200));
        let error = body.chunk().await.unwrap_err();
        assert!(matches!(error, Error::TooSlow { .. }), "{error}");
    }

    #[tokio::test]
    async fn credentials_stay_with_their_origin() {
        let (dispatcher, seen) = scripted(&[
            Answer::Status(307, Some("/v2/a/blobs/other")),
            Answer::Status(302, Some("https://cdn.example/blob?sig=1")),
            Answer::Status(307, Some("https://reg.example/back")),
            Answer::Status(200, None),
        ]);
        let response = dispatcher
            .send(request(Method::GET, "https://reg.example/v2/a/blobs/x"))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let auth: Vec<bool> = seen
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|(_, _, auth)| *auth)
            .collect();
        // Kept on the same origin, dropped at the CDN, and not restored on the way back.
        assert_eq!(auth, [true, true, false, false]);
        assert_eq!(dispatcher.counters.snapshot().get, 4);
    }

    #[tokio::test]
    async fn downgrades_are_refused() {
        let (dispatcher, _) = scripted(&[Answer::Status(302, Some("http://cdn.example/blob"))]);
        let error = dispatcher
            .send(request(Method::GET, "https://reg.example/v2/a/blobs/x"))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::InsecureRedirect { .. }), "{error}");
    }

    #[tokio::test]
    async fn only_repeatable_requests_are_retried() {
        let (dispatcher, seen) = scripted(&[
            Answer::Broken,
            Answer::Status(503, None),
            Answer::Status(200, None),
        ]);
        let response = dispatcher
            .send(request(Method::GET, "http://127.0.0.1:1/v2/"))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(seen.seen.lock().unwrap().len(), 3);

        let (dispatcher, seen) = scripted(&[Answer::Status(503, None)]);
        let response = dispatcher
            .send(request(Method::POST, "http://127.0.0.1:1/v2/a/blobs/uploads/"))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(seen.seen.lock().unwrap().len(), 1);

        let (dispatcher, seen) = scripted(&[Answer::Broken]);
        let streamed = request(Method::PUT, "http://127.0.0.1:1/v2/a/blobs/uploads/u")
            .with_body(RequestBody::stream(futures_util::stream::empty()));
        assert!(matches!(
            dispatcher.send(streamed).await,
            Err(Error::Connection { .. })
        ));
        assert_eq!(seen.seen.lock().unwrap().len(), 1);

        let (dispatcher, seen) = scripted(&[Answer::Status(502, None); 3]);
        let response = dispatcher
            .send(request(Method::GET, "http://127.0.0.1:1/v2/"))
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::BAD_GATEWAY,
            "the last answer is returned"
        );
        assert_eq!(seen.seen.lock().unwrap().len(), 3);
    }

    const SLOW_DOWN: Answer = Answer::With(429, &[("retry-after", "1")]);

    // Time is paused in these tests: every wait passes at once, and is measured exactly.
    #[tokio::test(start_paused = true)]
    async fn rate_limits_are_waited_out_beyond_the_retry_budget() {
        let mut answers = vec![SLOW_DOWN; 5];
        answers.push(Answer::Status(201, None));
        let (dispatcher, seen) = scripted(&answers);
        let started = tokio::time::Instant::now();
        // A POST too: a 429 is a refusal, so sending it again is safe.
        let response = dispatcher
            .send(request(Method::POST, "http://127.0.0.1:1/v2/a/blobs/uploads/"))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(seen.seen.lock().unwrap().len(), 6);
        assert_eq!(dispatcher.counters.snapshot().rate_limit_waits, 5);
        assert!(started.elapsed() >= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limits_end_at_the_deadline() {
        let (mut dispatcher, seen) = scripted(&[SLOW_DOWN; 10]);
        dispatcher.retry = dispatcher
            .retry
            .clone()
            .with_rate_limit_deadline(Duration::from_secs(3));
        let response = dispatcher
            .send(request(Method::GET, "http://127.0.0.1:1/v2/"))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        // Three waits of a second fit the deadline; the fourth would not.
        assert_eq!(seen.seen.lock().unwrap().len(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn no_requests_remaining_holds_the_host_back_until_the_reset() {
        let (dispatcher, seen) = scripted(&[
            Answer::With(200, &[("ratelimit-remaining", "0"), ("ratelimit-reset", "2")]),
            Answer::Status(200, None),
            Answer::Status(200, None),
        ]);
        dispatcher
            .send(request(Method::GET, "http://127.0.0.1:1/v2/"))
            .await
            .unwrap();
        let started = tokio::time::Instant::now();
        dispatcher
            .send(request(Method::HEAD, "http://127.0.0.1:1/v2/a/manifests/1"))
            .await
            .unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        assert_eq!(dispatcher.counters.snapshot().rate_limit_waits, 1);
        // Another host is not held back.
        let other = tokio::time::Instant::now();
        dispatcher
            .send(request(Method::GET, "http://127.0.0.2:1/v2/"))
            .await
            .unwrap();
        assert_eq!(other.elapsed(), Duration::ZERO);
        assert_eq!(seen.seen.lock().unwrap().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn an_upload_under_way_needs_no_second_slot() {
        let (mut dispatcher, _) = scripted(&[Answer::Status(200, None), Answer::Status(201, None)]);
        dispatcher.limit = Arc::new(Semaphore::new(1));
        dispatcher.hosts = Hosts::new(1);
        // A download being read holds the only slots...
        let download = dispatcher
            .send(request(Method::GET, "http://127.0.0.1:1/v2/a/blobs/x"))
            .await
            .unwrap();
        // ...while the upload it feeds goes out.
        let mut upload = request(Method::PATCH, "http://127.0.0.1:1/v2/b/blobs/uploads/u")
            .with_body(RequestBody::stream(futures_util::stream::empty()));
        upload.takes_slot = false;
        let answered = tokio::time::timeout(Duration::from_secs(60), dispatcher.send(upload))
            .await
            .expect("the upload does not wait for the download's slot");
        assert_eq!(answered.unwrap().status(), StatusCode::CREATED);
        drop(download);
    }
}
