//! The transport seam: one fully prepared HTTP exchange, nothing more.
//!
//! Redirects, retries, authentication and timeouts are decided above this layer, in one place
//! (`dispatch`), so a [`Transport`] only has to move bytes. [`HyperTransport`] is the default:
//! hyper's pooled client over rustls, HTTP/1.1 and HTTP/2 by ALPN, which also owns every
//! connection setting (roots, certificate directories, connect timeout). Without the `tls`
//! feature it is hyper over plain TCP, and refuses https URLs ([`Error::NoTls`]).

#[cfg(feature = "tls")]
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
#[cfg(feature = "tls")]
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
#[cfg(feature = "tls")]
use std::sync::Mutex;
use std::time::Duration;

#[cfg(feature = "tls")]
use crate::tls::BaseRoots;
use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use http::{Request, Response};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
#[cfg(feature = "tls")]
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

#[cfg(feature = "tls")]
use crate::certs::{CertDirs, HostCerts};
use crate::environment::NetworkEnv;
use crate::error::{BoxError, Error};
use crate::proxy::{Proxies, RouteConnector};

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

/// What the hyper client connects through: TLS (or plain TCP) over the proxy-aware connector.
#[cfg(feature = "tls")]
type Connector = HttpsConnector<RouteConnector>;
/// What the hyper client connects through: the proxy-aware connector, plain TCP only.
#[cfg(not(feature = "tls"))]
type Connector = RouteConnector;

type HyperClient = hyper_util::client::legacy::Client<Connector, UnsyncBoxBody<Bytes, io::Error>>;

/// The default transport: hyper's pooled client over rustls (ring), HTTP/1.1 and HTTP/2, with
/// the proxies and per-registry certificate directories of [`HyperTransportBuilder`]. Without
/// the `tls` feature: hyper over plain TCP (HTTP/1.1), with the proxies; https URLs are refused.
#[derive(Clone)]
pub struct HyperTransport {
    shared: Arc<Shared>,
}

struct Shared {
    #[cfg(feature = "tls")]
    roots: Arc<BaseRoots>,
    #[cfg(feature = "tls")]
    cert_dirs: CertDirs,
    /// Certificate directories given for single hosts, before `cert_dirs`.
    #[cfg(feature = "tls")]
    host_cert_dirs: HashMap<String, PathBuf>,
    /// What every client connects through.
    connector: RouteConnector,
    /// The clients for hosts without a certificate directory.
    plain: Clients,
    /// Per `host[:port]`: the clients built from its certificate directory, or `None` when it
    /// has none. Looked up once per host.
    #[cfg(feature = "tls")]
    per_host: Mutex<HashMap<String, Option<Clients>>>,
}

/// A verifying and a non-verifying client over the same connection settings.
#[cfg(feature = "tls")]
#[derive(Clone)]
struct Clients {
    verified: HyperClient,
    unverified: HyperClient,
}

/// The one plain-http client of a build without TLS.
#[cfg(not(feature = "tls"))]
#[derive(Clone)]
struct Clients {
    http: HyperClient,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("HyperTransport");
        #[cfg(feature = "tls")]
        debug.field("cert_dirs", &self.shared.cert_dirs);
        debug.finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A builder reading the process environment (see [`HyperTransportBuilder`]).
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder::default()
    }
}

/// Configures a [`HyperTransport`]: the trusted roots, certificate directories, proxies and
/// connection timeout. Everything about how a connection is made lives here, so a client given a
/// transport has no connection setting that would be ignored.
///
/// ```
/// use std::time::Duration;
/// use registry_client::{Client, HyperTransport, NetworkEnv};
///
/// let transport = HyperTransport::builder()
///     .environment(NetworkEnv::default()) // nothing from the process or /etc
///     .connect_timeout(Duration::from_secs(5))
///     .build()?;
/// let client = Client::builder().transport(transport).build()?;
/// # drop(client);
/// # Ok::<(), registry_client::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct HyperTransportBuilder {
    env: NetworkEnv,
    #[cfg(feature = "tls")]
    ca_files: Vec<PathBuf>,
    #[cfg(feature = "tls")]
    system_roots: bool,
    connect_timeout: Duration,
    #[cfg(feature = "tls")]
    cert_dir: Option<PathBuf>,
    #[cfg(feature = "tls")]
    host_cert_dirs: HashMap<String, PathBuf>,
}

