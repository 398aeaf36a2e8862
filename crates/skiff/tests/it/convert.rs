//! `convert`: schema1 <-> schema2/OCI through v1-compat, checked by skopeo.

use std::time::Duration;

use http::Method;
use serde_json::{json, Value};
use skiff_integration::{
    Fault, FaultProxy, ImageFormat, ImageRef, Match, RandomImage, Registry, Route, Rule, Skopeo,
};

use super::util::{put_manifest, raw_manifest, sha256, Skiff, COMMAND_LIMIT};

/// `field` of every layer of a manifest.
fn layer_field<'a>(manifest: &'a Value, field: &str) -> Vec<&'a Value> {
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l[field])
        .collect()
}

#[test]
fn schema2_and_oci_convert_to_the_bytes_skopeo_writes() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let pushed = skopeo.push_random_image(&registry, "fmt/app:oci", &[300, 40], ImageFormat::Oci);
    let source = ImageRef::registry(&registry, "fmt/app:oci");

    let ours = skiff.ok_text(&[
        "convert",
        "-q",
        "--to",
        "v2s2",
        pushed.reference(),
        &registry.reference("fmt/app:ours"),
    ]);
    let theirs = skopeo
        .copy(
            &source,
            &ImageRef::registry(&registry, "fmt/app:theirs"),
            Some(ImageFormat::V2s2),
        )
        .unwrap();
    assert_eq!(ours, theirs);
    let inspected = skopeo
        .inspect(&ImageRef::registry(&registry, "fmt/app:ours"))
        .unwrap();
    assert_eq!(inspected["Digest"], ours.as_str());

    // And back: the OCI manifest skopeo pushed, byte for byte.
    let back = skiff.ok_text(&[
        "convert",
        "-q",
        "--to",
        "oci",
        &registry.reference("fmt/app:ours"),
        &registry.reference("fmt/app:back"),
    ]);
    assert_eq!(back, pushed.digest());
}

