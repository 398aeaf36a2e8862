//! `docker-archive:` and `oci-archive:` against the peers: what skopeo, `podman save` (and
//! `save -m`) and `ctr images export` write skiff reads, what skiff writes skopeo reads and
//! `podman load` and `ctr images import` load, digests round-trip through an OCI archive
//! exactly, and a docker-archive holds what skopeo's holds. `skiff save` puts several images
//! into one.
//! Every hostile archive is one line, exit 1, and nothing at the destination.

use std::path::Path;

use serde_json::Value;
use skiff_integration::{
    file_names, hostile_archives, hostile_legacy_archives, tar_members as members, Containerd, ImageFormat,
    ImageRef, Podman, Registry, Skopeo,
};

use super::util::{expect_failure, sha256, Skiff};

/// How long one command may take before its test fails.
const LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// The content of member `name`.
fn member(path: &Path, name: &str) -> Vec<u8> {
    members(path)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{} has no member {name}", path.display()))
        .1
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

#[test]
fn registry_to_oci_archive_and_back_keeps_every_digest_and_skopeo_agrees() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "oa/app:1", &[6000, 300], ImageFormat::Oci);
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();

    // skiff writes, skopeo reads.
    let ours = format!("oci-archive:{}:v1", path(work.path(), "ours.tar"));
    let digest = skiff.ok_text_within(&["copy", "-q", pushed.reference(), &ours], LIMIT);
    assert_eq!(digest, pushed.digest());
    let theirs = skopeo.inspect(&ImageRef::local(&ours)).unwrap();
    assert_eq!(theirs["Digest"], pushed.digest());
    // And back to the registry: the same manifest, byte for byte.
    let back = skiff.ok_text_within(&["copy", "-q", &ours, &registry.reference("oa/back:1")], LIMIT);
    assert_eq!(back, pushed.digest());
    let raw = skopeo
        .inspect_raw(&ImageRef::registry(&registry, "oa/back:1"))
        .unwrap();
    assert_eq!(sha256(&raw), pushed.digest());

    // skopeo writes, skiff reads.
    let skopeos = format!("oci-archive:{}:v2", path(work.path(), "skopeo.tar"));
    skopeo
        .copy(
            &ImageRef::registry(&registry, "oa/app:1"),
            &ImageRef::local(&skopeos),
            None,
        )
        .unwrap();
    assert_eq!(
        skiff.ok_text_within(&["digest", &skopeos], LIMIT),
        pushed.digest()
    );
    let inspected: Value =
        serde_json::from_str(&skiff.ok_text_within(&["inspect", &skopeos], LIMIT)).unwrap();
    let expected = skopeo.inspect(&ImageRef::local(&skopeos)).unwrap();
    for key in ["Digest", "Layers", "Architecture", "Os", "Env", "Created"] {
        assert_eq!(inspected[key], expected[key], "{key}");
    }
    let again = skiff.ok_text_within(
        &["copy", "-q", &skopeos, &registry.reference("oa/again:1")],
        LIMIT,
    );
    assert_eq!(again, pushed.digest());
    assert_eq!(
        file_names(work.path()),
        ["ours.tar", "skopeo.tar"],
        "no temp file left"
    );
}

