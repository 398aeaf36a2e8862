//! The adversarial harness: a scripted hostile server on loopback playing a malicious registry,
//! CDN or token service, and a listener that accepts connections and never answers.
//!
//! The real registry stays the peer everywhere else; a scripted server is used only where it
//! plays an attacker. A test gives [`Hostile::start`] a script, a function from the request it
//! received to the [`Reply`] it wants sent: forged challenges, redirects to another origin,
//! pagination loops, bodies trickled one byte at a time, secrets echoed back. Every request is
//! recorded with its headers and body, so a test can assert what the client sent where.

mod trickle;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use tokio::task::JoinHandle;

use crate::serve::{full, loopback_listener, Body, Server};
use trickle::TrickleBody;

/// One request the hostile server received, whole.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The method.
    pub method: Method,
    /// Path and query as the client sent them.
    pub path: String,
    /// Every header.
    pub headers: HeaderMap,
    /// The request body.
    pub body: Bytes,
}

impl Seen {
    /// The value of header `name` as text, when present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The path without its query string.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }
}

/// What the script answers: a status, headers and a body sent whole, trickled, or never.
#[derive(Debug, Clone)]
pub struct Reply {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: ReplyBody,
}

#[derive(Debug, Clone)]
enum ReplyBody {
    Whole(Bytes),
    /// One byte every `every`.
    Trickle(Bytes, Duration),
    /// The response head is never sent.
    Never,
}

impl Reply {
    /// `status` with an empty body; panics on a status HTTP does not have (a bug in the test).
    pub fn status(status: u16) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).expect("a valid status"),
            headers: Vec::new(),
            body: ReplyBody::Whole(Bytes::new()),
        }
    }

    /// 200 with `value` as JSON.
    pub fn json(value: &serde_json::Value) -> Reply {
        Reply::status(200)
            .header("content-type", "application/json")
            .body(value.to_string())
    }

    /// A redirect with `status` to `location`.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).header("location", location)
    }

    /// A response that never comes: the connection stays open and silent.
    pub fn never() -> Reply {
        Reply {
            body: ReplyBody::Never,
            ..Reply::status(200)
        }
    }

    /// Adds a header; panics on a name or value HTTP does not allow.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a valid header name");
        let value = HeaderValue::from_str(value).expect("a valid header value");
        self.headers.push((name, value));
        self
    }

    /// The body, sent whole.
    pub fn body(mut self, body: impl Into<Bytes>) -> Reply {
        self.body = ReplyBody::Whole(body.into());
        self
    }

    /// The body, one byte every `every`, with its full length announced.
    pub fn trickle(mut self, body: impl Into<Bytes>, every: Duration) -> Reply {
        self.body = ReplyBody::Trickle(body.into(), every);
        self
    }
}

/// The script: what to answer to each request.
type Script = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A running hostile server; stops on drop.
pub struct Hostile {
    server: Server,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Hostile {
    /// Starts a plain-http server on a free loopback port answering every request by `script`.
    pub fn start(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Hostile {
        let script: Arc<Script> = Arc::new(script);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let server = Server::start(move |request: Request<Incoming>| {
            let script = Arc::clone(&script);
            let log = Arc::clone(&log);
            async move {
                let (parts, body) = request.into_parts();
                let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                let request = Seen {
                    method: parts.method,
                    path: parts
                        .uri
                        .path_and_query()
                        .map_or("/".to_owned(), |p| p.as_str().to_owned()),
                    headers: parts.headers,
                    body,
                };
                let reply = script(&request);
                log.lock().unwrap().push(request);
                respond(reply).await
            }
        });
        Hostile { server, seen }
    }

    /// `127.0.0.1:PORT`, the host a client names.
    pub fn host(&self) -> String {
        self.server.addr().to_string()
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr())
    }

    /// Every request received so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn respond(reply: Reply) -> Response<Body> {
    let body = match reply.body {
        ReplyBody::Whole(bytes) => full(bytes),
        ReplyBody::Trickle(bytes, every) => TrickleBody::new(bytes, every).boxed(),
        ReplyBody::Never => std::future::pending().await,
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    for (name, value) in reply.headers {
        response.headers_mut().append(name, value);
    }
    response
}

/// A TCP listener on loopback that accepts every connection and never sends a byte: a server
/// that is there and silent. Stops, closing the connections it holds, on drop.
pub struct SilentListener {
    port: u16,
    accept_loop: JoinHandle<()>,
}

impl SilentListener {
    /// Listens on a free loopback port.
    pub fn start() -> SilentListener {
        let (listener, addr) = loopback_listener();
        let accept_loop = crate::runtime().spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        SilentListener {
            port: addr.port(),
            accept_loop,
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for SilentListener {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}
