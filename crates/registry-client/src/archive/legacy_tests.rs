//! Legacy docker-archives (no `manifest.json`) through the engine: each image is the chain
//! of its v1 images, read as Docker's legacy loader read it, and every hostile one is
//! refused with its own error, leaving nothing at the destination.

use std::path::Path;
use std::sync::Arc;

use oci_digest::Digest;
use oci_manifest::{ImageConfig, MediaType};
use serde_json::{json, Value};
use skiff_integration::{
    file_names, hostile_legacy_archives, tar_members as members, v1_id, ArchiveImage, LegacyArchive,
    TarBuilder,
};

use super::DockerArchiveRef;
use crate::image::{
    copy_image, DockerArchiveDestination, DockerArchiveSource, ImageSource, NoProgress,
    OciArchiveDestination, TransferOptions,
};
use crate::Error;

fn docker(path: &Path, image: &str) -> DockerArchiveRef {
    format!("{}{image}", path.display()).parse().unwrap()
}

/// The image's layers as its manifest lists them (media type, digest), and its config.
async fn read(source: &DockerArchiveSource) -> Result<(Vec<(String, String)>, Value), Error> {
    let manifest = source.top_manifest().await?;
    assert_eq!(*manifest.media_type(), MediaType::DockerSchema2);
    let parsed = manifest.parse()?;
    let layers = parsed
        .layer_infos()
        .iter()
        .map(|l| {
            let media_type = l.media_type().map(|t| t.to_string()).unwrap_or_default();
            (media_type, l.digest().to_string())
        })
        .collect();
    let config = parsed.config().expect("an image has a config");
    let blob = source.blob(config.digest(), Some(config.size())).await?;
    let bytes = blob.into_bytes().await?;
    ImageConfig::from_slice(&bytes)?;
    Ok((layers, serde_json::from_slice(&bytes).unwrap()))
}

