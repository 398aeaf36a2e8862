//! Lists and indexes: every platform travels unless `--platform` picks one.

use serde_json::{json, Value};
use skiff_integration::{RandomImage, Registry};

use super::util::{sha256, Skiff};

/// A layout holding an OCI index (tag `1`) over two images, as linux/amd64 and linux/arm64.
pub(super) fn index_layout(dir: &std::path::Path, amd64: &RandomImage, arm64: &RandomImage) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for image in [amd64, arm64] {
        for entry in std::fs::read_dir(image.layout_dir().join("blobs/sha256")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), blobs.join(entry.file_name())).unwrap();
        }
    }
    let entry = |image: &RandomImage, arch: &str| {
        json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": image.manifest().digest(),
            "size": image.manifest().size(),
            "platform": {"architecture": arch, "os": "linux"}
        })
    };
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [entry(amd64, "amd64"), entry(arm64, "arm64")]
    }))
    .unwrap();
    let digest = sha256(&index);
    std::fs::write(blobs.join(digest.trim_start_matches("sha256:")), &index).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let top = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": digest,
        "size": index.len(),
        "annotations": {"org.opencontainers.image.ref.name": "1"}
    }]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    digest
}

fn layers(image: &RandomImage) -> Value {
    json!(image.layers().iter().map(|l| l.digest()).collect::<Vec<_>>())
}

#[test]
fn indexes_move_whole_or_by_platform() {
    let registry = Registry::anonymous();
    let amd64 = RandomImage::build("multi/amd64", &[300]);
    let arm64 = RandomImage::build("multi/arm64", &[400, 50]);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("index-layout");
    let index_digest = index_layout(&dir, &amd64, &arm64);
    let skiff = Skiff::new();
    let list = registry.reference("multi/app:1");

    let pushed = skiff.ok_text(&["push", "-q", &format!("{}:1", dir.display()), &list]);
    assert_eq!(pushed, index_digest);
    assert_eq!(sha256(&skiff.ok(&["inspect", "--raw", &list])), index_digest);

    // inspect resolves the platform; its Digest stays the list's, as skopeo's does.
    for (platform, image) in [("linux/amd64", &amd64), ("linux/arm64", &arm64)] {
        let summary: Value =
            serde_json::from_slice(&skiff.ok(&["inspect", "--platform", platform, &list])).unwrap();
        assert_eq!(summary["Digest"], index_digest.as_str());
        assert_eq!(summary["Layers"], layers(image), "{platform}");
    }
    let stderr = skiff.fails(&["inspect", "--platform", "linux/s390x", &list], 1);
    assert!(
        stderr.contains("linux/s390x") && stderr.contains("linux/arm64"),
        "{stderr}"
    );

    // One platform: the destination holds that image, not the list.
    let arm = registry.reference("multi/arm:1");
    let copied = skiff.ok_text(&["copy", "-q", "--platform", "linux/arm64", &list, &arm]);
    assert_eq!(copied, arm64.manifest().digest());

    // Everything: the list and both images, into a layout and back out.
    let all = work.path().join("all");
    let oci = format!("oci:{}:1", all.display());
    assert_eq!(skiff.ok_text(&["copy", "-q", &list, &oci]), index_digest);
    let again = registry.reference("multi/again:1");
    assert_eq!(skiff.ok_text(&["copy", "-q", &oci, &again]), index_digest);
    let summary: Value =
        serde_json::from_slice(&skiff.ok(&["inspect", "--platform", "linux/amd64", &again])).unwrap();
    assert_eq!(summary["Layers"], layers(&amd64));
}

/// Pushes one small image per `(TAG, OS/ARCH[/VARIANT])` to `NAME/app:TAG`, then an OCI index
/// of them as `NAME/app:1` with `skiff index create`: the images, their references, the
/// index's reference and its digest.
pub(super) fn multi_platform_index(
    registry: &Registry,
    skiff: &Skiff,
    name: &str,
    platforms: &[(&str, &str)],
) -> (Vec<RandomImage>, Vec<String>, String, String) {
    let mut images = Vec::new();
    let mut members = Vec::new();
    for (tag, platform) in platforms {
        let image = RandomImage::build_for(&format!("{name}/{tag}"), &[300], platform);
        let target = registry.reference(&format!("{name}/app:{tag}"));
        let layout = format!("{}:latest", image.layout_dir().display());
        skiff.ok(&["push", "-q", &layout, &target]);
        images.push(image);
        members.push(target);
    }
    let list = registry.reference(&format!("{name}/app:1"));
    let mut args = vec!["index", "create", list.as_str()];
    args.extend(members.iter().map(String::as_str));
    let digest = skiff.ok_text(&args);
    (images, members, list, digest)
}

