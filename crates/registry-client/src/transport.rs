//! The transport seam: one fully prepared HTTP exchange, nothing more.
//!
//! Redirects, retries, authentication and timeouts are decided above this layer, in one place
//! (`dispatch`), so a [`Transport`] only has to move bytes. [`HyperTransport`] is the default:
//! hyper's pooled client over rustls, HTTP/1.1 and HTTP/2 by ALPN.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use http::{Request, Response};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error::{BoxError, Error};

/// The body of a response as a transport delivers it.
pub type TransportBody = UnsyncBoxBody<Bytes, BoxError>;

/// What [`Transport::send`] returns.
pub type TransportFuture = Pin<Box<dyn Future<Output = Result<Response<TransportBody>, BoxError>> + Send>>;

/// A stream of upload bytes.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, io::Error>> + Send>>;

/// Request extension: this request goes to a user-marked insecure host, so the server's
/// certificate is not verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkipTlsVerification;

/// Sends one prepared request and returns the response head with a streaming body.
///
/// Implementations must not follow redirects or retry: the client does that, so its policy
/// (no credentials to other hosts, no https-to-http downgrade) holds for every transport.
pub trait Transport: Send + Sync + fmt::Debug + 'static {
    /// Sends `request` as is.
    fn send(&self, request: Request<RequestBody>) -> TransportFuture;
}

/// A request body: nothing, bytes in memory (which can be sent again), or a stream (which
/// cannot).
pub struct RequestBody(BodyKind);

enum BodyKind {
    Empty,
    Full(Bytes),
    Stream(ByteStream),
}

impl RequestBody {
    /// No body.
    pub fn empty() -> RequestBody {
        RequestBody(BodyKind::Empty)
    }

    /// A body held in memory.
    pub fn full(bytes: impl Into<Bytes>) -> RequestBody {
        RequestBody(BodyKind::Full(bytes.into()))
    }

    /// A streamed body; a request carrying one is never retried.
    pub fn stream(stream: impl Stream<Item = Result<Bytes, io::Error>> + Send + 'static) -> RequestBody {
        RequestBody(BodyKind::Stream(Box::pin(stream)))
    }

    /// A copy for sending again, unless the body is a stream.
    pub(crate) fn try_clone(&self) -> Option<RequestBody> {
        match &self.0 {
            BodyKind::Empty => Some(RequestBody::empty()),
            BodyKind::Full(bytes) => Some(RequestBody::full(bytes.clone())),
            BodyKind::Stream(_) => None,
        }
    }

    /// The length when known in advance.
    pub fn len(&self) -> Option<u64> {
        match &self.0 {
            BodyKind::Empty => Some(0),
            BodyKind::Full(bytes) => Some(bytes.len() as u64),
            BodyKind::Stream(_) => None,
        }
    }

    /// Whether the body is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// The body as an `http_body::Body` for hyper.
    pub fn into_http_body(self) -> UnsyncBoxBody<Bytes, io::Error> {
        match self.0 {
            BodyKind::Empty => Empty::new().map_err(|never| match never {}).boxed_unsync(),
            BodyKind::Full(bytes) => Full::new(bytes).map_err(|never| match never {}).boxed_unsync(),
            BodyKind::Stream(stream) => StreamBody::new(stream.map_ok(Frame::data)).boxed_unsync(),
        }
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            BodyKind::Empty => f.write_str("RequestBody::Empty"),
            BodyKind::Full(bytes) => write!(f, "RequestBody::Full({} bytes)", bytes.len()),
            BodyKind::Stream(_) => f.write_str("RequestBody::Stream"),
        }
    }
}

type HyperClient =
    hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, UnsyncBoxBody<Bytes, io::Error>>;

/// The default transport: hyper's pooled client over rustls (ring), HTTP/1.1 and HTTP/2.
#[derive(Clone)]
pub struct HyperTransport {
    verified: HyperClient,
    unverified: HyperClient,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport").finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A transport trusting the system roots plus the certificates in `ca_files`, giving up on
    /// a connection attempt after `connect_timeout`.
    pub fn new(ca_files: &[std::path::PathBuf], connect_timeout: Duration) -> Result<HyperTransport, Error> {
        HyperTransport::with_roots(ca_files, true, connect_timeout)
    }

    pub(crate) fn with_roots(
        ca_files: &[std::path::PathBuf],
        system_roots: bool,
        connect_timeout: Duration,
    ) -> Result<HyperTransport, Error> {
        let verified = crate::tls::verified_config(ca_files, system_roots)?;
        let unverified = crate::tls::unverified_config()?;
        Ok(HyperTransport {
            verified: hyper_client(verified, connect_timeout),
            unverified: hyper_client(unverified, connect_timeout),
        })
    }
}

fn hyper_client(tls: rustls::ClientConfig, connect_timeout: Duration) -> HyperClient {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector)
}

impl Transport for HyperTransport {
    fn send(&self, request: Request<RequestBody>) -> TransportFuture {
        let client = if request.extensions().get::<SkipTlsVerification>().is_some() {
            self.unverified.clone()
        } else {
            self.verified.clone()
        };
        let request = request.map(RequestBody::into_http_body);
        Box::pin(async move {
            let response = client.request(request).await?;
            Ok(response.map(|body| body.map_err(BoxError::from).boxed_unsync()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_in_memory_bodies_can_be_sent_again() {
        assert!(RequestBody::empty().try_clone().is_some());
        let full = RequestBody::full(&b"abc"[..]);
        assert_eq!(full.try_clone().unwrap().len(), Some(3));
        let stream = RequestBody::stream(futures_util::stream::iter([Ok(Bytes::from_static(b"x"))]));
        assert!(stream.try_clone().is_none());
        assert_eq!(stream.len(), None);
        let body = stream.into_http_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"x");
    }
}