impl Default for HyperTransportBuilder {
    fn default() -> HyperTransportBuilder {
        HyperTransportBuilder {
            env: NetworkEnv::from_process(),
            #[cfg(feature = "tls")]
            ca_files: Vec::new(),
            #[cfg(feature = "tls")]
            system_roots: true,
            connect_timeout: Duration::from_secs(30),
            #[cfg(feature = "tls")]
            cert_dir: None,
            #[cfg(feature = "tls")]
            host_cert_dirs: HashMap::new(),
        }
    }
}

impl HyperTransportBuilder {
    /// The environment that gives the proxies (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`) and
    /// the default certificate directories (default: the process's, see
    /// [`NetworkEnv::from_process`]). To set a proxy, set it in the environment value.
    pub fn environment(mut self, env: NetworkEnv) -> HyperTransportBuilder {
        self.env = env;
        self
    }

    /// Trusts the CA certificates in a PEM file in addition to the system roots, for every
    /// host. This is how a registry with a self-made CA is verified, local ones included:
    /// local hosts are tried with verified https before plain http.
    #[cfg(feature = "tls")]
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> HyperTransportBuilder {
        self.ca_files.push(path.into());
        self
    }

    /// Whether to trust the system's root certificates (default true).
    #[cfg(feature = "tls")]
    pub fn system_roots(mut self, enabled: bool) -> HyperTransportBuilder {
        self.system_roots = enabled;
        self
    }

    /// How long to wait for a TCP connection (default 30 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> HyperTransportBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// Uses `dir` as the certificate directory of every host (skopeo's `--cert-dir`) instead of
    /// the per-host directories `~/.config/containers/certs.d/HOST[:PORT]/`,
    /// `/etc/containers/certs.d/HOST[:PORT]/` and `/etc/docker/certs.d/HOST[:PORT]/` (the
    /// first that exists). `*.crt` files are extra CAs, a `NAME.cert` + `NAME.key` pair the
    /// client certificate for mutual TLS.
    #[cfg(feature = "tls")]
    pub fn cert_dir(mut self, dir: impl Into<PathBuf>) -> HyperTransportBuilder {
        self.cert_dir = Some(dir.into());
        self
    }

    /// Uses `dir` as the certificate directory of `host` (`name` or `name:port`, as the URL
    /// has it) alone, before [`HyperTransportBuilder::cert_dir`] and the per-host directories:
    /// what a `skopeo sync` YAML file's `cert-dir` means for its registry.
    #[cfg(feature = "tls")]
    pub fn host_cert_dir(mut self, host: &str, dir: impl Into<PathBuf>) -> HyperTransportBuilder {
        self.host_cert_dirs.insert(host.to_ascii_lowercase(), dir.into());
        self
    }

    /// Builds the transport; fails when a CA file, a proxy URL or the TLS setup is unusable (a certificate
    /// directory is read when its host is first contacted, and its errors are that request's).
    pub fn build(self) -> Result<HyperTransport, Error> {
        #[cfg(feature = "tls")]
        let roots = crate::tls::base_roots(&self.ca_files, self.system_roots)?;
        #[cfg(feature = "tls")]
        let cert_dirs = match self.cert_dir {
            Some(dir) => CertDirs::One(dir),
            None => CertDirs::PerHost(self.env.cert_dir_roots()),
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(self.connect_timeout));
        let connector = RouteConnector {
            http,
            proxies: Arc::new(Proxies::from_env(&self.env)?),
        };
        #[cfg(feature = "tls")]
        let plain = Clients::new(&roots, &HostCerts::default(), None, &connector)?;
        #[cfg(not(feature = "tls"))]
        let plain = Clients {
            http: hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector.clone()),
        };
        Ok(HyperTransport {
            shared: Arc::new(Shared {
                #[cfg(feature = "tls")]
                roots,
                #[cfg(feature = "tls")]
                cert_dirs,
                #[cfg(feature = "tls")]
                host_cert_dirs: self.host_cert_dirs,
                connector,
                plain,
                #[cfg(feature = "tls")]
                per_host: Mutex::new(HashMap::new()),
            }),
        })
    }
}

#[cfg(feature = "tls")]
impl Clients {
    fn new(
        roots: &Arc<BaseRoots>,
        host: &HostCerts,
        dir: Option<&Path>,
        connector: &RouteConnector,
    ) -> Result<Clients, Error> {
        let verified = crate::tls::client_config(roots, host, true, dir)?;
        let unverified = crate::tls::client_config(roots, host, false, dir)?;
        Ok(Clients {
            verified: hyper_client(verified, connector),
            unverified: hyper_client(unverified, connector),
        })
    }

