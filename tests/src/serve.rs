//! A loopback HTTP/1.1 server on the background runtime: the base of the token service, the fault
//! proxy and the redirect target.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

/// Why a response body stopped early (the fault proxy cuts bodies on purpose).
pub(crate) type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// The body type every harness server answers with.
pub(crate) type Body = BoxBody<Bytes, BodyError>;

/// A whole body held in memory.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// A handler's way to end the connection without answering (the fault proxy's cut uploads).
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

/// A server accepting connections on `127.0.0.1:PORT`; dropping it stops the listener and every
/// connection it still serves.
pub(crate) struct Server {
    addr: SocketAddr,
    accept_loop: JoinHandle<()>,
}

impl Server {
    /// Binds a free loopback port and serves each request with `handle`.
    pub(crate) fn start<F, Fut>(handle: F) -> Server
    where
        F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Response<Body>> + Send + 'static,
    {
        Server::start_droppable(None, move |request| {
            let response = handle(request);
            async move { Ok(response.await) }
        })
    }

    /// Like [`Server::start`], for handlers that may end a connection without an answer, and
    /// speaking https when given a TLS acceptor.
    pub(crate) fn start_droppable<F, Fut>(tls: Option<TlsAcceptor>, handle: F) -> Server
    where
        F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Response<Body>, DropConnection>> + Send + 'static,
    {
        let (listener, addr) = loopback_listener();
        let accept_loop = crate::runtime().spawn(async move {
            // Owning the connections here means aborting this task closes them all.
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                while connections.try_join_next().is_some() {}
                // hyper closes the connection when the service fails: that is the drop.
                let service = hyper::service::service_fn(handle.clone());
                let tls = tls.clone();
                connections.spawn(async move {
                    let connection: Box<dyn Connection> = match tls {
                        None => Box::new(stream),
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(stream) => Box::new(stream),
                            // A client that gives up on the handshake is not the server's problem.
                            Err(_) => return,
                        },
                    };
                    // A client or a fault that drops the connection is an expected outcome here.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(connection), service)
                        .await;
                });
            }
        });
        Server { addr, accept_loop }
    }

    /// The listening address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// A listener on a free loopback port, registered with the harness runtime, and its address.
pub(crate) fn loopback_listener() -> (tokio::net::TcpListener, SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("address of the loopback listener");
    listener
        .set_nonblocking(true)
        .expect("make the listener non-blocking");
    let _entered = crate::runtime().enter();
    let listener = tokio::net::TcpListener::from_std(listener).expect("register the listener with tokio");
    (listener, addr)
}

/// A plain or TLS connection, as one type.
trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}
