//! Where credentials come from, in the order the CLI contract gives: explicit
//! credentials, `--authfile`, `REGISTRY_AUTH_FILE`, the containers auth file,
//! then Docker's `config.json` with its credential helpers.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use super::helper::{CredentialHelper, DEFAULT_HELPER_TIMEOUT};
use super::key::{canonical_registry, docker_server_url};
use super::{AuthFile, AuthFileFormat};
use crate::{Credential, Error, Secret};

/// The environment variables that locate auth files and helpers. Read once,
/// at the edge, with [`AuthEnv::from_process`]; tests build their own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthEnv {
    /// `HOME`.
    pub home: Option<PathBuf>,
    /// `DOCKER_CONFIG`: the directory holding Docker's `config.json`.
    pub docker_config: Option<PathBuf>,
    /// `REGISTRY_AUTH_FILE`: a containers auth file.
    pub registry_auth_file: Option<PathBuf>,
    /// `XDG_RUNTIME_DIR`, under which `containers/auth.json` lives.
    pub xdg_runtime_dir: Option<PathBuf>,
    /// `PATH`, searched for `docker-credential-NAME` helpers.
    pub path: Option<OsString>,
}

impl AuthEnv {
    /// Reads the variables of the running process; empty ones count as unset.
    pub fn from_process() -> Self {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        Self {
            home: var("HOME").map(PathBuf::from),
            docker_config: var("DOCKER_CONFIG").map(PathBuf::from),
            registry_auth_file: var("REGISTRY_AUTH_FILE").map(PathBuf::from),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR").map(PathBuf::from),
            path: var("PATH"),
        }
    }
}

/// Finds the credentials for a registry, and stores or removes them for
/// `login`/`logout`.
///
/// Files are read in order and the first one with credentials for the
/// registry wins; in each, a credential helper named for the registry
/// (`credHelpers`, else `credsStore`) is asked first, then the inline `auths`.
/// Missing files are skipped.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    env: AuthEnv,
    explicit: Option<Credential>,
    authfile: Option<PathBuf>,
    helper_timeout: Duration,
}

impl CredentialStore {
    /// A store over the files `env` locates.
    pub fn new(env: AuthEnv) -> Self {
        Self {
            env,
            explicit: None,
            authfile: None,
            helper_timeout: DEFAULT_HELPER_TIMEOUT,
        }
    }

    /// Credentials given on the command line: used for every registry, before any file.
    pub fn with_explicit(mut self, credential: Credential) -> Self {
        self.explicit = Some(credential);
        self
    }

    /// The `--authfile` file: read first, and the one `login` writes.
    pub fn with_authfile(mut self, path: impl Into<PathBuf>) -> Self {
        self.authfile = Some(path.into());
        self
    }

    /// How long a credential helper may take.
    pub fn with_helper_timeout(mut self, timeout: Duration) -> Self {
        self.helper_timeout = timeout;
        self
    }

    /// The files read, in order: `--authfile`, `REGISTRY_AUTH_FILE`,
    /// `$XDG_RUNTIME_DIR/containers/auth.json`, `$HOME/.config/containers/auth.json`,
    /// then `$DOCKER_CONFIG/config.json` or else `$HOME/.docker/config.json`.
    pub fn files(&self) -> Vec<(PathBuf, AuthFileFormat)> {
        let env = &self.env;
        let containers = [
            self.authfile.clone(),
            env.registry_auth_file.clone(),
            env.xdg_runtime_dir
                .as_ref()
                .map(|dir| dir.join("containers").join("auth.json")),
            env.home
                .as_ref()
                .map(|home| home.join(".config").join("containers").join("auth.json")),
        ];
        let docker = match (&env.docker_config, &env.home) {
            (Some(dir), _) => Some(dir.join("config.json")),
            (None, Some(home)) => Some(home.join(".docker").join("config.json")),
            (None, None) => None,
        };
        let mut files: Vec<(PathBuf, AuthFileFormat)> = Vec::new();
        let all = containers
            .into_iter()
            .flatten()
            .map(|path| (path, AuthFileFormat::Containers))
            .chain(docker.map(|path| (path, AuthFileFormat::Docker)));
        for (path, format) in all {
            if !files.iter().any(|(seen, _)| *seen == path) {
                files.push((path, format));
            }
        }
        files
    }