#[test]
fn schema1_converts_to_oci_with_a_config_from_its_history_and_back() {
    let registry = Registry::builder().schema1().start();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let pushed = skopeo.push_random_image(&registry, "old/app:v1", &[700, 90], ImageFormat::V2s1);

    let destination = registry.reference("new/app:v1");
    skiff.ok_text(&["convert", "-q", "--to", "oci", pushed.reference(), &destination]);
    let raw: Value = serde_json::from_slice(&skiff.ok(&["inspect", "--raw", &destination])).unwrap();
    assert_eq!(raw["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    let layers: Vec<&str> = pushed.image().layers().iter().map(|l| l.digest()).collect();
    let converted: Vec<&str> = raw["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap())
        .collect();
    assert_eq!(converted, layers);
    let config: Value = serde_json::from_slice(&skiff.ok(&["inspect", "--config", &destination])).unwrap();
    assert_eq!(
        config["rootfs"]["diff_ids"],
        serde_json::json!(pushed.image().diff_ids())
    );
    // skopeo reads what we wrote, and agrees on the image.
    let theirs = skopeo
        .inspect(&ImageRef::registry(&registry, "new/app:v1"))
        .unwrap();
    let original = skopeo
        .inspect(&ImageRef::registry(&registry, "old/app:v1"))
        .unwrap();
    for key in ["Architecture", "Os", "Layers"] {
        assert_eq!(theirs[key], original[key], "{key}");
    }

    // To schema1 again: signed with a key of our own, and skopeo reads it.
    let again = registry.reference("again/app:v1");
    skiff.ok_text(&["convert", "-q", "--to", "v2s1", &destination, &again]);
    let raw = skiff.ok(&["inspect", "--raw", &again]);
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("manifest.json");
    std::fs::write(&file, &raw).unwrap();
    let signatures = skiff.ok_text(&["verify", "--file", file.to_str().unwrap()]);
    assert_eq!(signatures.lines().count(), 1, "{signatures}");
    let theirs = skopeo
        .inspect(&ImageRef::registry(&registry, "again/app:v1"))
        .unwrap();
    assert_eq!(theirs["Layers"], original["Layers"]);
}

#[test]
fn schema1_cannot_go_into_a_layout() {
    let skiff = Skiff::new();
    let stderr = skiff.fails(
        &["convert", "--to", "v2s1", "127.0.0.1:1/a:1", "oci:somewhere:1"],
        2,
    );
    assert!(stderr.contains("cannot hold schema1"), "{stderr}");
}

#[test]
fn schema1_layers_are_downloaded_once_whether_copied_or_mounted() {
    let registry = Registry::builder().schema1().start();
    let pushed = Skopeo::new().push_random_image(&registry, "once/app:v1", &[70_000, 900], ImageFormat::V2s1);
    let proxy = FaultProxy::start(&registry);
    let skiff = Skiff::new();
    let layers = pushed.image().layers().len();
    let blob_gets = || proxy.count(&Method::GET, Route::Blob);

    // Into a layout: one download per layer feeds both the diffID scan and the write.
    let work = tempfile::tempdir().unwrap();
    let layout = format!("oci:{}:v1", work.path().join("layout").display());
    let source = proxy.reference("once/app:v1");
    skiff.ok_text(&["convert", "-q", "--jobs", "1", "--to", "oci", &source, &layout]);
    assert_eq!(blob_gets(), layers, "each layer downloaded once");
    for layer in pushed.image().layers() {
        let hex = layer.digest().strip_prefix("sha256:").unwrap();
        assert!(
            work.path().join("layout/blobs/sha256").join(hex).is_file(),
            "{hex}"
        );
    }

    // Within the registry the layers are mounted, and still read once each for the scan.
    let before = blob_gets();
    skiff.ok_text(&[
        "convert",
        "-q",
        "--to",
        "v2s2",
        &source,
        &proxy.reference("twice/app:v1"),
    ]);
    assert_eq!(blob_gets() - before, layers, "each layer downloaded once");
    let config: Value =
        serde_json::from_slice(&skiff.ok(&["inspect", "--config", &proxy.reference("twice/app:v1")]))
            .unwrap();
    assert_eq!(
        config["rootfs"]["diff_ids"],
        serde_json::json!(pushed.image().diff_ids())
    );
}

#[test]
fn foreign_layers_stay_where_their_urls_point() {
    let registry = Registry::builder()
        .allow_layer_urls("^https://foreign\\.example/")
        .start();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let pushed = skopeo.push_random_image(&registry, "foreign/app:base", &[300], ImageFormat::V2s2);
    // The same image with a foreign (non-distributable) layer on top, which the registry
    // never holds: only its URL knows where it is.
    let foreign = sha256(b"a layer only a Windows base image server has");
    let mut manifest = raw_manifest(&skiff, pushed.reference());
    manifest["layers"].as_array_mut().unwrap().push(json!({
        "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "size": 1234,
        "digest": foreign,
        "urls": ["https://foreign.example/layers/base.tar.gz"],
    }));
    let bytes = serde_json::to_vec(&manifest).unwrap();
    put_manifest(
        &registry,
        "foreign/app:1",
        "application/vnd.docker.distribution.manifest.v2+json",
        &bytes,
    );
    let proxy = FaultProxy::start(&registry);
    let source = proxy.reference("foreign/app:1");
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    let destinations = [
        format!("oci:{}:1", layout.display()),
        proxy.reference("other/app:1"),
    ];
    for destination in &destinations {
        skiff.ok_text_within(
            &["convert", "-q", "--to", "oci", &source, destination],
            COMMAND_LIMIT,
        );
        let converted = raw_manifest(&skiff, destination);
        assert_eq!(
            layer_field(&converted, "mediaType").last().unwrap().as_str(),
            Some("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"),
            "{destination}"
        );
        assert_eq!(
            converted["layers"][1]["urls"],
            json!(["https://foreign.example/layers/base.tar.gz"]),
            "{destination}"
        );
    }
    let hex = foreign.trim_start_matches("sha256:");
    let asked: Vec<String> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.path.contains(hex))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(asked.is_empty(), "the foreign layer was asked for: {asked:?}");
    assert!(!layout.join("blobs/sha256").join(hex).exists());
}

#[test]
fn a_zstd_schema1_layer_is_typed_zstd() {
    let registry = Registry::builder().schema1().start();
    let skiff = Skiff::new();
    // Schema1 names bare blobs; this one is zstd, which no tool writes into schema1, so the
    // manifest is made here from the image's config and signed with a key of its own.
    let image = RandomImage::build_zstd("zstd/app", &[5000]);
    let layer = &image.layers()[0];
    let repository = registry.reference("zstd/app");
    let put = skiff.ok_text_within(
        &[
            "blob",
            "put",
            &repository,
            image.blob_path(layer.digest()).to_str().unwrap(),
        ],
        COMMAND_LIMIT,
    );
    assert_eq!(put, layer.digest());
    let config = image.blob(image.config().digest());
    let digests = [layer.digest().parse().unwrap()];
    let unsigned = v1_compat::config_to_schema1(&config, &digests, "zstd/app", "v1").unwrap();
    let schema1 = oci_manifest::jws::add_dummy_signature(unsigned.as_bytes()).unwrap();
    put_manifest(
        &registry,
        "zstd/app:v1",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        &schema1,
    );
    let source = registry.reference("zstd/app:v1");

    let work = tempfile::tempdir().unwrap();
    let layout = format!("oci:{}:v1", work.path().join("layout").display());
    for destination in [registry.reference("zstd/oci:v1"), layout] {
        skiff.ok_text_within(
            &["convert", "-q", "--to", "oci", &source, &destination],
            COMMAND_LIMIT,
        );
        let converted = raw_manifest(&skiff, &destination);
        assert_eq!(
            layer_field(&converted, "mediaType"),
            [&json!("application/vnd.oci.image.layer.v1.tar+zstd")],
            "{destination}"
        );
        assert_eq!(layer_field(&converted, "digest"), [&json!(layer.digest())]);
        let config: Value =
            serde_json::from_slice(&skiff.ok_within(&["inspect", "--config", &destination], COMMAND_LIMIT))
                .unwrap();
        assert_eq!(
            config["rootfs"]["diff_ids"],
            json!(image.diff_ids()),
            "{destination}"
        );
    }
    // Docker schema2 has no zstd layer type: refused, naming it, and nothing is pushed.
    let refused = registry.reference("zstd/v2s2:v1");
    let args = ["convert", "-q", "--to", "v2s2", &source, &refused];
    let stderr = super::util::expect_failure(&skiff.run_within(&args, COMMAND_LIMIT), 1, &args);
    assert!(
        stderr.contains("application/vnd.oci.image.layer.v1.tar+zstd has no equivalent in v2s2"),
        "{stderr}"
    );
    assert!(!skiff
        .run_within(&["inspect", "--raw", &refused], COMMAND_LIMIT)
        .status
        .success());
}

#[test]
fn convert_moves_as_many_layers_at_once_as_jobs_says() {
    let registry = Registry::builder().schema1().start();
    // Layers above the small-blob size, whose transfers `--jobs` bounds.
    let sizes = [300_000; 4];
    let pushed = Skopeo::new().push_random_image(&registry, "jobs/app:v1", &sizes, ImageFormat::V2s1);
    let skiff = Skiff::new();
    for jobs in [1, 3] {
        // Each layer download is held until one more than `jobs` are held at once, which a
        // client that keeps to `jobs` never reaches: the gate then gives up and the most held
        // at once is the client's concurrency.
        let proxy = FaultProxy::start(&registry);
        let hold = Fault::HoldUntil {
            together: jobs + 1,
            at_most: Duration::from_secs(3),
        };
        proxy.add(Rule::new(Match::blob_get(), hold));
        let work = tempfile::tempdir().unwrap();
        let layout = format!("oci:{}:v1", work.path().join("layout").display());
        let jobs_arg = jobs.to_string();
        skiff.ok_text_within(
            &[
                "convert",
                "-q",
                "--jobs",
                &jobs_arg,
                "--to",
                "oci",
                &proxy.reference("jobs/app:v1"),
                &layout,
            ],
            COMMAND_LIMIT,
        );
        assert_eq!(proxy.most_held(), jobs, "--jobs {jobs}");
        assert_eq!(
            proxy.count(&Method::GET, Route::Blob),
            pushed.image().layers().len(),
            "--jobs {jobs}: each layer downloaded once"
        );
    }
}

/// The platform this machine's commands choose by default, as `OS/ARCH[/VARIANT]`.
fn host_platform() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "linux/amd64",
        "aarch64" => "linux/arm64/v8",
        "s390x" => "linux/s390x",
        "powerpc64" => "linux/ppc64le",
        other => panic!("no test image for a {other} host"),
    }
}

