//! Archives through the engine: what goes in comes out, and every hostile archive is
//! refused with its own error, leaving nothing at the destination.

use std::path::Path;
use std::sync::Arc;

use oci_digest::Digest;
use serde_json::json;
use skiff_integration::{
    file_names, gzip, hostile_archives, sha256, tar_members as members, ArchiveImage, RandomImage, TarBuilder,
};

use super::{ArchiveFormat, DockerArchiveRef, OciArchiveRef};
use crate::image::{
    copy_image, save, DockerArchiveDestination, DockerArchiveSource, ImageLocation, LayoutSource, NoProgress,
    OciArchiveDestination, OciArchiveSource, TransferOptions,
};
use crate::layout::OciLayout;
use crate::{Client, Error};

fn docker(path: &Path, image: &str) -> DockerArchiveRef {
    format!("{}{image}", path.display()).parse().unwrap()
}

fn oci(path: &Path, tag: &str) -> OciArchiveRef {
    format!("{}{tag}", path.display()).parse().unwrap()
}

#[tokio::test]
async fn a_docker_archive_goes_through_an_oci_archive_and_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let image = ArchiveImage::new("round trip", 2);
    image
        .archive(&["team/app:1.0"])
        .write_to(&dir.path().join("in.tar"));
    let options = TransferOptions::new();
    let source = DockerArchiveSource::new(&docker(&dir.path().join("in.tar"), ":team/app:1.0"));
    let middle = oci(&dir.path().join("mid.tar"), ":v1");
    let report = copy_image(
        &source,
        &OciArchiveDestination::new(&middle),
        &options,
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    let back = docker(&dir.path().join("out.tar"), ":team/app:1.0");
    let again = copy_image(
        &OciArchiveSource::new(&middle),
        &DockerArchiveDestination::new(&back),
        &options,
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    // The image read back is the image written: the same manifest, so the same digest.
    assert_eq!(again.digest(), report.digest());
    let written = members(&dir.path().join("out.tar"));
    let expected_manifest = json!([{
        "Config": image.config_name(),
        "RepoTags": ["docker.io/team/app:1.0"],
        "Layers": image.layer_names(),
    }]);
    let mut expected = vec![(image.config_name(), image.config.clone())];
    expected.extend(image.layer_names().into_iter().zip(image.layers.clone()));
    expected.push((
        "manifest.json".to_owned(),
        expected_manifest.to_string().into_bytes(),
    ));
    // Blobs in the order they moved (config and layers concurrently), manifest.json last.
    let mut sorted = written.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected);
    assert_eq!(written.last().unwrap().0, "manifest.json");
    assert_eq!(file_names(dir.path()), ["in.tar", "mid.tar", "out.tar"]);
}