#[test]
fn a_docker_archive_holds_what_skopeos_holds_and_goes_back_as_skopeo_would_not() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "da/app:1", &[9000, 400], ImageFormat::V2s2);
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let ours = path(work.path(), "ours.tar");
    let theirs = path(work.path(), "theirs.tar");
    let name = "example.com/team/app:1.0";
    skiff.ok_text_within(
        &[
            "copy",
            "-q",
            pushed.reference(),
            &format!("docker-archive:{ours}:{name}"),
        ],
        LIMIT,
    );
    skopeo
        .copy(
            &ImageRef::registry(&registry, "da/app:1"),
            &ImageRef::local(format!("docker-archive:{theirs}:{name}")),
            None,
        )
        .unwrap();
    // The same config and the same uncompressed layers under the same names; the same
    // manifest.json. skopeo adds the legacy v1 directories and `repositories`, which
    // Docker has not needed since 1.10.
    let ours_members = members(Path::new(&ours));
    let theirs_members = members(Path::new(&theirs));
    for (name, content) in &ours_members {
        let found = theirs_members.iter().find(|(n, _)| n == name);
        assert_eq!(found.map(|(_, c)| c), Some(content), "member {name}");
    }
    for diff_id in pushed.image().diff_ids() {
        let layer = member(Path::new(&ours), &format!("{}.tar", &diff_id["sha256:".len()..]));
        assert_eq!(
            &sha256(&layer),
            diff_id,
            "layers are stored uncompressed, named by diffID"
        );
    }
    let manifest: Value = serde_json::from_slice(&member(Path::new(&ours), "manifest.json")).unwrap();
    assert_eq!(manifest[0]["RepoTags"], serde_json::json!([name]));

    // Each reads the other's archive: the same layers (diffIDs) and config.
    for archive in [&ours, &theirs] {
        let reference = format!("docker-archive:{archive}:{name}");
        let by_skopeo = skopeo.inspect(&ImageRef::local(&reference)).unwrap();
        let by_skiff: Value =
            serde_json::from_str(&skiff.ok_text_within(&["inspect", &reference], LIMIT)).unwrap();
        assert_eq!(by_skiff["Layers"], by_skopeo["Layers"], "{archive}");
        assert_eq!(by_skiff["Name"], "example.com/team/app");
        assert_eq!(by_skiff["Layers"], serde_json::json!(pushed.image().diff_ids()));
        let config = skiff.ok_within(&["inspect", "--config", &reference], LIMIT);
        assert_eq!(
            sha256(&config),
            pushed.image().config().digest(),
            "the config, byte for byte"
        );
    }

    // Back to a registry. skiff sends the layers as the archive holds them (uncompressed,
    // their digests the diffIDs), so the image ID and diffIDs stay and nothing is
    // recompressed; skopeo gzips them again, with new digests. Both keep the config.
    let ours_back = skiff.ok_text_within(
        &[
            "copy",
            "-q",
            &format!("docker-archive:{ours}"),
            &registry.reference("da/ours:1"),
        ],
        LIMIT,
    );
    assert_eq!(
        ours_back,
        skiff.ok_text_within(&["digest", &format!("docker-archive:{ours}")], LIMIT)
    );
    skopeo
        .copy(
            &ImageRef::local(format!("docker-archive:{theirs}")),
            &ImageRef::registry(&registry, "da/theirs:1"),
            None,
        )
        .unwrap();
    let manifest = |repo: &str| -> Value {
        serde_json::from_slice(&skopeo.inspect_raw(&ImageRef::registry(&registry, repo)).unwrap()).unwrap()
    };
    let (ours_manifest, theirs_manifest) = (manifest("da/ours:1"), manifest("da/theirs:1"));
    assert_eq!(
        ours_manifest["config"]["digest"],
        pushed.image().config().digest()
    );
    assert_eq!(
        theirs_manifest["config"]["digest"],
        pushed.image().config().digest()
    );
    let layers = |m: &Value, key: &str| -> Vec<Value> {
        m["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l[key].clone())
            .collect()
    };
    let diff_ids: Vec<Value> = pushed
        .image()
        .diff_ids()
        .iter()
        .map(|d| Value::from(d.as_str()))
        .collect();
    assert_eq!(layers(&ours_manifest, "digest"), diff_ids);
    assert!(layers(&ours_manifest, "mediaType")
        .iter()
        .all(|t| t == "application/vnd.docker.image.rootfs.diff.tar"));
    let theirs_layers = layers(&theirs_manifest, "digest");
    assert!(
        theirs_layers.iter().all(|d| !diff_ids.contains(d)),
        "skopeo recompresses"
    );
    let pulled_by_skopeo = skopeo
        .inspect(&ImageRef::registry(&registry, "da/ours:1"))
        .unwrap();
    assert_eq!(
        pulled_by_skopeo["Layers"],
        serde_json::json!(pushed.image().diff_ids())
    );
}

