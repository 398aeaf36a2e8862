//! Running the binary in a clean environment, and asserting on what it did.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use skiff_integration::{HttpRequest, Registry};

/// How long one command against a local registry or layout may take before its test fails.
pub(crate) const COMMAND_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// `skiff` with a home of its own: no auth file, Docker config, credential program, proxy or
/// user certificate directory of the machine can change what a test sees.
pub(crate) struct Skiff {
    home: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Skiff {
    pub(crate) fn new() -> Skiff {
        Skiff {
            home: tempfile::Builder::new().prefix("skiff-home-").tempdir().unwrap(),
            env: Vec::new(),
        }
    }

    /// Runs every command with the environment variable `name` set to `value`.
    pub(crate) fn with_env(mut self, name: &str, value: &str) -> Skiff {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The isolated home directory.
    pub(crate) fn home(&self) -> &Path {
        self.home.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.environment(env!("CARGO_BIN_EXE_skiff"));
        command.args(args);
        command
    }

    /// `program` with the clean environment `skiff` runs in.
    fn environment(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("HOME", self.home.path())
            .env_remove("DOCKER_CONFIG")
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("RUST_LOG");
        // Nor a proxy of the machine.
        for proxy in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            command.env_remove(proxy);
        }
        // Nor the machine's registries.conf: an empty one of its own.
        let conf = self.home.path().join("registries.conf");
        if !conf.exists() {
            std::fs::write(&conf, "").unwrap();
        }
        command.env("CONTAINERS_REGISTRIES_CONF", &conf);
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Starts `skiff args` without waiting for it, its output piped.
    pub(crate) fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start skiff")
    }

    /// Runs `skiff args` with `stdin` on its standard input.
    pub(crate) fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start skiff");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().expect("run skiff")
    }

    /// Runs `skiff args`.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .stdin(Stdio::null())
            .output()
            .expect("run skiff")
    }

    /// Runs `skiff args`, killed and the test failed when it has not ended within `limit`:
    /// a regression into a hang fails fast instead of stalling the suite.
    pub(crate) fn run_within(&self, args: &[&str], limit: std::time::Duration) -> Output {
        wait_within(self.spawn(args), args, limit)
    }

    /// [`Skiff::run_within`] on a pseudo-terminal, made by util-linux's `script`: stdin,
    /// stdout and stderr are the terminal, and the returned stdout is everything the terminal
    /// was sent (stderr is `script`'s own).
    pub(crate) fn run_on_terminal(&self, args: &[&str], limit: std::time::Duration) -> Output {
        const SCRIPT: &str = "/usr/bin/script";
        assert!(
            Path::new(SCRIPT).is_file(),
            "this test runs skiff on a terminal with {SCRIPT}: install it with `sudo apt-get install -y util-linux`"
        );
        let quoted = |word: &str| format!("'{}'", word.replace('\'', r"'\''"));
        let mut line = quoted(env!("CARGO_BIN_EXE_skiff"));
        for arg in args {
            line.push(' ');
            line.push_str(&quoted(arg));
        }
        let child = self
            .environment(SCRIPT)
            // Quiet, flushing, with skiff's exit status, no typescript file.
            .args(["-qfec", &line, "/dev/null"])
            .env("TERM", "xterm")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start script");
        wait_within(child, args, limit)
    }

    /// Runs `skiff args`, fails the test with everything it printed unless it succeeds, and
    /// returns stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> Vec<u8> {
        let out = self.run(args);
        assert!(out.status.success(), "skiff {args:?} failed:\n{}", describe(&out));
        out.stdout
    }

    /// [`Skiff::ok`] as text, trimmed.
    pub(crate) fn ok_text(&self, args: &[&str]) -> String {
        String::from_utf8(self.ok(args)).unwrap().trim_end().to_owned()
    }

    /// [`Skiff::ok`] within `limit` (see [`Skiff::run_within`]).
    pub(crate) fn ok_within(&self, args: &[&str], limit: std::time::Duration) -> Vec<u8> {
        let out = self.run_within(args, limit);
        assert!(out.status.success(), "skiff {args:?} failed:\n{}", describe(&out));
        out.stdout
    }

    /// [`Skiff::ok_text`] within `limit` (see [`Skiff::run_within`]).
    pub(crate) fn ok_text_within(&self, args: &[&str], limit: std::time::Duration) -> String {
        String::from_utf8(self.ok_within(args, limit))
            .unwrap()
            .trim_end()
            .to_owned()
    }

    /// Runs `skiff args`, expects exit `code` and one `skiff: ` line on stderr, and returns it.
    pub(crate) fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        expect_failure(&out, code, args)
    }
}

