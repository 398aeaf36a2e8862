//! The client handle and its builder: configuration, shared state, and the request path every
//! operation uses (endpoint discovery, credentials, one refresh on 401).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, Method, Response, StatusCode, Uri};
use tokio::sync::{OnceCell, Semaphore};

use crate::auth::{Access, Auth, CredentialSource, TokenRoute};
use crate::counters::{Counters, RequestCounts};
use crate::dispatch::{response_uri, status_error, Body, Dispatcher, Hosts, Prepared};
use crate::endpoint::{api_host, candidate_schemes, peer_speaks_tls, InsecureHosts, Scheme};
use crate::environment::NetworkEnv;
use crate::error::{Context, Error};
use crate::registries::{Location, Registries};
use crate::retry::RetryPolicy;
use crate::timeouts::Timeouts;
use crate::transport::{HyperTransport, RequestBody, Transport};
use crate::url::same_origin;

/// Blobs up to this size are uploaded in one `PUT` by default.
pub const DEFAULT_MONOLITHIC_LIMIT: u64 = 16 * 1024 * 1024;

/// Configures a [`Client`].
///
/// ```
/// use registry_client::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .user_agent("my-tool/1.0")
///     .insecure_host("registry.internal:5000")
///     .retry_policy(RetryPolicy::default().with_max_retries(2))
///     .max_concurrent_requests(8)
///     .build()?;
/// # drop(client);
/// # Ok::<(), registry_client::Error>(())
/// ```
#[derive(Debug)]
pub struct ClientBuilder {
    user_agent: String,
    timeouts: Timeouts,
    credentials: Option<Arc<dyn CredentialSource>>,
    insecure_hosts: Vec<String>,
    env: NetworkEnv,
    retry: RetryPolicy,
    max_concurrent_requests: usize,
    max_requests_per_registry: usize,
    transport: Option<Arc<dyn Transport>>,
    max_manifest_size: u64,
    monolithic_limit: u64,
    chunk_size: Option<u64>,
    registries: Option<Registries>,
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder {
            user_agent: concat!("skiff-registry-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeouts: Timeouts::default(),
            credentials: None,
            insecure_hosts: Vec::new(),
            env: NetworkEnv::from_process(),
            retry: RetryPolicy::default(),
            max_concurrent_requests: 32,
            max_requests_per_registry: 16,
            transport: None,
            max_manifest_size: oci_manifest::DEFAULT_MAX_MANIFEST_SIZE,
            monolithic_limit: DEFAULT_MONOLITHIC_LIMIT,
            chunk_size: None,
            registries: None,
        }
    }
}

impl ClientBuilder {
    /// The `User-Agent` header sent with every request.
    pub fn user_agent(mut self, user_agent: &str) -> ClientBuilder {
        self.user_agent = user_agent.to_owned();
        self
    }

