//! Tags, artifacts and referrers: `skiff tag`, `skiff artifact push|pull` against the oras SDK,
//! and `skiff referrers` over the fallback tag (distribution 2.8 has no referrers API).

use std::path::Path;

use serde_json::Value;
use skiff_integration::{sha256, ImageFormat, ImageRef, Oras, Registry, Skopeo};

use super::util::{put_manifest, Skiff};

fn manifest_json(skiff: &Skiff, image: &str) -> Value {
    serde_json::from_slice(&skiff.ok(&["inspect", "--raw", image])).unwrap()
}

#[test]
fn tag_names_the_same_manifest_and_checks_every_tag_first() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "tagged/app:1.0", &[300], ImageFormat::Oci);
    let skiff = Skiff::new();

    let digest = skiff.ok_text(&["tag", pushed.reference(), "1", "latest"]);
    assert_eq!(digest, pushed.digest());
    for tag in ["1", "latest"] {
        let raw = skopeo
            .inspect_raw(&ImageRef::registry(&registry, &format!("tagged/app:{tag}")))
            .unwrap();
        assert_eq!(sha256(&raw), pushed.digest(), "{tag}");
    }

    // One bad tag in the list: usage error, and the good one before it is not written.
    let out = skiff.run(&["tag", pushed.reference(), "fine", "bad tag"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let tags = skiff.ok_text(&["tags", &registry.reference("tagged/app")]);
    assert!(!tags.lines().any(|t| t == "fine"), "{tags}");

    // In a layout: one more index.json entry that skopeo reads.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("layout");
    skiff.ok(&["pull", "-q", pushed.reference(), dir.to_str().unwrap()]);
    let digest = skiff.ok_text(&["tag", &format!("oci:{}:1.0", dir.display()), "stable"]);
    assert_eq!(digest, pushed.digest());
    let theirs = skopeo
        .inspect(&ImageRef::local(format!("oci:{}:stable", dir.display())))
        .unwrap();
    assert_eq!(theirs["Digest"], pushed.digest());
}

pub(super) fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

#[test]
fn artifacts_round_trip_with_oras_byte_for_byte() {
    let registry = Registry::anonymous();
    let skiff = Skiff::new();
    let oras = Oras::new();
    let work = tempfile::tempdir().unwrap();
    let notes = write(work.path(), "notes.txt", b"release notes\n");
    let data = write(work.path(), "data.json", br#"{"k":[1,2,3]}"#);

    // skiff pushes, oras pulls.
    let target = registry.reference("art/files:v1");
    let digest = skiff.ok_text(&[
        "artifact",
        "push",
        &target,
        &notes,
        &format!("{data}:application/json"),
        "--artifact-type",
        "application/vnd.example.bundle",
        "--annotation",
        "org.example.team=platform",
    ]);
    let manifest = manifest_json(&skiff, &target);
    assert_eq!(sha256(&skiff.ok(&["inspect", "--raw", &target])), digest);
    assert_eq!(manifest["artifactType"], "application/vnd.example.bundle");
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    assert_eq!(manifest["config"]["size"], 2);
    assert_eq!(
        manifest["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar"
    );
    assert_eq!(
        manifest["layers"][0]["annotations"]["org.opencontainers.image.title"],
        "notes.txt"
    );
    assert_eq!(manifest["layers"][1]["mediaType"], "application/json");
    assert_eq!(manifest["annotations"]["org.example.team"], "platform");
    let theirs = work.path().join("oras-out");
    let files = oras.pull(&target, &theirs);
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(
        std::fs::read(theirs.join("notes.txt")).unwrap(),
        b"release notes\n"
    );
    assert_eq!(
        std::fs::read(theirs.join("data.json")).unwrap(),
        br#"{"k":[1,2,3]}"#
    );

    // oras pushes, skiff pulls.
    let source = work.path().join("src");
    std::fs::create_dir(&source).unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    let big_file = write(&source, "big.bin", &big);
    let small_file = write(&source, "small.txt", b"x");
    let target = registry.reference("art/from-oras:v1");
    oras.push(
        &target,
        &[big_file, format!("{small_file}:text/plain")],
        &[],
        None,
    );
    let ours = work.path().join("skiff-out");
    let printed = skiff.ok_text(&["artifact", "pull", &target, ours.to_str().unwrap()]);
    assert_eq!(printed.lines().count(), 2, "{printed}");
    assert_eq!(std::fs::read(ours.join("big.bin")).unwrap(), big);
    assert_eq!(std::fs::read(ours.join("small.txt")).unwrap(), b"x");
}

#[test]
fn artifact_pull_refuses_titles_that_leave_the_directory_before_writing() {
    let registry = Registry::anonymous();
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let file = write(work.path(), "ok.txt", b"fine");
    let target = registry.reference("art/hostile:base");
    skiff.ok(&["artifact", "push", &target, &file]);
    let base = manifest_json(&skiff, &target);
    let out_dir = work.path().join("inner").join("out");
    for (i, title) in ["../escape.txt", "/tmp/absolute.txt", "a/../../up.txt"]
        .iter()
        .enumerate()
    {
        let mut manifest = base.clone();
        let good = manifest["layers"][0].clone();
        // A good layer first: nothing may be written even for it.
        let mut bad = good.clone();
        bad["annotations"]["org.opencontainers.image.title"] = Value::from(*title);
        manifest["layers"] = Value::from(vec![good, bad]);
        let tag = format!("bad{i}");
        put_manifest(
            &registry,
            &format!("art/hostile:{tag}"),
            "application/vnd.oci.image.manifest.v1+json",
            &serde_json::to_vec(&manifest).unwrap(),
        );
        let out = skiff.run(&[
            "artifact",
            "pull",
            &registry.reference(&format!("art/hostile:{tag}")),
            out_dir.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{title}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("refusing layer title"), "{stderr}");
        assert!(!out_dir.exists(), "{title}: something was written");
        assert!(!work.path().join("inner").join("escape.txt").exists());
    }
}

/// `skiff artifact push TARGET FILE --artifact-type TYPE --subject SUBJECT`: the digest.
pub(super) fn attach(skiff: &Skiff, target: &str, file: &str, artifact_type: &str, subject: &str) -> String {
    skiff.ok_text(&[
        "artifact",
        "push",
        target,
        file,
        "--artifact-type",
        artifact_type,
        "--subject",
        subject,
    ])
}

#[test]
fn referrers_are_attached_listed_filtered_and_survive_concurrent_attachers() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "ref/app:1.0", &[200], ImageFormat::Oci);
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let sbom = write(work.path(), "sbom.spdx.json", br#"{"spdxVersion":"SPDX-2.3"}"#);
    let sig = write(work.path(), "sig.txt", b"signature");

    let repository = registry.reference("ref/app");
    let sbom_digest = attach(
        &skiff,
        &format!("{repository}:sbom"),
        &sbom,
        "application/spdx+json",
        pushed.reference(),
    );
    let sig_digest = attach(
        &skiff,
        &format!("{repository}:sig"),
        &sig,
        "application/vnd.example.signature",
        pushed.reference(),
    );
    let listed = skiff.ok_text(&["referrers", pushed.reference()]);
    let mut lines: Vec<&str> = listed.lines().collect();
    lines.sort_unstable();
    let mut expected = vec![
        format!("{sbom_digest}\tapplication/spdx+json"),
        format!("{sig_digest}\tapplication/vnd.example.signature"),
    ];
    expected.sort_unstable();
    assert_eq!(lines, expected);
    // The fallback tag is there, as distribution-spec 1.1 names it.
    let fallback = format!("sha256-{}", pushed.digest().trim_start_matches("sha256:"));
    let tags = skiff.ok_text(&["tags", &repository]);
    assert!(tags.lines().any(|t| t == fallback), "{tags}");

    // Filtered, and as an index.
    let only = skiff.ok_text(&[
        "referrers",
        "--artifact-type",
        "application/spdx+json",
        pushed.reference(),
    ]);
    assert_eq!(only, format!("{sbom_digest}\tapplication/spdx+json"));
    let index: Value =
        serde_json::from_slice(&skiff.ok(&["referrers", "--json", pushed.reference()])).unwrap();
    assert_eq!(index["mediaType"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2);

    // Pushing the same referrer again lists it once.
    attach(
        &skiff,
        &format!("{repository}:sbom"),
        &sbom,
        "application/spdx+json",
        pushed.reference(),
    );
    assert_eq!(
        skiff.ok_text(&["referrers", pushed.reference()]).lines().count(),
        2
    );

    // Four attachers at once: every one that reports success is listed; one that cannot keep
    // up says so instead of losing an entry silently.
    let children: Vec<_> = (0..4)
        .map(|i| {
            let file = write(
                work.path(),
                &format!("att{i}.txt"),
                format!("attestation {i}").as_bytes(),
            );
            skiff.spawn(&[
                "artifact",
                "push",
                &format!("{repository}:att{i}"),
                &file,
                "--subject",
                pushed.reference(),
            ])
        })
        .collect();
    let mut attached = Vec::new();
    for child in children {
        let out = skiff_integration::wait_with_timeout(
            child,
            std::time::Duration::from_secs(60),
            "skiff artifact push",
        );
        if out.status.success() {
            attached.push(String::from_utf8(out.stdout).unwrap().trim().to_owned());
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("changed on every one of"), "{stderr}");
        }
    }
    assert!(!attached.is_empty());
    let listed = skiff.ok_text(&["referrers", pushed.reference()]);
    for digest in &attached {
        assert!(
            listed.contains(digest.as_str()),
            "{digest} missing from\n{listed}"
        );
    }
}

#[test]
fn index_create_lists_images_with_the_platforms_of_their_configs() {
    let registry = Registry::anonymous();
    let skiff = Skiff::new();
    let skopeo = Skopeo::new();
    let amd64 = skiff_integration::RandomImage::build_for("idx/amd64", &[300], "linux/amd64");
    let arm64 = skiff_integration::RandomImage::build_for("idx/arm64", &[200], "linux/arm64/v8");
    for (image, tag) in [(&amd64, "amd64"), (&arm64, "arm64")] {
        let layout = format!("{}:latest", image.layout_dir().display());
        skiff.ok(&[
            "push",
            "-q",
            &layout,
            &registry.reference(&format!("idx/app:{tag}")),
        ]);
    }
    let index = registry.reference("idx/app:1.0");
    let digest = skiff.ok_text(&[
        "index",
        "create",
        &index,
        &registry.reference("idx/app:amd64"),
        &registry.reference("idx/app:arm64"),
    ]);
    let raw = skopeo
        .inspect_raw(&ImageRef::registry(&registry, "idx/app:1.0"))
        .unwrap();
    assert_eq!(sha256(&raw), digest);
    let parsed: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(parsed["mediaType"], "application/vnd.oci.image.index.v1+json");
    let entries = parsed["manifests"].as_array().unwrap();
    assert_eq!(entries[0]["digest"], amd64.manifest().digest());
    assert_eq!(entries[0]["platform"]["architecture"], "amd64");
    assert_eq!(entries[1]["digest"], arm64.manifest().digest());
    assert_eq!(entries[1]["platform"]["architecture"], "arm64");
    assert_eq!(entries[1]["platform"]["variant"], "v8");
    // skopeo resolves the index to the arm64 image.
    let theirs = Skopeo::new()
        .inspect_args(
            &["--override-arch", "arm64", "--override-variant", "v8"],
            &ImageRef::registry(&registry, "idx/app:1.0"),
        )
        .unwrap();
    assert_eq!(theirs["Architecture"], "arm64");

    // A Docker list takes Docker schema2 images only, and says so.
    let out = skiff.run(&[
        "index",
        "create",
        "--format",
        "v2s2",
        &index,
        &registry.reference("idx/app:amd64"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Docker schema2"),
        "{out:?}"
    );
    skiff.ok(&[
        "convert",
        "-q",
        "--to",
        "v2s2",
        &registry.reference("idx/app:amd64"),
        &registry.reference("idx/app:amd64-v2s2"),
    ]);
    let list = skiff.ok_text(&[
        "index",
        "create",
        "--format",
        "v2s2",
        &registry.reference("idx/app:list"),
        &registry.reference("idx/app:amd64-v2s2"),
    ]);
    let raw = skopeo
        .inspect_raw(&ImageRef::registry(&registry, "idx/app:list"))
        .unwrap();
    assert_eq!(sha256(&raw), list);
    let parsed: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        parsed["mediaType"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );

    // Images from another repository are a usage error; nothing is written.
    let out = skiff.run(&[
        "index",
        "create",
        &registry.reference("idx/app:2.0"),
        &registry.reference("other/app:amd64"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(skopeo
        .inspect_raw(&ImageRef::registry(&registry, "idx/app:2.0"))
        .is_err());
}

#[test]
fn on_a_registry_with_the_referrers_api_skiff_leaves_the_listing_to_it() {
    let registry = Registry::anonymous();
    let proxy = skiff_integration::FaultProxy::start_with_referrers_api(&registry);
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "api/app:1.0", &[200], ImageFormat::Oci);
    let subject = proxy.reference("api/app:1.0");
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let sbom = write(work.path(), "sbom.json", b"{}");
    let sig = write(work.path(), "sig.txt", b"sig");
    let sbom_digest = attach(
        &skiff,
        &proxy.reference("api/app:sbom"),
        &sbom,
        "application/spdx+json",
        &subject,
    );
    let sig_digest = attach(
        &skiff,
        &proxy.reference("api/app:sig"),
        &sig,
        "application/vnd.example.sig",
        &subject,
    );

    // The registry answered the pushes with OCI-Subject: skiff wrote no fallback tag itself.
    let fallback = format!("sha256-{}", pushed.digest().trim_start_matches("sha256:"));
    let touched: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.path.contains(&fallback))
        .collect();
    assert!(touched.is_empty(), "{touched:?}");

    // Listing uses the API, filtered there.
    let listed = skiff.ok_text(&["referrers", &subject]);
    assert!(
        listed.contains(&format!("{sbom_digest}\tapplication/spdx+json")),
        "{listed}"
    );
    assert!(
        listed.contains(&format!("{sig_digest}\tapplication/vnd.example.sig")),
        "{listed}"
    );
    let only = skiff.ok_text(&[
        "referrers",
        "--artifact-type",
        "application/vnd.example.sig",
        &subject,
    ]);
    assert_eq!(only, format!("{sig_digest}\tapplication/vnd.example.sig"));
    let api_calls = proxy
        .requests()
        .iter()
        .filter(|r| r.path.contains("/referrers/"))
        .count();
    assert_eq!(api_calls, 2);
    assert!(proxy.requests().iter().all(|r| !r.path.contains(&fallback)));
}

#[test]
fn copy_with_referrers_brings_them_recursively_with_cosign_tags_and_merges_the_destination_index() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "src/app:1.0", &[200], ImageFormat::Oci);
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let file = |name: &str, content: &str| write(work.path(), name, content.as_bytes());
    let source = registry.reference("src/app");
    let sbom = attach(
        &skiff,
        &format!("{source}:sbom"),
        &file("sbom.json", "{}"),
        "application/spdx+json",
        pushed.reference(),
    );
    // A signature of the SBOM: a referrer of a referrer.
    let sbom_sig = attach(
        &skiff,
        &format!("{source}:sbom-sig"),
        &file("sbom.sig", "s"),
        "application/vnd.example.sig",
        &format!("{source}@{sbom}"),
    );
    // A cosign-style signature tag, no subject.
    let cosign_tag = format!("sha256-{}.sig", pushed.digest().trim_start_matches("sha256:"));
    let cosign = skiff.ok_text(&[
        "artifact",
        "push",
        &format!("{source}:{cosign_tag}"),
        &file("cosign.sig", "c"),
    ]);

    // The destination already lists a referrer of the image: it must stay listed.
    let destination = registry.reference("dst/app");
    skiff.ok(&["copy", "-q", pushed.reference(), &format!("{destination}:1.0")]);
    let theirs = attach(
        &skiff,
        &format!("{destination}:local"),
        &file("local.txt", "l"),
        "application/vnd.example.local",
        &format!("{destination}:1.0"),
    );

    let out = skiff.run(&[
        "copy",
        "--referrers",
        pushed.reference(),
        &format!("{destination}:1.0"),
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), pushed.digest());
    let listed = skiff.ok_text(&["referrers", &format!("{destination}:1.0")]);
    for digest in [&sbom, &theirs] {
        assert!(
            listed.contains(digest.as_str()),
            "{digest} missing from\n{listed}"
        );
    }
    assert_eq!(listed.lines().count(), 2, "{listed}");
    let nested = skiff.ok_text(&["referrers", &format!("{destination}@{sbom}")]);
    assert_eq!(nested, format!("{sbom_sig}\tapplication/vnd.example.sig"));
    assert_eq!(
        skiff.ok_text(&["digest", &format!("{destination}:{cosign_tag}")]),
        cosign
    );
    // What was copied is what the source has, byte for byte.
    assert_eq!(
        skiff.ok(&["inspect", "--raw", &format!("{destination}@{sbom_sig}")]),
        skiff.ok(&["inspect", "--raw", &format!("{source}@{sbom_sig}")])
    );

    // A second run copies nothing new and lists nothing twice.
    skiff.ok(&[
        "copy",
        "-q",
        "--referrers",
        pushed.reference(),
        &format!("{destination}:1.0"),
    ]);
    assert_eq!(
        skiff
            .ok_text(&["referrers", &format!("{destination}:1.0")])
            .lines()
            .count(),
        2
    );

    // Layouts have no referrers to keep.
    let dir = work.path().join("layout");
    let out = skiff.run(&[
        "copy",
        "--referrers",
        pushed.reference(),
        &format!("oci:{}", dir.display()),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