#[test]
fn save_puts_several_images_in_one_archive_that_skopeo_reads_by_tag_and_position() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let one = skopeo.push_random_image(&registry, "save/one:1", &[2000], ImageFormat::Oci);
    let two = skopeo.push_random_image(&registry, "save/two:2", &[3000, 10], ImageFormat::Oci);
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    for format in ["docker", "oci"] {
        let output = path(work.path(), &format!("{format}.tar"));
        let out = skiff.run_within(
            &[
                "save",
                "-q",
                "--output",
                &output,
                "--format",
                format,
                one.reference(),
                two.reference(),
            ],
            LIMIT,
        );
        assert!(out.status.success(), "{}", super::util::describe(&out));
        let printed: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(printed.len(), 2, "one digest per image: {printed:?}");
        for (i, (pushed, digest)) in [&one, &two].into_iter().zip(&printed).enumerate() {
            let by_name = match format {
                "docker" => format!("docker-archive:{output}:{}", pushed.reference()),
                _ => format!("oci-archive:{output}:{}", pushed.reference()),
            };
            let inspected = skopeo.inspect(&ImageRef::local(&by_name)).unwrap();
            // A docker-archive's layers are uncompressed (their digests the diffIDs); an OCI
            // archive's are the registry's blobs.
            let layers: Vec<&str> = match format {
                "docker" => pushed.image().diff_ids().iter().map(String::as_str).collect(),
                _ => pushed.image().layers().iter().map(|l| l.digest()).collect(),
            };
            assert_eq!(inspected["Layers"], serde_json::json!(layers), "{by_name}");
            if format == "oci" {
                // Blobs as they were: the very manifest.
                assert_eq!(inspected["Digest"], pushed.digest(), "{by_name}");
                assert_eq!(digest, pushed.digest());
            } else {
                let by_index = format!("docker-archive:{output}:@{i}");
                assert_eq!(
                    skopeo.inspect(&ImageRef::local(&by_index)).unwrap()["Layers"],
                    inspected["Layers"]
                );
                assert_eq!(&skiff.ok_text_within(&["digest", &by_index], LIMIT), digest);
            }
        }
    }
    assert_eq!(file_names(work.path()), ["docker.tar", "oci.tar"]);
}

#[test]
fn hostile_archives_fail_in_one_line_and_leave_nothing() {
    let skiff = Skiff::new();
    for hostile in hostile_archives().into_iter().chain(hostile_legacy_archives()) {
        let work = tempfile::tempdir().unwrap();
        let input = path(work.path(), "in.tar");
        std::fs::write(&input, &hostile.bytes).unwrap();
        for destination in [
            format!("docker-archive:{}:x/y:1", path(work.path(), "out.tar")),
            format!("oci-archive:{}:1", path(work.path(), "out.tar")),
        ] {
            let args = ["copy", "-q", &format!("docker-archive:{input}"), &destination];
            let out = skiff.run_within(&args, LIMIT);
            let line = expect_failure(&out, 1, &args);
            assert!(
                line.contains("in.tar"),
                "{}: names the archive: {line}",
                hostile.case
            );
            assert_eq!(
                file_names(work.path()),
                ["in.tar"],
                "{}: nothing written",
                hostile.case
            );
        }
        let args = ["inspect", &format!("docker-archive:{input}")];
        let out = skiff.run_within(&args, LIMIT);
        // The diffID is only checked once the layer's bytes are read.
        if hostile.case != "a layer that is not the config's diffID" {
            expect_failure(&out, 1, &args);
        }
    }
}

