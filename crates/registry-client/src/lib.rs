//! The async registry client: the Docker Registry HTTP API V2 and the OCI distribution spec
//! over hyper and rustls.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod client;
mod counters;
mod diagnostic;
mod dispatch;
mod endpoint;
mod error;
pub mod image;
pub mod layout;
mod link;
mod redirect;
mod repository;
mod retry;
mod tls;
mod transport;
mod url;

pub use auth::{CredentialSource, StaticCredentials};
pub use client::{Client, ClientBuilder, DEFAULT_MAX_MANIFEST_SIZE, DEFAULT_MONOLITHIC_LIMIT};
pub use counters::RequestCounts;
pub use diagnostic::{Diagnostic, ErrorCode};
pub use endpoint::{api_host, candidate_schemes, is_local, Scheme, DOCKER_HUB, DOCKER_HUB_API_HOST};
pub use error::{BoxError, Context, Error};
pub use registry_auth::Credential;
pub use repository::RepositoryRef;
pub use retry::RetryPolicy;
pub use transport::{
    ByteStream, HyperTransport, RequestBody, SkipTlsVerification, Transport, TransportBody, TransportFuture,
};
