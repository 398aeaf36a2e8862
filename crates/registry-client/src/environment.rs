//! The process environment the network conventions read, as a value.
//!
//! Proxies, certificate directories and `registries.conf` all come from environment variables
//! and well-known paths. They are read in one place, [`NetworkEnv::from_process`], and handed
//! down as a value, so a caller (or a test) can supply another environment and nothing deep in
//! the client reads globals or the real `/etc`.

use std::path::PathBuf;

/// The environment variables and file-system roots the network conventions use.
///
/// [`NetworkEnv::default()`] is empty: no proxies, no home directory, no system files. That is
/// the hermetic environment tests start from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkEnv {
    /// `HTTPS_PROXY` (else `https_proxy`): the proxy for https destinations.
    pub https_proxy: Option<String>,
    /// `HTTP_PROXY` (else `http_proxy`): the proxy for plain-http destinations. Ignored, as Go
    /// and curl do, when `REQUEST_METHOD` is set (a CGI environment, where a request header
    /// could have set it).
    pub http_proxy: Option<String>,
    /// `NO_PROXY` (else `no_proxy`): destinations reached directly.
    pub no_proxy: Option<String>,
    /// `CONTAINERS_REGISTRIES_CONF`: the registries.conf to read instead of the user's and the
    /// system's.
    pub registries_conf: Option<PathBuf>,
    /// `HOME`, under which `.config/containers/` lives.
    pub home: Option<PathBuf>,
    /// The root the system paths (`/etc/containers/...`, `/etc/docker/...`) are taken under:
    /// `/` for the real system, `None` to read no system file.
    pub system_root: Option<PathBuf>,
}

impl NetworkEnv {
    /// Reads the variables of the running process (empty ones count as unset); system files
    /// are read from `/`.
    pub fn from_process() -> NetworkEnv {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let first = |names: [&str; 2]| names.into_iter().find_map(var);
        let cgi = std::env::var_os("REQUEST_METHOD").is_some();
        NetworkEnv {
            https_proxy: first(["HTTPS_PROXY", "https_proxy"]),
            http_proxy: first(["HTTP_PROXY", "http_proxy"]).filter(|_| !cgi),
            no_proxy: first(["NO_PROXY", "no_proxy"]),
            registries_conf: var("CONTAINERS_REGISTRIES_CONF").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
            system_root: Some(PathBuf::from("/")),
        }
    }

    /// `path` (absolute, such as `/etc/containers`) under the system root, when there is one.
    pub(crate) fn system_path(&self, path: &str) -> Option<PathBuf> {
        let root = self.system_root.as_deref()?;
        Some(root.join(path.trim_start_matches('/')))
    }

    /// `path` (relative) under the home directory, when there is one.
    pub(crate) fn home_path(&self, path: &str) -> Option<PathBuf> {
        self.home.as_deref().map(|home| home.join(path))
    }

    /// The per-host certificate directory roots in the order they are searched: the user's
    /// `~/.config/containers/certs.d`, then `/etc/containers/certs.d`, then
    /// `/etc/docker/certs.d`.
    #[cfg(feature = "tls")]
    pub(crate) fn cert_dir_roots(&self) -> Vec<PathBuf> {
        [
            self.home_path(".config/containers/certs.d"),
            self.system_path("/etc/containers/certs.d"),
            self.system_path("/etc/docker/certs.d"),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

#[cfg(all(test, feature = "tls"))]
mod tests {
    use super::*;

    #[test]
    fn paths_hang_under_the_injected_roots() {
        let env = NetworkEnv {
            home: Some("/h".into()),
            system_root: Some("/r".into()),
            ..NetworkEnv::default()
        };
        assert_eq!(
            env.cert_dir_roots(),
            [
                PathBuf::from("/h/.config/containers/certs.d"),
                PathBuf::from("/r/etc/containers/certs.d"),
                PathBuf::from("/r/etc/docker/certs.d"),
            ]
        );
        assert!(NetworkEnv::default().cert_dir_roots().is_empty());
    }
}
