//! Registry authentication without sockets.
//!
//! A registry that wants credentials answers 401 with a `WWW-Authenticate`
//! challenge. This crate parses challenges ([`Challenge`], [`BearerChallenge`]),
//! names what access is wanted ([`Scope`], [`ScopeSet`]), turns credentials
//! ([`Credential`]) into a token request shaped as an [`http::Request`]
//! ([`token_request`]), reads the token service's answer ([`Token`]) and keeps
//! tokens per registry and scope set ([`TokenCache`]). It opens no socket and
//! runs no async runtime: the registry client sends the requests.
//!
//! Its only I/O is reading and writing auth files ([`AuthFile`], Docker's
//! `config.json` and the containers `auth.json`) and running credential
//! helpers ([`CredentialHelper`]); [`CredentialStore`] finds a registry's
//! credentials across them in the order the `skiff` command line documents.
//!
//! # Example
//!
//! ```
//! use std::time::SystemTime;
//! use http::{Method, StatusCode};
//! use registry_auth::{
//!     token_request, BearerChallenge, Challenge, Credential, Scope, ScopeSet, Token, TokenOptions,
//! };
//!
//! // The registry answered 401 with this header.
//! let header = r#"Bearer realm="https://auth.example.com/token",service="registry.example.com""#;
//! let challenges = Challenge::parse(header)?;
//! let bearer = BearerChallenge::find(&challenges).expect("a Bearer challenge")?;
//!
//! // Ask for pull access on one repository and push on another.
//! let scopes: ScopeSet = [Scope::pull("library/alpine")?, Scope::push_pull("me/alpine")?]
//!     .into_iter()
//!     .collect();
//! let credential = Credential::basic("me", "secret");
//! let request = token_request(&bearer, &scopes, &credential, &TokenOptions::default())?;
//! assert_eq!(request.method(), Method::GET);
//! assert!(request.uri().query().unwrap().contains("scope=repository%3Alibrary%2Falpine%3Apull"));
//!
//! // The caller sends `request`; the token service answers.
//! let body = br#"{"token": "eyJhbGciOi.payload.sig", "expires_in": 300}"#;
//! let now = SystemTime::now();
//! let token = Token::from_response(StatusCode::OK, body, now)?;
//! assert!(token.is_fresh(now));
//! assert_eq!(token.authorization_header(), "Bearer eyJhbGciOi.payload.sig");
//! # Ok::<(), registry_auth::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod authfile;
mod cache;
mod challenge;
mod credential;
mod error;
mod exchange;
mod local;
mod scope;
mod secret;
mod token;

pub use authfile::{
    AuthEnv, AuthFile, AuthFileFormat, CredentialHelper, CredentialStore, DEFAULT_HELPER_TIMEOUT,
    MAX_AUTH_FILE_BYTES,
};
pub use cache::{CacheKey, Lookup, Ticket, TokenCache, Waiter};
pub use challenge::{BearerChallenge, Challenge};
pub use credential::Credential;
pub use error::Error;
pub use exchange::{get_fallback, token_request, TokenOptions};
pub use local::is_local_host;
pub use scope::{Action, Scope, ScopeSet};
pub use secret::{redact, remember_secret, Secret, MIN_REDACTED_LEN};
pub use token::{Token, MAX_TOKEN_RESPONSE_BYTES, MIN_TOKEN_LIFETIME};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
