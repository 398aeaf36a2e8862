//! Locating the peer programs the tests drive.

use std::fmt;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
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
             with apt-get), or `sudo apt-get install -y docker-registry skopeo openssl squid \
             podman containerd`."
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

/// A peer program's run that failed: the command line, exit status and everything it printed.
pub struct PeerFailure {
    command: String,
    status: String,
    stdout: String,
    stderr: String,
}

impl PeerFailure {
    pub(crate) fn new(command: String, status: String, stdout: String, stderr: String) -> PeerFailure {
        PeerFailure {
            command,
            status,
            stdout,
            stderr,
        }
    }

    /// What the peer printed on stderr (its error message).
    pub fn stderr(&self) -> &str {
        &self.stderr
    }
}

impl fmt::Display for PeerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }
}

impl fmt::Debug for PeerFailure {
    // `expect` prints Debug: show the readable report rather than an escaped one-liner.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Runs `command` (a peer) at most `limit`, and returns its stdout, or everything it printed
/// when it fails; a peer that hangs is killed and fails the test.
pub fn run_peer(mut command: Command, limit: Duration) -> Result<Vec<u8>, PeerFailure> {
    let line = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {line}: {e}"));
    let output = wait_with_timeout(child, limit, &line);
    if output.status.success() {
        return Ok(output.stdout);
    }
    Err(PeerFailure::new(
        line,
        output.status.to_string(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}
