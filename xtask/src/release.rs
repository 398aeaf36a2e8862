//! `cargo xtask dist` and `cargo xtask release --dry-run`: the release build
//! with checksums, and the checks a release must pass before publishing.

use std::path::{Path, PathBuf};

use crate::tidy::CHAIN;

/// Builds skiff in release mode into `target/dist` with a `SHA256SUMS` file.
pub(crate) fn dist() -> Result<PathBuf, String> {
    crate::cargo(&["build", "--release", "--locked", "-p", "skiff"])?;
    let target = target_dir();
    let dist = target.join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| format!("creating {}: {e}", dist.display()))?;
    let version = workspace_version()?;
    let name = format!(
        "skiff-{version}-{}-{}",
        std::env::consts::ARCH,
        std::env::consts::OS
    );
    let binary = dist.join(&name);
    copy_atomically(&target.join("release").join("skiff"), &binary)?;
    let file = std::fs::File::open(&binary).map_err(|e| format!("reading {}: {e}", binary.display()))?;
    let (digest, _) = oci_digest::digest_reader(oci_digest::Algorithm::Sha256, file)
        .map_err(|e| format!("hashing {}: {e}", binary.display()))?;
    // The `sha256sum -c` format: hex, two spaces, file name.
    let sums = format!("{}  {name}\n", digest.encoded());
    std::fs::write(dist.join("SHA256SUMS"), sums).map_err(|e| format!("writing SHA256SUMS: {e}"))?;
    println!("{}", binary.display());
    Ok(binary)
}

/// Checks versions, the changelog and packaging, then builds the dist.
pub(crate) fn release(dry_run: bool) -> Result<(), String> {
    if !dry_run {
        return Err(
            "only `cargo xtask release --dry-run` is automated; publishing is done by a \
                    maintainer as docs/RELEASING.md describes"
                .to_owned(),
        );
    }
    let version = workspace_version()?;
    let problems = version_problems(&version)?;
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let changelog = std::fs::read_to_string(crate::project_root().join("CHANGELOG.md"))
        .map_err(|e| format!("reading CHANGELOG.md: {e}"))?;
    if !changelog_has(&changelog, &version) {
        return Err(format!("CHANGELOG.md has no `## {version}` section"));
    }
    // Packaged together, in chain order, so each crate resolves the ones below
    // it from this checkout rather than from crates.io.
    let mut args = vec!["package", "--locked", "--no-verify", "--allow-dirty"];
    for krate in CHAIN {
        args.extend(["-p", krate]);
    }
    crate::cargo(&args)?;
    dist()?;
    println!("release {version}: versions agree, CHANGELOG has it, every crate packages, dist built");
    Ok(())
}

/// Whether the changelog has a heading for `version`.
fn changelog_has(changelog: &str, version: &str) -> bool {
    changelog.lines().any(|line| {
        line.strip_prefix("## ")
            .is_some_and(|rest| rest.trim_start_matches('[').starts_with(version))
    })
}

/// Every chain crate carries the workspace version, and every internal
/// dependency asks for that version.
fn version_problems(version: &str) -> Result<Vec<String>, String> {
    let metadata = crate::tidy::cargo_metadata(&crate::project_root())?;
    let mut problems = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default();
        if !CHAIN.contains(&name) {
            continue;
        }
        if package["version"].as_str() != Some(version) {
            problems.push(format!(
                "{name} is at version {}, the workspace at {version}",
                package["version"]
            ));
        }
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            if CHAIN.contains(&dep_name) && dep["req"].as_str() != Some(&format!("^{version}")) {
                problems.push(format!(
                    "{name} asks for {dep_name} {}, not ^{version}",
                    dep["req"]
                ));
            }
        }
    }
    Ok(problems)
}

fn workspace_version() -> Result<String, String> {
    let manifest = std::fs::read_to_string(crate::project_root().join("Cargo.toml"))
        .map_err(|e| format!("reading Cargo.toml: {e}"))?;
    let in_package = manifest.split("[workspace.package]").nth(1).unwrap_or_default();
    in_package
        .lines()
        .take_while(|l| !l.starts_with('['))
        .find_map(|l| l.strip_prefix("version = "))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .ok_or_else(|| "Cargo.toml has no [workspace.package] version".to_owned())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::project_root().join("target"))
}

/// Copies to a temp name beside `to`, then renames: never a half-written binary.
fn copy_atomically(from: &Path, to: &Path) -> Result<(), String> {
    let temp = to.with_extension("partial");
    std::fs::copy(from, &temp).map_err(|e| format!("copying {}: {e}", from.display()))?;
    std::fs::rename(&temp, to).map_err(|e| format!("renaming into {}: {e}", to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changelog_headings_are_found_with_or_without_brackets() {
        assert!(changelog_has("# Changelog\n\n## 0.1.0 - 2026-11-25\n", "0.1.0"));
        assert!(changelog_has("## [0.1.0]\n", "0.1.0"));
        assert!(!changelog_has("## 0.1.1\n", "0.1.0"));
        assert!(!changelog_has("Mentions 0.1.0 in prose\n", "0.1.0"));
    }

    #[test]
    fn the_workspace_is_consistent_for_a_release() {
        let version = workspace_version().unwrap();
        assert_eq!(version_problems(&version).unwrap(), Vec::<String>::new());
        let changelog = std::fs::read_to_string(crate::project_root().join("CHANGELOG.md")).unwrap();
        assert!(
            changelog_has(&changelog, &version),
            "CHANGELOG.md needs a `## {version}` section"
        );
    }
}
