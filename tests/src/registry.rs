//! A real `docker-registry` process for one test.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running registry, stopped (and its storage removed) on drop.
pub struct Registry {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts an anonymous registry with deletes enabled.
    pub fn anonymous() -> Registry {
        Registry::start("")
    }

    /// Starts a registry whose config is the base config plus `extra` YAML
    /// (top-level sections such as `auth:`).
    pub fn start(extra: &str) -> Registry {
        let program = crate::require("docker-registry");
        let dir = tempfile::tempdir().expect("temp dir for the registry");
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let config = format!(
            "version: 0.1\n\
             log:\n  level: info\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n\
             http:\n  addr: {addr}\n\
             {extra}",
            root = dir.path().join("storage").display(),
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write registry config");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("registry log");
        let child = Command::new(program)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let registry = Registry { child, addr, dir };
        registry.wait_until_ready();
        registry
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The registry's temp directory (config, log, storage).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the registry logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// The status line of a plain `GET path` on the registry.
    pub fn get_status(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).expect("connect to registry");
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr).expect("send request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read response");
        response.lines().next().unwrap_or_default().to_owned()
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(&self.addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!(
            "docker-registry did not listen on {} within 20 s; its log:\n{}",
            self.addr,
            self.log()
        );
    }

    /// Where the storage lives.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that is free now (the OS picks it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral loopback port")
}
