//! `podman`, the peer that saves and loads archives: storage in a temp dir of its own (the
//! vfs driver, a temp `--root` and `--runroot`), an accept-anything signature policy and an
//! empty registries.conf, so nothing on the machine changes what a test sees.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::tools::{run_peer, PeerFailure};

/// How long one podman command may take.
const LIMIT: Duration = Duration::from_secs(180);

/// podman with storage of its own, removed on drop.
#[derive(Debug)]
pub struct Podman {
    program: std::path::PathBuf,
    dir: tempfile::TempDir,
}

impl Default for Podman {
    fn default() -> Podman {
        Podman::new()
    }
}

impl Podman {
    /// Finds podman (panicking with install instructions when it is missing) and makes its
    /// storage.
    pub fn new() -> Podman {
        let program = crate::require("podman");
        let dir = tempfile::Builder::new()
            .prefix("podman-")
            .tempdir()
            .expect("temp dir for podman");
        let write = |name: &str, content: &str| {
            std::fs::write(dir.path().join(name), content).expect("write podman's configuration")
        };
        write(
            "policy.json",
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        );
        write("registries.conf", "");
        write(
            "containers.conf",
            "[engine]\nevents_logger = \"none\"\ncgroup_manager = \"cgroupfs\"\n",
        );
        std::fs::create_dir(dir.path().join("tmp")).expect("podman's temp dir");
        Podman { program, dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let path = |name: &str| self.dir.path().join(name);
        let mut command = Command::new(&self.program);
        command
            .env("CONTAINERS_REGISTRIES_CONF", path("registries.conf"))
            .env("CONTAINERS_CONF", path("containers.conf"))
            .arg("--root")
            .arg(path("root"))
            .arg("--runroot")
            .arg(path("run"))
            .arg("--tmpdir")
            .arg(path("tmp"))
            .args(["--storage-driver", "vfs"])
            .args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Result<Vec<u8>, PeerFailure> {
        run_peer(self.command(args), LIMIT)
    }

    fn policy(&self) -> String {
        self.dir.path().join("policy.json").display().to_string()
    }

    /// `podman pull` of `reference` from a plain-http registry.
    pub fn pull(&self, reference: &str) -> Result<(), PeerFailure> {
        let policy = self.policy();
        self.run(&[
            "pull",
            "-q",
            "--tls-verify=false",
            "--signature-policy",
            &policy,
            reference,
        ])?;
        Ok(())
    }

    /// `podman load -i ARCHIVE`: the names it loaded, as podman prints them.
    pub fn load(&self, archive: &Path) -> Result<Vec<String>, PeerFailure> {
        let policy = self.policy();
        let archive = archive.display().to_string();
        let out = self.run(&["load", "--signature-policy", &policy, "-i", &archive])?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|line| {
                line.strip_prefix("Loaded image: ")
                    .or_else(|| line.strip_prefix("Loaded image(s): "))
            })
            .flat_map(|names| names.split(','))
            .map(|name| name.trim().to_owned())
            .collect())
    }

    /// `podman save --format FORMAT -o OUTPUT IMAGE...` (`--multi-image-archive` for several
    /// images; FORMAT `docker-archive` or `oci-archive`).
    pub fn save(&self, output: &Path, format: &str, images: &[&str]) -> Result<(), PeerFailure> {
        let output = output.display().to_string();
        let mut args = vec!["save", "-q", "--format", format, "-o", &output];
        if images.len() > 1 {
            args.push("--multi-image-archive");
        }
        args.extend(images);
        self.run(&args)?;
        Ok(())
    }

    /// `podman image inspect IMAGE`: its JSON object (`Id`, `Digest`, `RootFS`, ...).
    pub fn inspect(&self, image: &str) -> Result<Value, PeerFailure> {
        let out = self.run(&["image", "inspect", image])?;
        let mut all: Vec<Value> = serde_json::from_slice(&out).expect("podman image inspect prints JSON");
        Ok(all.remove(0))
    }
}