/// Waits for `child` (running `skiff args`), killed and the test failed when it has not ended
/// within `limit`: a regression into a hang fails fast instead of stalling the suite.
fn wait_within(mut child: std::process::Child, args: &[&str], limit: std::time::Duration) -> Output {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    // Drained on threads, so a chatty child never blocks on a full pipe.
    let out = std::thread::spawn(move || read_all(&mut stdout));
    let err = std::thread::spawn(move || read_all(&mut stderr));
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for skiff") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().expect("kill skiff");
            child.wait().expect("reap skiff");
            let stderr = String::from_utf8_lossy(&err.join().unwrap()).into_owned();
            panic!("skiff {args:?} did not finish within {limit:?}; stderr so far:\n{stderr}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Checks an exit status and the one-line error; returns the line.
pub(crate) fn expect_failure(out: &Output, code: i32, args: &[&str]) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "skiff {args:?}:\n{}",
        describe(out)
    );
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    if code == 1 {
        assert!(stderr.starts_with("skiff: "), "skiff {args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "skiff {args:?}: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

pub(crate) fn describe(out: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The manifest `image` names, as JSON (`skiff inspect --raw`).
pub(crate) fn raw_manifest(skiff: &Skiff, image: &str) -> serde_json::Value {
    serde_json::from_slice(&skiff.ok_within(&["inspect", "--raw", image], COMMAND_LIMIT)).unwrap()
}

/// `sha256:HEX` of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    oci_digest::Digest::sha256(bytes).to_string()
}

/// Names of the temp files in an OCI layout: in its root and under `blobs/*/`.
pub(crate) fn layout_temp_files(layout: &Path) -> Vec<String> {
    let mut dirs = vec![layout.to_path_buf()];
    if let Ok(algorithms) = std::fs::read_dir(layout.join("blobs")) {
        dirs.extend(algorithms.map(|entry| entry.unwrap().path()));
    }
    dirs.iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".tmp-"))
        .collect()
}

/// Every file under the layout's `blobs/sha256/` whose name is not the SHA-256 of its content.
pub(crate) fn unverified_blobs(layout: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(layout.join("blobs/sha256")) else {
        return Vec::new();
    };
    entries
        .map(|entry| entry.unwrap())
        .filter(|entry| {
            let content = std::fs::read(entry.path()).unwrap();
            sha256(&content) != format!("sha256:{}", entry.file_name().to_string_lossy())
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

fn read_all(reader: &mut impl std::io::Read) -> Vec<u8> {
    let mut bytes = Vec::new();
    // A pipe that breaks ends the output; what arrived is what the test sees.
    let _ = reader.read_to_end(&mut bytes);
    bytes
}

/// Puts `manifest` as `NAME:TAG` on `registry` with plain HTTP and `content_type`, past skiff:
/// a manifest no tool writes, as a hand-made or hostile image would have it.
pub(crate) fn put_manifest(registry: &Registry, name: &str, content_type: &str, manifest: &[u8]) {
    let (repository, tag) = name.split_once(':').unwrap();
    let response = HttpRequest::new(
        http::Method::PUT,
        registry.url(&format!("/v2/{repository}/manifests/{tag}")),
    )
    .header("content-type", content_type)
    .body(manifest.to_vec())
    .send_blocking();
    assert_eq!(
        response.status(),
        http::StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(response.body())
    );
}
