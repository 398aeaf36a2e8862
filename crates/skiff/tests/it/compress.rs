//! `--dest-compress`, `--dest-compress-level` and `--preserve-digests`: layers recompressed
//! while they stream, checked against their diffIDs, read back by skopeo; refusals that write
//! nothing.

use std::path::Path;

use serde_json::{json, Value};
use skiff_integration::{ImageFormat, ImageRef, RandomImage, Registry, Skopeo};

use super::platforms::index_layout;
use super::util::{layout_temp_files, raw_manifest, sha256, unverified_blobs, Skiff, COMMAND_LIMIT};

const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const TAR: &str = "application/vnd.oci.image.layer.v1.tar";
const DOCKER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const DOCKER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";

/// `(mediaType, digest)` of every layer of a manifest.
fn layers(manifest: &Value) -> Vec<(String, String)> {
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["mediaType"].as_str().unwrap().to_owned(),
                l["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// What skopeo unpacks each layer of `image` to (`--dest-decompress` into a `dir:`): the
/// SHA-256 of every layer file it wrote, in the manifest's order.
fn skopeo_unpacked_layers(skopeo: &Skopeo, registry: &Registry, name: &str) -> Vec<String> {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("unpacked");
    skopeo
        .copy_with(
            &ImageRef::registry(registry, name),
            &ImageRef::local(format!("dir:{}", dir.display())),
            None,
            &["--dest-decompress"],
        )
        .unwrap_or_else(|failure| registry.fail(failure));
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    layers(&manifest)
        .into_iter()
        .map(|(_, digest)| {
            let file = dir.join(digest.trim_start_matches("sha256:"));
            sha256(&std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())))
        })
        .collect()
}

/// The bytes of blob `digest` of `image` on `registry`, fetched by skiff.
fn blob(skiff: &Skiff, registry: &Registry, name: &str, digest: &str) -> Vec<u8> {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("blob");
    let repository = name.split(':').next().unwrap();
    skiff.ok_within(
        &[
            "blob",
            "get",
            &registry.reference(&format!("{repository}@{digest}")),
            file.to_str().unwrap(),
        ],
        COMMAND_LIMIT,
    );
    std::fs::read(file).unwrap()
}

#[test]
fn gzip_to_zstd_to_plain_to_gzip_keeps_every_diff_id_and_skopeo_reads_each() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    // One layer larger than the upload's monolithic limit, one small.
    let pushed = skopeo.push_random_image(&registry, "round/app:gzip", &[3 << 20, 700], ImageFormat::Oci);
    let diff_ids: Vec<String> = pushed.image().diff_ids().to_vec();
    let source = raw_manifest(&skiff, pushed.reference());

    let mut previous = pushed.reference().to_owned();
    for (compression, media_type, tag) in [
        ("zstd", ZSTD, "zstd"),
        ("none", TAR, "tar"),
        ("gzip", GZIP, "gzip"),
    ] {
        let name = format!("round/app:{tag}-again");
        let destination = registry.reference(&name);
        let printed = skiff.ok_text_within(
            &[
                "copy",
                "-q",
                "--dest-compress",
                compression,
                &previous,
                &destination,
            ],
            COMMAND_LIMIT,
        );
        let raw = skiff.ok_within(&["inspect", "--raw", &destination], COMMAND_LIMIT);
        assert_eq!(
            sha256(&raw),
            printed,
            "{compression}: the digest printed is the manifest's"
        );
        let manifest: Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(
            manifest["config"], source["config"],
            "{compression}: the config is the same blob"
        );
        let new_layers = layers(&manifest);
        assert!(
            new_layers.iter().all(|(t, _)| t == media_type),
            "{compression}: {new_layers:?}"
        );
        // The registry serves exactly what skiff printed, and skopeo agrees on the digest.
        let theirs = skopeo.inspect(&ImageRef::registry(&registry, &name)).unwrap();
        assert_eq!(theirs["Digest"], printed.as_str());
        // skopeo unpacks every new layer to the tar the config names.
        assert_eq!(
            skopeo_unpacked_layers(&skopeo, &registry, &name),
            diff_ids,
            "{compression}"
        );
        let first = blob(&skiff, &registry, &name, &new_layers[0].1);
        match compression {
            "zstd" => assert_eq!(&first[..4], &[0x28, 0xb5, 0x2f, 0xfd]),
            "gzip" => assert_eq!(&first[..2], &[0x1f, 0x8b]),
            _ => {
                // A plain tar's digest is its diffID.
                let digests: Vec<String> = new_layers.iter().map(|(_, d)| d.clone()).collect();
                assert_eq!(digests, diff_ids);
            }
        }
        previous = destination;
    }
    // gzip made again by skiff is not the gzip the source had, but the same tars.
    let again = raw_manifest(&skiff, &previous);
    assert_ne!(layers(&again), layers(&source));

    // The same recompression made twice gives the same digest: the output is deterministic.
    let once = skiff.ok_text_within(
        &[
            "copy",
            "-q",
            "--dest-compress",
            "zstd",
            pushed.reference(),
            &registry.reference("round/app:z1"),
        ],
        COMMAND_LIMIT,
    );
    let twice = skiff.ok_text_within(
        &[
            "copy",
            "-q",
            "--dest-compress",
            "zstd",
            pushed.reference(),
            &registry.reference("round/app:z2"),
        ],
        COMMAND_LIMIT,
    );
    assert_eq!(once, twice);
}

