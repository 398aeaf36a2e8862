//! Debian's `squid` as a real forward proxy on a free loopback port, with a config of its own in
//! a temporary directory.
//!
//! Its `hosts_file` maps [`PROXY_ONLY_HOST`] to `127.0.0.1`: that name resolves inside the proxy
//! and nowhere else, so a client that reaches a registry by it went through the proxy (and peers,
//! which never proxy loopback names, can be pointed at a harness registry at all). Its access log
//! records each request with the proxy user it authenticated as.

use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::htpasswd::User;
use crate::pki::PROXY_ONLY_HOST;
use crate::registry::free_port;

/// How long squid may take to listen.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A running squid, stopped on drop.
#[derive(Debug)]
pub struct ForwardProxy {
    child: Child,
    addr: String,
    user: Option<User>,
    dir: tempfile::TempDir,
}

impl ForwardProxy {
    /// A proxy open to loopback clients.
    pub fn start() -> ForwardProxy {
        ForwardProxy::launch(None)
    }

    /// A proxy that requires Basic proxy authentication as `user` (`407` otherwise).
    pub fn with_user(user: &User) -> ForwardProxy {
        ForwardProxy::launch(Some(user.clone()))
    }

    fn launch(user: Option<User>) -> ForwardProxy {
        let program = crate::require("squid");
        let dir = tempfile::Builder::new()
            .prefix("squid-")
            .tempdir()
            .expect("temp dir for squid");
        // Started as root, squid drops to its own user, which must write its logs here.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("open the squid directory");
        let path = |name: &str| dir.path().join(name).display().to_string();
        std::fs::write(path("hosts"), format!("127.0.0.1 {PROXY_ONLY_HOST}\n")).expect("write hosts");
        let access = match &user {
            None => "http_access allow localhost\nhttp_access deny all\n".to_owned(),
            Some(user) => {
                std::fs::write(
                    path("passwd"),
                    format!("{}:{}\n", user.name(), md5_crypt(user.password())),
                )
                .expect("write the squid password file");
                format!(
                    "auth_param basic program /usr/lib/squid/basic_ncsa_auth {}\n\
                     auth_param basic children 1\n\
                     acl users proxy_auth REQUIRED\n\
                     http_access deny !localhost\n\
                     http_access allow users\n\
                     http_access deny all\n",
                    path("passwd")
                )
            }
        };
        for _ in 0..3 {
            let addr = format!("127.0.0.1:{}", free_port());
            let config = format!(
                "http_port {addr}\n\
                 pid_filename {pid}\n\
                 cache_log {cache_log}\n\
                 access_log stdio:{access_log}\n\
                 cache_store_log none\n\
                 coredump_dir {dir}\n\
                 netdb_filename none\n\
                 hosts_file {hosts}\n\
                 dns_nameservers 127.0.0.1\n\
                 cache deny all\n\
                 shutdown_lifetime 0 seconds\n\
                 visible_hostname skiff-test-proxy\n\
                 {access}",
                pid = path("squid.pid"),
                cache_log = path("cache.log"),
                access_log = path("access.log"),
                dir = dir.path().display(),
                hosts = path("hosts"),
            );
            std::fs::write(path("squid.conf"), config).expect("write squid.conf");
            let log = std::fs::File::create(path("squid.out")).expect("squid output file");
            let mut child = Command::new(&program)
                .args(["-N", "-f", &path("squid.conf")])
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log)
                .spawn()
                .expect("start squid");
            let deadline = Instant::now() + START_LIMIT;
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if TcpStream::connect(&addr).is_ok() {
                    return ForwardProxy {
                        child,
                        addr,
                        user,
                        dir,
                    };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "squid did not listen on {addr} within {START_LIMIT:?}:\n{}",
                        log_of(dir.path())
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("squid did not start:\n{}", log_of(dir.path()))
    }

    /// `http://127.0.0.1:PORT`: the proxy URL, without credentials.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The proxy URL with the user's credentials (`http://USER:PASSWORD@127.0.0.1:PORT`), or
    /// without when the proxy needs none.
    pub fn url_with_credentials(&self) -> String {
        match &self.user {
            None => self.url(),
            Some(user) => format!("http://{}:{}@{}", user.name(), user.password(), self.addr),
        }
    }

    /// The access log so far: one line per request, with the method, the URL (`host:port` for
    /// `CONNECT`) and the authenticated proxy user (`-` for none).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    /// Whether the proxy has logged a line containing every one of `parts`.
    ///
    /// squid writes its log lines as requests end, so this waits (at most five seconds) for one.
    pub fn logged(&self, parts: &[&str]) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if self
                .access_log()
                .lines()
                .any(|line| parts.iter().all(|p| line.contains(p)))
            {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Everything squid logged (its cache log and output) and the access log, for failures.
    pub fn log(&self) -> String {
        format!(
            "{}\n--- access.log ---\n{}",
            log_of(self.dir.path()),
            self.access_log()
        )
    }
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_of(dir: &Path) -> String {
    ["squid.out", "cache.log"]
        .iter()
        .map(|name| std::fs::read_to_string(dir.join(name)).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// An MD5-crypt (`$1$`) hash of `password`, which squid's `basic_ncsa_auth` accepts, made by
/// `openssl passwd -1`.
fn md5_crypt(password: &str) -> String {
    let out = Command::new(crate::require("openssl"))
        .args(["passwd", "-1", password])
        .output()
        .expect("run openssl passwd");
    assert!(out.status.success(), "openssl passwd failed");
    String::from_utf8(out.stdout)
        .expect("UTF-8 hash")
        .trim()
        .to_owned()
}
