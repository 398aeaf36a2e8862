//! Credentials on disk and in credential helpers: Docker's `config.json`, the
//! containers `auth.json`, and `docker-credential-*` programs.

mod file;
mod helper;
mod key;
mod store;

pub use file::{AuthFile, AuthFileFormat, MAX_AUTH_FILE_BYTES};
pub use helper::{CredentialHelper, DEFAULT_HELPER_TIMEOUT};
pub use store::{AuthEnv, CredentialStore};