#[tokio::test]
async fn gzip_layers_are_stored_uncompressed_under_their_diff_id() {
    let dir = tempfile::tempdir().unwrap();
    let image = RandomImage::build("decompressed", &[3000, 70_000]);
    let layout = OciLayout::open(image.layout_dir()).await.unwrap();
    let target = docker(&dir.path().join("out.tar"), ":app:latest");
    copy_image(
        &LayoutSource::new(&layout, None),
        &DockerArchiveDestination::new(&target),
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    let written = members(&dir.path().join("out.tar"));
    for diff_id in image.diff_ids() {
        let name = format!("{}.tar", &diff_id["sha256:".len()..]);
        let (_, content) = written
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(&sha256(content), diff_id);
    }
    // Read back, each layer's digest is its diffID.
    let source = DockerArchiveSource::new(&target);
    let manifest = crate::image::ImageSource::top_manifest(&source).await.unwrap();
    let layers: Vec<String> = manifest
        .parse()
        .unwrap()
        .layer_infos()
        .iter()
        .map(|l| l.digest().to_string())
        .collect();
    assert_eq!(layers, image.diff_ids());
}

#[tokio::test]
async fn save_stores_a_shared_layer_once_and_records_every_tag() {
    let dir = tempfile::tempdir().unwrap();
    let base = TarBuilder::new().file("base.txt", b"shared").finish();
    let top = |n: &str| TarBuilder::new().file("top.txt", n.as_bytes()).finish();
    let diff_ids = |layers: &[&Vec<u8>]| layers.iter().map(|l| sha256(l)).collect::<Vec<_>>();
    let one = ArchiveImage::with_diff_ids(vec![base.clone(), top("one")], &diff_ids(&[&base, &top("one")]));
    let two = ArchiveImage::with_diff_ids(vec![base.clone(), top("two")], &diff_ids(&[&base, &top("two")]));
    one.archive(&["one:1"]).write_to(&dir.path().join("one.tar"));
    two.archive(&["two:2"]).write_to(&dir.path().join("two.tar"));
    let images = [
        ImageLocation::DockerArchive(docker(&dir.path().join("one.tar"), ":one:1")),
        ImageLocation::DockerArchive(docker(&dir.path().join("two.tar"), ":two:2")),
        // The same image again under another name: one entry, two tags.
        ImageLocation::DockerArchive(docker(&dir.path().join("one.tar"), ":one:1")),
    ];
    let client = Client::new().unwrap();
    for format in [ArchiveFormat::Docker, ArchiveFormat::Oci] {
        let output = dir.path().join(format!("{format:?}.tar"));
        let reports = save(
            &client,
            &images,
            &output,
            format,
            &TransferOptions::new(),
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
        assert_eq!(reports.len(), 3);
        assert_eq!(reports[0].digest(), reports[2].digest());
        let written = members(&output);
        let base_copies = written.iter().filter(|(_, content)| *content == base).count();
        assert_eq!(base_copies, 1, "{format:?}: the shared layer once");
        let manifest = match format {
            ArchiveFormat::Docker => &written.iter().find(|(n, _)| n == "manifest.json").unwrap().1,
            ArchiveFormat::Oci => &written.iter().find(|(n, _)| n == "index.json").unwrap().1,
        };
        let manifest: serde_json::Value = serde_json::from_slice(manifest).unwrap();
        match format {
            ArchiveFormat::Docker => {
                assert_eq!(manifest[0]["RepoTags"], json!(["docker.io/library/one:1"]));
                assert_eq!(manifest[1]["RepoTags"], json!(["docker.io/library/two:2"]));
                assert_eq!(manifest.as_array().unwrap().len(), 2);
            }
            ArchiveFormat::Oci => {
                let names: Vec<&str> = manifest["manifests"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| {
                        m["annotations"]["org.opencontainers.image.ref.name"]
                            .as_str()
                            .unwrap()
                    })
                    .collect();
                assert_eq!(names, ["docker.io/library/one:1", "docker.io/library/two:2"]);
            }
        }
    }
}

/// The refusal each of the harness's hostile archives must meet.
fn refused(case: &str, error: &Error) -> bool {
    match case {
        "a member name with .." => {
            matches!(error, Error::UnsafeArchiveMember { member, .. } if member == "../escape")
        }
        "an absolute member name" => {
            matches!(error, Error::UnsafeArchiveMember { member, .. } if member == "/etc/cron.d/x")
        }
        "a symlink standing in for a layer, out of the archive" => {
            matches!(error, Error::ArchiveLink { target, .. } if target == "../../../etc/passwd")
        }
        "an absolute symlink standing in for a layer" => matches!(error, Error::ArchiveLink { .. }),
        "a hard link standing in for a layer, to nothing" => {
            matches!(error, Error::ArchiveLink { reason, .. } if reason.contains("not in the archive"))
        }
        "a symlink to a symlink" => {
            matches!(error, Error::ArchiveLink { reason, .. } if reason.contains("link itself"))
        }
        "a truncated tar" => matches!(error, Error::TruncatedArchive { .. }),
        "a tar cut inside a header" => {
            matches!(error, Error::DamagedArchive { reason, .. } if reason.contains("truncated"))
        }
        "a manifest naming a missing member" => {
            matches!(error, Error::MissingArchiveMember { member, .. } if member == "nowhere.tar")
        }
        "a layer that is not the config's diffID" => matches!(error, Error::DiffIdMismatch { .. }),
        "a member named twice" => {
            matches!(error, Error::UnsafeArchiveMember { reason, .. } if reason.contains("two members"))
        }
        "a file that is not a tar" | "an empty file" => matches!(error, Error::NotATar { .. }),
        "a gzipped tar" => matches!(
            error,
            Error::CompressedArchive {
                compression: "gzip",
                ..
            }
        ),
        other => panic!("no refusal known for {other:?}"),
    }
}

#[tokio::test]
async fn hostile_archives_are_refused_and_leave_nothing_behind() {
    for hostile in hostile_archives() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.tar");
        std::fs::write(&input, &hostile.bytes).unwrap();
        let source = DockerArchiveSource::new(&docker(&input, ""));
        for destination in ["docker", "oci"] {
            let output = dir.path().join("out.tar");
            let result = match destination {
                "docker" => {
                    let target = DockerArchiveDestination::new(&docker(&output, ""));
                    copy_image(&source, &target, &TransferOptions::new(), Arc::new(NoProgress)).await
                }
                _ => {
                    let target = OciArchiveDestination::new(&oci(&output, ""));
                    copy_image(&source, &target, &TransferOptions::new(), Arc::new(NoProgress)).await
                }
            };
            let error = match result {
                Ok(report) => panic!("{}: copied as {}", hostile.case, report.digest()),
                Err(error) => error,
            };
            assert!(refused(hostile.case, &error), "{}: {error:?}", hostile.case);
            let message = error.to_string();
            assert!(!message.contains('\n'), "{}: one line: {message}", hostile.case);
            assert_eq!(
                file_names(dir.path()),
                ["in.tar"],
                "{}: nothing at the destination",
                hostile.case
            );
        }
    }
}

#[tokio::test]
async fn links_inside_the_archive_are_followed_as_docker_save_writes_them() {
    // Docker before 25 writes a layer shared by two images once, and a symlink to it.
    let dir = tempfile::tempdir().unwrap();
    let image = ArchiveImage::new("linked", 1);
    let stored = format!("{}/layer.tar", "a".repeat(64));
    let linked = format!("{}/layer.tar", "b".repeat(64));
    let manifest = json!([image.manifest_item(&image.config_name(), std::slice::from_ref(&linked), &[])]);
    TarBuilder::new()
        .dir(&format!("{}/", "a".repeat(64)))
        .file(&stored, &image.layers[0])
        .dir(&format!("{}/", "b".repeat(64)))
        .symlink(&linked, &format!("../{stored}"))
        .file(&image.config_name(), &image.config)
        .file("manifest.json", manifest.to_string().as_bytes())
        .write_to(&dir.path().join("in.tar"));
    let source = DockerArchiveSource::new(&docker(&dir.path().join("in.tar"), ""));
    let output = oci(&dir.path().join("out.tar"), "");
    copy_image(
        &source,
        &OciArchiveDestination::new(&output),
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    let layer_digest = Digest::sha256(&image.layers[0]);
    let written = members(&dir.path().join("out.tar"));
    let name = format!("blobs/sha256/{}", layer_digest.encoded());
    assert!(written
        .iter()
        .any(|(n, content)| *n == name && *content == image.layers[0]));
}

#[tokio::test]
async fn a_gzip_layer_whose_diff_id_the_config_denies_is_refused_on_the_way_in() {
    // An OCI archive (as an attacker would make it) with a gzip layer and a config that
    // names another diffID: a docker-archive stores layers uncompressed, so it checks.
    let dir = tempfile::tempdir().unwrap();
    let layer = TarBuilder::new().file("a.txt", b"content").finish();
    let compressed = gzip(&layer);
    let image = ArchiveImage::with_diff_ids(vec![layer], &[sha256(b"not the layer")]);
    let blob = |bytes: &[u8]| (format!("blobs/sha256/{}", &sha256(bytes)[7..]), bytes.to_vec());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&image.config), "size": image.config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(&compressed), "size": compressed.len()}],
    })
    .to_string()
    .into_bytes();
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256(&manifest), "size": manifest.len()}]});
    let mut builder = TarBuilder::new().file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    for (name, content) in [blob(&image.config), blob(&compressed), blob(&manifest)] {
        builder = builder.file(&name, &content);
    }
    builder
        .file("index.json", index.to_string().as_bytes())
        .write_to(&dir.path().join("in.tar"));
    let source = OciArchiveSource::new(&oci(&dir.path().join("in.tar"), ""));
    let target = DockerArchiveDestination::new(&docker(&dir.path().join("out.tar"), ""));
    let error = copy_image(&source, &target, &TransferOptions::new(), Arc::new(NoProgress))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::DiffIdMismatch { .. }), "{error:?}");
    assert_eq!(file_names(dir.path()), ["in.tar"]);
}

