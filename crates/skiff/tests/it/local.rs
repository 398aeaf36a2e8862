//! Commands that need no registry: digests of blobs and manifest files, signature
//! verification, version and usage errors, completions and help, and a closed stdout.

use std::path::Path;
use std::process::{Command, Output};

use super::util::Skiff;

#[test]
fn completions_are_generated_for_each_shell() {
    let skiff = Skiff::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef skiff"),
        ("fish", "complete -c skiff"),
    ] {
        let script = skiff.ok_text(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("inspect") && script.contains("insecure"),
            "{shell}"
        );
    }
    let out = skiff.run(&["completions", "powershell"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_contract_command_has_help_with_an_example() {
    let skiff = Skiff::new();
    let commands: [&[&str]; 16] = [
        &["inspect"],
        &["digest"],
        &["verify"],
        &["tags"],
        &["catalog"],
        &["pull"],
        &["push"],
        &["copy"],
        &["convert"],
        &["delete"],
        &["blob", "get"],
        &["blob", "put"],
        &["login"],
        &["logout"],
        &["completions"],
        &["blob"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let help = skiff.ok_text(&args);
        if command != ["blob"] {
            assert!(help.contains("Example"), "{command:?}: {help}");
        }
        for global in [
            "--username",
            "--password-stdin",
            "--authfile",
            "--insecure",
            "--ca-file",
            "--platform",
            "--jobs",
            "--quiet",
            "--verbose",
        ] {
            assert!(help.contains(global), "{command:?} lacks {global}");
        }
    }
}

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
    for (i, len) in [0usize, 1, 65_535, 65_536, 65_537, 3_000_001]
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

fn fixture(name: &str) -> String {
    format!(
        "{}/../oci-manifest/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn digest_file_of_signed_schema1_is_of_the_payload() {
    // Every signed variant shares one payload, so one digest: that of the unsigned manifest.
    let unsigned = std::fs::read(fixture("schema1-unsigned.json")).unwrap();
    let expected = format!("{}\n", oci_digest::Digest::sha256(&unsigned));
    for name in [
        "schema1-signed-rs256.json",
        "schema1-signed-es256.json",
        "schema1-signed-multi.json",
    ] {
        let out = skiff(&["digest", "--file", &fixture(name)]);
        assert!(out.status.success(), "{name}: {out:?}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected, "{name}");
    }
}

#[test]
fn digest_file_of_other_formats_is_of_the_bytes() {
    for name in [
        "schema2.json",
        "schema2-pretty.json",
        "manifest-list.json",
        "oci-manifest.json",
        "oci-index.json",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let out = skiff(&["digest", "--file", &fixture(name)]);
        assert!(out.status.success(), "{name}: {out:?}");
        let expected = format!("{}\n", oci_digest::Digest::sha256(&bytes));
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected, "{name}");
    }
}

#[test]
fn digest_file_refuses_what_is_not_a_manifest() {
    let out = skiff(&["digest", "--file", &fixture("config-docker.json")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("skiff: digest of "), "{stderr}");
}

#[test]
fn verify_prints_each_signature_and_fails_on_tampering() {
    let out = skiff(&["verify", "--file", &fixture("schema1-signed-multi.json")]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let algorithms: Vec<&str> = stdout.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(algorithms.len(), 3, "{stdout}");
    for line in stdout.lines() {
        let key_id = line.split(' ').nth(1).expect("a key ID after the algorithm");
        assert_eq!(
            key_id.split(':').count(),
            12,
            "libtrust key IDs have 12 groups: {line}"
        );
    }
    for (name, why) in [
        ("schema1-signed-tampered.json", "invalid"),
        ("schema1-unsigned.json", "no signatures"),
    ] {
        let out = skiff(&["verify", "--file", &fixture(name)]);
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.starts_with("skiff: verifying ") && stderr.contains(why),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn a_closed_stdout_ends_the_command_quietly_not_with_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blob");
    std::fs::write(&path, b"content").unwrap();
    // The reader of stdout is gone before skiff writes, as after `| head -1` has its line.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(["digest", "--blob", path.to_str().unwrap()])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run skiff");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(out.status.code(), Some(0));
}
