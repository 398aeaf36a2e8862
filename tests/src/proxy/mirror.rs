//! The redirect target: a second loopback listener that serves blobs the proxy redirected, the way
//! a CDN serves pre-signed URLs, and records whether clients sent `Authorization` there.

use std::sync::{Arc, Mutex};

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, HOST, RANGE};
use hyper::{Request, Response, StatusCode};

use super::body::FaultyBody;
use super::forward::forward;
use crate::serve::{full, Body, Server};

/// One request that reached the mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorHit {
    /// The registry path the redirect stood for.
    pub path: String,
    /// Whether the client sent an `Authorization` header to the mirror (it must not).
    pub had_authorization: bool,
    /// The `Range` header the client sent, if any.
    pub range: Option<String>,
}

/// The running mirror.
pub(crate) struct Mirror {
    server: Server,
    desk: Arc<Desk>,
}

/// What the mirror's handler shares with the proxy.
struct Desk {
    upstream: String,
    /// Index in this list = ticket number in the redirect URL.
    tickets: Mutex<Vec<Ticket>>,
    hits: Mutex<Vec<MirrorHit>>,
}

/// A redirected request: where the content is and the credentials that may fetch it. The mirror
/// uses the proxy's copy of the credentials, as a CDN trusts its signed URL; clients send none.
struct Ticket {
    path: String,
    authorization: Option<HeaderValue>,
}

impl Mirror {
    /// Starts a mirror of the registry at `upstream` (`HOST:PORT`).
    pub(crate) fn start(upstream: &str) -> Mirror {
        let desk = Arc::new(Desk {
            upstream: upstream.to_owned(),
            tickets: Mutex::new(Vec::new()),
            hits: Mutex::new(Vec::new()),
        });
        let handler_desk = Arc::clone(&desk);
        let server = Server::start(move |request| serve(Arc::clone(&handler_desk), request));
        Mirror { server, desk }
    }

    /// The absolute URL on the mirror that serves `path` of the registry.
    pub(crate) fn location_for(&self, path: &str, authorization: Option<HeaderValue>) -> String {
        let mut tickets = self.desk.tickets.lock().expect("mirror tickets lock");
        tickets.push(Ticket {
            path: path.to_owned(),
            authorization,
        });
        format!("http://{}/mirror/{}", self.server.addr(), tickets.len() - 1)
    }

    /// Every request that reached the mirror, oldest first.
    pub(crate) fn hits(&self) -> Vec<MirrorHit> {
        self.desk.hits.lock().expect("mirror hits lock").clone()
    }
}

async fn serve(desk: Arc<Desk>, request: Request<Incoming>) -> Response<Body> {
    let ticket = request
        .uri()
        .path()
        .strip_prefix("/mirror/")
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| {
            let tickets = desk.tickets.lock().expect("mirror tickets lock");
            tickets.get(n).map(|t| (t.path.clone(), t.authorization.clone()))
        });
    let Some((path, authorization)) = ticket else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(full("no such ticket"))
            .expect("response");
    };
    let range = request.headers().get(RANGE).cloned();
    desk.hits.lock().expect("mirror hits lock").push(MirrorHit {
        path: path.clone(),
        had_authorization: request.headers().contains_key(AUTHORIZATION),
        range: range.as_ref().and_then(|r| r.to_str().ok()).map(str::to_owned),
    });

    let mut upstream = Request::builder()
        .method(request.method())
        .uri(&path)
        .header(HOST, &desk.upstream);
    if let Some(value) = authorization {
        upstream = upstream.header(AUTHORIZATION, value);
    }
    if let Some(value) = range {
        upstream = upstream.header(RANGE, value);
    }
    let upstream = upstream
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("mirror request");
    match forward(&desk.upstream, upstream).await {
        Ok(response) => response.map(|body| FaultyBody::new(body).boxed()),
        Err(error) => Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(full(format!("mirror could not reach the registry: {error}")))
            .expect("response"),
    }
}