#[test]
fn layers_already_packed_so_pass_through_whatever_their_level() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let pushed = skopeo.push_random_image(&registry, "same/app:1", &[4000, 20], ImageFormat::Oci);
    let copied = skiff.ok_text_within(
        &[
            "copy",
            "-q",
            "--dest-compress",
            "gzip",
            "--dest-compress-level",
            "9",
            pushed.reference(),
            &registry.reference("same/copy:1"),
        ],
        COMMAND_LIMIT,
    );
    assert_eq!(copied, pushed.digest());
}

#[test]
fn skiff_reads_what_skopeo_wrote_with_zstd_and_pulls_push_and_convert_recompress_too() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let image = RandomImage::build("theirs/app:zstd", &[2 << 20, 300]);
    skopeo
        .copy_with(
            &ImageRef::local(image.oci_reference()),
            &ImageRef::registry(&registry, "theirs/app:zstd"),
            Some(ImageFormat::Oci),
            &["--dest-compress-format", "zstd"],
        )
        .unwrap_or_else(|failure| registry.fail(failure));
    let theirs = registry.reference("theirs/app:zstd");
    let manifest = raw_manifest(&skiff, &theirs);
    assert!(layers(&manifest).iter().all(|(t, _)| t == ZSTD), "{manifest}");

    // pull: into a layout, back to gzip.
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("pulled");
    skiff.ok_within(
        &[
            "pull",
            "-q",
            "--dest-compress",
            "gzip",
            &theirs,
            &format!("{}:gz", layout.display()),
        ],
        COMMAND_LIMIT,
    );
    assert!(unverified_blobs(&layout).is_empty());
    assert!(layout_temp_files(&layout).is_empty());
    let pulled = raw_manifest(&skiff, &format!("oci:{}:gz", layout.display()));
    assert!(layers(&pulled).iter().all(|(t, _)| t == GZIP), "{pulled}");
    skopeo
        .inspect(&ImageRef::local(format!("oci:{}:gz", layout.display())))
        .unwrap();

    // push: from that layout, as plain tars.
    let plain = registry.reference("ours/app:tar");
    skiff.ok_within(
        &[
            "push",
            "-q",
            "--dest-compress",
            "none",
            &format!("{}:gz", layout.display()),
            &plain,
        ],
        COMMAND_LIMIT,
    );
    let digests: Vec<String> = layers(&raw_manifest(&skiff, &plain))
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    assert_eq!(digests, image.diff_ids());

    // convert: skopeo's zstd OCI image as Docker schema2 with gzip layers, which skopeo reads.
    let docker = registry.reference("ours/app:v2s2");
    skiff.ok_within(
        &[
            "convert",
            "-q",
            "--to",
            "v2s2",
            "--dest-compress",
            "gzip",
            &theirs,
            &docker,
        ],
        COMMAND_LIMIT,
    );
    let converted = raw_manifest(&skiff, &docker);
    assert_eq!(
        converted["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert!(
        layers(&converted).iter().all(|(t, _)| t == DOCKER_GZIP),
        "{converted}"
    );
    assert_eq!(
        skopeo_unpacked_layers(&skopeo, &registry, "ours/app:v2s2"),
        image.diff_ids()
    );
}

