//! The one error type of this crate.
//!
//! No variant holds a secret: messages name registries, files, helpers and
//! HTTP statuses, never a password or a token, so any of them may be logged.

use std::path::PathBuf;
use std::time::Duration;

use http::StatusCode;

/// Everything that can go wrong while parsing challenges and scopes, exchanging
/// credentials for tokens, and reading or writing credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `WWW-Authenticate` header value does not follow RFC 7235.
    #[error("WWW-Authenticate header {header:?} is malformed at byte {position}: expected {expected}")]
    ChallengeSyntax {
        /// The header value as received.
        header: String,
        /// Byte offset of the first character that could not be parsed.
        position: usize,
        /// What the parser was looking for there.
        expected: &'static str,
    },
    /// A challenge lacks a parameter its scheme requires (a Bearer challenge without `realm`).
    #[error("{scheme} challenge has no `{param}` parameter")]
    MissingChallengeParam {
        /// The challenge's scheme as received.
        scheme: String,
        /// The missing parameter.
        param: &'static str,
    },
    /// A challenge of one scheme was given where another was needed.
    #[error("expected a {expected} challenge, got {scheme}")]
    WrongScheme {
        /// The challenge's scheme as received.
        scheme: String,
        /// The scheme needed.
        expected: &'static str,
    },
    /// A Bearer challenge's realm is not an absolute `http`/`https` URL.
    #[error("Bearer challenge realm {realm:?} is not usable: {reason}")]
    InvalidRealm {
        /// The realm as received.
        realm: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Credentials would travel to a token service over plain http.
    #[error(
        "refusing to send credentials over plain http to token service {realm:?}; \
         mark the registry insecure to allow it"
    )]
    InsecureRealm {
        /// The realm the challenge named.
        realm: String,
    },
    /// A scope string does not follow `type[(class)]:name:action[,action...]`.
    #[error("scope {input:?} is invalid: {reason}")]
    InvalidScope {
        /// The rejected input.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A username cannot be sent with Basic authentication (RFC 7617 forbids `:` and control characters).
    #[error("username {username:?} cannot be used with Basic authentication: {reason}")]
    InvalidUsername {
        /// The rejected username.
        username: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A token has characters that cannot be sent in an `Authorization` header.
    #[error("the {origin} contains characters that cannot be sent in an Authorization header")]
    UnsendableToken {
        /// Where the token came from, for example "token service response".
        origin: &'static str,
    },
    /// A registry token given directly is used as it is; there is nothing to exchange.
    #[error("a registry token given directly needs no token exchange")]
    NoExchangeForRegistryToken,
    /// The token service answered with an error status.
    #[error("token service answered {status}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    TokenRejected {
        /// The HTTP status.
        status: StatusCode,
        /// The service's own explanation, when its body carried one.
        message: Option<String>,
    },
    /// The token service's body exceeds the size this crate accepts.
    #[error("token service response is {size} bytes, more than the {limit} accepted")]
    TokenResponseTooLarge {
        /// Size of the body received.
        size: usize,
        /// The limit, [`crate::MAX_TOKEN_RESPONSE_BYTES`].
        limit: usize,
    },
    /// The token service's body is not the JSON document the token protocol describes.
    #[error("token service response is malformed: {reason}")]
    MalformedTokenResponse {
        /// What is wrong, without echoing the body (it may hold a token).
        reason: String,
    },
    /// A registry name or auth-file key cannot be understood.
    #[error("registry {input:?} is invalid: {reason}")]
    InvalidRegistry {
        /// The rejected input.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying failure.
        source: std::io::Error,
    },
    /// `login`/`logout` found no place for an auth file: no `--authfile`,
    /// `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR` or `HOME`.
    #[error(
        "no auth file to keep the credentials for {registry} in: pass --authfile or set \
         REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR or HOME"
    )]
    NoAuthFileLocation {
        /// The registry being logged in to or out of.
        registry: String,
    },
    /// An auth file exceeds the size this crate accepts.
    #[error("auth file {} is {size} bytes, more than the {limit} accepted", path.display())]
    AuthFileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit, [`crate::MAX_AUTH_FILE_BYTES`].
        limit: u64,
    },
    /// An auth file is not the JSON document Docker and containers tools write.
    #[error("auth file {} is malformed: {reason}", path.display())]
    MalformedAuthFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, without echoing its content (it holds credentials).
        reason: String,
    },
    /// A credential helper could not be started.
    #[error("cannot run credential helper {program}: {source}")]
    HelperSpawn {
        /// The helper program, `docker-credential-NAME`.
        program: String,
        /// The underlying failure (typically: not found on the search path).
        source: std::io::Error,
    },
    /// A credential helper did not finish in time and was killed.
    #[error("credential helper {program} did not answer within {timeout:?}")]
    HelperTimeout {
        /// The helper program.
        program: String,
        /// How long it was given.
        timeout: Duration,
    },
    /// A credential helper exited with a failure.
    #[error(
        "credential helper {program} failed ({}){}",
        code.map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit status {c}")),
        if message.is_empty() { String::new() } else { format!(": {message}") }
    )]
    HelperFailed {
        /// The helper program.
        program: String,
        /// Its exit code, `None` when a signal ended it.
        code: Option<i32>,
        /// What it printed about the failure.
        message: String,
    },
    /// A credential helper answered with something other than the documented JSON.
    #[error("credential helper {program} answered malformed output: {reason}")]
    HelperOutput {
        /// The helper program.
        program: String,
        /// What is wrong, without echoing the output (it may hold a secret).
        reason: String,
    },
}

impl Error {
    /// Whether the token service refused the credentials (401 or 403): a wrong
    /// password or a token that may not have what was asked.
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self,
            Self::TokenRejected { status, .. }
                if *status == StatusCode::UNAUTHORIZED || *status == StatusCode::FORBIDDEN
        )
    }

    /// Whether a credential helper timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::HelperTimeout { .. })
    }

    /// Whether the failure comes from input that cannot be parsed (a header, a
    /// scope, a response body or a file) rather than from the environment.
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            Self::ChallengeSyntax { .. }
                | Self::MissingChallengeParam { .. }
                | Self::InvalidRealm { .. }
                | Self::InvalidScope { .. }
                | Self::MalformedTokenResponse { .. }
                | Self::TokenResponseTooLarge { .. }
                | Self::MalformedAuthFile { .. }
                | Self::AuthFileTooLarge { .. }
                | Self::HelperOutput { .. }
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
