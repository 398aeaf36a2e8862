//! The external programs the integration tests run against, and how to get them.

use std::process::Command;

/// Program name, and the Debian package that provides it.
const PEERS: &[(&str, &str)] = &[
    ("docker-registry", "docker-registry"),
    ("skopeo", "skopeo"),
    ("openssl", "openssl"),
    // pip, for the Python peers below.
    ("pip3", "python3-pip"),
    // The forward proxy of the proxy tests.
    ("squid", "squid"),
    // The archive peers: what `podman save` and `ctr images export` write skiff reads, and
    // what skiff writes they load (podman with the vfs driver under a temp root; containerd
    // started by the tests with a temp root, state and socket).
    ("podman", "podman"),
    ("containerd", "containerd"),
    ("ctr", "containerd"),
    // For `cargo xtask bench`: peak memory and the raw-download baseline.
    ("time", "time"),
    ("curl", "curl"),
];

/// Files the tests read from a peer's Debian package (its published fixtures), and the package.
const PEER_FILES: &[(&str, &str)] = &[(
    // containers/image's manifest fixtures: the conformance corpus.
    "/usr/share/gocode/src/github.com/containers/image/manifest/fixtures",
    "golang-github-containers-image-dev",
)];

/// Python modules the tests drive as peers, and the PyPI requirement that provides each
/// (pinned: a peer's behaviour is part of what the tests assert).
const PYTHON_PEERS: &[(&str, &str)] = &[
    // The oras SDK: the artifacts peer (what it pushes skiff pulls, and the reverse).
    ("oras", "oras==0.2.43"),
];

/// Whether `python3` can import `module`.
fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Installs the missing Python peers with pip.
fn ensure_python_peers() -> Result<(), String> {
    let missing: Vec<&str> = PYTHON_PEERS
        .iter()
        .filter(|(module, _)| !python_has(module))
        .map(|(_, requirement)| *requirement)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let pip = |extra: &[&str]| -> Result<std::process::Output, String> {
        eprintln!(
            "$ python3 -m pip install {} {}",
            extra.join(" "),
            missing.join(" ")
        );
        Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .args(extra)
            .args(&missing)
            .output()
            .map_err(|e| format!("cannot run python3 -m pip: {e}"))
    };
    let mut out = pip(&[])?;
    // Debian's own python3 refuses pip installs outside a virtual environment (PEP 668); the
    // test peers are pinned and only the tests import them.
    if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("externally-managed") {
        out = pip(&["--break-system-packages"])?;
    }
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`python3 -m pip install {}` failed ({}): {}",
            missing.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Whether `program` is on `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// Makes sure the integration peers are installed: Debian packages with apt-get when running
/// as root (otherwise failing with the command to run), then Python ones with pip.
pub(crate) fn ensure_peers() -> Result<(), String> {
    ensure_debian_peers()?;
    ensure_python_peers()
}

fn ensure_debian_peers() -> Result<(), String> {
    let missing: Vec<&str> = PEERS
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(_, package)| *package)
        .chain(
            PEER_FILES
                .iter()
                .filter(|(path, _)| !std::path::Path::new(path).exists())
                .map(|(_, package)| *package),
        )
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let install = format!("apt-get install -y {}", missing.join(" "));
    if !is_root() {
        return Err(format!(
            "missing {}: run `sudo apt-get update && sudo {install}`",
            missing.join(", ")
        ));
    }
    eprintln!("$ apt-get update && {install}");
    let apt = |args: &[&str]| -> Result<(), String> {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`apt-get {}` failed ({status})", args.join(" ")))
        }
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    apt(&args)?;
    // The Debian package may start a registry service on :5000; the tests start
    // their own on free loopback ports and do not need it.
    Ok(())
}
