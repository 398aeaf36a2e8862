//! Structural rules of the repository, checked from `cargo metadata` and the
//! source tree: the crate chain, no network crates in the core, module docs,
//! package metadata.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The library chain, bottom first. A crate may depend on crates before it only.
pub(crate) const CHAIN: &[&str] = &[
    "oci-digest",
    "oci-manifest",
    "registry-auth",
    "registry-client",
    "v1-compat",
    "skiff",
];

/// Crates that must stay free of sockets and async runtimes.
const SANS_IO: &[&str] = &["oci-digest", "oci-manifest", "registry-auth"];

/// Crates whose presence means networking or an async runtime.
const NETWORK_CRATES: &[&str] = &[
    "tokio",
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "rustls",
    "reqwest",
    "mio",
    "socket2",
    "h2",
];

/// Crates whose presence means a TLS stack.
const TLS_CRATES: &[&str] = &[
    "rustls",
    "hyper-rustls",
    "tokio-rustls",
    "rustls-native-certs",
    "rustls-pemfile",
    "rustls-webpki",
];

/// Runs every check; returns every problem found, not just the first.
pub(crate) fn check_all(root: &Path) -> Result<(), Vec<String>> {
    let metadata = cargo_metadata(root).map_err(|e| vec![e])?;
    let mut problems = Vec::new();
    problems.extend(check_chain(&metadata));
    problems.extend(check_sans_io(&metadata));
    problems.extend(check_pure_builds(root));
    problems.extend(check_package_metadata(&metadata));
    problems.extend(check_module_docs(root));
    problems.extend(check_merge_markers(root));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

pub(crate) fn cargo_metadata(root: &Path) -> Result<Value, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata output: {e}"))
}

fn workspace_packages(metadata: &Value) -> Vec<&Value> {
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id)))
        .collect()
}

/// Each chain crate depends (normally or for builds) only on chain crates below it.
fn check_chain(metadata: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for package in workspace_packages(metadata) {
        let name = package["name"].as_str().unwrap_or_default();
        let Some(level) = CHAIN.iter().position(|c| *c == name) else {
            continue;
        };
        let deps: Vec<&str> = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str())
            .collect();
        if level > 0 && !deps.contains(&CHAIN[level - 1]) {
            problems.push(format!(
                "{name} must depend on {}, the crate right below it in the chain {}",
                CHAIN[level - 1],
                CHAIN.join(" <- ")
            ));
        }
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            let Some(dep_level) = CHAIN.iter().position(|c| *c == dep_name) else {
                continue;
            };
            if dep_level >= level {
                problems.push(format!(
                    "{name} depends on {dep_name}, which is not below it in the chain {}",
                    CHAIN.join(" <- ")
                ));
            }
        }
    }
    problems
}

/// The sans-IO crates pull in no network crate, even transitively (dev-dependencies excepted).
fn check_sans_io(metadata: &Value) -> Vec<String> {
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let names: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
        .collect();
    let mut problems = Vec::new();
    for package in workspace_packages(metadata) {
        let name = package["name"].as_str().unwrap_or_default();
        if !SANS_IO.contains(&name) {
            continue;
        }
        let mut seen = BTreeSet::new();
        let mut stack = vec![package["id"].as_str().unwrap_or_default()];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Some(node) = nodes.get(id) else { continue };
            for dep in node["deps"].as_array().into_iter().flatten() {
                let is_normal = dep["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k["kind"].is_null() || k["kind"] == "build");
                if is_normal {
                    if let Some(dep_id) = dep["pkg"].as_str() {
                        stack.push(dep_id);
                    }
                }
            }
        }
        for id in seen {
            let dep_name = names.get(id).copied().unwrap_or_default();
            if NETWORK_CRATES.contains(&dep_name) {
                problems.push(format!(
                    "{name} must not open sockets, but depends (maybe transitively) on {dep_name}"
                ));
            }
        }
    }
    problems
}

/// Crates with a heavy half behind a default feature: the crate, that feature, and the crates
/// a build without its default features must not contain (the a la carte promise). v1-compat
/// without `client` has no network at all; registry-client without `tls` reads OCI layouts
/// with no TLS stack.
const LIGHT_WITHOUT_DEFAULTS: &[(&str, &str, &[&str])] = &[
    ("v1-compat", "client", NETWORK_CRATES),
    ("registry-client", "tls", TLS_CRATES),
];

/// `cargo tree -p CRATE --no-default-features -e normal` of each crate above names none of
/// the crates it must leave out.
fn check_pure_builds(root: &Path) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut problems = Vec::new();
    for (name, feature, forbidden) in LIGHT_WITHOUT_DEFAULTS {
        let out = Command::new(&cargo)
            .args([
                "tree",
                "--locked",
                "-p",
                name,
                "--no-default-features",
                "-e",
                "normal",
            ])
            .args(["--prefix", "none", "--format", "{p}"])
            .current_dir(root)
            .output();
        let out = match out {
            Ok(out) if out.status.success() => out,
            Ok(out) => {
                problems.push(format!(
                    "cargo tree -p {name} failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
                continue;
            }
            Err(e) => {
                problems.push(format!("cannot run cargo tree: {e}"));
                continue;
            }
        };
        let tree = String::from_utf8_lossy(&out.stdout);
        let found: BTreeSet<&str> = tree
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|dep| forbidden.contains(dep))
            .collect();
        for dep in found {
            problems.push(format!(
                "{name} without its default features (without `{feature}`) must not depend on {dep}, but does"
            ));
        }
    }
    problems
}

