//! Docker credential helpers: `docker-credential-NAME get|store|erase`.
//!
//! The protocol: `get` reads a server URL on stdin and prints
//! `{"ServerURL","Username","Secret"}`; `store` reads that JSON; `erase` reads
//! a server URL. A helper that has nothing for a server fails with a message
//! containing "credentials not found". A username of `<token>` means the secret
//! is an identity token.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use wait_timeout::ChildExt;

use crate::{Credential, Error, Secret};

/// How long a helper may take by default (it may prompt a keychain, so not too short).
pub const DEFAULT_HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// The most output read from a helper; answers are a few hundred bytes.
const MAX_OUTPUT_BYTES: u64 = 64 * 1024;

/// How long the output pipes may stay open after the helper exited before whatever
/// still holds them (its process group) is killed.
const EXIT_GRACE: Duration = Duration::from_secs(1);

/// The longest failure message quoted from a helper.
const MAX_MESSAGE_CHARS: usize = 200;

/// The username helpers use to say the secret is an identity token.
const IDENTITY_TOKEN_USERNAME: &str = "<token>";

/// One credential helper program, found on an explicit search path.
#[derive(Debug, Clone)]
pub struct CredentialHelper {
    program: String,
    executable: PathBuf,
    search_path: OsString,
    timeout: Duration,
}

#[derive(Serialize, Deserialize)]
struct HelperCredentials {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// What a finished helper left behind.
struct Outcome {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl CredentialHelper {
    /// Finds `docker-credential-NAME` in the directories of `search_path` (a
    /// `PATH`-style list). `name` is what `credHelpers`/`credsStore` say, such
    /// as `pass` or `ecr-login`.
    pub fn find(name: &str, search_path: &OsStr, timeout: Duration) -> Result<Self, Error> {
        let program = format!("docker-credential-{name}");
        let not_found = |message: &str| Error::HelperSpawn {
            program: program.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, message.to_owned()),
        };
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            return Err(not_found(
                "a helper name holds only letters, digits, `.`, `_` and `-`",
            ));
        }
        let executable = std::env::split_paths(search_path)
            .map(|dir| dir.join(&program))
            .find(|candidate| is_executable(candidate))
            .ok_or_else(|| not_found("not found on the search path"))?;
        Ok(Self {
            program,
            executable,
            search_path: search_path.to_owned(),
            timeout,
        })
    }

