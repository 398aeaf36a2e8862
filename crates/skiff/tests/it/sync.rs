//! `skiff sync`: output lines, the summary, exit codes, bad input, the report.

use std::time::Duration;

use skiff_integration::{ImageFormat, ImageRef, Registry, Skopeo};

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

    // Filters may start with `-`, as `-rc` does.
    let filtered = skiff.run_within(
        &[
            "sync",
            "--dry-run",
            "--tags-exclude",
            "-rc",
            "--tags-regex",
            "^1$",
            args[1],
            args[2],
        ],
        LIMIT,
    );
    assert!(filtered.status.success(), "{}", describe(&filtered));
    assert_eq!(rows(&filtered.stdout).len(), 1);
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
    let skiff = Skiff::new();
    Skopeo::new().push_random_image(&source, "team/app:1", &[100], ImageFormat::Oci);
    let more: Vec<String> = (2..=9).map(|t| t.to_string()).collect();
    let mut tag = vec!["tag", "-q"];
    let first = source.reference("team/app:1");
    tag.push(&first);
    tag.extend(more.iter().map(String::as_str));
    skiff.ok(&tag);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.yml");
    // The missing tag first: the run stops right after it.
    std::fs::write(
        &file,
        format!(
            "{}:\n  images:\n    team/app: [gone, \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\"]\n",
            source.addr()
        ),
    )
    .unwrap();
    let report = dir.path().join("report.json");
    let prefix = destination.reference("m");
    let (file, report_path) = (file.to_str().unwrap(), report.to_str().unwrap());

    let stopped = skiff.run_within(
        &["sync", "--src", "yaml", "--parallel", "1", file, &prefix],
        LIMIT,
    );
    assert_eq!(stopped.status.code(), Some(1), "{}", describe(&stopped));
    let lines = rows(&stopped.stdout);
    assert!(lines
        .iter()
        .any(|r| r[0] == "failed" && r[1].ends_with(":gone") && r[3].is_empty()));
    // No image started after the failure but the first wave of checks.
    assert!(lines.len() <= 4, "{}", describe(&stopped));
    assert!(last_line(&stopped.stderr).ends_with(" unchanged, 1 failed"));
    assert!(destination.tagged_images().len() <= 1);

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
    assert!(last_line(&going.stderr).ends_with(" unchanged, 1 failed"));
    assert_eq!(destination.tagged_images().len(), 9);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let images = json["images"].as_array().unwrap();
    assert_eq!(images.len(), 10);
    assert_eq!(images[0]["status"], "failed", "{json}");
    assert!(images[0]["error"].as_str().unwrap().contains("404"), "{json}");
    for image in images {
        for key in ["source", "destination", "digest", "bytes", "seconds", "error"] {
            assert!(image.get(key).is_some(), "{key} in {image}");
        }
    }
    assert_eq!(images[9]["destination"], format!("{prefix}/app:9"));
    assert_eq!(json["failed"], 1);
    assert_eq!(
        json["copied"].as_u64().unwrap() + json["unchanged"].as_u64().unwrap(),
        9
    );
}

/// The example file of skopeo-sync(1) as skopeo 1.9.3 installs it (EXAMPLES, "YAML file
/// content"), with `REGISTRY`, `QUAY`, `CERTS` and `DIGEST` where the page has
/// `registry.example.com`, `quay.io`, `/home/john/certs` and its placeholder digest: the
/// harness's registries, the directory of the first one's CA, and a digest a test image has
/// (the page's all-zero one names nothing).
const MAN_PAGE_EXAMPLE: &str = r#"registry.example.com:
    images:
        busybox: []
        redis:
            - "1.0"
            - "2.0"
            - "sha256:0000000000000000000000000000000011111111111111111111111111111111"
    images-by-tag-regex:
        nginx: ^1\.13\.[12]-alpine-perl$
    credentials:
        username: john
        password: this is a secret
    tls-verify: true
    cert-dir: /home/john/certs
quay.io:
    tls-verify: false
    images:
        coreos/etcd:
            - latest
"#;