    /// The client for a request, by whether it skips certificate verification.
    fn pick(self, skip_verification: bool) -> HyperClient {
        if skip_verification {
            self.unverified
        } else {
            self.verified
        }
    }
}

#[cfg(not(feature = "tls"))]
impl Clients {
    /// The one client, for a request that is plain http (checked by `clients_for`).
    fn pick(self, _skip_verification: bool) -> HyperClient {
        self.http
    }
}

#[cfg(not(feature = "tls"))]
impl Shared {
    /// The client for a request to `uri`, which must be plain http: there is no TLS here.
    fn clients_for(&self, uri: &http::Uri) -> Result<Clients, Error> {
        if uri.scheme() == Some(&http::uri::Scheme::HTTPS) {
            return Err(Error::NoTls {
                url: crate::error::display_url(uri),
            });
        }
        Ok(self.plain.clone())
    }
}

#[cfg(feature = "tls")]
impl Shared {
    /// The clients for a request to `uri`: those of its host's certificate directory when it
    /// is https and has one, else the plain ones.
    fn clients_for(&self, uri: &http::Uri) -> Result<Clients, Error> {
        let Some(authority) = uri
            .authority()
            .filter(|_| uri.scheme() == Some(&http::uri::Scheme::HTTPS))
        else {
            return Ok(self.plain.clone());
        };
        let key = authority.as_str().to_ascii_lowercase();
        let mut per_host = self
            .per_host
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(known) = per_host.get(&key) {
            return Ok(known.clone().unwrap_or_else(|| self.plain.clone()));
        }
        let dir = self
            .host_cert_dirs
            .get(&key)
            .cloned()
            .or_else(|| self.cert_dirs.dir_for(&key));
        let clients = match dir {
            None => None,
            Some(dir) => {
                let certs = crate::certs::load(&dir)?;
                tracing::debug!(
                    host = %key,
                    dir = %dir.display(),
                    cas = certs.cas.len(),
                    client_certificate = certs.client.is_some(),
                    "certificate directory"
                );
                Some(Clients::new(&self.roots, &certs, Some(&dir), &self.connector)?)
            }
        };
        per_host.insert(key, clients.clone());
        Ok(clients.unwrap_or_else(|| self.plain.clone()))
    }
}

#[cfg(feature = "tls")]
fn hyper_client(tls: rustls::ClientConfig, connector: &RouteConnector) -> HyperClient {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(connector.clone());
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector)
}

impl Transport for HyperTransport {
    fn send(&self, request: Request<RequestBody>) -> TransportFuture {
        let clients = match self.shared.clients_for(request.uri()) {
            Ok(clients) => clients,
            // The client's own error, so the dispatcher reports it as it is and never retries.
            Err(error) => return Box::pin(std::future::ready(Err(BoxError::from(error)))),
        };
        let client = clients.pick(request.extensions().get::<SkipTlsVerification>().is_some());
        let mut request = request;
        if let Some(route) = self.shared.connector.proxies.route(request.uri()) {
            let destination = request
                .uri()
                .authority()
                .map(|a| a.as_str().to_owned())
                .unwrap_or_default();
            tracing::debug!(%destination, proxy = %route.proxy, "through proxy");
            // A plain-http request goes to the proxy itself, which needs its credentials; an
            // https one goes through the tunnel, whose CONNECT already carried them.
            if request.uri().scheme() == Some(&http::uri::Scheme::HTTP) {
                if let Some(authorization) = route.authorization {
                    request
                        .headers_mut()
                        .insert(http::header::PROXY_AUTHORIZATION, authorization);
                }
            }
        }
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

    /// Run with `cargo test -p registry-client --no-default-features --lib`.
    #[cfg(not(feature = "tls"))]
    #[tokio::test]
    async fn without_tls_an_https_url_is_refused_before_anything_is_sent() {
        let transport = HyperTransport::builder()
            .environment(NetworkEnv::default())
            .build()
            .unwrap();
        let request = Request::get("https://127.0.0.1:1/v2/?state=x")
            .body(RequestBody::empty())
            .unwrap();
        let error = transport.send(request).await.unwrap_err();
        match error.downcast::<Error>() {
            Ok(error) => match *error {
                Error::NoTls { ref url } => assert_eq!(url, "https://127.0.0.1:1/v2/"),
                ref other => panic!("expected NoTls, got {other}"),
            },
            Err(other) => panic!("expected the client's own error, got {other}"),
        }
    }
}