#[test]
fn archive_names_that_cannot_work_are_usage_errors() {
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let archive = path(work.path(), "a.tar");
    for args in [
        vec!["inspect".to_owned(), format!("docker-archive:{archive}:@x")],
        vec!["inspect".to_owned(), format!("oci-archive:{archive}:bad tag")],
        vec![
            "copy".to_owned(),
            format!("oci-archive:{archive}"),
            format!("docker-archive:{archive}:@0"),
        ],
        vec![
            "tag".to_owned(),
            format!("oci-archive:{archive}"),
            "v2".to_owned(),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = skiff.run_within(&args, LIMIT);
        expect_failure(&out, 2, &args);
    }
    assert!(file_names(work.path()).is_empty());
}

/// A podman image's ID (its config digest, as `sha256:HEX`) and diffIDs.
fn podman_image(podman: &Podman, name: &str) -> (String, Value) {
    let inspected = podman.inspect(name).unwrap();
    let id = format!("sha256:{}", inspected["Id"].as_str().unwrap());
    (id, inspected["RootFS"]["Layers"].clone())
}

#[test]
fn podman_loads_what_skiff_writes_and_skiff_reads_what_podman_saves() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let docker = skopeo.push_random_image(&registry, "pd/docker:1", &[3000, 20], ImageFormat::V2s2);
    let oci = skopeo.push_random_image(&registry, "pd/oci:2", &[4000], ImageFormat::Oci);
    let skiff = Skiff::new();
    let podman = Podman::new();
    let work = tempfile::tempdir().unwrap();
    let config = |pushed: &skiff_integration::PushedImage| pushed.image().config().digest().to_owned();
    let diff_ids = |pushed: &skiff_integration::PushedImage| serde_json::json!(pushed.image().diff_ids());

    // skiff save (a docker-archive of both) -> podman load: each image under its name.
    let saved = path(work.path(), "saved.tar");
    skiff.ok_text_within(
        &["save", "-q", "-o", &saved, docker.reference(), oci.reference()],
        LIMIT,
    );
    let loaded = podman.load(Path::new(&saved)).unwrap();
    for pushed in [&docker, &oci] {
        assert!(loaded.iter().any(|n| n == pushed.reference()), "{loaded:?}");
        assert_eq!(
            podman_image(&podman, pushed.reference()),
            (config(pushed), diff_ids(pushed))
        );
    }
    // An OCI image in an OCI archive -> podman load.
    let oci_archive = path(work.path(), "oci.tar");
    skiff.ok_text_within(
        &[
            "copy",
            "-q",
            oci.reference(),
            &format!("oci-archive:{oci_archive}:pd-oci"),
        ],
        LIMIT,
    );
    let loaded = podman.load(Path::new(&oci_archive)).unwrap();
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert_eq!(podman_image(&podman, &loaded[0]).0, config(&oci));

    // podman save (one image, several with -m, an OCI archive) -> skiff reads each.
    let podman_one = path(work.path(), "podman-one.tar");
    podman
        .save(Path::new(&podman_one), "docker-archive", &[docker.reference()])
        .unwrap();
    let inspected: Value = serde_json::from_str(
        &skiff.ok_text_within(&["inspect", &format!("docker-archive:{podman_one}")], LIMIT),
    )
    .unwrap();
    assert_eq!(inspected["Layers"], diff_ids(&docker));
    let back = skiff.ok_text_within(
        &[
            "copy",
            "-q",
            &format!("docker-archive:{podman_one}"),
            &registry.reference("pd/back:1"),
        ],
        LIMIT,
    );
    let pulled = skopeo
        .inspect(&ImageRef::registry(&registry, "pd/back:1"))
        .unwrap();
    assert_eq!(pulled["Digest"], back.as_str());
    assert_eq!(pulled["Layers"], diff_ids(&docker));

    let podman_many = path(work.path(), "podman-many.tar");
    podman
        .save(
            Path::new(&podman_many),
            "docker-archive",
            &[docker.reference(), oci.reference()],
        )
        .unwrap();
    for (i, pushed) in [&docker, &oci].into_iter().enumerate() {
        for name in [
            format!("docker-archive:{podman_many}:{}", pushed.reference()),
            format!("docker-archive:{podman_many}:@{i}"),
        ] {
            let config_bytes = skiff.ok_within(&["inspect", "--config", &name], LIMIT);
            assert_eq!(sha256(&config_bytes), config(pushed), "{name}");
        }
    }
    let podman_oci = path(work.path(), "podman-oci.tar");
    podman
        .save(Path::new(&podman_oci), "oci-archive", &[oci.reference()])
        .unwrap();
    let digest = skiff.ok_text_within(&["digest", &format!("oci-archive:{podman_oci}")], LIMIT);
    let theirs = skopeo
        .inspect(&ImageRef::local(format!("oci-archive:{podman_oci}")))
        .unwrap();
    assert_eq!(theirs["Digest"], digest.as_str());
    let config_bytes = skiff.ok_within(
        &["inspect", "--config", &format!("oci-archive:{podman_oci}")],
        LIMIT,
    );
    assert_eq!(sha256(&config_bytes), config(&oci));
}