    /// How long a request may wait for the response head or for the next chunk of its body
    /// (default 60 s): [`Timeouts::with_stall`].
    pub fn idle_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeouts = self.timeouts.with_stall(timeout);
        self
    }

    /// Every deadline of the client: stall, bounded reads, minimum blob rate, reaching a
    /// registry (defaults: [`Timeouts::default`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> ClientBuilder {
        self.timeouts = timeouts;
        self
    }

    /// Where usernames and passwords come from.
    pub fn credentials(mut self, source: impl CredentialSource + 'static) -> ClientBuilder {
        self.credentials = Some(Arc::new(source));
        self
    }

    /// Marks a host (`name` or `name:port`) insecure: https without certificate verification
    /// is tried first, then plain http.
    pub fn insecure_host(mut self, host: &str) -> ClientBuilder {
        self.insecure_hosts.push(host.to_owned());
        self
    }

    /// The environment the defaults are read from (default: the process's, see
    /// [`NetworkEnv::from_process`]): the registries.conf files (unless
    /// [`ClientBuilder::registries`] is given) and the default transport's proxies and
    /// certificate directories.
    /// [`NetworkEnv::default()`] reads nothing from the process or the system.
    pub fn environment(mut self, env: NetworkEnv) -> ClientBuilder {
        self.env = env;
        self
    }

    /// The registries.conf entries to follow (default: [`Registries::from_env`] of the
    /// builder's environment): prefix rewriting, insecure and blocked registries, mirrors.
    pub fn registries(mut self, registries: Registries) -> ClientBuilder {
        self.registries = Some(registries);
        self
    }

    /// How transient failures are retried.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> ClientBuilder {
        self.retry = policy;
        self
    }

    /// At most this many requests in flight at once (default 32; at least 1). A streaming
    /// response holds its slot until its body is dropped.
    pub fn max_concurrent_requests(mut self, limit: usize) -> ClientBuilder {
        self.max_concurrent_requests = limit.max(1);
        self
    }

    /// At most this many requests in flight to any one host at once (default 16; at least
    /// 1), on top of [`ClientBuilder::max_concurrent_requests`]: many images copied at once
    /// share a registry politely. A streaming response holds its slot until its body is
    /// dropped.
    pub fn max_requests_per_registry(mut self, limit: usize) -> ClientBuilder {
        self.max_requests_per_registry = limit.max(1);
        self
    }

    /// Sends requests through `transport` instead of the default hyper + rustls one (a
    /// [`HyperTransport`] from [`HyperTransport::builder`] with the builder's environment).
    /// Connection settings (CA files, certificate directories, timeouts) belong to the
    /// transport: build a [`HyperTransport`] with them.
    pub fn transport(mut self, transport: impl Transport) -> ClientBuilder {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// The largest manifest accepted (default
    /// [`oci_manifest::DEFAULT_MAX_MANIFEST_SIZE`], 4 MiB).
    pub fn max_manifest_size(mut self, bytes: u64) -> ClientBuilder {
        self.max_manifest_size = bytes;
        self
    }

    /// Blobs up to this size are uploaded with one `PUT` (default 16 MiB); larger ones stream.
    pub fn monolithic_upload_limit(mut self, bytes: u64) -> ClientBuilder {
        self.monolithic_limit = bytes;
        self
    }

    /// Uploads large blobs as `PATCH` requests of at most this many bytes each, with
    /// `Content-Range`, instead of one streamed `PATCH` (for registries that require chunks).
    pub fn upload_chunk_size(mut self, bytes: u64) -> ClientBuilder {
        self.chunk_size = Some(bytes.max(1));
        self
    }

    /// Builds the client; fails when a CA file or the TLS setup is unusable.
    pub fn build(self) -> Result<Client, Error> {
        let transport: Arc<dyn Transport> = match self.transport {
            Some(transport) => transport,
            None => Arc::new(HyperTransport::builder().environment(self.env.clone()).build()?),
        };
        let registries = match self.registries {
            Some(registries) => registries,
            None => Registries::from_env(&self.env)?,
        };
        let mut insecure_hosts = self.insecure_hosts;
        insecure_hosts.extend(registries.insecure_hosts());
        let user_agent = HeaderValue::from_str(&self.user_agent).map_err(|_| Error::InvalidHeader {
            name: "User-Agent",
            value: self.user_agent.clone(),
        })?;
        Ok(Client {
            inner: Arc::new(Inner {
                dispatcher: Dispatcher {
                    transport,
                    retry: self.retry,
                    timeouts: self.timeouts,
                    limit: Arc::new(Semaphore::new(self.max_concurrent_requests)),
                    hosts: Hosts::new(self.max_requests_per_registry),
                    counters: Counters::default(),
                    user_agent,
                },
                insecure_hosts: InsecureHosts::new(insecure_hosts),
                registries,
                endpoints: Mutex::new(HashMap::new()),
                auth: Auth::new(self.credentials),
                limits: Limits {
                    max_manifest_size: self.max_manifest_size,
                    monolithic: self.monolithic_limit,
                    chunk_size: self.chunk_size,
                },
            }),
        })
    }
}

/// Size limits and upload shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_manifest_size: u64,
    pub(crate) monolithic: u64,
    pub(crate) chunk_size: Option<u64>,
}

/// A registry client; cheap to clone, clones share connections, tokens and counters.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dispatcher: Dispatcher,
    insecure_hosts: InsecureHosts,
    registries: Registries,
    endpoints: Mutex<HashMap<String, Arc<OnceCell<Arc<Endpoint>>>>>,
    auth: Auth,
    limits: Limits,
}

/// How a registry was reached: its scheme and what `/v2/` answered.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) scheme: Scheme,
    /// The `WWW-Authenticate` headers of the ping, empty when the registry is open.
    pub(crate) challenge: HeaderMap,
}

impl Endpoint {
    pub(crate) fn base(&self) -> String {
        format!("{}://{}", self.scheme.as_str(), self.host)
    }
}

/// Where a request goes: a path on the registry's endpoint, or a URL the registry sent.
#[derive(Debug)]
pub(crate) enum Target {
    Path(String),
    Url(Uri),
}

/// One API call before endpoint and credentials are known.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) registry: String,
    pub(crate) access: Access,
    pub(crate) method: Method,
    pub(crate) target: Target,
    pub(crate) headers: HeaderMap,
    pub(crate) body: RequestBody,
    /// Carries the bytes of a blob transfer already under way (see
    /// [`Call::continuing_transfer`]).
    pub(crate) continues_transfer: bool,
}