#[test]
fn convert_picks_the_platform_every_other_command_picks() {
    let registry = Registry::anonymous();
    let skiff = Skiff::new();
    // The host's image last, so a choice of the first entry shows.
    let others = ["linux/s390x", "linux/ppc64le", "linux/riscv64"];
    let mut entries: Vec<(&str, &str)> = others
        .iter()
        .filter(|p| **p != host_platform())
        .take(2)
        .map(|p| (p.rsplit('/').next().unwrap(), *p))
        .collect();
    entries.push(("host", host_platform()));
    let (images, _, list, _) = super::platforms::multi_platform_index(&registry, &skiff, "default", &entries);
    let host_layers = json!(images
        .last()
        .unwrap()
        .layers()
        .iter()
        .map(|l| l.digest())
        .collect::<Vec<_>>());

    // skopeo, and skiff's inspect, choose the host's image.
    let theirs = Skopeo::new()
        .inspect(&ImageRef::registry(&registry, "default/app:1"))
        .unwrap();
    let ours: Value = serde_json::from_slice(&skiff.ok_within(&["inspect", &list], COMMAND_LIMIT)).unwrap();
    assert_eq!(theirs["Layers"], host_layers);
    assert_eq!(ours["Layers"], host_layers);

    // So does convert, into a registry and into a layout.
    let work = tempfile::tempdir().unwrap();
    let destinations = [
        registry.reference("default/converted:1"),
        format!("oci:{}:1", work.path().join("layout").display()),
    ];
    for destination in &destinations {
        skiff.ok_text_within(
            &["convert", "-q", "--to", "v2s2", &list, destination],
            COMMAND_LIMIT,
        );
        let converted = raw_manifest(&skiff, destination);
        assert_eq!(
            json!(layer_field(&converted, "digest")),
            host_layers,
            "{destination}"
        );
        let summary: Value =
            serde_json::from_slice(&skiff.ok_within(&["inspect", destination], COMMAND_LIMIT)).unwrap();
        assert_eq!(summary["Architecture"], theirs["Architecture"], "{destination}");
    }
}