#[test]
fn docker_schema2_gets_no_zstd_and_nothing_is_written() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let pushed = skopeo.push_random_image(&registry, "docker/app:1", &[5000, 60], ImageFormat::V2s2);
    let before = registry.stored_blobs();

    for args in [
        vec!["copy", "--dest-compress", "zstd"],
        vec!["convert", "--to", "v2s2", "--dest-compress", "zstd"],
    ] {
        let destination = registry.reference("docker/zstd:1");
        let mut all = args.clone();
        all.extend([pushed.reference(), destination.as_str()]);
        let stderr = skiff.fails(&all, 1);
        assert!(
            stderr.contains("Docker schema2 manifests have no media type for zstd layers"),
            "{stderr}"
        );
        assert_eq!(registry.stored_blobs(), before, "{args:?} wrote a blob");
        assert!(registry.uploads_holding_data().is_empty());
        assert_eq!(registry.manifest_digest("docker/zstd", "1"), None);
    }
    // Into a layout neither: nothing lands in it.
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("zstd");
    skiff.fails(
        &[
            "copy",
            "--dest-compress",
            "zstd",
            pushed.reference(),
            &format!("oci:{}:1", layout.display()),
        ],
        1,
    );
    assert!(
        !layout.join("blobs/sha256").exists()
            || std::fs::read_dir(layout.join("blobs/sha256")).unwrap().count() == 0
    );

    // Plain tars Docker has a type for; zstd takes an OCI manifest.
    let plain = registry.reference("docker/tar:1");
    skiff.ok_within(
        &[
            "copy",
            "-q",
            "--dest-compress",
            "none",
            pushed.reference(),
            &plain,
        ],
        COMMAND_LIMIT,
    );
    let manifest = raw_manifest(&skiff, &plain);
    assert!(
        layers(&manifest).iter().all(|(t, _)| t == DOCKER_TAR),
        "{manifest}"
    );
    assert_eq!(
        skopeo_unpacked_layers(&skopeo, &registry, "docker/tar:1"),
        pushed.image().diff_ids()
    );
    let oci = registry.reference("docker/oci:1");
    skiff.ok_within(
        &[
            "convert",
            "-q",
            "--to",
            "oci",
            "--dest-compress",
            "zstd",
            pushed.reference(),
            &oci,
        ],
        COMMAND_LIMIT,
    );
    let manifest = raw_manifest(&skiff, &oci);
    assert!(layers(&manifest).iter().all(|(t, _)| t == ZSTD), "{manifest}");
    assert_eq!(
        skopeo_unpacked_layers(&skopeo, &registry, "docker/oci:1"),
        pushed.image().diff_ids()
    );
}

