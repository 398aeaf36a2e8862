//! A real `docker-registry` process for one test, in the configuration the test asks for.

mod config;

use std::fmt::Display;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use config::{AuthMode, Settings};

use crate::htpasswd::{htpasswd, User};
use crate::pki::TlsFiles;
use crate::token::TokenService;

/// How long a registry may take to listen before the start counts as failed.
const START_LIMIT: Duration = Duration::from_secs(20);

/// How many times a start is retried when another process took the port first.
const PORT_ATTEMPTS: usize = 3;

/// The configuration of a registry to start; see [`Registry::builder`].
#[derive(Debug, Clone, Default)]
pub struct RegistryBuilder {
    htpasswd_users: Vec<User>,
    token_service: Option<TokenService>,
    tls: bool,
    mutual_tls: bool,
    proxy_remote: Option<String>,
    schema1: bool,
    catalog_max_entries: Option<usize>,
    layer_urls: Option<String>,
}

impl RegistryBuilder {
    /// Basic auth with these users (an htpasswd file of bcrypt hashes).
    pub fn htpasswd(mut self, users: &[User]) -> RegistryBuilder {
        self.htpasswd_users = users.to_vec();
        self.token_service = None;
        self
    }

    /// Bearer token auth with `service` as the realm; the registry trusts its signing certificate.
    /// The registry keeps the service running for as long as it runs.
    pub fn token(mut self, service: &TokenService) -> RegistryBuilder {
        self.token_service = Some(service.clone());
        self.htpasswd_users.clear();
        self
    }

    /// Serve https with a server certificate from a fresh test CA (see [`Registry::tls`]).
    pub fn tls(mut self) -> RegistryBuilder {
        self.tls = true;
        self
    }

    /// Serve https and require a client certificate signed by the test CA (mutual TLS); the
    /// client pair is in [`TlsFiles::cert_dir`].
    pub fn mutual_tls(mut self) -> RegistryBuilder {
        self.tls = true;
        self.mutual_tls = true;
        self
    }

    /// Run as a pull-through cache of `upstream` (a plain-http registry): reads of images it
    /// lacks are fetched from there and kept; pushes are refused.
    pub fn pull_through_cache(mut self, upstream: &Registry) -> RegistryBuilder {
        self.proxy_remote = Some(upstream.url(""));
        self
    }

    /// Accept schema1 manifests and serve schema2 images as schema1 to clients that accept only
    /// schema1.
    pub fn schema1(mut self) -> RegistryBuilder {
        self.schema1 = true;
        self
    }

    /// Answer catalog requests with at most `max` repositories per page (a `Link` header leads to
    /// the next page).
    pub fn catalog_max_entries(mut self, max: usize) -> RegistryBuilder {
        self.catalog_max_entries = Some(max);
        self
    }

    /// Accept manifests whose foreign (non-distributable) layers have URLs matching `regex`
    /// (distribution accepts none by default).
    pub fn allow_layer_urls(mut self, regex: &str) -> RegistryBuilder {
        self.layer_urls = Some(regex.to_owned());
        self
    }

    /// Starts the registry on a free loopback port and waits until it listens.
    ///
    /// Panics with the registry's log if it exits or does not listen within 20 s.
    pub fn start(self) -> Registry {
        let program = crate::require("docker-registry");
        let dir = tempfile::Builder::new()
            .prefix("registry-")
            .tempdir()
            .expect("temp dir for the registry");
        let mut settings = Settings {
            schema1: self.schema1,
            catalog_max_entries: self.catalog_max_entries,
            layer_urls: self.layer_urls.clone(),
            proxy_remote: self.proxy_remote.clone(),
            ..Settings::default()
        };
        let tls = self.tls.then(|| {
            let files = TlsFiles::generate(dir.path());
            settings.tls = Some((path_text(files.server_cert()), path_text(files.server_key())));
            if self.mutual_tls {
                settings.client_ca = Some(path_text(files.ca_cert()));
            }
            files
        });
        if !self.htpasswd_users.is_empty() {
            let path = dir.path().join("htpasswd");
            std::fs::write(&path, htpasswd(&self.htpasswd_users)).expect("write htpasswd");
            settings.auth = AuthMode::Htpasswd {
                path: path_text(&path),
            };
        }
        if let Some(service) = &self.token_service {
            let path = dir.path().join("token-root.pem");
            std::fs::write(&path, service.root_cert_pem()).expect("write the token root bundle");
            settings.auth = AuthMode::Token {
                realm: service.realm(),
                bundle: path_text(&path),
            };
        }

        let config_path = dir.path().join("config.yml");
        let log_path = dir.path().join("registry.log");
        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let addr = format!("127.0.0.1:{}", free_port());
            let config = config::render(&settings, &addr, &dir.path().join("storage"));
            std::fs::write(&config_path, config).expect("write registry config");
            let log = std::fs::File::create(&log_path).expect("registry log");
            let mut child = Command::new(&program)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log)
                .spawn()
                .expect("start docker-registry");
            match wait_until_listening(&mut child, &addr) {
                Ready::Listening => {
                    return Registry {
                        child,
                        addr,
                        dir,
                        tls,
                        users: self.htpasswd_users,
                        token_service: self.token_service,
                    };
                }
                Ready::Exited => {
                    last_log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    // Another process may have taken the port between our probe and the bind.
                    if !last_log.contains("address already in use") {
                        panic!("docker-registry exited during start; its log:\n{last_log}");
                    }
                }
                Ready::TimedOut => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    panic!(
                        "docker-registry did not listen on {addr} within {START_LIMIT:?}; its log:\n{log}"
                    );
                }
            }
        }
        panic!("docker-registry found no free port in {PORT_ATTEMPTS} attempts; last log:\n{last_log}")
    }
}