#[test]
fn several_platforms_copy_that_subset_as_a_new_list() {
    use skiff_integration::{ImageRef, Skopeo};
    let registry = Registry::anonymous();
    let skiff = Skiff::new();
    let platforms = [
        ("amd64", "linux/amd64"),
        ("arm64", "linux/arm64/v8"),
        ("armv7", "linux/arm/v7"),
    ];
    let (images, members, list, full) = multi_platform_index(&registry, &skiff, "subset", &platforms);

    let destination = registry.reference("mirror/app:1");
    let copied = skiff.ok_text(&[
        "copy",
        "-q",
        "--platform",
        "linux/amd64",
        "--platform",
        "linux/arm/v7",
        &list,
        &destination,
    ]);
    assert_ne!(copied, full);
    let raw = Skopeo::new()
        .inspect_raw(&ImageRef::registry(&registry, "mirror/app:1"))
        .unwrap();
    assert_eq!(sha256(&raw), copied);
    let index: Value = serde_json::from_slice(&raw).unwrap();
    let digests: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap())
        .collect();
    assert_eq!(
        digests,
        [images[0].manifest().digest(), images[2].manifest().digest()]
    );
    // The chosen images are there, the other is not.
    for (image, present) in [(&images[0], true), (&images[1], false), (&images[2], true)] {
        let by_digest = registry.reference(&format!("mirror/app@{}", image.manifest().digest()));
        assert_eq!(
            skiff.run(&["inspect", "--raw", &by_digest]).status.success(),
            present
        );
    }

    // Into a layout too, and skopeo reads it.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("subset");
    let pulled = skiff.ok_text(&[
        "pull",
        "-q",
        "--platform",
        "linux/amd64",
        "--platform",
        "linux/arm64",
        &list,
        &format!("{}:1", dir.display()),
    ]);
    let theirs = Skopeo::new()
        .inspect_raw(&ImageRef::local(format!("oci:{}:1", dir.display())))
        .unwrap();
    assert_eq!(sha256(&theirs), pulled);

    // A platform the list lacks is an error naming what it has; nothing is written.
    let out = skiff.run(&[
        "copy",
        "--platform",
        "linux/amd64",
        "--platform",
        "linux/s390x",
        &list,
        &registry.reference("mirror/app:2"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("linux/s390x") && stderr.contains("linux/arm/v7"),
        "{stderr}"
    );
    assert!(!skiff
        .run(&["inspect", "--raw", &registry.reference("mirror/app:2")])
        .status
        .success());
    // Of a single image there is no subset; one-image commands take one --platform.
    let out = skiff.run(&[
        "copy",
        "--platform",
        "linux/amd64",
        "--platform",
        "linux/arm64",
        &members[0],
        &registry.reference("mirror/one:1"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let out = skiff.run(&[
        "inspect",
        "--platform",
        "linux/amd64",
        "--platform",
        "linux/arm64",
        &list,
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn platform_choice_agrees_with_skopeo_where_skopeo_has_an_answer() {
    use skiff_integration::{ImageRef, Skopeo};
    let registry = Registry::anonymous();
    let skiff = Skiff::new();
    let entries = [
        ("amd64", "linux/amd64"),
        ("arm64", "linux/arm64/v8"),
        ("armv7", "linux/arm/v7"),
        ("armv6", "linux/arm/v6"),
    ];
    let (_, _, list, _) = multi_platform_index(&registry, &skiff, "choice", &entries);
    // (what skiff is asked, skopeo's --override-* for the same request)
    let table = [
        ("linux/amd64", "amd64", None),
        ("linux/arm64", "arm64", None),
        ("linux/arm64/v8", "arm64", Some("v8")),
        ("linux/arm/v7", "arm", Some("v7")),
        ("linux/arm/v6", "arm", Some("v6")),
    ];
    for (wanted, arch, variant) in table {
        let ours: Value =
            serde_json::from_slice(&skiff.ok(&["inspect", "--platform", wanted, &list])).unwrap();
        let mut flags = vec!["--override-os", "linux", "--override-arch", arch];
        if let Some(variant) = variant {
            flags.extend(["--override-variant", variant]);
        }
        let theirs = Skopeo::new()
            .inspect_args(&flags, &ImageRef::registry(&registry, "choice/app:1"))
            .unwrap();
        assert_eq!(ours["Layers"], theirs["Layers"], "{wanted}");
        assert_eq!(ours["Architecture"], theirs["Architecture"], "{wanted}");
    }
}
