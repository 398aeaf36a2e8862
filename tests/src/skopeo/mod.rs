//! `skopeo`, the peer client: copies and inspections against the harness registries, with the
//! flags each registry needs (plain http, credentials, the test CA) filled in.
//!
//! Every run uses `--insecure-policy` and an empty auth file of its own, so nothing on the machine
//! (a user's `auth.json`, a signature policy) changes what a test sees.

mod failure;
mod image_ref;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub use failure::SkopeoFailure;
pub use image_ref::{ImageFormat, ImageRef};

use failure::command_line;

use crate::image::RandomImage;
use crate::registry::Registry;

/// The longest one skopeo run (a copy, an inspection, a sync) may take in a test: a peer that
/// hangs is killed and fails the test instead of stalling the suite.
const RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// The skopeo program with an isolated, empty auth file.
#[derive(Debug)]
pub struct Skopeo {
    program: PathBuf,
    scratch: tempfile::TempDir,
    env: Vec<(String, String)>,
    global: Vec<OsString>,
}

impl Default for Skopeo {
    fn default() -> Skopeo {
        Skopeo::new()
    }
}

/// A random image pushed to a registry.
#[derive(Debug)]
pub struct PushedImage {
    image: RandomImage,
    reference: String,
    digest: String,
}

impl PushedImage {
    /// The local layout it was pushed from.
    pub fn image(&self) -> &RandomImage {
        &self.image
    }

