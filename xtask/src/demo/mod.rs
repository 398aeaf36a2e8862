//! `cargo xtask demo`: skiff's main job, shown on a real registry.
//!
//! Installs the peers when missing (as `cargo xtask test` does), builds skiff,
//! starts Debian's `docker-registry` on a free loopback port in a temp dir
//! (schema1 compatibility on, so the conversion step can push schema1), builds
//! a two-platform image as an OCI layout, then runs each skiff command,
//! printing it before its output (archives too: `save` into a docker-archive, an
//! OCI archive and back). The registry stops and the temp dirs go
//! away when the demo ends, whatever happened.

mod image;

use std::path::{Path, PathBuf};
use std::process::Command;

use skiff_integration::Registry;

pub(crate) fn run() -> Result<(), String> {
    crate::tools::ensure_peers()?;
    crate::cargo(&["build", "--quiet", "-p", "skiff"])?;
    let skiff = skiff_binary();
    let work = tempfile::tempdir().map_err(|e| format!("creating a temp dir: {e}"))?;
    let layout = work.path().join("demo-image");
    let index = image::write_layout(&layout, "1.0")?;
    println!("# Built a two-platform image (linux/amd64, linux/arm64) as an OCI layout: {index}");

    let registry = Registry::builder().schema1().start();
    let host = registry.addr().to_owned();
    println!("# Started docker-registry on {host}\n");

    let image = format!("{host}/demo/hello:1.0");
    let layout_ref = format!("oci:{}:1.0", layout.display());
    let pulled = work.path().join("pulled");
    let archive = work.path().join("images.tar").display().to_string();
    let oci_archive = work.path().join("hello-oci.tar").display().to_string();
    let steps: Vec<Vec<String>> = vec![
        vec!["push".into(), layout_ref, image.clone()],
        vec!["tags".into(), format!("{host}/demo/hello")],
        vec!["inspect".into(), image.clone()],
        vec!["inspect".into(), "--raw".into(), image.clone()],
        vec!["digest".into(), image.clone()],
        vec!["pull".into(), image.clone(), pulled.display().to_string()],
        vec!["copy".into(), image.clone(), format!("{host}/mirror/hello:1.0")],
        vec!["catalog".into(), host.clone()],
        vec![
            "convert".into(),
            "--to".into(),
            "v2s1".into(),
            "--platform".into(),
            "linux/arm64".into(),
            image.clone(),
            format!("{host}/legacy/hello:schema1"),
        ],
        vec!["inspect".into(), format!("{host}/legacy/hello:schema1")],
        vec![
            "convert".into(),
            "--to".into(),
            "oci".into(),
            format!("{host}/legacy/hello:schema1"),
            format!("{host}/legacy/hello:oci"),
        ],
        // Archives: one image per platform into a `docker load`-able tarball, the whole
        // index into an OCI archive and back, digest for digest.
        vec![
            "save".into(),
            "--output".into(),
            archive.clone(),
            image.clone(),
            format!("{host}/legacy/hello:oci"),
        ],
        vec!["inspect".into(), format!("docker-archive:{archive}:@1")],
        vec![
            "copy".into(),
            image.clone(),
            format!("oci-archive:{oci_archive}:1.0"),
        ],
        vec![
            "copy".into(),
            format!("oci-archive:{oci_archive}:1.0"),
            format!("{host}/restored/hello:1.0"),
        ],
    ];
    for args in &steps {
        if let Err(problem) = run_step(&skiff, args) {
            return Err(format!(
                "{problem}\nregistry log (last lines):\n{}",
                tail(&registry.log(), 15)
            ));
        }
    }
    println!("# Done: the registry stops and the temp files are removed.");
    Ok(())
}

/// Prints `$ skiff ARGS`, runs it with the terminal as its output, fails on a non-zero exit.
fn run_step(skiff: &Path, args: &[String]) -> Result<(), String> {
    println!("$ skiff {}", args.join(" "));
    let status = Command::new(skiff)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", skiff.display()))?;
    println!();
    if status.success() {
        Ok(())
    } else {
        Err(format!("`skiff {}` failed ({status})", args.join(" ")))
    }
}

/// Where `cargo build -p skiff` put the binary.
fn skiff_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::project_root().join("target"));
    target.join("debug").join("skiff")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