#[test]
fn containerd_imports_what_skiff_writes_under_the_same_digests_and_skiff_reads_its_exports() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let docker = skopeo.push_random_image(&registry, "ct/docker:1", &[3000, 20], ImageFormat::V2s2);
    let oci = skopeo.push_random_image(&registry, "ct/oci:2", &[5000], ImageFormat::Oci);
    let skiff = Skiff::new();
    let containerd = Containerd::start();
    let ctr = containerd.ctr();
    let work = tempfile::tempdir().unwrap();

    // A docker-archive: containerd makes the same manifest of it as skiff reads it as.
    let archive = path(work.path(), "docker.tar");
    let written = skiff.ok_text_within(
        &[
            "copy",
            "-q",
            docker.reference(),
            &format!("docker-archive:{archive}:{}", docker.reference()),
        ],
        LIMIT,
    );
    ctr.import(Path::new(&archive), &[]).unwrap();
    assert_eq!(ctr.image(docker.reference()).digest, written);
    assert_eq!(
        skiff.ok_text_within(&["digest", &format!("docker-archive:{archive}")], LIMIT),
        written
    );

    // An OCI archive: the registry's very manifest.
    let oci_archive = path(work.path(), "oci.tar");
    skiff.ok_text_within(
        &[
            "copy",
            "-q",
            oci.reference(),
            &format!("oci-archive:{oci_archive}:2"),
        ],
        LIMIT,
    );
    let base = registry.reference("ct/imported");
    ctr.import(Path::new(&oci_archive), &["--base-name", &base])
        .unwrap();
    assert_eq!(ctr.image(&format!("{base}:2")).digest, oci.digest());

    // save, both formats, both images: every name with its digest (each in a namespace of
    // its own: containerd puts gzip blobs it holds in place of a docker-archive's
    // uncompressed layers with the same diffID).
    for format in ["docker", "oci"] {
        let ctr = containerd.namespace(&format!("save-{format}"));
        let saved = path(work.path(), &format!("saved-{format}.tar"));
        let out = skiff.ok_text_within(
            &[
                "save",
                "-q",
                "-o",
                &saved,
                "--format",
                format,
                docker.reference(),
                oci.reference(),
            ],
            LIMIT,
        );
        let digests: Vec<&str> = out.lines().collect();
        ctr.import(Path::new(&saved), &[]).unwrap();
        for (pushed, digest) in [&docker, &oci].into_iter().zip(digests) {
            assert_eq!(ctr.image(pushed.reference()).digest, digest, "{format}");
            if format == "oci" {
                assert_eq!(digest, pushed.digest());
            }
        }
    }

    // ctr images export -> skiff: an OCI layout (read as oci-archive: the very image) that is
    // also a docker-archive (its gzip layers by the digests their names give).
    let pulled = registry.reference("ct/oci:2");
    ctr.pull(&pulled).unwrap();
    let exported = path(work.path(), "exported.tar");
    ctr.export(Path::new(&exported), &[&pulled]).unwrap();
    assert_eq!(
        skiff.ok_text_within(&["digest", &format!("oci-archive:{exported}")], LIMIT),
        oci.digest()
    );
    let as_docker: Value = serde_json::from_str(
        &skiff.ok_text_within(&["inspect", &format!("docker-archive:{exported}")], LIMIT),
    )
    .unwrap();
    let layers: Vec<&str> = oci.image().layers().iter().map(|l| l.digest()).collect();
    assert_eq!(as_docker["Layers"], serde_json::json!(layers));
    let back = skiff.ok_text_within(
        &[
            "copy",
            "-q",
            &format!("oci-archive:{exported}"),
            &registry.reference("ct/back:2"),
        ],
        LIMIT,
    );
    assert_eq!(
        back,
        oci.digest(),
        "registry -> containerd -> registry, digest for digest"
    );
}

