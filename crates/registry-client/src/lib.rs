//! The async registry client: the Docker Registry HTTP API V2 and the OCI distribution spec
//! over hyper and rustls.
//!
//! The TLS stack (hyper-rustls, rustls) sits behind the default `tls` feature. Without it
//! the crate reads and writes OCI image layouts and runs the image engine between them with
//! no TLS code in the build, and its client speaks plain http only.
//!
//! A [`Client`] is cheap to clone; its clones share connections, learned endpoints, tokens and
//! request counters. Every operation prepares its request completely and sends it through one
//! place that owns redirects (credentials never follow a redirect to another host, https never
//! downgrades to http), retries (bounded, jittered, only for requests safe to repeat) and
//! timeouts. The first request to a registry pings `/v2/` to learn its scheme and challenge
//! (verified https; local hosts fall back to plain http only when they do not speak TLS, never
//! after a failed certificate check, which is an [`Error::TlsVerification`]);
//! credentials come from a [`CredentialSource`] and are sent as Basic or exchanged for Bearer
//! tokens per scope, refreshed once on a 401.
//!
//! Content is verified while it flows: manifests fetched by digest are checked before anything
//! parses them, blobs arrive as a [`BlobStream`] that fails at the end on a mismatch (and
//! resumes a broken connection with `Range`), and uploads are hashed as they are sent.
//!
//! # Example
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use registry_client::{Client, Credential, RepositoryRef, StaticCredentials};
//!
//! # async fn run() -> Result<(), registry_client::Error> {
//! let client = Client::builder()
//!     .credentials(StaticCredentials::new().with("localhost:5000", Credential::basic("alice", "secret")))
//!     .build()?;
//!
//! // A manifest, byte-exact, with its normalised media type and verified digest.
//! let reference = "localhost:5000/team/app:1.0".parse()?;
//! let manifest = client.get_manifest(&reference).await?;
//! println!("{} {}", manifest.media_type(), manifest.digest());
//!
//! // Its layers, verified while they stream.
//! let repository = RepositoryRef::from(&reference);
//! for layer in manifest.parse()?.layer_descriptors().unwrap_or_default() {
//!     let mut file = tokio::fs::File::create(layer.digest().encoded()).await.map_err(registry_client::Error::Source)?;
//!     client.get_blob(&repository, layer.digest()).await?.write_to(&mut file).await?;
//! }
//!
//! // Every tag, following pagination.
//! let tags: Vec<String> = client.tags(&repository, Some(100)).try_collect().await?;
//! println!("{tags:?}, {} requests", client.request_counts().total());
//! # Ok(())
//! # }
//! ```
//!
//! Errors carry the registry's diagnostics and say what they happened to:
//!
//! ```
//! use registry_client::{Error, ErrorCode};
//!
//! fn explain(error: &Error) -> &'static str {
//!     if error.is_not_found() {
//!         "no such image"
//!     } else if error.is_unauthorized() || error.is_denied() {
//!         "log in first"
//!     } else if error.diagnostics().iter().any(|d| d.code() == &ErrorCode::TooManyRequests) {
//!         "slow down"
//!     } else {
//!         "failed"
//!     }
//! }
//! # let _ = explain;
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod archive;
mod auth;
mod blobs;
#[cfg(feature = "tls")]
mod certs;
mod client;
mod counters;
mod diagnostic;
mod dispatch;
mod endpoint;
mod environment;
mod error;
pub mod image;
pub mod layout;
mod link;
mod listing;
mod manifests;
mod proxy;
mod redirect;
mod referrers;
mod registries;
mod repository;
mod retry;
pub mod sync;
mod timeouts;
#[cfg(feature = "tls")]
mod tls;
mod transport;
mod uploads;
mod url;

pub use auth::{CredentialSource, StaticCredentials};
pub use blobs::BlobStream;
pub use client::{Client, ClientBuilder, DEFAULT_MONOLITHIC_LIMIT};
pub use counters::RequestCounts;
pub use diagnostic::{Diagnostic, ErrorCode};
pub use environment::NetworkEnv;
pub use error::{BoxError, Context, DigestChange, Error, Result};
pub use listing::Names;
pub use manifests::{FetchedManifest, ManifestHead};
pub use referrers::{referrers_tag, ReferrerListing, Referrers};
pub use registries::{Location, Mirror, PullFromMirror, Registries, Resolution};
pub use registry_auth::Credential;
pub use repository::RepositoryRef;
pub use retry::RetryPolicy;
pub use timeouts::Timeouts;
pub use transport::{
    ByteStream, HyperTransport, HyperTransportBuilder, RequestBody, SkipTlsVerification, Transport,
    TransportBody, TransportFuture,
};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
