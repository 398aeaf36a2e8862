//! Plain HTTP/1.1 requests for tests that look at the wire: status, headers and the body bytes that
//! arrived, including bodies a fault cut short.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, HOST};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;

/// One request to a loopback `http://` URL, built step by step.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    method: Method,
    url: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

/// What came back: the status, the headers, the body bytes received and, when the body broke off,
/// why.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    body_error: Option<String>,
}

impl HttpRequest {
    /// A request with no headers beyond `Host` and an empty body.
    pub fn new(method: Method, url: impl Into<String>) -> HttpRequest {
        HttpRequest {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> HttpRequest {
        HttpRequest::new(Method::GET, url)
    }

    /// Adds a header; panics on a name or value HTTP does not allow (a bug in the test).
    pub fn header(mut self, name: &str, value: &str) -> HttpRequest {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a valid header name");
        let value = HeaderValue::from_str(value).expect("a valid header value");
        self.headers.push((name, value));
        self
    }

    /// Sets the request body.
    pub fn body(mut self, body: impl Into<Bytes>) -> HttpRequest {
        self.body = body.into();
        self
    }

    /// Sends the request on a fresh connection and reads the whole answer.
    ///
    /// Panics when no answer arrives at all (connection refused, malformed response): the test is
    /// then broken, not the behaviour under test. A body cut short is reported in the response.
    pub async fn send(self) -> HttpResponse {
        let what = format!("{} {}", self.method, self.url);
        self.try_send()
            .await
            .unwrap_or_else(|failure| panic!("{what}: {failure}"))
    }

    /// Like [`HttpRequest::send`], but a request that got no answer (the connection failed or was
    /// dropped) is an error instead of a panic.
    pub async fn try_send(self) -> Result<HttpResponse, HttpFailure> {
        let uri: Uri = self
            .url
            .parse()
            .unwrap_or_else(|e| panic!("bad URL {:?}: {e}", self.url));
        assert_eq!(
            uri.scheme_str(),
            Some("http"),
            "HttpRequest speaks plain http only: {uri}"
        );
        let authority = uri.authority().expect("URL with a host").clone();
        let stream = tokio::net::TcpStream::connect(authority.as_str())
            .await
            .map_err(|e| HttpFailure::new("connect", e))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| HttpFailure::new("handshake", e))?;
        tokio::spawn(connection);

        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = Request::builder().method(self.method.clone()).uri(path);
        request = request.header(HOST, authority.as_str());
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(self.body.clone()))
            .expect("a well-formed request");
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| HttpFailure::new("exchange", e))?;

        let (parts, mut body) = response.into_parts();
        let mut received = Vec::new();
        let mut body_error = None;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => {
                    if let Some(data) = frame.data_ref() {
                        received.extend_from_slice(data);
                    }
                }
                Err(error) => {
                    body_error = Some(error.to_string());
                    break;
                }
            }
        }
        Ok(HttpResponse {
            status: parts.status,
            headers: parts.headers,
            body: received,
            body_error,
        })
    }

    /// [`HttpRequest::send`] from synchronous code, on the harness runtime.
    pub fn send_blocking(self) -> HttpResponse {
        crate::runtime().block_on(self.send())
    }

    /// [`HttpRequest::try_send`] from synchronous code, on the harness runtime.
    pub fn try_send_blocking(self) -> Result<HttpResponse, HttpFailure> {
        crate::runtime().block_on(self.try_send())
    }

    /// Like [`HttpRequest::send_blocking`], but gives up after `limit`: `None` when the whole answer
    /// (headers and body) did not arrive in time.
    pub fn send_blocking_within(self, limit: Duration) -> Option<HttpResponse> {
        crate::runtime().block_on(async move { tokio::time::timeout(limit, self.send()).await.ok() })
    }
}

/// A request that got no answer: the stage that failed and why.
#[derive(Debug, Clone)]
pub struct HttpFailure {
    stage: &'static str,
    message: String,
}

impl HttpFailure {
    fn new(stage: &'static str, error: impl std::fmt::Display) -> HttpFailure {
        HttpFailure {
            stage,
            message: error.to_string(),
        }
    }

    /// `connect`, `handshake` or `exchange` (sending the request and reading the headers).
    pub fn stage(&self) -> &str {
        self.stage
    }
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no response ({} failed): {}", self.stage, self.message)
    }
}

impl std::error::Error for HttpFailure {}

impl HttpResponse {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Every response header.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of header `name` as text, if present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body bytes received (all of them, or those before the connection broke).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body parsed as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Why the body broke off, when it did (a cut connection, a truncated body).
    pub fn body_error(&self) -> Option<&str> {
        self.body_error.as_deref()
    }
}