/// An OCI archive of one image (a config and one plain layer), its members given by
/// `blobs` (name, content) so a test can replace any of them, and `extra` members after.
fn oci_archive(edit: impl FnOnce(&mut Vec<(String, Vec<u8>)>), extra: TarBuilder) -> Vec<u8> {
    let image = ArchiveImage::new("oci hostile", 1);
    let layer = image.layers[0].clone();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&image.config), "size": image.config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256(&layer), "size": layer.len()}],
    })
    .to_string()
    .into_bytes();
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256(&manifest), "size": manifest.len()}]});
    let blob = |bytes: &[u8]| (format!("blobs/sha256/{}", &sha256(bytes)[7..]), bytes.to_vec());
    let mut members = vec![
        (
            "oci-layout".to_owned(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        blob(&image.config),
        blob(&layer),
        blob(&manifest),
        ("index.json".to_owned(), index.to_string().into_bytes()),
    ];
    edit(&mut members);
    let mut builder = TarBuilder::new();
    for (name, content) in &members {
        builder = builder.file(name, content);
    }
    let mut bytes = builder.finish();
    // The extra members go before the end blocks.
    bytes.truncate(bytes.len() - 1024);
    let mut extra = extra.finish();
    bytes.append(&mut extra);
    bytes
}

/// Whether an error is the refusal a hostile archive must meet.
type Refusal = fn(&Error) -> bool;

#[tokio::test]
async fn hostile_oci_archives_are_refused_and_leave_nothing_behind() {
    let is_layer = |name: &str| {
        let image = ArchiveImage::new("oci hostile", 1);
        name.ends_with(&sha256(&image.layers[0])[7..])
    };
    let cases: Vec<(&str, Vec<u8>, Refusal)> = vec![
        (
            "a member name with ..",
            oci_archive(|_| {}, TarBuilder::new().file("blobs/../../escape", b"x")),
            |e| matches!(e, Error::UnsafeArchiveMember { .. }),
        ),
        (
            "an absolute member name",
            oci_archive(|_| {}, TarBuilder::new().file("/etc/cron.d/x", b"x")),
            |e| matches!(e, Error::UnsafeArchiveMember { .. }),
        ),
        (
            "a blob that is a symlink out of the archive",
            oci_archive(
                |members| members.retain(|(name, _)| !is_layer(name)),
                TarBuilder::new().symlink(
                    &format!(
                        "blobs/sha256/{}",
                        &sha256(&ArchiveImage::new("oci hostile", 1).layers[0])[7..]
                    ),
                    "../../../etc/passwd",
                ),
            ),
            |e| matches!(e, Error::ArchiveLink { .. }),
        ),
        (
            "a blob whose content is not its digest",
            oci_archive(
                |members| {
                    for (name, content) in members.iter_mut() {
                        if is_layer(name) {
                            content[600] ^= 1;
                        }
                    }
                },
                TarBuilder::new(),
            ),
            |e| e.is_digest_mismatch(),
        ),
        (
            "an index naming a manifest that is not there",
            oci_archive(
                |members| members.retain(|(name, _)| !name.starts_with("blobs/") || is_layer(name)),
                TarBuilder::new(),
            ),
            |e| matches!(e, Error::MissingArchiveMember { .. } | Error::BlobNotFound { .. }),
        ),
        (
            "no index.json",
            oci_archive(
                |members| members.retain(|(name, _)| name != "index.json"),
                TarBuilder::new(),
            ),
            |e| matches!(e, Error::MissingArchiveMember { member, .. } if member == "index.json"),
        ),
        (
            "a truncated tar",
            {
                let whole = oci_archive(|_| {}, TarBuilder::new());
                // oci-layout and the config take two blocks each: cut inside the layer.
                whole[..2700].to_vec()
            },
            |e| matches!(e, Error::TruncatedArchive { .. }),
        ),
    ];
    for (case, bytes, refused) in cases {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.tar");
        std::fs::write(&input, &bytes).unwrap();
        let source = OciArchiveSource::new(&oci(&input, ""));
        let target = OciArchiveDestination::new(&oci(&dir.path().join("out.tar"), ""));
        let error = match copy_image(&source, &target, &TransferOptions::new(), Arc::new(NoProgress)).await {
            Ok(report) => panic!("{case}: copied as {}", report.digest()),
            Err(error) => error,
        };
        assert!(refused(&error), "{case}: {error:?}");
        assert!(!error.to_string().contains('\n'), "{case}: one line: {error}");
        // A failed archive is abandoned: its temp file goes with its writer.
        drop(target);
        assert_eq!(
            file_names(dir.path()),
            ["in.tar"],
            "{case}: nothing at the destination"
        );
    }
}
