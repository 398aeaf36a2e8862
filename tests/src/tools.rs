//! Locating the peer programs the tests drive.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Child, Output};
use std::time::Duration;

use wait_timeout::ChildExt as _;

/// The path of `program`, or a panic that says how to install it.
///
/// Tests use this instead of skipping: a missing peer is a failed test.
pub fn require(program: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "`{program}` is not installed. Run `cargo xtask test` (it installs the test peers \
             with apt-get), or `sudo apt-get install -y docker-registry skopeo openssl squid`."
        )
    })
}

/// Waits for `child` (spawned with piped stdout and stderr) at most `limit`, then kills it and
/// panics naming `what`: a peer that hangs fails its test instead of holding the suite.
///
/// The pipes are drained on threads while waiting, so a chatty child cannot block on a full
/// pipe.
pub fn wait_with_timeout(mut child: Child, limit: Duration, what: &str) -> Output {
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let status = match child.wait_timeout(limit).expect("wait for a child process") {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {limit:?}");
        }
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}
