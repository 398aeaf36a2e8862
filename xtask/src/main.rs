//! `cargo xtask`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! Commands:
//! - `test`: install the integration peers if missing, then fmt, clippy and every test.
//! - `demo`: skiff's main job on a built-in demo.
//! - `tidy`: the repository's structural rules (also run by `cargo test`).
//! - `fixtures [--check]`: regenerate (or check) the committed manifest fixtures.
//! - `dist`: release build of skiff into `target/dist` with `SHA256SUMS`.
//! - `release --dry-run`: versions, changelog, `cargo package` of every crate, then `dist`.
//! - `bench [--quick] [--rounds N] [--only transfer|sync|latency]`: skiff against skopeo end to end; writes
//!   docs/PERFORMANCE.md.

#[cfg(feature = "harness")]
mod bench;
#[cfg(feature = "harness")]
mod demo;
mod fixtures;
mod release;
mod tidy;
mod tools;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("demo" | "bench") => with_harness(&args),
        Some("tidy") => tidy::check_all(&project_root()).map_err(|problems| problems.join("\n")),
        Some("install-peers") => tools::ensure_peers(),
        Some("dist") => release::dist().map(drop),
        Some("release") => release::release(args.get(1).map(String::as_str) == Some("--dry-run")),
        Some("fixtures") if args.len() == 1 => fixtures::run(&project_root(), false),
        Some("fixtures") if args.len() == 2 && args[1] == "--check" => fixtures::run(&project_root(), true),
        _ => {
            eprintln!(
                "usage: cargo xtask <test|demo|tidy|install-peers|fixtures [--check]|dist|release --dry-run|bench [--quick] [--rounds N] [--only transfer|sync|latency]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `demo` or `bench`, which need the integration harness: directly when this
/// build has it, else by running xtask again with the `harness` feature, so that the
/// light commands never compile the harness.
fn with_harness(args: &[String]) -> Result<(), String> {
    #[cfg(feature = "harness")]
    {
        match args[0].as_str() {
            "demo" => demo::run(),
            _ => bench::run(&args[1..]),
        }
    }
    #[cfg(not(feature = "harness"))]
    {
        let mut cargo_args = vec![
            "run",
            "--quiet",
            "--package",
            "xtask",
            "--features",
            "harness",
            "--",
        ];
        cargo_args.extend(args.iter().map(String::as_str));
        cargo(&cargo_args)
    }
}

/// The workspace root, found from this crate's manifest directory.
pub(crate) fn project_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the root")
        .to_path_buf()
}

/// Runs `cargo ARGS` in the project root, failing with the command line.
pub(crate) fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(&cargo)
        .args(args)
        .current_dir(project_root())
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

/// The one test command: what CI runs and what the README promises.
fn test() -> Result<(), String> {
    tools::ensure_peers()?;
    cargo(&["fmt", "--all", "--", "--check"])?;
    // `xtask/harness` so that the demo and bench code is linted and its unit tests run.
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--features",
        "xtask/harness",
        "--",
        "-D",
        "warnings",
    ])?;
    // The light builds (registry-client without TLS, v1-compat without the client) are
    // their own feature sets: linted on their own so that a change cannot break them unseen.
    for light in ["registry-client", "v1-compat"] {
        cargo(&[
            "clippy",
            "-p",
            light,
            "--no-default-features",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ])?;
    }
    cargo(&["test", "--workspace", "--locked", "--features", "xtask/harness"])?;
    Ok(())
}