    /// The file `login` and `logout` change: `--authfile`, else
    /// `REGISTRY_AUTH_FILE`, else the containers auth file under
    /// `XDG_RUNTIME_DIR`, else the one under `HOME/.config`. `None` when
    /// none of those is known.
    pub fn login_file(&self) -> Option<PathBuf> {
        let env = &self.env;
        self.authfile
            .clone()
            .or_else(|| env.registry_auth_file.clone())
            .or_else(|| {
                env.xdg_runtime_dir
                    .as_ref()
                    .map(|dir| dir.join("containers").join("auth.json"))
            })
            .or_else(|| {
                env.home
                    .as_ref()
                    .map(|home| home.join(".config").join("containers").join("auth.json"))
            })
    }

    /// The credentials for `registry` (`host[:port]`; Docker Hub by any of its
    /// names); `repository` lets namespaced auth-file keys (`quay.io/org`)
    /// apply. [`Credential::Anonymous`] when nothing is stored.
    pub fn credential_for(&self, registry: &str, repository: Option<&str>) -> Result<Credential, Error> {
        if let Some(explicit) = &self.explicit {
            return Ok(explicit.clone());
        }
        let registry = canonical_registry(registry)?;
        for (path, format) in self.files() {
            let file = AuthFile::load(path, format)?;
            if let Some(name) = file.helper(&registry) {
                if let Some(credential) = self.helper(name)?.get(docker_server_url(&registry))? {
                    return Ok(credential);
                }
            }
            if let Some(credential) = file.credential(&registry, repository)? {
                return Ok(credential);
            }
        }
        Ok(Credential::Anonymous)
    }

    /// Stores `username` and `password` for `registry` in the [login file]
    /// (through its credential helper when it names one for the registry) and
    /// returns the file's path.
    ///
    /// [login file]: CredentialStore::login_file
    pub fn login(&self, registry: &str, username: &str, password: &Secret) -> Result<PathBuf, Error> {
        let registry = canonical_registry(registry)?;
        let mut file = self.login_auth_file(&registry)?;
        match file.helper(&registry) {
            Some(name) => {
                self.helper(name)?
                    .store(docker_server_url(&registry), username, password)?;
                // The helper holds the secret now; an inline copy would be stale.
                if file.remove(&registry) {
                    file.save()?;
                }
            }
            None => {
                file.set_basic(&registry, username, password)?;
                file.save()?;
            }
        }
        Ok(file.path().to_owned())
    }

    /// Removes the credentials for `registry` from the login file (and its
    /// credential helper); tells whether there were inline ones.
    pub fn logout(&self, registry: &str) -> Result<bool, Error> {
        let registry = canonical_registry(registry)?;
        let mut file = self.login_auth_file(&registry)?;
        if let Some(name) = file.helper(&registry) {
            self.helper(name)?.erase(docker_server_url(&registry))?;
        }
        let removed = file.remove(&registry);
        if removed {
            file.save()?;
        }
        Ok(removed)
    }

    fn login_auth_file(&self, registry: &str) -> Result<AuthFile, Error> {
        let path = self.login_file().ok_or_else(|| Error::NoAuthFileLocation {
            registry: registry.to_owned(),
        })?;
        AuthFile::load(path, AuthFileFormat::Containers)
    }

    fn helper(&self, name: &str) -> Result<CredentialHelper, Error> {
        let search_path = self.env.path.clone().unwrap_or_default();
        CredentialHelper::find(name, &search_path, self.helper_timeout)
    }
}
