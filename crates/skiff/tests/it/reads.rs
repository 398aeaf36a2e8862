//! What skopeo pushes, skiff reads: inspect (summary, raw, config), digest, tags, catalog.

use serde_json::Value;
use skiff_integration::{ImageFormat, ImageRef, Registry, Skopeo};

use super::util::{sha256, Skiff};

/// The keys of `skopeo inspect` the contract promises, with the same values.
const CONTRACT_KEYS: [&str; 10] = [
    "Name",
    "Digest",
    "RepoTags",
    "Created",
    "DockerVersion",
    "Labels",
    "Architecture",
    "Os",
    "Layers",
    "Env",
];

fn assert_same_summary(ours: &Value, skopeo: &Value) {
    for key in CONTRACT_KEYS {
        assert_eq!(
            ours.get(key),
            skopeo.get(key),
            "{key}:\nours   {ours:#}\nskopeo {skopeo:#}"
        );
    }
}

#[test]
fn inspect_digest_and_raw_agree_with_skopeo_for_schema2_and_oci() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    for (name, format) in [
        ("team/app:v2s2", ImageFormat::V2s2),
        ("team/app:oci", ImageFormat::Oci),
    ] {
        let pushed = skopeo.push_random_image(&registry, name, &[1024, 3000], format);
        let reference = pushed.reference();
        let theirs = ImageRef::registry(&registry, name);

        let ours: Value = serde_json::from_slice(&skiff.ok(&["inspect", reference])).unwrap();
        assert_same_summary(&ours, &skopeo.inspect(&theirs).unwrap());
        assert_eq!(ours["Digest"], pushed.digest());

        let raw = skiff.ok(&["inspect", "--raw", &format!("docker://{reference}")]);
        assert_eq!(
            raw,
            skopeo.inspect_raw(&theirs).unwrap(),
            "{name}: raw bytes unchanged"
        );
        assert_eq!(sha256(&raw), pushed.digest());

        assert_eq!(skiff.ok_text(&["digest", reference]), pushed.digest());

        let config = skiff.ok(&["inspect", "--config", reference]);
        assert_eq!(
            sha256(&config),
            pushed.image().config().digest(),
            "{name}: config bytes unchanged"
        );
    }
    // Both tags, sorted as the registry lists them, in every summary.
    let ours: Value =
        serde_json::from_slice(&skiff.ok(&["inspect", &registry.reference("team/app:oci")])).unwrap();
    assert_eq!(ours["RepoTags"], serde_json::json!(["oci", "v2s2"]));
    assert_eq!(
        skiff.ok_text(&["tags", &registry.reference("team/app")]),
        "oci\nv2s2"
    );
}

#[test]
fn schema1_images_inspect_like_skopeo_and_convert_their_config() {
    let registry = Registry::builder().schema1().start();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let pushed = skopeo.push_random_image(&registry, "old/app:v1", &[2048, 512], ImageFormat::V2s1);
    let theirs = ImageRef::registry(&registry, "old/app:v1");

    let ours: Value = serde_json::from_slice(&skiff.ok(&["inspect", pushed.reference()])).unwrap();
    assert_same_summary(&ours, &skopeo.inspect(&theirs).unwrap());
    // Of the signed payload, as skopeo computes it.
    assert_eq!(skiff.ok_text(&["digest", pushed.reference()]), pushed.digest());

    // The registry signs schema1 manifests anew on every fetch, so the bytes differ from
    // skopeo's fetch in the signature only: the signed payload, and so the digest, agree.
    let raw = skiff.ok(&["inspect", "--raw", pushed.reference()]);
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("manifest.json");
    std::fs::write(&file, &raw).unwrap();
    assert_eq!(
        skiff.ok_text(&["digest", "--file", file.to_str().unwrap()]),
        pushed.digest()
    );
    std::fs::write(&file, skopeo.inspect_raw(&theirs).unwrap()).unwrap();
    assert_eq!(
        skiff.ok_text(&["digest", "--file", file.to_str().unwrap()]),
        pushed.digest()
    );
    assert!(!skiff
        .ok_text(&["verify", "--file", file.to_str().unwrap()])
        .is_empty());

    // The config converted from the v1 history carries the layers' real diffIDs.
    let config: Value =
        serde_json::from_slice(&skiff.ok(&["inspect", "--config", pushed.reference()])).unwrap();
    assert_eq!(
        config["rootfs"]["diff_ids"],
        serde_json::json!(pushed.image().diff_ids()),
        "{config:#}"
    );
}

#[test]
fn catalog_follows_every_page() {
    let registry = Registry::builder().catalog_max_entries(2).start();
    let skopeo = Skopeo::new();
    let mut names: Vec<String> = (0..5).map(|i| format!("repo{i}/app")).collect();
    for name in &names {
        skopeo.push_random_image(&registry, &format!("{name}:1"), &[64], ImageFormat::Oci);
    }
    names.sort();
    let listed = Skiff::new().ok_text(&["catalog", registry.addr()]);
    assert_eq!(listed.lines().collect::<Vec<_>>(), names);
}

#[test]
fn layouts_inspect_and_digest_without_a_registry() {
    let image = skiff_integration::RandomImage::build("layout/app", &[100]);
    let skiff = Skiff::new();
    let oci = format!("oci:{}:latest", image.layout_dir().display());
    assert_eq!(skiff.ok_text(&["digest", &oci]), image.manifest().digest());
    let raw = skiff.ok(&["inspect", "--raw", &oci]);
    assert_eq!(raw, image.blob(image.manifest().digest()));
    let ours: Value = serde_json::from_slice(&skiff.ok(&["inspect", &oci])).unwrap();
    let theirs = Skopeo::new()
        .inspect(&ImageRef::local(image.oci_reference()))
        .unwrap();
    for key in [
        "Digest",
        "Created",
        "Architecture",
        "Os",
        "Layers",
        "Env",
        "Labels",
    ] {
        assert_eq!(ours.get(key), theirs.get(key), "{key}: {ours:#} {theirs:#}");
    }
}