#[test]
fn preserve_digests_refuses_what_would_change_a_digest_and_writes_nothing() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let pushed = skopeo.push_random_image(&registry, "keep/app:1", &[3000, 40], ImageFormat::Oci);
    let amd64 = RandomImage::build("keep/amd64", &[300]);
    let arm64 = RandomImage::build("keep/arm64", &[400]);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("index");
    index_layout(&dir, &amd64, &arm64);
    let index = format!("oci:{}:1", dir.display());
    let before = registry.stored_blobs();

    let refusals: [(&[&str], &str, &str); 3] = [
        (
            &["copy", "--dest-compress", "zstd"],
            pushed.reference(),
            "would be recompressed to zstd",
        ),
        (
            &["convert", "--to", "v2s2"],
            pushed.reference(),
            "would be converted from",
        ),
        (
            &["copy", "--platform", "linux/amd64", "--platform", "linux/arm64"],
            &index,
            "subset of the platforms",
        ),
    ];
    for (args, source, why) in refusals {
        let destination = registry.reference("keep/refused:1");
        let mut all = args.to_vec();
        all.extend(["--preserve-digests", source, destination.as_str()]);
        let stderr = skiff.fails(&all, 1);
        assert!(
            stderr.contains("digests are to be preserved") && stderr.contains(why),
            "{stderr}"
        );
        assert!(stderr.contains("nothing was written"), "{stderr}");
        assert_eq!(registry.stored_blobs(), before, "{all:?} wrote a blob");
        assert!(registry.uploads_holding_data().is_empty());
        assert_eq!(registry.manifest_digest("keep/refused", "1"), None);
    }

    // What changes no digest goes through: layers already gzip, a conversion to the
    // format the image has, one platform out of an index.
    let passing: [(&[&str], &str, &str); 3] = [
        (
            &["copy", "--dest-compress", "gzip"],
            pushed.reference(),
            pushed.digest(),
        ),
        (&["convert", "--to", "oci"], pushed.reference(), pushed.digest()),
        (
            &["copy", "--platform", "linux/arm64"],
            &index,
            arm64.manifest().digest(),
        ),
    ];
    for (args, source, digest) in passing {
        let destination = registry.reference("keep/passed:1");
        let mut all = vec!["-q"];
        all.extend(args);
        all.extend(["--preserve-digests", source, destination.as_str()]);
        assert_eq!(skiff.ok_text_within(&all, COMMAND_LIMIT), digest, "{all:?}");
    }
}

/// A copy of `image`'s layout in `dir` whose config names a wrong diffID for layer `wrong`.
fn with_wrong_diff_id(image: &RandomImage, dir: &Path, wrong: usize) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for layer in image.layers() {
        std::fs::copy(image.blob_path(layer.digest()), blobs.join(&layer.digest()[7..])).unwrap();
    }
    let mut config: Value = serde_json::from_slice(&image.blob(image.config().digest())).unwrap();
    config["rootfs"]["diff_ids"][wrong] = json!(sha256(b"some other tar"));
    let config = serde_json::to_vec(&config).unwrap();
    let write = |bytes: &[u8]| {
        let digest = sha256(bytes);
        std::fs::write(blobs.join(&digest[7..]), bytes).unwrap();
        (digest, bytes.len())
    };
    let (config_digest, config_size) = write(&config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": image.layers().iter().map(|l| json!({"mediaType": GZIP, "digest": l.digest(), "size": l.size()})).collect::<Vec<_>>(),
    });
    let (manifest_digest, manifest_size) = write(&serde_json::to_vec(&manifest).unwrap());
    let index = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": manifest_digest, "size": manifest_size,
        "annotations": {"org.opencontainers.image.ref.name": "bad"},
    }]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    format!("oci:{}:bad", dir.display())
}

#[test]
fn a_layer_whose_diff_id_is_not_the_configs_fails_and_leaves_nothing() {
    let registry = Registry::anonymous();
    let skiff = Skiff::new();
    let image = RandomImage::build("lying/app", &[2 << 20]);
    let work = tempfile::tempdir().unwrap();
    let source = with_wrong_diff_id(&image, &work.path().join("bad"), 0);

    let destination = registry.reference("lying/app:1");
    let stderr = skiff.fails(&["copy", "--dest-compress", "zstd", &source, &destination], 1);
    assert!(
        stderr.contains(&format!(
            "layer {} unpacks to {}",
            image.layers()[0].digest(),
            image.diff_ids()[0]
        )),
        "{stderr}"
    );
    assert!(
        registry.stored_blobs().is_empty(),
        "{:?}",
        registry.stored_blobs()
    );
    assert!(
        registry.uploads_holding_data().is_empty(),
        "{:?}",
        registry.uploads_holding_data()
    );
    assert_eq!(registry.manifest_digest("lying/app", "1"), None);

    // Into a layout: no blob, no temp file, no image.
    let layout = work.path().join("out");
    skiff.fails(
        &[
            "copy",
            "--dest-compress",
            "none",
            &source,
            &format!("oci:{}:1", layout.display()),
        ],
        1,
    );
    assert!(layout_temp_files(&layout).is_empty());
    let blobs = std::fs::read_dir(layout.join("blobs/sha256")).map_or(0, |entries| entries.count());
    assert_eq!(blobs, 0);

    // Without recompression the layer is not unpacked, and moves as it is.
    skiff.ok_within(&["copy", "-q", &source, &destination], COMMAND_LIMIT);
}