#[test]
fn layers_recompressed_on_the_way_stream_into_an_oci_archive() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "rc/app:1", &[7000, 50], ImageFormat::Oci);
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let archive = format!("oci-archive:{}:1", path(work.path(), "zstd.tar"));
    let digest = skiff.ok_text_within(
        &[
            "copy",
            "-q",
            "--dest-compress",
            "zstd",
            pushed.reference(),
            &archive,
        ],
        LIMIT,
    );
    assert_ne!(digest, pushed.digest(), "new layer digests, a new manifest");
    let raw: Value =
        serde_json::from_slice(&skiff.ok_within(&["inspect", "--raw", &archive], LIMIT)).unwrap();
    for layer in raw["layers"].as_array().unwrap() {
        assert_eq!(layer["mediaType"], "application/vnd.oci.image.layer.v1.tar+zstd");
        let name = format!(
            "blobs/sha256/{}",
            &layer["digest"].as_str().unwrap()["sha256:".len()..]
        );
        let content = member(&work.path().join("zstd.tar"), &name);
        assert_eq!(sha256(&content), layer["digest"].as_str().unwrap(), "{name}");
    }
    // skopeo reads it, and it goes back to a registry as it is.
    let theirs = skopeo.inspect(&ImageRef::local(&archive)).unwrap();
    assert_eq!(theirs["Digest"], digest.as_str());
    let back = skiff.ok_text_within(&["copy", "-q", &archive, &registry.reference("rc/zstd:1")], LIMIT);
    assert_eq!(back, digest);
    assert_eq!(file_names(work.path()), ["zstd.tar"], "nothing spooled beside it");
}

#[test]
fn pull_takes_an_archive_into_a_layout_and_push_writes_archives_from_one() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "pp/app:1", &[5000, 70], ImageFormat::Oci);
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let oci = format!("oci-archive:{}:v1", path(work.path(), "in-oci.tar"));
    let docker = format!("docker-archive:{}:pp/app:1", path(work.path(), "in-docker.tar"));
    for archive in [&oci, &docker] {
        skiff.ok_text_within(&["copy", "-q", pushed.reference(), archive], LIMIT);
    }
    // pull: each archive into a layout, the image as the archive holds it.
    let layout = path(work.path(), "layout");
    for (archive, tag) in [(&oci, "from-oci"), (&docker, "from-docker")] {
        let digest = skiff.ok_text_within(&["pull", "-q", archive, &format!("{layout}:{tag}")], LIMIT);
        assert_eq!(
            digest,
            skiff.ok_text_within(&["digest", archive], LIMIT),
            "{archive}"
        );
        assert_eq!(
            skiff.ok_text_within(&["digest", &format!("oci:{layout}:{tag}")], LIMIT),
            digest
        );
    }
    // The OCI archive's blobs came as the registry's: skopeo reads the very image.
    let from_oci = skopeo
        .inspect(&ImageRef::local(format!("oci:{layout}:from-oci")))
        .unwrap();
    assert_eq!(from_oci["Digest"], pushed.digest());
    // push: from the layout into each kind of archive, which skopeo reads.
    let out_oci = format!("oci-archive:{}:v1", path(work.path(), "out-oci.tar"));
    let out_docker = format!("docker-archive:{}:pp/app:1", path(work.path(), "out-docker.tar"));
    for archive in [&out_oci, &out_docker] {
        skiff.ok_text_within(&["push", "-q", &format!("{layout}:from-oci"), archive], LIMIT);
        let inspected = skopeo.inspect(&ImageRef::local(archive.as_str())).unwrap();
        let layers: Vec<&str> = match archive.starts_with("oci") {
            true => pushed.image().layers().iter().map(|l| l.digest()).collect(),
            false => pushed.image().diff_ids().iter().map(String::as_str).collect(),
        };
        assert_eq!(inspected["Layers"], serde_json::json!(layers), "{archive}");
    }
    assert_eq!(
        file_names(work.path()),
        [
            "in-docker.tar",
            "in-oci.tar",
            "layout",
            "out-docker.tar",
            "out-oci.tar"
        ]
    );
}