/// What a destination registry holds under `prefix/`: `NAME:TAG` to digest, and each of
/// `by_digest` (`NAME@DIGEST`) it holds.
fn mirrored(registry: &Registry, prefix: &str, by_digest: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut held: Vec<(String, String)> = registry
        .tagged_images()
        .into_iter()
        .map(|(name, digest)| {
            (
                name.strip_prefix(&format!("{prefix}/")).unwrap().to_owned(),
                digest,
            )
        })
        .collect();
    for (repository, digest) in by_digest {
        if registry
            .manifest_digest(&format!("{prefix}/{repository}"), digest)
            .is_some()
        {
            held.push((format!("{repository}@{digest}"), (*digest).to_owned()));
        }
    }
    held.sort();
    held
}

#[test]
fn the_man_page_example_syncs_unchanged_and_as_skopeo_syncs_it() {
    use skiff_integration::User;
    // registry.example.com: TLS (its CA in the file's cert-dir) and Basic auth as john.
    let example = Registry::builder()
        .tls()
        .htpasswd(&[User::new("john", "this is a secret")])
        .start();
    // quay.io: TLS with a certificate nobody trusts, hence `tls-verify: false`.
    let quay = Registry::builder().tls().start();
    let skopeo = Skopeo::new();
    for name in [
        "busybox:1-glibc",
        "busybox:1-musl",
        "busybox:latest",
        "redis:1.0",
        "redis:2.0",
        "nginx:1.13.1-alpine-perl",
        "nginx:1.13.2-alpine-perl",
        "nginx:1.13.3-alpine-perl",
        "nginx:latest",
    ] {
        skopeo.push_random_image(&example, name, &[300], ImageFormat::Oci);
    }
    let pinned = skopeo.push_random_image(&example, "redis:3.0", &[300], ImageFormat::V2s2);
    skopeo.push_random_image(&quay, "coreos/etcd:latest", &[300], ImageFormat::Oci);
    let certs = example.tls().unwrap().cert_dir().display().to_string();
    let text = MAN_PAGE_EXAMPLE
        .replace("registry.example.com", example.addr())
        .replace("quay.io", quay.addr())
        .replace("/home/john/certs", &certs)
        .replace(
            "sha256:0000000000000000000000000000000011111111111111111111111111111111",
            pinned.digest(),
        );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.yml");
    std::fs::write(&file, &text).unwrap();
    let file = file.to_str().unwrap();

    let (ours, theirs) = (Registry::anonymous(), Registry::anonymous());
    let skiff = Skiff::new();
    let args = [
        "sync",
        "--src",
        "yaml",
        "--dest",
        "docker",
        file,
        &ours.reference("repo/"),
    ];
    let out = skiff.run_within(&args, LIMIT);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(last_line(&out.stderr), "sync: 9 copied, 0 unchanged, 0 failed");
    skopeo
        .sync(&[
            "--src",
            "yaml",
            "--dest",
            "docker",
            "--dest-tls-verify=false",
            file,
            &theirs.reference("repo/"),
        ])
        .unwrap_or_else(|failure| theirs.fail(failure));
    let by_digest = [("redis", pinned.digest())];
    let held = mirrored(&ours, "repo", &by_digest);
    assert_eq!(held, mirrored(&theirs, "repo", &by_digest));
    let names: Vec<&str> = held.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "busybox:1-glibc",
            "busybox:1-musl",
            "busybox:latest",
            "etcd:latest",
            "nginx:1.13.1-alpine-perl",
            "nginx:1.13.2-alpine-perl",
            "redis:1.0",
            "redis:2.0",
            &format!("redis@{}", pinned.digest()),
        ]
    );

    let again = skiff.run_within(&args, LIMIT);
    assert!(again.status.success(), "{}", describe(&again));
    assert_eq!(last_line(&again.stderr), "sync: 0 copied, 9 unchanged, 0 failed");
}