#[test]
fn an_index_is_recompressed_platform_by_platform_and_relisted() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let amd64 = RandomImage::build("many/amd64", &[3000, 10]);
    let arm64 = RandomImage::build("many/arm64", &[4000]);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("index");
    let index_digest = index_layout(&dir, &amd64, &arm64);
    let destination = registry.reference("many/app:zstd");
    let printed = skiff.ok_text_within(
        &[
            "copy",
            "-q",
            "--dest-compress",
            "zstd",
            &format!("oci:{}:1", dir.display()),
            &destination,
        ],
        COMMAND_LIMIT,
    );
    assert_ne!(printed, index_digest);
    let index = raw_manifest(&skiff, &destination);
    assert_eq!(index["mediaType"], "application/vnd.oci.image.index.v1+json");
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for (entry, (arch, image)) in entries.iter().zip([("amd64", &amd64), ("arm64", &arm64)]) {
        assert_eq!(entry["platform"]["architecture"], arch);
        let name = format!("many/app@{}", entry["digest"].as_str().unwrap());
        let child = raw_manifest(&skiff, &registry.reference(&name));
        assert!(layers(&child).iter().all(|(t, _)| t == ZSTD), "{child}");
        assert_eq!(
            skopeo_unpacked_layers(&skopeo, &registry, &name),
            image.diff_ids(),
            "{arch}"
        );
    }
    let theirs = skopeo
        .inspect_raw(&ImageRef::registry(&registry, "many/app:zstd"))
        .unwrap();
    assert_eq!(sha256(&theirs), printed);
}

#[test]
fn levels_are_checked_before_anything_runs() {
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let image = RandomImage::build("levels/app", &[10]);
    let destination = format!("oci:{}:1", work.path().join("out").display());
    let source = image.oci_reference();
    for (args, why) in [
        (
            vec!["--dest-compress", "zstd", "--dest-compress-level", "23"],
            "zstd has no level 23 (it takes 1 to 22)",
        ),
        (
            vec!["--dest-compress", "gzip", "--dest-compress-level", "0"],
            "gzip has no level 0 (it takes 1 to 9)",
        ),
        (
            vec!["--dest-compress", "none", "--dest-compress-level", "3"],
            "none has no level 3",
        ),
    ] {
        let mut all = vec!["copy"];
        all.extend(args);
        all.extend([source.as_str(), destination.as_str()]);
        let stderr = skiff.fails(&all, 2);
        assert!(stderr.contains(why), "{stderr}");
    }
    // A level without a compression, or a compression skiff does not know: clap's usage errors.
    skiff.fails(&["copy", "--dest-compress-level", "3", &source, &destination], 2);
    skiff.fails(&["copy", "--dest-compress", "lz4", &source, &destination], 2);
    assert!(
        !work.path().join("out").join("index.json").exists() || {
            let index: Value =
                serde_json::from_slice(&std::fs::read(work.path().join("out/index.json")).unwrap()).unwrap();
            index["manifests"].as_array().unwrap().is_empty()
        }
    );
}