    /// `127.0.0.1:PORT/NAME:TAG`.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The digest of the manifest as pushed (in the format asked for).
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

impl Skopeo {
    /// Finds skopeo (panicking with install instructions when it is missing).
    pub fn new() -> Skopeo {
        let program = crate::require("skopeo");
        let scratch = tempfile::Builder::new()
            .prefix("skopeo-")
            .tempdir()
            .expect("temp dir for skopeo");
        std::fs::write(scratch.path().join("auth.json"), r#"{"auths":{}}"#)
            .expect("write an empty auth file");
        Skopeo {
            program,
            scratch,
            env: Vec::new(),
            global: Vec::new(),
        }
    }

    /// Runs skopeo with `--registries-conf path` (and so without the machine's files).
    pub fn with_registries_conf(mut self, path: &Path) -> Skopeo {
        self.global.push("--registries-conf".into());
        self.global.push(path.into());
        self
    }

    /// Runs skopeo with the environment variable `name` set to `value` (a proxy, say).
    pub fn with_env(mut self, name: &str, value: &str) -> Skopeo {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Copies `src` to `dst` (optionally converting the manifest) and returns the digest of the
    /// manifest written.
    pub fn copy(
        &self,
        src: &ImageRef,
        dst: &ImageRef,
        format: Option<ImageFormat>,
    ) -> Result<String, SkopeoFailure> {
        self.copy_with(src, dst, format, &[])
    }

    /// [`Skopeo::copy`] with more flags (`--dest-compress-format zstd`, `--dest-decompress`).
    pub fn copy_with(
        &self,
        src: &ImageRef,
        dst: &ImageRef,
        format: Option<ImageFormat>,
        extra: &[&str],
    ) -> Result<String, SkopeoFailure> {
        let digest_file = self.scratch.path().join(format!("digest-{}", fastrand::u64(..)));
        let mut args: Vec<OsString> = vec!["copy".into(), "--quiet".into()];
        args.extend(src.flags("src-", &self.authfile()));
        args.extend(dst.flags("dest-", &self.authfile()));
        if let Some(format) = format {
            args.push("--format".into());
            args.push(format.as_str().into());
        }
        args.extend(extra.iter().map(OsString::from));
        args.push("--digestfile".into());
        args.push(digest_file.clone().into());
        args.push(src.name().into());
        args.push(dst.name().into());
        self.run(&args)?;
        let digest = std::fs::read_to_string(&digest_file).expect("skopeo wrote the digest file");
        let _ = std::fs::remove_file(&digest_file);
        Ok(digest.trim().to_owned())
    }

    /// `skopeo inspect`: the summary JSON.
    pub fn inspect(&self, image: &ImageRef) -> Result<Value, SkopeoFailure> {
        let output = self.inspect_with(image, &[])?;
        Ok(serde_json::from_slice(&output).expect("skopeo inspect prints JSON"))
    }

    /// `skopeo inspect EXTRA... IMAGE`, its JSON (for flags such as `--override-arch`).
    pub fn inspect_args(&self, extra: &[&str], image: &ImageRef) -> Result<Value, SkopeoFailure> {
        let output = self.inspect_with(image, extra)?;
        Ok(serde_json::from_slice(&output).expect("skopeo inspect prints JSON"))
    }

    /// `skopeo inspect --raw`: the manifest bytes exactly as served.
    pub fn inspect_raw(&self, image: &ImageRef) -> Result<Vec<u8>, SkopeoFailure> {
        self.inspect_with(image, &["--raw"])
    }

    /// `skopeo manifest-digest FILE`: the digest skopeo computes for a manifest file (for schema1,
    /// of the signed payload).
    pub fn manifest_digest(&self, manifest: &Path) -> Result<String, SkopeoFailure> {
        let output = self.run(&["manifest-digest".into(), manifest.into()])?;
        Ok(String::from_utf8_lossy(&output).trim().to_owned())
    }

    /// Builds a [`RandomImage`] seeded by `name` with `layer_sizes`, pushes it to
    /// `registry/name` (`name` is `REPO:TAG`) in `format` with the registry's default credentials,
    /// and fails the test (with the registry log) if the push fails.
    pub fn push_random_image(
        &self,
        registry: &Registry,
        name: &str,
        layer_sizes: &[usize],
        format: ImageFormat,
    ) -> PushedImage {
        self.push_image(registry, name, RandomImage::build(name, layer_sizes), format)
    }

    /// Pushes `image` (one built with [`RandomImage::build_sharing`], say) to `registry/name` as
    /// [`Skopeo::push_random_image`] does.
    pub fn push_image(
        &self,
        registry: &Registry,
        name: &str,
        image: RandomImage,
        format: ImageFormat,
    ) -> PushedImage {
        let destination = ImageRef::registry(registry, name);
        let digest = self
            .copy(
                &ImageRef::local(image.oci_reference()),
                &destination,
                Some(format),
            )
            .unwrap_or_else(|failure| registry.fail(failure));
        PushedImage {
            image,
            reference: registry.reference(name),
            digest,
        }
    }

    /// `skopeo sync ARGS...` with this skopeo's auth file, failing the test when it runs longer
    /// than five minutes; returns what it printed on stderr (its log). Registry flags (plain
    /// http, credentials) are the caller's: sync takes them per side or from its YAML file.
    pub fn sync(&self, args: &[&str]) -> Result<String, SkopeoFailure> {
        let mut all: Vec<OsString> = vec!["sync".into(), "--authfile".into(), self.authfile().into()];
        all.extend(args.iter().map(OsString::from));
        let output = self.spawn_bounded(&all);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if output.status.success() {
            return Ok(stderr);
        }
        Err(SkopeoFailure::new(
            command_line(&self.program, &all),
            output.status.to_string(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
        ))
    }

    fn inspect_with(&self, image: &ImageRef, extra: &[&str]) -> Result<Vec<u8>, SkopeoFailure> {
        let mut args: Vec<OsString> = vec!["inspect".into()];
        args.extend(extra.iter().map(OsString::from));
        args.extend(image.flags("", &self.authfile()));
        args.push(image.name().into());
        self.run(&args)
    }

    fn authfile(&self) -> PathBuf {
        self.scratch.path().join("auth.json")
    }

    /// Runs skopeo with `args` and returns its stdout.
    fn run(&self, args: &[OsString]) -> Result<Vec<u8>, SkopeoFailure> {
        let output = self.spawn_bounded(args);
        if output.status.success() {
            return Ok(output.stdout);
        }
        Err(SkopeoFailure::new(
            command_line(&self.program, args),
            output.status.to_string(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }

    /// Runs skopeo with this instance's global flags and environment, no stdin, for at most
    /// [`RUN_LIMIT`].
    fn spawn_bounded(&self, args: &[OsString]) -> std::process::Output {
        let mut command = Command::new(&self.program);
        command
            .arg("--insecure-policy")
            .args(&self.global)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}", self.program.display()));
        crate::wait_with_timeout(child, RUN_LIMIT, &command_line(&self.program, args))
    }
}
