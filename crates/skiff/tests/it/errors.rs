//! Failures: exit codes and the one line that explains them.

use skiff_integration::{Fault, FaultProxy, ImageFormat, Match, Registry, Route, Rule, Skopeo};

use super::util::{expect_failure, Skiff};

#[test]
fn a_missing_image_exits_1_with_the_registry_code() {
    let registry = Registry::anonymous();
    Skopeo::new().push_random_image(&registry, "there/app:1", &[10], ImageFormat::Oci);
    let skiff = Skiff::new();
    let missing_tag = registry.reference("there/app:nope");
    let missing_repo = registry.reference("nowhere/app:1");
    let missing_repo_name = registry.reference("nowhere/app");
    let cases = [
        (vec!["inspect", &missing_tag], &missing_tag),
        (vec!["inspect", "--raw", &missing_repo], &missing_repo),
        (vec!["digest", &missing_tag], &missing_tag),
        (vec!["tags", &missing_repo_name], &missing_repo_name),
        (vec!["delete", &missing_tag], &missing_tag),
    ];
    for (args, image) in cases {
        let stderr = skiff.fails(&args, 1);
        // docker-registry 2.8 answers MANIFEST_UNKNOWN for manifests of unknown repositories.
        assert!(
            stderr.contains("MANIFEST_UNKNOWN") || stderr.contains("NAME_UNKNOWN"),
            "{args:?}: {stderr}"
        );
        let repository = image.split(':').take(2).collect::<Vec<_>>().join(":");
        assert!(
            stderr.contains(&repository),
            "{args:?} names the repository: {stderr}"
        );
    }
}

#[test]
fn malformed_references_are_usage_errors() {
    let skiff = Skiff::new();
    for args in [
        vec!["inspect", "UPPER/Case:1"],
        vec!["inspect", "127.0.0.1:5000/app@sha256:short"],
        vec!["copy", "oci:", "127.0.0.1:5000/app:1"],
        vec!["tags", "127.0.0.1:5000/app:tag"],
        vec!["catalog", "host/with/path"],
        vec!["pull", "127.0.0.1:5000/app:1", "dir:bad tag"],
        vec!["inspect", "--platform", "linux", "127.0.0.1:5000/app:1"],
        vec!["copy", "--jobs", "0", "127.0.0.1:5000/a:1", "127.0.0.1:5000/b:1"],
    ] {
        let out = skiff.run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            super::util::describe(&out)
        );
    }
    // A layout where only a registry will do.
    let stderr = skiff.fails(&["delete", "oci:somewhere:1"], 2);
    assert!(stderr.starts_with("skiff: delete oci:somewhere:1: "), "{stderr}");
    let stderr = skiff.fails(&["blob", "get", "127.0.0.1:5000/app:1"], 2);
    assert!(stderr.contains("by digest"), "{stderr}");
}

#[test]
fn malformed_image_names_say_what_is_wrong() {
    let skiff = Skiff::new();
    let cases: [(&[&str], &str); 5] = [
        (
            &["inspect", "127.0.0.1:5000/team/App:1"],
            "error: invalid value '127.0.0.1:5000/team/App:1' for '<IMAGE>': \
             \"127.0.0.1:5000/team/App:1\" is not an image reference: ",
        ),
        (
            &["copy", "oci:", "127.0.0.1:5000/app:1"],
            "error: invalid value 'oci:' for '<SRC>': \"\" names no directory\n",
        ),
        (
            &["copy", "127.0.0.1:5000/app:1", "oci:dir:"],
            "error: invalid value 'oci:dir:' for '<DST>': \"dir:\": \"\" is not a valid tag in an OCI layout: ",
        ),
        (
            &["pull", "127.0.0.1:5000/app:1", "dir:bad tag"],
            "error: invalid value 'dir:bad tag' for '<DIR[:TAG]>': \
             \"dir:bad tag\": \"bad tag\" is not a valid tag in an OCI layout: ",
        ),
        (
            &["push", "oci:oci:a//b", "127.0.0.1:5000/app:1"],
            "error: invalid value 'oci:oci:a//b' for '<DIR[:TAG]>': \"oci:a//b\": \"a//b\" is not a valid tag",
        ),
    ];
    for (args, message) in cases {
        let stderr = skiff.fails(args, 2);
        assert!(stderr.starts_with(message), "{args:?}: {stderr}");
    }
}

#[test]
fn a_corrupted_blob_fails_and_leaves_no_file() {
    let registry = Registry::anonymous();
    let pushed = Skopeo::new().push_random_image(&registry, "bad/app:1", &[20_000], ImageFormat::Oci);
    let proxy = FaultProxy::start(&registry);
    // Every download of it is corrupted, so retries cannot help.
    proxy.add(Rule::new(Match::blob_get(), Fault::CorruptByteAt(100)));
    let layer = pushed.image().layers()[0].digest();
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("layer.tar.gz");
    let skiff = Skiff::new();
    let named = proxy.reference(&format!("bad/app@{layer}"));
    let stderr = skiff.fails(&["blob", "get", &named, target.to_str().unwrap()], 1);
    assert!(stderr.contains("digest mismatch"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(work.path()).unwrap().count(),
        0,
        "nothing is left behind"
    );

    // A pull through the same proxy fails the same way, leaving no blob unverified.
    let layout = work.path().join("layout");
    let stderr = skiff.fails(
        &[
            "pull",
            "-q",
            &proxy.reference("bad/app:1"),
            layout.to_str().unwrap(),
        ],
        1,
    );
    assert!(stderr.contains("digest mismatch"), "{stderr}");
    let blobs = layout.join("blobs/sha256");
    let names: Vec<String> = std::fs::read_dir(&blobs)
        .map(|dir| {
            dir.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(!names.iter().any(|n| layer.ends_with(n.as_str())), "{names:?}");
    let temps = super::util::layout_temp_files(&layout);
    assert!(temps.is_empty(), "{temps:?}");
}

#[test]
fn a_tampered_schema1_manifest_is_refused() {
    let registry = Registry::builder().schema1().start();
    let pushed = Skopeo::new().push_random_image(&registry, "old/app:v1", &[100], ImageFormat::V2s1);
    let proxy = FaultProxy::start(&registry);
    // A byte inside the signed payload (the manifest's name), not the signature.
    proxy.add(Rule::new(
        Match::any().route(Route::Manifest),
        Fault::CorruptByteAt(40),
    ));
    let skiff = Skiff::new();
    let by_digest = proxy.reference(&format!("old/app@{}", pushed.digest()));
    for args in [vec!["inspect", "--raw", &by_digest], vec!["digest", &by_digest]] {
        let out = skiff.run(&args);
        let stderr = expect_failure(&out, 1, &args);
        assert!(stderr.contains("digest mismatch"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}