impl Call {
    pub(crate) fn new(registry: &str, access: Access, method: Method, target: Target) -> Call {
        Call {
            registry: registry.to_owned(),
            access,
            method,
            target,
            headers: HeaderMap::new(),
            body: RequestBody::empty(),
            continues_transfer: false,
        }
    }

    /// Marks a step of an upload (its opening `POST`, a `PATCH`, the closing `PUT`): it
    /// belongs to a transfer whose download may hold a concurrency slot already, so it takes
    /// none (see [`crate::dispatch`]).
    pub(crate) fn continuing_transfer(mut self) -> Call {
        self.continues_transfer = true;
        self
    }

    pub(crate) fn header(mut self, name: http::header::HeaderName, value: HeaderValue) -> Call {
        self.headers.insert(name, value);
        self
    }

    pub(crate) fn body(mut self, body: RequestBody) -> Call {
        self.body = body;
        self
    }
}

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client with the defaults: system roots, no credentials, default retries.
    pub fn new() -> Result<Client, Error> {
        ClientBuilder::default().build()
    }

    /// How many requests this client (and its clones) has sent so far.
    pub fn request_counts(&self) -> RequestCounts {
        self.inner.dispatcher.counters.snapshot()
    }

    /// How often a failed exchange (or a broken download) is attempted again.
    pub(crate) fn max_retries(&self) -> u32 {
        self.inner.dispatcher.retry.max_retries()
    }

    /// How long to wait before repeat number `attempt` (from 0) of a whole operation.
    pub(crate) fn retry_backoff(&self, attempt: u32) -> Duration {
        self.inner.dispatcher.retry.backoff(attempt)
    }

    pub(crate) fn timeouts(&self) -> Timeouts {
        self.inner.dispatcher.timeouts
    }

    pub(crate) fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// Checks that `registry` speaks the v2 API, learning its scheme and authentication
    /// challenge; later calls reuse what the first one learned.
    pub async fn ping(&self, registry: &str) -> Result<(), Error> {
        self.refuse_blocked_host(registry)
            .map_err(|e| e.context(Context::registry(registry)))?;
        self.endpoint(registry)
            .await
            .map(drop)
            .map_err(|e| e.context(Context::registry(registry)))
    }

    /// The endpoint for `registry`, pinging it the first time (concurrent callers share the
    /// one ping).
    pub(crate) async fn endpoint(&self, registry: &str) -> Result<Arc<Endpoint>, Error> {
        let host = api_host(registry).to_owned();
        let cell = {
            let mut endpoints = self
                .inner
                .endpoints
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(endpoints.entry(host.clone()).or_default())
        };
        let reach = self.inner.dispatcher.timeouts.reach();
        let discover = async {
            tokio::time::timeout(reach, self.discover(&host))
                .await
                .map_err(|_| Error::NoAnswer {
                    registry: host.clone(),
                    after: reach,
                })?
        };
        cell.get_or_try_init(|| discover).await.cloned()
    }

    async fn discover(&self, host: &str) -> Result<Arc<Endpoint>, Error> {
        let insecure = self.is_insecure(host);
        let mut last_error = None;
        let schemes = candidate_schemes(host, insecure);
        for (i, &scheme) in schemes.iter().enumerate() {
            let uri = parse_uri(&format!("{}://{host}/v2/", scheme.as_str()))?;
            let mut request = Prepared::new(Method::GET, uri.clone(), scheme.verifies_tls());
            // A scheme with a fallback after it fails fast: a plain-http server answering a
            // TLS handshake is not a transient fault.
            request.retry_connection = i + 1 == schemes.len();
            match self.inner.dispatcher.send(request).await {
                Ok(response)
                    if response.status() == StatusCode::UNAUTHORIZED && !answered_here(&response, &uri) =>
                {
                    return Err(foreign_challenge(&Method::GET, response).await);
                }
                Ok(response)
                    if response.status() == StatusCode::OK
                        || response.status() == StatusCode::UNAUTHORIZED =>
                {
                    let mut challenge = HeaderMap::new();
                    if response.status() == StatusCode::UNAUTHORIZED {
                        for value in response.headers().get_all(WWW_AUTHENTICATE) {
                            challenge.append(WWW_AUTHENTICATE, value.clone());
                        }
                    }
                    tracing::debug!(host, %scheme, open = challenge.is_empty(), "registry reached");
                    return Ok(Arc::new(Endpoint {
                        host: host.to_owned(),
                        scheme,
                        challenge,
                    }));
                }
                Ok(response) => last_error = Some(status_error(&Method::GET, &uri, response).await),
                Err(error) if scheme == Scheme::Https && peer_speaks_tls(&error) => {
                    // Never trade a failed verification for plain http (see `endpoint`).
                    return Err(Error::TlsVerification {
                        registry: host.to_owned(),
                        source: Box::new(error),
                    });
                }
                // The local configuration is broken: no other scheme fixes that.
                Err(error @ Error::CertificateFile { .. }) => return Err(error),
                Err(error) => last_error = Some(error),
            }
        }
        let source = last_error.map(Box::new).unwrap_or_else(|| {
            Box::new(Error::InvalidUrl {
                input: host.to_owned(),
                reason: "no scheme to try".to_owned(),
            })
        });
        Err(Error::Unreachable {
            registry: host.to_owned(),
            source,
        })
    }

    /// Sends `call` where registries.conf says its repository lives: a blocked one is refused,
    /// a read tries the mirrors that serve it in order (any failure moves on to the next), and
    /// everything else, or a read no mirror served, goes to the registry after `location`
    /// rewriting.
    pub(crate) async fn execute(&self, call: Call) -> Result<Response<Body>, Error> {
        let repository = match &call.access {
            Access::Pull(repository) | Access::Push(repository) | Access::Delete(repository) => repository,
            Access::Mount { to, .. } => to,
            Access::Catalog => {
                self.refuse_blocked_host(&call.registry)?;
                return self.execute_here(call).await;
            }
        };
        let Some(resolution) = self.inner.registries.resolve(&call.registry, repository)? else {
            return self.execute_here(call).await;
        };
        let name = format!("{}/{repository}", call.registry);
        let is_read = matches!(call.access, Access::Pull(_))
            && matches!(call.method, Method::GET | Method::HEAD)
            && matches!(call.target, Target::Path(_));
        if is_read {
            let by_digest = match &call.target {
                Target::Path(path) => {
                    path.contains("/blobs/") || path.rsplit('/').next().is_some_and(|last| last.contains(':'))
                }
                Target::Url(_) => false,
            };
            for mirror in resolution.mirrors.iter().filter(|m| m.pull.serves(by_digest)) {
                let attempt = Call {
                    registry: call.registry.clone(),
                    access: call.access.clone(),
                    method: call.method.clone(),
                    target: match &call.target {
                        Target::Path(path) => Target::Path(path.clone()),
                        Target::Url(uri) => Target::Url(uri.clone()),
                    },
                    headers: call.headers.clone(),
                    body: RequestBody::empty(),
                    continues_transfer: false,
                };
                let endpoint = format!("{}/{}", mirror.location.host, mirror.location.repository);
                match self
                    .execute_here(relocate(attempt, repository, &mirror.location))
                    .await
                {
                    Ok(response) if response.status().is_success() => {
                        tracing::debug!(%name, mirror = %endpoint, "read served by mirror");
                        return Ok(response);
                    }
                    Ok(response) => {
                        tracing::debug!(%name, mirror = %endpoint, status = %response.status(), "mirror failed; next")
                    }
                    Err(error) => tracing::debug!(%name, mirror = %endpoint, %error, "mirror failed; next"),
                }
            }
        }
        let endpoint = format!("{}/{}", resolution.registry.host, resolution.registry.repository);
        if is_read {
            tracing::debug!(%name, registry = %endpoint, "read served by the registry");
        } else if endpoint != name {
            tracing::debug!(%name, registry = %endpoint, "rewritten by registries.conf");
        }
        let repository = repository.clone();
        self.execute_here(relocate(call, &repository, &resolution.registry))
            .await
    }

    /// Fails when registries.conf blocks the whole of `registry` (an entry whose prefix is the
    /// host): registry-wide requests (the ping, the catalog) have no repository to match.
    fn refuse_blocked_host(&self, registry: &str) -> Result<(), Error> {
        self.inner.registries.resolve(registry, "").map(drop)
    }

    /// Sends `call` with credentials for its scope; on 401 refreshes them once and resends
    /// (when the body can be sent again).
    async fn execute_here(&self, call: Call) -> Result<Response<Body>, Error> {
        let endpoint = self.endpoint(&call.registry).await?;
        let uri = match call.target {
            Target::Path(path) => parse_uri(&format!("{}{path}", endpoint.base()))?,
            Target::Url(uri) => uri,
        };
        let base = parse_uri(&endpoint.base())?;
        // Credentials go only to the registry itself, never to a URL it pointed elsewhere.
        let send_credentials = same_origin(&uri, &base);
        let mut request = Prepared::new(
            call.method,
            uri,
            endpoint.scheme.verifies_tls() || !send_credentials,
        );
        request.headers = call.headers;
        request.body = call.body;
        request.takes_slot = !call.continues_transfer;
        let auth = &self.inner.auth;
        let mut sent = None;
        if send_credentials {
            sent = auth
                .authorization(
                    self.token_route(),
                    &call.registry,
                    &endpoint.host,
                    &endpoint.challenge,
                    &call.access,
                    None,
                )
                .await?;
            if let Some(value) = &sent {
                request.headers.insert(AUTHORIZATION, value.clone());
            }
        }
        let spare = request.try_clone();
        let method = request.method.clone();
        let mut response = self.inner.dispatcher.send(request).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        if !answered_here(&response, &base) {
            // A challenge is believed only from the registry itself: a CDN or storage host
            // that answers 401 is not sent the registry's credentials, nor asked for its own.
            return Err(foreign_challenge(&method, response).await);
        }
        if !send_credentials {
            return Ok(response);
        }
        response.body_mut().release_slot();
        // The 401's own challenge is the freshest word on what is needed; a registry that
        // answered the ping openly may still protect some repositories.
        let mut challenge = HeaderMap::new();
        for value in response.headers().get_all(WWW_AUTHENTICATE) {
            challenge.append(WWW_AUTHENTICATE, value.clone());
        }
        if challenge.is_empty() {
            challenge = endpoint.challenge.clone();
        }
        if challenge.is_empty() {
            return Ok(response);
        }
        // Refreshed even when this body cannot be sent again (a streamed upload): the caller
        // then sees the 401, and the request it starts over carries the new credentials.
        let refreshed = auth
            .authorization(
                self.token_route(),
                &call.registry,
                &endpoint.host,
                &challenge,
                &call.access,
                sent.as_ref(),
            )
            .await?;
        let (Some(mut retry), Some(value)) = (spare, refreshed.filter(|value| Some(value) != sent.as_ref()))
        else {
            return Ok(response);
        };
        drop(response);
        retry.headers.insert(AUTHORIZATION, value);
        let response = self.inner.dispatcher.send(retry).await?;
        if response.status() == StatusCode::UNAUTHORIZED && !answered_here(&response, &base) {
            return Err(foreign_challenge(&method, response).await);
        }
        Ok(response)
    }

    /// Whether the user marked `host` insecure.
    pub(crate) fn is_insecure(&self, host: &str) -> bool {
        self.inner.insecure_hosts.contains(host)
    }

    /// What the token exchange needs of this client.
    fn token_route(&self) -> TokenRoute<'_> {
        TokenRoute {
            dispatcher: &self.inner.dispatcher,
            insecure_hosts: &self.inner.insecure_hosts,
        }
    }
}