#[test]
fn a_no_op_sync_costs_one_head_on_each_side_and_a_dry_run_writes_nothing() {
    use http::Method;
    use skiff_integration::{FaultProxy, Route};
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    let skopeo = Skopeo::new();
    for name in ["a/app:1", "a/app:2", "b/tool:1", "b/tool:2", "b/tool:3"] {
        skopeo.push_random_image(&source, name, &[400, 100], ImageFormat::Oci);
    }
    let (from, to) = (FaultProxy::start(&source), FaultProxy::start(&destination));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.yml");
    std::fs::write(
        &file,
        format!("{}:\n  images:\n    a/app: []\n    b/tool: []\n", from.addr()),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let skiff = Skiff::new();
    let prefix = to.reference("mirror");
    let sync = |extra: &[&str]| {
        let mut args = vec!["sync", "--src", "yaml"];
        args.extend(extra);
        args.extend([file, prefix.as_str()]);
        let out = skiff.run_within(&args, LIMIT);
        assert!(out.status.success(), "{}", describe(&out));
        out
    };

    // Nothing there yet: the dry run plans five copies and writes nothing.
    let (before_from, before_to) = (from.requests().len(), to.requests().len());
    let dry = sync(&["--dry-run"]);
    let statuses: Vec<String> = rows(&dry.stdout).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(statuses, ["planned"; 5]);
    let writes: Vec<_> = to.requests()[before_to..]
        .iter()
        .filter(|r| !matches!(r.method, Method::GET | Method::HEAD))
        .cloned()
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert!(destination.tagged_images().is_empty());
    let source_writes = from.requests()[before_from..]
        .iter()
        .filter(|r| !matches!(r.method, Method::GET | Method::HEAD))
        .count();
    assert_eq!(source_writes, 0);

    // Into repositories the destination does not know: each repository's first image costs a
    // manifest HEAD there and a listing, and nothing else is asked: no other manifest HEAD,
    // no blob HEAD; at the source each image's manifest is read, and only the first images
    // of the two repositories are HEADed.
    let (before_from, before_to) = (from.requests().len(), to.requests().len());
    sync(&[]);
    assert_eq!(destination.tagged_images().len(), 5);
    let (heads, rest) = to.manifest_heads_since(before_to);
    assert_eq!(
        (
            heads,
            rest.get(&(Method::GET, Route::Tags)),
            rest.get(&(Method::HEAD, Route::Blob))
        ),
        (2, Some(&2), None),
        "{rest:?}"
    );
    let (heads, rest) = from.manifest_heads_since(before_from);
    assert_eq!(
        (heads, rest.get(&(Method::GET, Route::Manifest))),
        (2, Some(&5)),
        "{rest:?}"
    );

    let (before_from, before_to) = (from.requests().len(), to.requests().len());
    let again = sync(&[]);
    let statuses: Vec<String> = rows(&again.stdout).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(statuses, ["unchanged"; 5]);
    // The tags are listed (one GET per repository), then one HEAD per image on each side,
    // and nothing else: no GET of a destination manifest, no write.
    let (heads, rest) = from.manifest_heads_since(before_from);
    assert_eq!(
        (heads, rest.get(&(Method::GET, Route::Tags))),
        (5, Some(&2)),
        "{rest:?}"
    );
    assert_eq!(rest.len(), 1, "{rest:?}");
    let (heads, rest) = to.manifest_heads_since(before_to);
    assert_eq!(heads, 5);
    assert!(
        rest.is_empty(),
        "no GET and no write at the destination: {rest:?}"
    );
}

#[test]
fn three_shards_cover_every_repository_exactly_once() {
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    let skopeo = Skopeo::new();
    let repositories: Vec<String> = (0..12).map(|i| format!("team/repo{i}")).collect();
    for repository in &repositories {
        skopeo.push_random_image(&source, &format!("{repository}:1"), &[100], ImageFormat::Oci);
    }
    // The file names the source by a name without a port (registries.conf maps it), so the
    // shard of each repository is the same on every run of this test.
    let skiff = Skiff::new();
    std::fs::write(
        skiff.home().join("registries.conf"),
        format!(
            "[[registry]]\nprefix = \"source.test\"\nlocation = \"{}\"\ninsecure = true\n",
            source.addr()
        ),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.yml");
    let mut text = String::from("source.test:\n  images:\n");
    for repository in &repositories {
        text.push_str(&format!("    {repository}: []\n"));
    }
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    let prefix = destination.reference("mirror");
    // All three at once, as an Indexed Job runs them.
    let shards: Vec<String> = (0..3).map(|i| format!("{i}/3")).collect();
    let children: Vec<_> = shards
        .iter()
        .map(|shard| skiff.spawn(&["sync", "--src", "yaml", "--shard", shard, file, &prefix]))
        .collect();
    let mut seen: Vec<String> = Vec::new();
    let mut busy_shards = 0;
    for child in children {
        let out = skiff_integration::wait_with_timeout(child, LIMIT, "skiff sync --shard");
        assert!(out.status.success(), "{}", describe(&out));
        let sources: Vec<String> = rows(&out.stdout).into_iter().map(|r| r[1].clone()).collect();
        busy_shards += usize::from(!sources.is_empty());
        seen.extend(sources);
    }
    seen.sort();
    let expected: Vec<String> = {
        let mut all: Vec<String> = repositories
            .iter()
            .map(|r| format!("source.test/{r}:1"))
            .collect();
        all.sort();
        all
    };
    assert_eq!(seen, expected, "each repository once, in one shard only");
    assert_eq!(busy_shards, 3, "each shard got repositories");
    assert_eq!(destination.tagged_images().len(), 12);
}

#[test]
fn platforms_pick_a_subset_and_the_subset_is_unchanged_next_time() {
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    let skiff = Skiff::new();
    let platforms = [
        ("amd64", "linux/amd64"),
        ("arm64", "linux/arm64/v8"),
        ("armv7", "linux/arm/v7"),
    ];
    let (_images, members, list, _) =
        crate::platforms::multi_platform_index(&source, &skiff, "multi", &platforms);
    let prefix = destination.reference("mirror");
    let subset = [
        "sync",
        "--platform",
        "linux/amd64",
        "--platform",
        "linux/arm/v7",
        &list,
        &prefix,
    ];
    let out = skiff.run_within(&subset, LIMIT);
    assert!(out.status.success(), "{}", describe(&out));
    let copied = rows(&out.stdout);
    assert_eq!(copied[0][0], "copied");
    let written = skiff.ok(&["inspect", "--raw", &format!("{prefix}/app:1")]);
    assert_eq!(copied[0][3], super::util::sha256(&written));
    let index: serde_json::Value = serde_json::from_slice(&written).unwrap();
    let entries: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["digest"].as_str().unwrap().to_owned())
        .collect();
    let digest_of = |member: &str| skiff.ok_text(&["digest", member]);
    assert_eq!(entries, [digest_of(&members[0]), digest_of(&members[2])]);

    let again = skiff.run_within(&subset, LIMIT);
    assert!(again.status.success(), "{}", describe(&again));
    assert_eq!(rows(&again.stdout)[0][0], "unchanged");
    assert_eq!(rows(&again.stdout)[0][3], copied[0][3]);

    // One platform: the destination holds that platform's image.
    let one = destination.reference("one");
    let out = skiff.run_within(&["sync", "--platform", "linux/arm64", &list, &one], LIMIT);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(rows(&out.stdout)[0][3], digest_of(&members[1]));
    let again = skiff.run_within(&["sync", "--platform", "linux/arm64", &list, &one], LIMIT);
    assert_eq!(rows(&again.stdout)[0][0], "unchanged", "{}", describe(&again));
}

#[test]
fn referrers_and_cosign_tags_travel_with_their_image() {
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    let pushed = Skopeo::new().push_random_image(&source, "src/app:1.0", &[200], ImageFormat::Oci);
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let sbom = crate::artifacts::attach(
        &skiff,
        &source.reference("src/app:sbom"),
        &crate::artifacts::write(work.path(), "sbom.json", b"{}"),
        "application/spdx+json",
        pushed.reference(),
    );
    let cosign_tag = format!("sha256-{}.sig", pushed.digest().trim_start_matches("sha256:"));
    let cosign = skiff.ok_text(&[
        "artifact",
        "push",
        &source.reference(&format!("src/app:{cosign_tag}")),
        &crate::artifacts::write(work.path(), "cosign.sig", b"c"),
    ]);
    let prefix = destination.reference("mirror");
    let args = ["sync", "--referrers", pushed.reference(), &prefix];
    let out = skiff.run_within(&args, LIMIT);
    assert!(out.status.success(), "{}", describe(&out));
    let target = format!("{prefix}/app:1.0");
    let listed = skiff.ok_text(&["referrers", &target]);
    assert_eq!(listed, format!("{sbom}\tapplication/spdx+json"));
    assert_eq!(
        skiff.ok_text(&["digest", &format!("{prefix}/app:{cosign_tag}")]),
        cosign
    );

    // Nothing is copied again, and nothing is listed twice.
    let again = skiff.run_within(&args, LIMIT);
    assert!(again.status.success(), "{}", describe(&again));
    assert_eq!(rows(&again.stdout)[0][0], "unchanged");
    assert_eq!(skiff.ok_text(&["referrers", &target]).lines().count(), 1);

    // Layouts keep no referrers: refused before anything is written.
    let layouts = work.path().join("layouts");
    let out = skiff.run_within(
        &[
            "sync",
            "--referrers",
            "--dest",
            "oci",
            pushed.reference(),
            layouts.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(!layouts.exists());
}

#[test]
fn layouts_get_one_per_repository_named_as_skopeo_names_directories() {
    let source = Registry::anonymous();
    let skopeo = Skopeo::new();
    let one = skopeo.push_random_image(&source, "team/app:1", &[300], ImageFormat::Oci);
    skopeo.push_random_image(&source, "team/app:2", &[300], ImageFormat::Oci);
    let skiff = Skiff::new();
    let dir = tempfile::tempdir().unwrap();
    let repository = source.reference("team/app");
    let ours = |scoped: bool| {
        let out_dir = dir.path().join(format!("ours-{scoped}"));
        let mut args: Vec<String> = vec!["sync".into(), "--dest".into(), "oci".into()];
        if scoped {
            args.push("--scoped".into());
        }
        args.extend([repository.clone(), out_dir.display().to_string()]);
        let borrowed: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = skiff.run_within(&borrowed, LIMIT);
        assert!(out.status.success(), "{}", describe(&out));
        (out_dir, args)
    };
    let theirs = |scoped: bool| {
        let out_dir = dir.path().join(format!("theirs-{scoped}"));
        let mut args = vec!["--src", "docker", "--dest", "dir", "--src-tls-verify=false"];
        if scoped {
            args.push("--scoped");
        }
        args.extend([repository.as_str(), out_dir.to_str().unwrap()]);
        skopeo.sync(&args).unwrap_or_else(|failure| source.fail(failure));
        out_dir
    };
    for (scoped, layout) in [
        (false, "app".to_owned()),
        (true, format!("{}/team/app", source.addr())),
    ] {
        let (out_dir, args) = ours(scoped);
        let theirs = theirs(scoped);
        for tag in ["1", "2"] {
            // skopeo: a directory per image, `NAME:TAG`; skiff: the layout `NAME`, tag `TAG`.
            assert!(theirs
                .join(format!("{layout}:{tag}"))
                .join("manifest.json")
                .is_file());
            let index: serde_json::Value =
                serde_json::from_slice(&std::fs::read(out_dir.join(&layout).join("index.json")).unwrap())
                    .unwrap();
            let names: Vec<&str> = index["manifests"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str())
                .collect();
            assert!(names.contains(&tag), "{index}");
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let again = skiff.run_within(&args, LIMIT);
        assert_eq!(last_line(&again.stderr), "sync: 0 copied, 2 unchanged, 0 failed");
    }
    // The layout reads back through the layout transport.
    let layout = dir.path().join("ours-false").join("app");
    assert_eq!(
        skiff.ok_text(&["digest", &format!("oci:{}:1", layout.display())]),
        one.digest()
    );
}

/// The progress display: on a terminal a bar of images done out of the total with the bytes
/// and the rate, and no plain progress lines; elsewhere plain lines only, without a single
/// escape sequence.
#[test]
fn progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere() {
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    let skopeo = Skopeo::new();
    for tag in ["1", "2"] {
        skopeo.push_random_image(&source, &format!("team/app:{tag}"), &[3000], ImageFormat::Oci);
    }
    let skiff = Skiff::new();
    let repository = source.reference("team/app");

    let (tty, plain) = (destination.reference("tty"), destination.reference("plain"));
    let out = skiff.run_on_terminal(&["sync", &repository, &tty], LIMIT);
    assert!(out.status.success(), "{}", describe(&out));
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("sync ["), "no bar on the terminal: {screen:?}");
    assert!(screen.contains("/2 images"), "{screen:?}");
    // Bytes and rate (`KiB, ... KiB/s` or `B/s`), drawn after the first image moved bytes.
    assert!(screen.contains("B/s"), "{screen:?}");
    assert!(
        !screen.contains("sync: 1/2 images"),
        "plain lines on a terminal: {screen:?}"
    );
    // The output lines are on stdout still, and so is the summary.
    assert!(
        screen.contains(&format!("copied\t{repository}:1\t")),
        "{screen:?}"
    );
    assert!(
        screen.contains("sync: 2 copied, 0 unchanged, 0 failed"),
        "{screen:?}"
    );

    let out = skiff.run_within(&["sync", &repository, &plain], LIMIT);
    assert!(out.status.success(), "{}", describe(&out));
    for printed in [&out.stdout, &out.stderr] {
        assert!(
            !printed.contains(&0x1b),
            "an escape sequence off a terminal: {printed:?}"
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let progress: Vec<&str> = stderr.lines().filter(|l| l.starts_with("sync: ")).collect();
    assert_eq!(progress.len(), 3, "{stderr}");
    assert!(progress[0].starts_with("sync: 1/2 images, "), "{stderr}");
    assert!(progress[1].starts_with("sync: 2/2 images, "), "{stderr}");
    assert_eq!(rows(&out.stdout).len(), 2);
}

/// The terminal is untrusted output too: a registry's error message full of escape sequences
/// (a window title, a screen wipe) reaches the progress display escaped, never raw.
#[test]
fn a_registrys_escape_sequences_never_reach_the_terminal_raw() {
    use skiff_integration::{Hostile, Reply};
    const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mred";
    let registry = Hostile::start(|seen| match seen.path_only() {
        "/v2/" => Reply::status(200),
        _ => Reply::status(403)
            .header("content-type", "application/json")
            .body(serde_json::json!({"errors": [{"code": "DENIED", "message": HOSTILE}]}).to_string()),
    });
    let destination = Registry::anonymous();
    let skiff = Skiff::new();
    let source = format!("{}/team/app", registry.host());
    let prefix = destination.reference("mirror");
    let args = ["sync", "--keep-going", source.as_str(), prefix.as_str()];

    let out = skiff.run_on_terminal(&args, LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let screen = String::from_utf8_lossy(&out.stdout);
    for raw in ["\u{1b}]0;pwned", "\u{1b}[2J", "\u{1b}[31m"] {
        assert!(
            !screen.contains(raw),
            "{raw:?} reached the terminal raw: {screen:?}"
        );
    }
    assert!(
        screen.contains(r"\u{1b}]0;pwned\u{7}"),
        "the message, escaped: {screen:?}"
    );

    let out = skiff.run_within(&args, LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    for printed in [&out.stdout, &out.stderr] {
        assert!(!printed.contains(&0x1b), "raw escape printed: {printed:?}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(r"\u{1b}[2J"), "{stderr}");
}

/// `--dest docker-archive|oci-archive`: every image of the run in one archive, named by its full
/// source name, read back by skopeo and skiff; a dry run or a failed run leaves no file.
#[test]
fn two_repositories_go_into_one_archive_that_skopeo_reads_by_name() {
    let source = Registry::anonymous();
    let skopeo = Skopeo::new();
    let mut pushed = Vec::new();
    for image in ["team/one:1", "team/one:2", "team/two:1", "team/two:2"] {
        pushed.push(skopeo.push_random_image(&source, image, &[400, 30], ImageFormat::Oci));
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sync.yml");
    let host = source.addr();
    std::fs::write(
        &config,
        format!("{host}:\n  images:\n    team/one: []\n    team/two: []\n"),
    )
    .unwrap();
    let broken = dir.path().join("broken.yml");
    std::fs::write(
        &broken,
        format!("{host}:\n  images:\n    team/one: [\"1\", gone]\n"),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let skiff = Skiff::new();
    for kind in ["docker-archive", "oci-archive"] {
        let file = dir.path().join(format!("{kind}.tar"));
        let file = file.to_str().unwrap();
        let sync = |extra: &[&str], yaml: &str, to: &str| {
            let mut args = vec!["sync", "--src", "yaml", "--dest", kind];
            args.extend(extra);
            args.extend([yaml, to]);
            skiff.run_within(&args, LIMIT)
        };

        let dry = sync(&["--dry-run"], config, file);
        assert!(dry.status.success(), "{}", describe(&dry));
        assert_eq!(rows(&dry.stdout).len(), 4, "{}", describe(&dry));
        assert!(rows(&dry.stdout).iter().all(|r| r[0] == "planned"));
        assert!(!std::path::Path::new(file).exists(), "a dry run writes nothing");

        let out = sync(&[], config, file);
        assert!(out.status.success(), "{}", describe(&out));
        assert_eq!(last_line(&out.stderr), "sync: 4 copied, 0 unchanged, 0 failed");
        let lines = rows(&out.stdout);
        for image in &pushed {
            let by_name = format!("{kind}:{file}:{}", image.reference());
            let row = lines
                .iter()
                .find(|r| r[1] == image.reference())
                .unwrap_or_else(|| panic!("no line for {}: {}", image.reference(), describe(&out)));
            assert_eq!(row[0], "copied");
            assert_eq!(row[2], by_name, "the destination is the name it reads back by");
            let inspected = skopeo
                .inspect(&ImageRef::local(&by_name))
                .unwrap_or_else(|failure| panic!("skopeo reads {by_name}: {failure}"));
            // A docker-archive stores layers uncompressed (their digests the diffIDs); an OCI
            // archive the registry's blobs, so the very manifest.
            let layers: Vec<&str> = match kind {
                "docker-archive" => image.image().diff_ids().iter().map(String::as_str).collect(),
                _ => image.image().layers().iter().map(|l| l.digest()).collect(),
            };
            assert_eq!(inspected["Layers"], serde_json::json!(layers), "{by_name}");
            let digest = skiff.ok_text_within(&["digest", &by_name], LIMIT);
            assert_eq!(digest, row[3], "{by_name}: skiff reads back what sync reported");
            if kind == "oci-archive" {
                assert_eq!(inspected["Digest"], image.digest(), "{by_name}");
                assert_eq!(digest, image.digest());
            }
        }

        // A failure leaves no file, with --keep-going too: the images that went in are
        // reported as not written.
        let failed = dir.path().join(format!("failed-{kind}.tar"));
        let failed = failed.to_str().unwrap();
        for extra in [&[][..], &["--keep-going"][..]] {
            let out = sync(extra, broken.to_str().unwrap(), failed);
            assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
            assert!(
                !std::path::Path::new(failed).exists(),
                "{extra:?}: {}",
                describe(&out)
            );
            let lines = rows(&out.stdout);
            assert!(lines.iter().all(|r| r[0] == "failed"), "{}", describe(&out));
            if extra.is_empty() {
                continue;
            }
            assert_eq!(lines.len(), 2, "{}", describe(&out));
            assert_eq!(last_line(&out.stderr), "sync: 0 copied, 0 unchanged, 2 failed");
        }
    }
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["broken.yml", "docker-archive.tar", "oci-archive.tar", "sync.yml"],
        "no temp file is left"
    );
}