#[tokio::test]
async fn each_tagged_image_is_its_chain_of_v1_images_as_docker_loaded_it() {
    let dir = tempfile::tempdir().unwrap();
    let legacy = LegacyArchive::two_images();
    let input = dir.path().join("legacy.tar");
    legacy.builder().write_to(&input);
    for (name, top) in [
        (":team/one:1", "one"),
        (":@1", "two"),
        (":docker.io/team/two:2", "two"),
    ] {
        let source = DockerArchiveSource::new(&docker(&input, name));
        let (layers, config) = read(&source).await.unwrap();
        let diff_ids = legacy.diff_ids(&v1_id(top));
        // Every v1 image is a layer, the metadata-only step's empty tar included.
        assert_eq!(layers.len(), 3, "{name}");
        for ((media_type, digest), diff_id) in layers.iter().zip(&diff_ids) {
            assert_eq!(media_type, "application/vnd.docker.image.rootfs.diff.tar");
            assert_eq!(digest, diff_id, "{name}: a layer's digest is its diffID");
        }
        assert_eq!(config["rootfs"], json!({"type": "layers", "diff_ids": diff_ids}));
        // The top v1 image's JSON without its v1-only fields, and one history entry per
        // v1 image, none empty (Docker's legacy loader marked none).
        let top_json = legacy.image(&v1_id(top)).json();
        for key in [
            "architecture",
            "os",
            "author",
            "docker_version",
            "config",
            "created",
        ] {
            assert_eq!(config[key], top_json[key], "{name}: {key}");
        }
        for key in ["id", "parent", "Size"] {
            assert!(config.get(key).is_none(), "{name}: {key} dropped");
        }
        let history: Vec<&str> = config["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                assert!(h.get("empty_layer").is_none());
                h["created_by"].as_str().unwrap()
            })
            .collect();
        assert_eq!(
            history,
            [
                "/bin/sh -c #(nop) ADD file:os-release in /",
                "/bin/sh -c #(nop) ENV LEGACY=1",
                &format!("/bin/sh -c echo {top} > /{top}.txt"),
            ]
        );
        assert_eq!(
            source.repo_tags().await.unwrap(),
            [format!("team/{top}:{}", if top == "one" { 1 } else { 2 })]
        );
    }
    // Two images, so a name is needed; a name that is not there is not found.
    let error = read(&DockerArchiveSource::new(&docker(&input, "")))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::AmbiguousArchive { count: 2, .. }),
        "{error:?}"
    );
    let error = read(&DockerArchiveSource::new(&docker(&input, ":team/three:3")))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::ArchiveImageNotFound { count: 2, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_legacy_image_moves_into_a_modern_archive_layer_for_layer() {
    let dir = tempfile::tempdir().unwrap();
    let legacy = LegacyArchive::two_images();
    let input = dir.path().join("legacy.tar");
    legacy.builder().write_to(&input);
    let source = DockerArchiveSource::new(&docker(&input, ":team/two:2"));
    let output = dir.path().join("modern.tar");
    let report = copy_image(
        &source,
        &DockerArchiveDestination::new(&docker(&output, ":team/two:2")),
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    // The same image read back from the modern archive: the same manifest digest.
    let back = DockerArchiveSource::new(&docker(&output, ""));
    assert_eq!(back.top_manifest().await.unwrap().digest(), report.digest());
    let written = members(&output);
    for image in legacy.chain(&v1_id("two")) {
        let name = format!("{}.tar", &Digest::sha256(&image.layer).encoded());
        assert!(
            written
                .iter()
                .any(|(n, content)| *n == name && *content == image.layer),
            "{name}"
        );
    }
    let manifest: Value =
        serde_json::from_slice(&written.iter().find(|(n, _)| n == "manifest.json").unwrap().1).unwrap();
    assert_eq!(manifest[0]["RepoTags"], json!(["docker.io/team/two:2"]));
    // And into an OCI archive.
    let oci = dir.path().join("oci.tar");
    copy_image(
        &source,
        &OciArchiveDestination::new(&format!("{}", oci.display()).parse().unwrap()),
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    assert_eq!(file_names(dir.path()), ["legacy.tar", "modern.tar", "oci.tar"]);
}

#[tokio::test]
async fn an_untagged_archive_is_its_one_top_and_links_inside_it_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let mut legacy = LegacyArchive::two_images();
    legacy.images.retain(|image| image.id != v1_id("two"));
    legacy.repositories = None;
    // The top's layer.tar is a link to the base's, as an archive may hold a layer once.
    let top = v1_id("one");
    let base = v1_id("base");
    legacy.images.iter_mut().find(|i| i.id == top).unwrap().layer = legacy.image(&base).layer.clone();
    let mut builder = TarBuilder::new();
    for image in &legacy.images {
        builder = builder.file(&format!("{}/json", image.id), image.json().to_string().as_bytes());
        builder = if image.id == top {
            builder.symlink(&format!("{top}/layer.tar"), &format!("../{base}/layer.tar"))
        } else {
            builder.file(&format!("{}/layer.tar", image.id), &image.layer)
        };
    }
    let input = dir.path().join("legacy.tar");
    builder.write_to(&input);
    let source = DockerArchiveSource::new(&docker(&input, ""));
    let (layers, _) = read(&source).await.unwrap();
    let digests: Vec<String> = layers.into_iter().map(|(_, d)| d).collect();
    assert_eq!(digests, legacy.diff_ids(&top));
    assert!(source.repo_tags().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_archive_with_manifest_json_is_read_by_it_whatever_legacy_directories_it_holds() {
    // Docker 1.10 to 24 (and skopeo) write both; manifest.json is the truth.
    let dir = tempfile::tempdir().unwrap();
    let modern = ArchiveImage::new("modern", 1);
    let mut builder = LegacyArchive::two_images().builder();
    builder = builder.file(&modern.config_name(), &modern.config);
    for (name, layer) in modern.layer_names().iter().zip(&modern.layers) {
        builder = builder.file(name, layer);
    }
    let manifest =
        json!([modern.manifest_item(&modern.config_name(), &modern.layer_names(), &["team/one:1"])]);
    let input = dir.path().join("dual.tar");
    builder
        .file("manifest.json", manifest.to_string().as_bytes())
        .write_to(&input);
    let source = DockerArchiveSource::new(&docker(&input, ":team/one:1"));
    let (layers, config) = read(&source).await.unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].1, Digest::sha256(&modern.layers[0]).to_string());
    assert_eq!(
        serde_json::to_vec(&config).unwrap(),
        serde_json::to_vec(&serde_json::from_slice::<Value>(&modern.config).unwrap()).unwrap()
    );
}

/// The refusal each hostile legacy archive must meet.
fn refused(case: &str, error: &Error) -> bool {
    let legacy = |error: &Error, wanted: &str| matches!(error, Error::LegacyImage { reason, .. } if reason.contains(wanted));
    match case {
        "a legacy parent cycle" => legacy(error, "loops back"),
        "a legacy parent that is missing" => legacy(error, "is not in the archive"),
        "a legacy image without json" => {
            matches!(error, Error::MissingArchiveMember { member, .. } if member.ends_with("/json"))
        }
        "a legacy image without layer.tar" => {
            matches!(error, Error::MissingArchiveMember { member, .. } if member.ends_with("/layer.tar"))
        }
        "a legacy tag of an ID that is not 64 hex" | "a legacy directory that is not 64 hex" => {
            legacy(error, "is not a v1 image ID")
        }
        "a legacy json naming another ID" => legacy(error, "not its directory"),
        "a legacy member name with .." => {
            matches!(error, Error::UnsafeArchiveMember { reason, .. } if reason.contains(".."))
        }
        "a legacy layer.tar linking out of the archive" => {
            matches!(error, Error::ArchiveLink { reason, .. } if reason.contains("outside"))
        }
        "a legacy chain deeper than Docker's" => legacy(error, "deeper than Docker's 125"),
        other => panic!("no refusal known for {other:?}"),
    }
}

#[tokio::test]
async fn hostile_legacy_archives_are_refused_and_leave_nothing_behind() {
    for hostile in hostile_legacy_archives() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.tar");
        std::fs::write(&input, &hostile.bytes).unwrap();
        let source = DockerArchiveSource::new(&docker(&input, ""));
        let target = DockerArchiveDestination::new(&docker(&dir.path().join("out.tar"), ""));
        let error = match copy_image(&source, &target, &TransferOptions::new(), Arc::new(NoProgress)).await {
            Ok(report) => panic!("{}: copied as {}", hostile.case, report.digest()),
            Err(error) => error,
        };
        assert!(refused(hostile.case, &error), "{}: {error:?}", hostile.case);
        let message = error.to_string();
        assert!(!message.contains('\n'), "{}: one line: {message}", hostile.case);
        assert!(
            message.contains("in.tar"),
            "{}: names the archive: {message}",
            hostile.case
        );
        assert_eq!(file_names(dir.path()), ["in.tar"], "{}", hostile.case);
    }
}