/// Whether `response` came from the origin of `registry` (after any redirects).
fn answered_here<B>(response: &Response<B>, registry: &Uri) -> bool {
    same_origin(&response_uri(response), registry)
}

/// The error for a 401 from another origin than the registry's, naming the URL that answered.
async fn foreign_challenge(method: &Method, response: Response<Body>) -> Error {
    let answered = response_uri(&response);
    status_error(method, &answered, response).await
}

/// `call` moved from `repository` on its registry to `to`: its registry, scope and path. A
/// URL the registry sent (an upload location, a next page) stays as it is: it already points
/// where the earlier request went.
fn relocate(mut call: Call, repository: &str, to: &Location) -> Call {
    let moved = |name: &String| {
        if name == repository {
            to.repository.clone()
        } else {
            name.clone()
        }
    };
    call.access = match &call.access {
        Access::Pull(name) => Access::Pull(moved(name)),
        Access::Push(name) => Access::Push(moved(name)),
        Access::Delete(name) => Access::Delete(moved(name)),
        Access::Mount { to: target, from } => Access::Mount {
            to: moved(target),
            from: from.clone(),
        },
        Access::Catalog => Access::Catalog,
    };
    if let Target::Path(path) = &call.target {
        if let Some(rest) = path.strip_prefix(&format!("/v2/{repository}/")) {
            call.target = Target::Path(format!("/v2/{}/{rest}", to.repository));
        }
    }
    call.registry = to.host.clone();
    call
}

pub(crate) fn parse_uri(text: &str) -> Result<Uri, Error> {
    text.parse()
        .map_err(|e: http::uri::InvalidUri| Error::InvalidUrl {
            input: text.to_owned(),
            reason: e.to_string(),
        })
}