    /// The program name, `docker-credential-NAME`.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The credentials the helper holds for `server_url`; `None` when it has none.
    pub fn get(&self, server_url: &str) -> Result<Option<Credential>, Error> {
        let outcome = self.run("get", server_url.as_bytes())?;
        if !outcome.status.success() {
            if mentions_not_found(&outcome) {
                return Ok(None);
            }
            return Err(self.failed(&outcome, None));
        }
        let answer: HelperCredentials =
            serde_json::from_slice(&outcome.stdout).map_err(|e| Error::HelperOutput {
                program: self.program.clone(),
                reason: format!(
                    "not the expected JSON object (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            })?;
        Ok(match (answer.username.as_str(), answer.secret) {
            (_, secret) if secret.is_empty() => None,
            (IDENTITY_TOKEN_USERNAME, secret) => Some(Credential::IdentityToken {
                username: None,
                token: Secret::new(secret),
            }),
            (username, secret) => Some(Credential::basic(username, secret)),
        })
    }

    /// Stores `username` and `secret` for `server_url`.
    pub fn store(&self, server_url: &str, username: &str, secret: &Secret) -> Result<(), Error> {
        let request = HelperCredentials {
            server_url: server_url.to_owned(),
            username: username.to_owned(),
            secret: secret.expose().to_owned(),
        };
        let input = serde_json::to_vec(&request).map_err(|_| Error::HelperOutput {
            program: self.program.clone(),
            reason: "the credentials cannot be encoded as JSON".to_owned(),
        })?;
        let outcome = self.run("store", &input)?;
        if outcome.status.success() {
            return Ok(());
        }
        // A helper that echoes its input must not put the secret into our error.
        Err(self.failed(&outcome, Some(secret)))
    }

    /// Forgets the credentials for `server_url`; having none is not an error.
    pub fn erase(&self, server_url: &str) -> Result<(), Error> {
        let outcome = self.run("erase", server_url.as_bytes())?;
        if outcome.status.success() || mentions_not_found(&outcome) {
            Ok(())
        } else {
            Err(self.failed(&outcome, None))
        }
    }

    /// Runs the helper with one argument and `input` on stdin; the timeout bounds
    /// everything from the spawn to the last byte of output.
    fn run(&self, action: &str, input: &[u8]) -> Result<Outcome, Error> {
        let deadline = Instant::now() + self.timeout;
        let spawn_error = |source| Error::HelperSpawn {
            program: self.program.clone(),
            source,
        };
        let mut command = Command::new(&self.executable);
        command
            .arg(action)
            .env("PATH", &self.search_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().map_err(spawn_error)?;
        // Readers run on their own threads so a helper that writes a lot before
        // reading its input cannot deadlock against us.
        let stdout = child.stdout.take().map(Capture::start);
        let stderr = child.stderr.take().map(Capture::start);
        if let Some(mut stdin) = child.stdin.take() {
            // A helper may exit without reading its input; a broken pipe is its business.
            let _ = stdin.write_all(input);
        }
        let status = self.wait(&mut child, deadline)?;
        let grace = deadline.min(Instant::now() + EXIT_GRACE);
        let ended = [&stdout, &stderr]
            .iter()
            .all(|capture| capture.as_ref().map_or(true, |c| c.wait_for_end(grace)));
        if !ended {
            // Something the helper started still holds its output open.
            kill_group(&child);
        }
        let collect = |capture: Option<Capture>| capture.map(Capture::take).unwrap_or_default();
        Ok(Outcome {
            status,
            stdout: collect(stdout),
            stderr: collect(stderr),
        })
    }

    fn wait(&self, child: &mut Child, deadline: Instant) -> Result<ExitStatus, Error> {
        let waited = child
            .wait_timeout(deadline.saturating_duration_since(Instant::now()))
            .map_err(|source| Error::HelperSpawn {
                program: self.program.clone(),
                source,
            })?;
        match waited {
            Some(status) => Ok(status),
            None => {
                // Kill the whole group and reap the helper; its reader threads end
                // when the pipes close and are not waited for.
                kill_group(child);
                let _ = child.kill();
                let _ = child.wait();
                Err(Error::HelperTimeout {
                    program: self.program.clone(),
                    timeout: self.timeout,
                })
            }
        }
    }

    fn failed(&self, outcome: &Outcome, secret: Option<&Secret>) -> Error {
        Error::HelperFailed {
            program: self.program.clone(),
            code: outcome.status.code(),
            message: failure_message(outcome, secret),
        }
    }
}

/// Kills the helper's process group: the helper and every child it did not move
/// elsewhere.
#[cfg(unix)]
fn kill_group(child: &Child) {
    if let Some(group) = rustix::process::Pid::from_raw(child.id() as i32) {
        // Already gone is fine: nothing is left to hold the pipes.
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_child: &Child) {}

/// A helper's output stream, read on a thread of its own up to the cap, so
/// that what arrived can be taken even while something still holds the pipe.
struct Capture {
    bytes: Arc<Mutex<Vec<u8>>>,
    ended: mpsc::Receiver<()>,
}

impl Capture {
    fn start(mut stream: impl Read + Send + 'static) -> Capture {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let (end, ended) = mpsc::channel();
        let sink = Arc::clone(&bytes);
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = stream.read(&mut chunk) {
                let mut bytes = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let room = (MAX_OUTPUT_BYTES as usize).saturating_sub(bytes.len());
                bytes.extend_from_slice(&chunk[..n.min(room)]);
            }
            let _ = end.send(());
        });
        Capture { bytes, ended }
    }

    /// Whether the stream ended (EOF or error) before `until`.
    fn wait_for_end(&self, until: Instant) -> bool {
        self.ended
            .recv_timeout(until.saturating_duration_since(Instant::now()))
            .is_ok()
    }

    /// Everything read so far.
    fn take(self) -> Vec<u8> {
        std::mem::take(&mut *self.bytes.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

fn mentions_not_found(outcome: &Outcome) -> bool {
    [&outcome.stdout, &outcome.stderr].iter().any(|text| {
        String::from_utf8_lossy(text)
            .to_ascii_lowercase()
            .contains("credentials not found")
    })
}

/// The helper's explanation: stderr, or stdout when stderr is empty (Docker's
/// helpers print errors on stdout), as one bounded line, with `secret` blanked.
fn failure_message(outcome: &Outcome, secret: Option<&Secret>) -> String {
    let text = if outcome.stderr.iter().all(u8::is_ascii_whitespace) {
        &outcome.stdout
    } else {
        &outcome.stderr
    };
    let mut text = String::from_utf8_lossy(text).into_owned();
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        text = text.replace(secret.expose(), "<redacted>");
    }
    text.trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect()
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}
