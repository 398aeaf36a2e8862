//! What skiff writes, skopeo reads: push, copy, pull into a layout, blob put/get, delete.

use skiff_integration::{ImageFormat, ImageRef, RandomImage, Registry, Skopeo};

use super::util::{sha256, Skiff};

#[test]
fn push_then_skopeo_reads_it_and_a_second_push_transfers_nothing() {
    let registry = Registry::anonymous();
    let image = RandomImage::build("pushed/app", &[4096, 100]);
    let skiff = Skiff::new();
    let layout = format!("{}:latest", image.layout_dir().display());
    let destination = registry.reference("pushed/app:1.0");

    let digest = skiff.ok_text(&["push", "-q", &layout, &destination]);
    assert_eq!(digest, image.manifest().digest());
    let raw = Skopeo::new()
        .inspect_raw(&ImageRef::registry(&registry, "pushed/app:1.0"))
        .unwrap();
    assert_eq!(sha256(&raw), digest);

    // Not a terminal: one plain line per blob, and nothing moves the second time.
    let out = skiff.run(&["push", &layout, &destination]);
    assert!(out.status.success());
    let progress = String::from_utf8(out.stderr).unwrap();
    assert_eq!(progress.lines().count(), 3, "{progress}");
    assert!(
        progress.lines().all(|l| l.ends_with("already there")),
        "{progress}"
    );
}

#[test]
fn copy_pull_and_push_round_trip_through_a_layout() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    // OCI: skopeo's `oci:` transport ignores Docker manifests in a layout.
    let pushed = skopeo.push_random_image(&registry, "src/app:v1", &[5000, 10], ImageFormat::Oci);
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();

    // Registry to registry, across repositories: blobs are mounted.
    let copied = skiff.ok_text(&[
        "copy",
        "-q",
        pushed.reference(),
        &registry.reference("dst/app:v1"),
    ]);
    assert_eq!(copied, pushed.digest());
    let theirs = skopeo
        .inspect(&ImageRef::registry(&registry, "dst/app:v1"))
        .unwrap();
    assert_eq!(theirs["Digest"], pushed.digest());

    // Registry to layout, and the layout is one skopeo reads.
    let dir = work.path().join("layout");
    let pulled = skiff.ok_text(&["pull", "-q", pushed.reference(), dir.to_str().unwrap()]);
    assert_eq!(pulled, pushed.digest());
    let from_layout = skopeo
        .inspect(&ImageRef::local(format!("oci:{}:v1", dir.display())))
        .unwrap();
    assert_eq!(from_layout["Digest"], pushed.digest());

    // Layout back to another registry repository with copy and oci: as the source.
    let oci = format!("oci:{}:v1", dir.display());
    let back = skiff.ok_text(&["copy", "-q", &oci, &registry.reference("back/app:v1")]);
    assert_eq!(back, pushed.digest());
    assert_eq!(
        skiff.ok_text(&["digest", &registry.reference("back/app:v1")]),
        pushed.digest()
    );
}

#[test]
fn blobs_go_up_and_come_back_verified() {
    let registry = Registry::anonymous();
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("blob.bin");
    let content: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &content).unwrap();
    let repository = registry.reference("blobs/app");

    let digest = skiff.ok_text(&["blob", "put", &repository, file.to_str().unwrap()]);
    assert_eq!(digest, sha256(&content));

    let named = format!("{repository}@{digest}");
    let back = work.path().join("back.bin");
    skiff.ok(&["blob", "get", &named, back.to_str().unwrap()]);
    assert_eq!(std::fs::read(&back).unwrap(), content);
    assert_eq!(skiff.ok(&["blob", "get", &named]), content);
}

#[test]
fn delete_by_tag_removes_the_manifest() {
    let registry = Registry::anonymous();
    let pushed = Skopeo::new().push_random_image(&registry, "del/app:v1", &[10], ImageFormat::Oci);
    let skiff = Skiff::new();
    skiff.ok(&["delete", pushed.reference()]);
    let by_digest = registry.reference(&format!("del/app@{}", pushed.digest()));
    let stderr = skiff.fails(&["inspect", "--raw", &by_digest], 1);
    assert!(stderr.contains("MANIFEST_UNKNOWN"), "{stderr}");
}

#[test]
fn ctrl_c_during_a_pull_leaves_no_partial_blob() {
    use skiff_integration::{Fault, FaultProxy, Match, Rule};
    use std::process::{Command, Stdio};

    let registry = Registry::anonymous();
    let pushed = Skopeo::new().push_random_image(&registry, "slow/app:1", &[200_000], ImageFormat::Oci);
    let proxy = FaultProxy::start(&registry);
    // The layer download stalls after its first bytes, so the pull is caught mid-blob.
    let layer = pushed.image().layers()[0].digest().to_owned();
    proxy.add(Rule::new(
        Match::blob_get().path_contains(&layer),
        Fault::StallBodyAfter(1000),
    ));
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    let home = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args([
            "pull",
            "-q",
            &proxy.reference("slow/app:1"),
            layout.to_str().unwrap(),
        ])
        .env("HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let blobs = layout.join("blobs/sha256");
    let temp_files = || -> Vec<String> {
        std::fs::read_dir(&blobs)
            .map(|dir| {
                dir.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(".tmp-"))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Wait (bounded) until the layer's temp file exists: the download is under way.
    let mut waited = 0;
    while temp_files().is_empty() {
        assert!(waited < 600, "the pull never started writing the layer");
        std::thread::sleep(std::time::Duration::from_millis(50));
        waited += 1;
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr, "skiff: interrupted: Ctrl-C\n");
    assert!(temp_files().is_empty(), "{:?}", temp_files());
    assert!(!blobs.join(layer.trim_start_matches("sha256:")).exists());
}
