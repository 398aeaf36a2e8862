//! What skiff writes, skopeo reads: push, copy, pull into a layout, blob put/get, delete.

use skiff_integration::{ImageFormat, ImageRef, RandomImage, Registry, Skopeo};

use super::util::{layout_temp_files, sha256, unverified_blobs, Skiff, COMMAND_LIMIT};

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
fn layout_names_mean_what_they_mean_to_skopeo() {
    // skopeo's `oci:` transport ends the directory at the first `:`; the tag is the rest,
    // `:` and `/` included. Each side writes under a name and the other reads it back.
    let image = RandomImage::build("named/app", &[300]);
    let digest = image.manifest().digest().to_owned();
    let skiff = Skiff::new();
    let skopeo = Skopeo::new();
    let work = tempfile::tempdir().unwrap();
    let table = [
        ("dir:with:colons", "dir", "with:colons"),
        ("some/dir:tag", "some/dir", "tag"),
        ("a:b/layout:v2", "a", "b/layout:v2"),
    ];
    for (writer, reader) in [("skiff", "skopeo"), ("skopeo", "skiff")] {
        for (name, dir, tag) in table {
            let root = work.path().join(writer);
            let target = format!("oci:{}/{name}", root.display());
            if writer == "skiff" {
                skiff.ok_text_within(&["copy", "-q", &image.oci_reference(), &target], COMMAND_LIMIT);
            } else {
                // skopeo makes the layout directory but not its parents.
                std::fs::create_dir_all(root.join(dir).parent().unwrap()).unwrap();
                skopeo
                    .copy(
                        &ImageRef::local(image.oci_reference()),
                        &ImageRef::local(&target),
                        None,
                    )
                    .unwrap();
            }
            let index: serde_json::Value =
                serde_json::from_slice(&std::fs::read(root.join(dir).join("index.json")).unwrap()).unwrap();
            assert_eq!(
                index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], tag,
                "{writer} {target}"
            );
            let read = if reader == "skiff" {
                skiff.ok_text_within(&["digest", &target], COMMAND_LIMIT)
            } else {
                let summary = skopeo.inspect(&ImageRef::local(&target)).unwrap();
                summary["Digest"].as_str().unwrap().to_owned()
            };
            assert_eq!(read, digest, "{writer} wrote {target}, {reader} read it");
        }
    }
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

/// A registry whose single layer stalls mid-download behind a fault proxy, and a `skiff pull`
/// of it that is writing the layer when this returns.
struct StalledPull {
    _registry: Registry,
    proxy: skiff_integration::FaultProxy,
    image: String,
    layer: String,
    layout: std::path::PathBuf,
    child: Option<std::process::Child>,
    _work: tempfile::TempDir,
}

impl StalledPull {
    fn start(skiff: &Skiff) -> StalledPull {
        use skiff_integration::{Fault, FaultProxy, Match, Rule};

        let registry = Registry::anonymous();
        let pushed = Skopeo::new().push_random_image(&registry, "slow/app:1", &[1_000_000], ImageFormat::Oci);
        let proxy = FaultProxy::start(&registry);
        // The layer (larger than what is fetched into memory whole) stalls after its first
        // bytes, so the pull is caught mid-blob with a temp file open.
        let layer = pushed.image().layers()[0].digest().to_owned();
        proxy.add(Rule::new(
            Match::blob_get().path_contains(&layer),
            Fault::StallBodyAfter(1000),
        ));
        let work = tempfile::tempdir().unwrap();
        let layout = work.path().join("layout");
        let image = proxy.reference("slow/app:1");
        let child = skiff.spawn(&["pull", "-q", &image, layout.to_str().unwrap()]);
        // Wait (bounded) until the layer's own temp file exists (named after its digest; the
        // layout's index and marker have passing temp files too): the download is under way.
        let label = &layer.trim_start_matches("sha256:")[..16];
        let layer_temp_exists = || {
            layout_temp_files(&layout)
                .iter()
                .any(|name| name.ends_with(label))
        };
        let mut waited = 0;
        while !layer_temp_exists() {
            assert!(waited < 600, "the pull never started writing the layer");
            std::thread::sleep(std::time::Duration::from_millis(50));
            waited += 1;
        }
        StalledPull {
            _registry: registry,
            proxy,
            image,
            layer,
            layout,
            child: Some(child),
            _work: work,
        }
    }

    /// Sends `signal` (as `kill -SIGNAL` names it) to the pull and waits for it to end.
    fn signal(&mut self, signal: &str) -> std::process::Output {
        let child = self.child.take().expect("the pull is signalled once");
        let pid = child.id().to_string();
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} {pid}");
        child.wait_with_output().unwrap()
    }

    /// Where the layer would be once verified.
    fn layer_file(&self) -> std::path::PathBuf {
        self.layout
            .join("blobs/sha256")
            .join(self.layer.trim_start_matches("sha256:"))
    }
}

#[test]
fn ctrl_c_during_a_pull_leaves_no_partial_blob() {
    let skiff = Skiff::new();
    let mut pull = StalledPull::start(&skiff);
    let out = pull.signal("INT");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr, "skiff: interrupted: Ctrl-C\n");
    let temps = layout_temp_files(&pull.layout);
    assert!(temps.is_empty(), "{temps:?}");
    assert!(!pull.layer_file().exists());
}

#[test]
fn a_pull_killed_mid_blob_leaves_nothing_unverified_and_a_rerun_completes() {
    let skiff = Skiff::new();
    // SIGKILL: no handler runs, no destructor removes anything.
    let mut pull = StalledPull::start(&skiff);
    let out = pull.signal("KILL");
    assert_eq!(out.status.code(), None, "killed by a signal: {out:?}");
    // The partial layer is a temp file in the root; blobs/ holds only verified content.
    let unverified = unverified_blobs(&pull.layout);
    assert!(unverified.is_empty(), "{unverified:?}");
    assert!(!pull.layer_file().exists());
    let label = &pull.layer.trim_start_matches("sha256:")[..16];
    let temps = layout_temp_files(&pull.layout);
    assert!(temps.iter().any(|name| name.ends_with(label)), "{temps:?}");

    // The same pull, with the network healthy again, completes and sweeps the dead temp file.
    pull.proxy.clear();
    let layout = pull.layout.to_str().unwrap();
    skiff.ok(&["pull", "-q", &pull.image, layout]);
    assert!(pull.layer_file().exists());
    assert!(unverified_blobs(&pull.layout).is_empty());
    let temps = layout_temp_files(&pull.layout);
    assert!(temps.is_empty(), "{temps:?}");
    // skopeo agrees the layout holds the whole image.
    let copied = tempfile::tempdir().unwrap();
    Skopeo::new()
        .copy(
            &ImageRef::local(format!("oci:{layout}:1")),
            &ImageRef::local(format!("dir:{}", copied.path().display())),
            None,
        )
        .unwrap();
    let layer_hex = pull.layer.trim_start_matches("sha256:");
    assert!(copied.path().join(layer_hex).exists());
}