#[test]
fn save_and_sync_recompress_and_a_docker_archive_keeps_its_plain_layers() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    let pushed = skopeo.push_random_image(&registry, "arch/app:1", &[6000, 70], ImageFormat::Oci);
    let work = tempfile::tempdir().unwrap();

    // save --format oci: the archive holds zstd layers skopeo unpacks to the same tars.
    let oci = work.path().join("zstd.tar");
    skiff.ok_within(
        &[
            "save",
            "-q",
            "--format",
            "oci",
            "--dest-compress",
            "zstd",
            "--output",
            oci.to_str().unwrap(),
            pushed.reference(),
        ],
        COMMAND_LIMIT,
    );
    let archived = format!("oci-archive:{}:{}", oci.display(), pushed.reference());
    let manifest = raw_manifest(&skiff, &archived);
    assert!(layers(&manifest).iter().all(|(t, _)| t == ZSTD), "{manifest}");
    let restored = registry.reference("arch/restored:1");
    skiff.ok_within(&["copy", "-q", &archived, &restored], COMMAND_LIMIT);
    assert_eq!(
        skopeo_unpacked_layers(&skopeo, &registry, "arch/restored:1"),
        pushed.image().diff_ids()
    );

    // A docker-archive stores plain tars: another packing is refused, and so is keeping
    // digests, since its layers are unpacked.
    let docker = work.path().join("docker.tar");
    let stderr = skiff.fails(
        &[
            "save",
            "--dest-compress",
            "zstd",
            "--output",
            docker.to_str().unwrap(),
            pushed.reference(),
        ],
        1,
    );
    assert!(
        stderr.contains("stores layers as none, so they cannot be recompressed to zstd"),
        "{stderr}"
    );
    let stderr = skiff.fails(
        &[
            "copy",
            "--preserve-digests",
            pushed.reference(),
            &format!("docker-archive:{}:arch/app:1", docker.display()),
        ],
        1,
    );
    assert!(stderr.contains("would be recompressed to none"), "{stderr}");
    assert!(!docker.exists());

    // Read back, a docker-archive's plain layers go to a registry as they are, or gzipped.
    skiff.ok_within(
        &[
            "copy",
            "-q",
            pushed.reference(),
            &format!("docker-archive:{}:arch/app:1", docker.display()),
        ],
        COMMAND_LIMIT,
    );
    let from_archive = format!("docker-archive:{}", docker.display());
    let kept = skiff.ok_text_within(
        &[
            "copy",
            "-q",
            "--preserve-digests",
            &from_archive,
            &registry.reference("arch/plain:1"),
        ],
        COMMAND_LIMIT,
    );
    assert_eq!(kept, skiff.ok_text(&["digest", &from_archive]));
    skiff.fails(
        &[
            "copy",
            "--preserve-digests",
            "--dest-compress",
            "gzip",
            &from_archive,
            &registry.reference("arch/gzip:1"),
        ],
        1,
    );
    skiff.ok_within(
        &[
            "copy",
            "-q",
            "--dest-compress",
            "gzip",
            &from_archive,
            &registry.reference("arch/gzip:1"),
        ],
        COMMAND_LIMIT,
    );
    let manifest = raw_manifest(&skiff, &registry.reference("arch/gzip:1"));
    assert!(
        layers(&manifest).iter().all(|(t, _)| t == DOCKER_GZIP),
        "{manifest}"
    );
    assert_eq!(
        skopeo_unpacked_layers(&skopeo, &registry, "arch/gzip:1"),
        pushed.image().diff_ids()
    );

    // sync: every image of the repository, recompressed.
    let mirror = Registry::anonymous();
    let out = skiff.run_within(
        &[
            "sync",
            "--dest-compress",
            "zstd",
            &registry.reference("arch/app"),
            &mirror.reference("mirror"),
        ],
        COMMAND_LIMIT,
    );
    assert!(out.status.success(), "{}", super::util::describe(&out));
    let synced = raw_manifest(&skiff, &mirror.reference("mirror/app:1"));
    assert!(layers(&synced).iter().all(|(t, _)| t == ZSTD), "{synced}");
    assert_eq!(
        skopeo_unpacked_layers(&skopeo, &mirror, "mirror/app:1"),
        pushed.image().diff_ids()
    );
}