/// Publishable crates carry a description, licence and README.
fn check_package_metadata(metadata: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for package in workspace_packages(metadata) {
        let name = package["name"].as_str().unwrap_or_default();
        if !CHAIN.contains(&name) {
            continue;
        }
        for field in ["description", "license", "repository", "readme"] {
            if package[field].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{name}: Cargo.toml has no `{field}`"));
            }
        }
        if let Some(manifest) = package["manifest_path"].as_str() {
            let readme = Path::new(manifest).with_file_name("README.md");
            if !readme.is_file() {
                problems.push(format!("{name}: no README.md beside Cargo.toml"));
            }
        }
    }
    problems
}

/// Every Rust source file of the crates and the test harness opens with `//!`.
fn check_module_docs(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "tests"] {
        collect_rust_files(&root.join(dir), &mut files);
    }
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            problems.push(format!("{}: unreadable", file.display()));
            continue;
        };
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
        if !first.starts_with("//!") {
            let shown = file.strip_prefix(root).unwrap_or(&file);
            problems.push(format!(
                "{}: does not open with a `//!` module doc",
                shown.display()
            ));
        }
    }
    problems
}

/// No tracked file holds what an unfinished merge left (a conflict once landed in a doc).
fn check_merge_markers(root: &Path) -> Vec<String> {
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output();
    let listed = match listed {
        Ok(out) if out.status.success() => out.stdout,
        Ok(out) => {
            return vec![format!(
                "git ls-files: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )]
        }
        Err(e) => return vec![format!("running git ls-files: {e}")],
    };
    let mut problems = Vec::new();
    for name in listed.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name);
        // Binary and unreadable files (and ones deleted but not yet staged) hold no text markers.
        let Ok(text) = std::fs::read_to_string(root.join(name.as_ref())) else {
            continue;
        };
        for line in merge_marker_lines(&text) {
            problems.push(format!("{name}:{line}: a merge conflict marker"));
        }
    }
    problems
}

/// The 1-based numbers of the lines that open or close a merge conflict. A line of `=` alone
/// is left out: Markdown underlines headings with it.
fn merge_marker_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with("<<<<<<< ") || line.starts_with(">>>>>>> "))
        .map(|(index, _)| index + 1)
        .collect()
}

fn collect_rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !matches!(
                path.file_name().and_then(|n| n.to_str()),
                Some("target" | "data" | "fixtures")
            ) {
                collect_rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_is_tidy() {
        if let Err(problems) = check_all(&crate::project_root()) {
            panic!("tidy found problems:\n{}", problems.join("\n"));
        }
    }

    #[test]
    fn merge_markers_are_found_and_heading_underlines_are_not() {
        let text = "Title\n=======\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> abc (msg)\n";
        assert_eq!(merge_marker_lines(text), [3, 7]);
        assert!(merge_marker_lines("a <<<<<<< b\n").is_empty());
    }

    #[test]
    fn chain_check_catches_an_upward_dependency() {
        let metadata = serde_json::json!({
            "workspace_members": ["a", "b", "c"],
            "packages": [
                {"id": "a", "name": "oci-digest", "dependencies": [{"name": "oci-manifest"}]},
                {"id": "b", "name": "oci-manifest", "dependencies": [{"name": "oci-digest"}]},
                {"id": "c", "name": "registry-auth", "dependencies": [{"name": "oci-digest"}]}
            ]
        });
        let problems = check_chain(&metadata);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("oci-digest depends on oci-manifest"));
        assert!(problems[1].starts_with("registry-auth must depend on oci-manifest"));
    }

    #[test]
    fn sans_io_check_catches_a_transitive_network_crate() {
        let metadata = serde_json::json!({
            "workspace_members": ["auth"],
            "packages": [
                {"id": "auth", "name": "registry-auth", "dependencies": []},
                {"id": "mid", "name": "some-helper", "dependencies": []},
                {"id": "tok", "name": "tokio", "dependencies": []}
            ],
            "resolve": {"nodes": [
                {"id": "auth", "deps": [{"pkg": "mid", "dep_kinds": [{"kind": null}]}]},
                {"id": "mid", "deps": [{"pkg": "tok", "dep_kinds": [{"kind": null}]}]},
                {"id": "tok", "deps": []}
            ]}
        });
        let problems = check_sans_io(&metadata);
        assert_eq!(
            problems,
            ["registry-auth must not open sockets, but depends (maybe transitively) on tokio"]
        );
    }
}
