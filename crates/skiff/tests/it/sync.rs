//! `skiff sync`: output lines, the summary, exit codes, bad input, the report.

use std::time::Duration;

use skiff_integration::{ImageFormat, Registry, Skopeo};

use super::util::{describe, Skiff};

/// No sync of these tests' few small images takes longer.
const LIMIT: Duration = Duration::from_secs(120);

/// The lines of stdout, each split at tabs.
fn rows(stdout: &[u8]) -> Vec<Vec<String>> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

fn last_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_repository_is_mirrored_then_found_unchanged() {
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    let skopeo = Skopeo::new();
    let one = skopeo.push_random_image(&source, "team/app:1", &[500], ImageFormat::Oci);
    let two = skopeo.push_random_image(&source, "team/app:2", &[700], ImageFormat::V2s2);
    let skiff = Skiff::new();
    let args = [
        "sync",
        &source.reference("team/app"),
        &destination.reference("mirror"),
    ];
    let out = skiff.run_within(&args, LIMIT);
    assert!(out.status.success(), "{}", describe(&out));
    let expected = |status: &str| {
        vec![
            vec![
                status.to_owned(),
                source.reference("team/app:1"),
                destination.reference("mirror/app:1"),
                one.digest().to_owned(),
            ],
            vec![
                status.to_owned(),
                source.reference("team/app:2"),
                destination.reference("mirror/app:2"),
                two.digest().to_owned(),
            ],
        ]
    };
    let mut copied = rows(&out.stdout);
    copied.sort();
    assert_eq!(copied, expected("copied"));
    assert_eq!(last_line(&out.stderr), "sync: 2 copied, 0 unchanged, 0 failed");
    assert_eq!(
        destination.manifest_digest("mirror/app", "2").as_deref(),
        Some(two.digest())
    );

    let again = skiff.run_within(&args, LIMIT);
    assert!(again.status.success(), "{}", describe(&again));
    let mut unchanged = rows(&again.stdout);
    unchanged.sort();
    assert_eq!(unchanged, expected("unchanged"));
    assert_eq!(last_line(&again.stderr), "sync: 0 copied, 2 unchanged, 0 failed");
}

#[test]
fn bad_input_is_one_line_with_file_and_line_exit_2_and_nothing_written() {
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    Skopeo::new().push_random_image(&source, "team/app:1", &[100], ImageFormat::Oci);
    let dir = tempfile::tempdir().unwrap();
    let skiff = Skiff::new();
    let host = source.addr();
    let cases = [
        (
            format!("{host}:\n  images:\n    team/app: []\n  tls-verfy: true\n"),
            "sync.yml:4: ",
            "unknown field `tls-verfy`",
        ),
        (
            format!("{host}:\n  images:\n    team/app: [\n"),
            "sync.yml:4: ",
            "",
        ),
        (
            format!("{host}:\n  images-by-tag-regex:\n    team/app: \"[\"\n"),
            "sync.yml:3: ",
            "bad regex",
        ),
        (
            format!("{host}:\n  images-by-semver:\n    team/app: \">= x\"\n"),
            "sync.yml:3: ",
            "semver range",
        ),
        (
            "busybox:\n  images:\n    app: []\n".to_owned(),
            "sync.yml:1: ",
            "does not name a registry host",
        ),
    ];
    let file = dir.path().join("sync.yml");
    for (text, at, problem) in cases {
        std::fs::write(&file, &text).unwrap();
        let file = file.to_str().unwrap();
        let args = ["sync", "--src", "yaml", file, &destination.reference("m")];
        let out = skiff.run_within(&args, LIMIT);
        assert_eq!(out.status.code(), Some(2), "{text}\n{}", describe(&out));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        let expected = format!("skiff: {file}:{}", at.trim_start_matches("sync.yml:"));
        assert!(stderr.starts_with(&expected), "{expected} / {stderr}");
        assert!(stderr.contains(problem), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    for (flag, value) in [
        ("--tags-regex", "("),
        ("--tags-exclude", "["),
        ("--semver", ">= x y"),
        ("--shard", "3/3"),
    ] {
        let args = [
            "sync",
            flag,
            value,
            &source.reference("team/app"),
            &destination.reference("m"),
        ];
        let out = skiff.run_within(&args, LIMIT);
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with(&format!("skiff: {flag}: ")), "{stderr}");
    }
    assert!(destination.tagged_images().is_empty());
}

#[test]
fn failures_exit_1_and_keep_going_goes_on() {
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    Skopeo::new().push_random_image(&source, "team/app:1", &[100], ImageFormat::Oci);
    Skopeo::new().push_random_image(&source, "team/app:3", &[100], ImageFormat::Oci);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.yml");
    std::fs::write(
        &file,
        format!(
            "{}:\n  images:\n    team/app: [\"1\", \"2\", \"3\"]\n",
            source.addr()
        ),
    )
    .unwrap();
    let report = dir.path().join("report.json");
    let skiff = Skiff::new();
    let prefix = destination.reference("m");
    let (file, report_path) = (file.to_str().unwrap(), report.to_str().unwrap());

    let stopped = skiff.run_within(
        &["sync", "--src", "yaml", "--parallel", "1", file, &prefix],
        LIMIT,
    );
    assert_eq!(stopped.status.code(), Some(1), "{}", describe(&stopped));
    let statuses: Vec<String> = rows(&stopped.stdout).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(statuses, ["copied", "failed"]);
    assert_eq!(
        last_line(&stopped.stderr),
        "sync: 1 copied, 0 unchanged, 1 failed"
    );

    let going = skiff.run_within(
        &[
            "sync",
            "--src",
            "yaml",
            "--keep-going",
            "--report",
            report_path,
            file,
            &prefix,
        ],
        LIMIT,
    );
    assert_eq!(going.status.code(), Some(1), "{}", describe(&going));
    assert_eq!(last_line(&going.stderr), "sync: 1 copied, 1 unchanged, 1 failed");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let images = json["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    for (image, status) in images.iter().zip(["unchanged", "failed", "copied"]) {
        assert_eq!(image["status"], status, "{json}");
        for key in ["source", "destination", "digest", "bytes", "seconds", "error"] {
            assert!(image.get(key).is_some(), "{key} in {image}");
        }
    }
    assert!(images[1]["error"].as_str().unwrap().contains("404"), "{json}");
    assert_eq!(images[2]["destination"], format!("{prefix}/app:3"));
}
