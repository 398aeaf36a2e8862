//! The oras Python SDK, the artifacts peer: pushes files as an OCI artifact (optionally as a
//! referrer of a subject) and pulls them back, against a harness registry over plain http.
//!
//! Each call runs one short Python program with the registry, target and files passed as JSON
//! on standard input, so no argument needs shell quoting.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// How long one oras call may take before the test fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

const PROGRAM: &str = r#"
import json, sys
import oras.provider, oras.oci
args = json.load(sys.stdin)
registry = oras.provider.Registry(hostname=args["host"], insecure=True)
if args["op"] == "push":
    subject = None
    if args.get("subject"):
        s = args["subject"]
        subject = oras.oci.Subject(mediaType=s["mediaType"], digest=s["digest"], size=s["size"])
    response = registry.push(
        target=args["target"],
        files=args["files"],
        disable_path_validation=True,
        manifest_annotations=args.get("annotations") or None,
        subject=subject,
        quiet=True,
    )
    print(json.dumps({"digest": response.headers.get("Docker-Content-Digest", "")}))
else:
    files = registry.pull(target=args["target"], outdir=args["outdir"])
    print(json.dumps({"files": files}))
"#;

/// The oras SDK, found through `python3`.
#[derive(Debug, Default)]
pub struct Oras {
    _private: (),
}

/// The subject of a referrer: what oras writes into the manifest's `subject`.
#[derive(Debug, Clone)]
pub struct OrasSubject {
    /// The subject manifest's media type.
    pub media_type: String,
    /// Its digest.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
}

impl Oras {
    /// Checks that `python3` can import `oras`, panicking with how to install it otherwise.
    pub fn new() -> Oras {
        let found = Command::new("python3")
            .args(["-c", "import oras.provider"])
            .output()
            .is_ok_and(|out| out.status.success());
        assert!(
            found,
            "the oras Python SDK is not installed. Run `cargo xtask test` (it installs the \
             test peers), or `python3 -m pip install oras==0.2.43`."
        );
        Oras { _private: () }
    }

    /// Pushes `files` (each `PATH` or `PATH:MEDIATYPE`) to `target` (`HOST:PORT/NAME:TAG`) and
    /// returns the manifest digest the registry reported.
    pub fn push(
        &self,
        target: &str,
        files: &[String],
        annotations: &[(&str, &str)],
        subject: Option<&OrasSubject>,
    ) -> String {
        let annotations: serde_json::Map<String, Value> = annotations
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect();
        let subject = subject.map(|s| json!({"mediaType": s.media_type, "digest": s.digest, "size": s.size}));
        let answer = self.run(json!({
            "op": "push",
            "host": host_of(target),
            "target": target,
            "files": files,
            "annotations": annotations,
            "subject": subject,
        }));
        answer["digest"].as_str().unwrap_or_default().to_owned()
    }

    /// Pulls `target` into `outdir` and returns the files oras wrote.
    pub fn pull(&self, target: &str, outdir: &Path) -> Vec<PathBuf> {
        let answer = self.run(json!({
            "op": "pull",
            "host": host_of(target),
            "target": target,
            "outdir": outdir,
        }));
        answer["files"]
            .as_array()
            .map(|files| {
                files
                    .iter()
                    .filter_map(Value::as_str)
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn run(&self, args: Value) -> Value {
        let mut child = Command::new("python3")
            .args(["-c", PROGRAM])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run python3");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(args.to_string().as_bytes())
            .expect("write oras arguments");
        let output = crate::wait_with_timeout(child, CALL_TIMEOUT, "oras");
        assert!(
            output.status.success(),
            "oras {args} failed: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let last = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(last).unwrap_or_else(|e| panic!("oras printed {stdout:?}: {e}"))
    }
}

/// `HOST:PORT` of `HOST:PORT/NAME:TAG`.
fn host_of(target: &str) -> &str {
    target.split('/').next().unwrap_or(target)
}