/// How a start attempt ended.
enum Ready {
    Listening,
    Exited,
    TimedOut,
}

/// Waits until `addr` accepts connections or `child` exits.
fn wait_until_listening(child: &mut Child, addr: &str) -> Ready {
    let deadline = Instant::now() + START_LIMIT;
    while Instant::now() < deadline {
        if let Ok(Some(_status)) = child.try_wait() {
            return Ready::Exited;
        }
        if TcpStream::connect(addr).is_ok() {
            return Ready::Listening;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ready::TimedOut
}

/// A running registry, stopped (and its storage removed) on drop.
#[derive(Debug)]
pub struct Registry {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
    tls: Option<TlsFiles>,
    users: Vec<User>,
    token_service: Option<TokenService>,
}

impl Registry {
    /// Settings for a new registry: anonymous, plain http, deletes enabled.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// Starts an anonymous registry with deletes enabled.
    pub fn anonymous() -> Registry {
        Registry::builder().start()
    }

    /// `127.0.0.1:PORT`: the registry host in image references.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// The URL of `path` (which starts with `/`) on this registry.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme(), self.addr)
    }

    /// `127.0.0.1:PORT/NAME`: an image reference on this registry (`name` may carry `:tag` or
    /// `@digest`).
    pub fn reference(&self, name: &str) -> String {
        format!("{}/{name}", self.addr)
    }

    /// `registry.test:PORT`: the registry by the name only the [`crate::ForwardProxy`]
    /// resolves (the test certificates are valid for it).
    pub fn proxy_only_host(&self) -> String {
        let port = self.addr.rsplit_once(':').map_or("", |(_, port)| port);
        format!("{}:{port}", crate::pki::PROXY_ONLY_HOST)
    }

    /// `registry.test:PORT/NAME`: [`Registry::reference`] by the name only the proxy resolves.
    pub fn proxy_only_reference(&self, name: &str) -> String {
        format!("{}/{name}", self.proxy_only_host())
    }

    /// The TLS files (CA, server certificate, client cert dir) when serving https.
    pub fn tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// The users of its htpasswd file (empty unless it uses Basic auth).
    pub fn htpasswd_users(&self) -> &[User] {
        &self.users
    }

    /// The credentials tests use by default: the first htpasswd user, or the token service's first
    /// user; `None` for an anonymous registry.
    pub fn credentials(&self) -> Option<User> {
        let token_users = self
            .token_service
            .as_ref()
            .map(TokenService::users)
            .unwrap_or_default();
        self.users.first().or(token_users.first()).cloned()
    }

    /// The token service it trusts, when it uses token auth.
    pub fn token_service(&self) -> Option<&TokenService> {
        self.token_service.as_ref()
    }

    /// The registry's temp directory (config, log, storage, certificates).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Where the storage lives.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The digests (`sha256:HEX`) of every blob the registry stores, read from its storage:
    /// what a refused or failed write must leave as it was.
    pub fn stored_blobs(&self) -> std::collections::BTreeSet<String> {
        let root = self.storage().join("docker/registry/v2/blobs/sha256");
        let Ok(prefixes) = std::fs::read_dir(&root) else {
            return std::collections::BTreeSet::new();
        };
        prefixes
            .flat_map(|prefix| {
                std::fs::read_dir(prefix.expect("read blob storage").path())
                    .into_iter()
                    .flatten()
            })
            .map(|blob| {
                format!(
                    "sha256:{}",
                    blob.expect("read blob storage").file_name().to_string_lossy()
                )
            })
            .collect()
    }

    /// The uploads, in any repository, that still hold data (distribution leaves the empty
    /// directory of a cancelled upload behind, without its data).
    pub fn uploads_holding_data(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut dirs = vec![self.storage().join("docker/registry/v2/repositories")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten() {
                let path = entry.expect("read repository storage").path();
                if path.file_name().is_some_and(|name| name == "_uploads") {
                    let uploads = std::fs::read_dir(&path).into_iter().flatten();
                    found.extend(
                        uploads
                            .map(|upload| upload.expect("read upload storage").path().join("data"))
                            .filter(|data| data.exists()),
                    );
                } else if path.is_dir() {
                    dirs.push(path);
                }
            }
        }
        found
    }

    /// Everything the registry logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Fails the test with `what` and the registry's log.
    pub fn fail(&self, what: impl Display) -> ! {
        panic!(
            "{what}\n--- docker-registry log ({}) ---\n{}",
            self.addr,
            self.log()
        )
    }

    /// Fails the test with `what` and the registry's log unless `condition` holds.
    pub fn ensure(&self, condition: bool, what: impl Display) {
        if !condition {
            self.fail(what)
        }
    }

    /// The status line of a plain `GET path` on a plain-http registry.
    pub fn get_status(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).expect("connect to registry");
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr).expect("send request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read response");
        response.lines().next().unwrap_or_default().to_owned()
    }

    /// Every tagged image of a plain-http, anonymous registry: `REPO:TAG` to the digest its
    /// manifest has (what a `HEAD` accepting every manifest type reports), in name order.
    pub fn tagged_images(&self) -> std::collections::BTreeMap<String, String> {
        assert!(
            self.tls.is_none() && self.users.is_empty() && self.token_service.is_none(),
            "tagged_images reads plain-http, anonymous registries"
        );
        let catalog = crate::HttpRequest::get(self.url("/v2/_catalog?n=1000")).send_blocking();
        self.ensure(
            catalog.status().is_success(),
            format!("catalog: {}", catalog.status()),
        );
        let mut images = std::collections::BTreeMap::new();
        for repository in catalog.json()["repositories"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let repository = repository.as_str().unwrap_or_default().to_owned();
            let tags = crate::HttpRequest::get(self.url(&format!("/v2/{repository}/tags/list?n=1000")))
                .send_blocking()
                .json();
            for tag in tags["tags"].as_array().cloned().unwrap_or_default() {
                let tag = tag.as_str().unwrap_or_default();
                let digest = self
                    .manifest_digest(&repository, tag)
                    .unwrap_or_else(|| self.fail(format!("{repository}:{tag} is listed but not served")));
                images.insert(format!("{repository}:{tag}"), digest);
            }
        }
        images
    }

    /// The digest of the manifest `repository` holds under `reference` (a tag or digest) on a
    /// plain-http, anonymous registry, `None` when it holds none.
    pub fn manifest_digest(&self, repository: &str, reference: &str) -> Option<String> {
        let response = crate::HttpRequest::new(
            hyper::Method::HEAD,
            self.url(&format!("/v2/{repository}/manifests/{reference}")),
        )
        .header("Accept", crate::image::ACCEPT_MANIFESTS)
        .send_blocking();
        if response.status() == hyper::StatusCode::NOT_FOUND {
            return None;
        }
        self.ensure(
            response.status().is_success(),
            format!("HEAD {repository}/manifests/{reference}: {}", response.status()),
        );
        response.header("docker-content-digest").map(str::to_owned)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port that is free now (the OS picks it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral loopback port")
}

fn path_text(path: &Path) -> String {
    path.to_str()
        .unwrap_or_else(|| panic!("non-UTF-8 temp path {}", path.display()))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_that_exits_during_start_is_noticed() {
        let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn().expect("run sh");
        let nobody_listens = format!("127.0.0.1:{}", free_port());
        assert!(matches!(
            wait_until_listening(&mut child, &nobody_listens),
            Ready::Exited
        ));
    }

    #[test]
    fn a_listening_port_ends_the_wait() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address").to_string();
        let mut child = Command::new("sleep").arg("30").spawn().expect("run sleep");
        let ready = wait_until_listening(&mut child, &addr);
        let _ = child.kill();
        let _ = child.wait();
        assert!(matches!(ready, Ready::Listening));
    }
}
