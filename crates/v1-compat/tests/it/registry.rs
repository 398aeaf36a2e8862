//! A real `docker-registry` on a free loopback port, and `skopeo` to talk to it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// How long the registry may take to answer its first request.
const STARTUP_ATTEMPTS: u32 = 200;
const STARTUP_POLL: Duration = Duration::from_millis(50);

/// A running registry, stopped when dropped. Its storage lives in a temp dir.
pub(crate) struct Registry {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry that also accepts schema1 manifests.
    pub(crate) fn start() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        // Let the kernel pick a free port, then hand it to the registry.
        let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: {addr}\ncompatibility:\n  schema1:\n    enabled: true\n",
            dir.path().join("storage").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry must be installed (apt-get install docker-registry)");
        let mut registry = Registry {
            child,
            addr,
            _dir: dir,
        };
        registry.wait_until_ready();
        registry
    }

    fn wait_until_ready(&mut self) {
        for _ in 0..STARTUP_ATTEMPTS {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("docker-registry exited early with {status}");
            }
            if self.answers() {
                return;
            }
            std::thread::sleep(STARTUP_POLL);
        }
        panic!("docker-registry did not answer on {}", self.addr);
    }

    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(self.addr) else {
            return false;
        };
        let request = format!("GET /v2/ HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr);
        let mut response = String::new();
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_to_string(&mut response).is_ok()
            && response.split_whitespace().nth(1) == Some("200")
    }

    /// `docker://HOST:PORT/repository:tag`
    pub(crate) fn image(&self, repository: &str, tag: &str) -> String {
        format!("docker://{}/{repository}:{tag}", self.addr)
    }

    /// `HOST:PORT/repository`, as skopeo names it.
    pub(crate) fn name(&self, repository: &str) -> String {
        format!("{}/{repository}", self.addr)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs skopeo against plain-http loopback registries; panics with its output on failure.
pub(crate) fn skopeo(args: &[&str]) -> Vec<u8> {
    let output: Output = Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo must be installed (apt-get install skopeo)");
    assert!(
        output.status.success(),
        "skopeo {args:?} failed ({})\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Copies `src` to `dst` with skopeo, optionally converting the manifest format.
pub(crate) fn copy(src: &str, dst: &str, format: Option<&str>) {
    let mut args = vec!["copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false"];
    if let Some(format) = format {
        args.extend(["--format", format]);
    }
    args.extend([src, dst]);
    skopeo(&args);
}

/// Copies an image into a `dir:` directory: the manifest as served plus every blob.
pub(crate) fn copy_to_dir(src: &str, dir: &Path) {
    copy(src, &format!("dir:{}", dir.display()), None);
}
