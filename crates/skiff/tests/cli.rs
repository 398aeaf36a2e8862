//! The `skiff` binary end to end: outputs, exit codes and error lines.

use std::path::Path;
use std::process::{Command, Output};

fn skiff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(args)
        .output()
        .expect("run skiff")
}

fn coreutils_sum(program: &str, path: &Path) -> String {
    let out = Command::new(program)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{program} (coreutils) is needed: {e}"));
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn digest_blob_agrees_with_coreutils() {
    let dir = tempfile::tempdir().unwrap();
    // Sizes around the read buffer's edge.
    for (i, len) in [0usize, 1, 262_143, 262_144, 262_145, 3_000_001]
        .into_iter()
        .enumerate()
    {
        let path = dir.path().join(format!("blob{i}"));
        let content: Vec<u8> = (0..len).map(|j| (j * 7 % 256) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let p = path.to_str().unwrap();
        let out = skiff(&["digest", "--blob", p]);
        assert!(out.status.success(), "{out:?}");
        let expected = format!("sha256:{}\n", coreutils_sum("sha256sum", &path));
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
        let out = skiff(&["digest", "--blob", p, "--algorithm", "sha512"]);
        assert!(out.status.success(), "{out:?}");
        let expected = format!("sha512:{}\n", coreutils_sum("sha512sum", &path));
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    }
}

#[test]
fn digest_of_a_missing_file_fails_with_one_line_and_exit_1() {
    let out = skiff(&["digest", "--blob", "/nonexistent/skiff-test-file"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("skiff: digest of /nonexistent/skiff-test-file: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_errors_exit_2() {
    let out = skiff(&["digest", "--blob", "x", "--algorithm", "md5"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = skiff(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn version_is_printed() {
    let out = skiff(&["--version"]);
    assert!(out.status.success());
    let expected = format!("skiff {}\n", env!("CARGO_PKG_VERSION"));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}
