//! The OCI image layout on disk: creation, verified blob writes and reads,
//! tags in `index.json`, atomic updates, path safety, and interoperability
//! with skopeo's `oci:` transport.

use std::path::Path;

use oci_digest::Digest;
use oci_manifest::{Descriptor, MediaType};
use registry_client::layout::{ref_name, LayoutTag, OciLayout};
use registry_client::Error;
use tokio::io::AsyncReadExt;

use crate::image_fixtures;

/// Every file name under `blobs/ALG`, sorted.
fn blob_files(root: &Path, algorithm: &str) -> Vec<String> {
    let dir = root.join("blobs").join(algorithm);
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// Every file name directly in the layout root, sorted.
fn root_files(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .expect("layout root")
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Temp files anywhere a writer may leave one: the root and `blobs/*/`.
fn temp_files(root: &Path) -> Vec<String> {
    let mut names = root_files(root);
    if let Ok(algorithms) = std::fs::read_dir(root.join("blobs")) {
        for algorithm in algorithms {
            let algorithm = algorithm.expect("dir entry").file_name();
            names.extend(blob_files(root, &algorithm.to_string_lossy()));
        }
    }
    names.retain(|name| name.starts_with(".tmp-"));
    names
}

fn tag(text: &str) -> LayoutTag {
    text.parse().expect("valid tag")
}

fn manifest_descriptor(content: &[u8]) -> Descriptor {
    Descriptor::new(
        MediaType::OciManifest,
        Digest::sha256(content),
        content.len() as u64,
    )
}

#[tokio::test]
async fn create_writes_the_marker_and_an_empty_index() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("nested/layout");
    let layout = OciLayout::create(&root).await.unwrap();
    assert_eq!(layout.root(), root);
    let marker: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("oci-layout")).unwrap()).unwrap();
    assert_eq!(marker, serde_json::json!({"imageLayoutVersion": "1.0.0"}));
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["schemaVersion"], 2);
    assert_eq!(index["manifests"], serde_json::json!([]));
    assert!(root.join("blobs").is_dir());
    assert_eq!(root_files(&root), ["blobs", "index.json", "oci-layout"]);
}

#[tokio::test]
async fn create_on_an_existing_layout_keeps_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    layout.write_blob(&Digest::sha256(b"m"), b"m").await.unwrap();
    layout
        .set_tag(&tag("keep"), manifest_descriptor(b"m"))
        .await
        .unwrap();
    let again = OciLayout::create(dir.path()).await.unwrap();
    assert_eq!(again.index().await.unwrap().manifests().len(), 1);
}

#[tokio::test]
async fn open_refuses_what_is_not_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    let err = OciLayout::open(dir.path()).await.unwrap_err();
    assert!(matches!(err, Error::NotALayout { .. }), "{err}");
    assert!(err.to_string().contains("no `oci-layout` file"), "{err}");

    std::fs::write(dir.path().join("oci-layout"), r#"{"imageLayoutVersion":"2.0.0"}"#).unwrap();
    std::fs::write(
        dir.path().join("index.json"),
        r#"{"schemaVersion":2,"manifests":[]}"#,
    )
    .unwrap();
    let err = OciLayout::open(dir.path()).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedLayoutVersion { version, .. } if version == "2.0.0"),
        "{err}"
    );
    let err = OciLayout::create(dir.path()).await.unwrap_err();
    assert!(matches!(err, Error::UnsupportedLayoutVersion { .. }), "{err}");

    std::fs::write(dir.path().join("oci-layout"), "not json").unwrap();
    let err = OciLayout::open(dir.path()).await.unwrap_err();
    assert!(matches!(err, Error::MalformedFile { .. }), "{err}");

    std::fs::write(dir.path().join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(dir.path().join("index.json"), r#"{"manifests": 3}"#).unwrap();
    let err = OciLayout::open(dir.path()).await.unwrap_err();
    assert!(matches!(err, Error::MalformedFile { .. }), "{err}");
}

#[tokio::test]
async fn blobs_are_written_verified_and_skipped_when_present() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let content = b"hello layout";
    let digest = Digest::sha256(content);
    assert!(!layout.has_blob(&digest).await.unwrap());
    layout.write_blob(&digest, content).await.unwrap();
    assert!(layout.has_blob(&digest).await.unwrap());
    assert_eq!(
        layout.blob_path(&digest),
        dir.path().join("blobs/sha256").join(digest.encoded())
    );
    assert_eq!(std::fs::read(layout.blob_path(&digest)).unwrap(), content);
    // A second write of present content is a no-op.
    layout.write_blob(&digest, content).await.unwrap();
    assert_eq!(blob_files(dir.path(), "sha256"), [digest.encoded()]);
}

#[tokio::test]
async fn sha512_blobs_get_their_own_directory() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let digest = Digest::compute(oci_digest::Algorithm::Sha512, b"x").unwrap();
    layout.write_blob(&digest, b"x").await.unwrap();
    assert_eq!(blob_files(dir.path(), "sha512"), [digest.encoded()]);
    assert_eq!(layout.read_blob(&digest, 10).await.unwrap(), b"x");
}

#[tokio::test]
async fn a_digest_mismatch_is_refused_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let claimed = Digest::sha256(b"what the manifest promised");
    let same_length = b"what the manifest PROMISED";
    let err = layout.write_blob(&claimed, same_length).await.unwrap_err();
    match err.digest_mismatch() {
        Some(mismatch) => {
            assert_eq!(mismatch.expected(), &claimed);
            assert_eq!(mismatch.actual(), &Digest::sha256(same_length));
        }
        None => panic!("expected a digest mismatch, got {err}"),
    }
    assert!(err.to_string().contains(claimed.as_str()), "{err}");
    assert!(blob_files(dir.path(), "sha256").is_empty());
    assert!(temp_files(dir.path()).is_empty());

    // Streaming without a known size: caught at the end, nothing kept.
    let err = layout
        .write_blob_from(&claimed, None, &b"tampered in flight"[..])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch(_)), "{err}");
    assert!(blob_files(dir.path(), "sha256").is_empty());
    assert!(temp_files(dir.path()).is_empty());
    assert!(!layout.has_blob(&claimed).await.unwrap());
}

#[tokio::test]
async fn oversized_content_is_refused_as_soon_as_it_overflows() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let digest = Digest::sha256(b"abc");
    let mut writer = layout.blob_writer(&digest, Some(3)).await.unwrap();
    writer.write(b"ab").await.unwrap();
    let err = writer.write(b"cd").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::SourceSize {
                expected: 3,
                actual: 4,
                ..
            }
        ),
        "{err}"
    );
    drop(writer);
    assert!(blob_files(dir.path(), "sha256").is_empty());
    assert!(temp_files(dir.path()).is_empty());
}

#[tokio::test]
async fn a_dropped_writer_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let digest = Digest::sha256(b"never finished");
    let mut writer = layout.blob_writer(&digest, None).await.unwrap();
    writer.write(b"never").await.unwrap();
    assert_eq!(writer.bytes_written(), 5);
    // The unfinished blob is in the root, not under blobs/.
    let temps = temp_files(dir.path());
    assert_eq!(temps.len(), 1, "{temps:?}");
    assert!(root_files(dir.path()).contains(&temps[0]), "{temps:?}");
    assert!(blob_files(dir.path(), "sha256").is_empty());
    drop(writer);
    assert!(temp_files(dir.path()).is_empty());
    assert!(blob_files(dir.path(), "sha256").is_empty());
}

#[tokio::test]
async fn a_cancelled_write_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let digest = Digest::sha256(b"cancelled");
    // A source that yields a little and then never ends, like a stalled download.
    let (mut feed, source) = tokio::io::duplex(64);
    // Boxed so that dropping it below really drops the future, as a
    // cancelled task or a Ctrl-C would.
    let mut write = Box::pin(layout.write_blob_from(&digest, None, source));
    let temp_seen = tokio::select! {
        _ = &mut write => panic!("the write cannot finish"),
        seen = async {
            use tokio::io::AsyncWriteExt;
            feed.write_all(b"cance").await.unwrap();
            // Let the writer create its temp file and take the bytes.
            for _ in 0..2000 {
                if !temp_files(dir.path()).is_empty() {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            false
        } => seen,
    };
    assert!(temp_seen, "the writer never started");
    drop(write);
    drop(feed);
    assert!(temp_files(dir.path()).is_empty());
    assert!(blob_files(dir.path(), "sha256").is_empty());
}

#[tokio::test]
async fn large_blobs_stream_through() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let content: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let digest = Digest::sha256(&content);
    let size = layout
        .write_blob_from(&digest, Some(content.len() as u64), &content[..])
        .await
        .unwrap();
    assert_eq!(size, content.len() as u64);

    let mut reader = layout.open_blob(&digest).await.unwrap();
    assert_eq!(reader.len(), content.len() as u64);
    let mut back = Vec::new();
    reader.read_to_end(&mut back).await.unwrap();
    assert!(reader.is_verified());
    assert_eq!(back, content);
}

#[tokio::test]
async fn reads_are_verified_too() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let digest = Digest::sha256(b"original");
    layout.write_blob(&digest, b"original").await.unwrap();
    std::fs::write(layout.blob_path(&digest), b"tampered").unwrap();

    let mut reader = layout.open_blob(&digest).await.unwrap();
    let err = reader.read_to_end(&mut Vec::new()).await.unwrap_err();
    assert!(oci_digest::mismatch(&err).is_some(), "{err}");
    assert!(!reader.is_verified());

    let err = layout.read_blob(&digest, 100).await.unwrap_err();
    assert!(matches!(err, Error::DigestMismatch(_)), "{err}");
}

#[tokio::test]
async fn missing_and_oversized_blobs_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let missing = Digest::sha256(b"missing");
    let err = layout.open_blob(&missing).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(matches!(err, Error::BlobNotFound { .. }), "{err}");

    // Content under an algorithm nobody can compute cannot be verified, so
    // it is neither written nor read.
    let unknown: Digest = "b3:abcdef".parse().unwrap();
    let err = layout.write_blob(&unknown, b"x").await.unwrap_err();
    assert!(matches!(err, Error::UnsupportedDigest { .. }), "{err}");
    assert!(!dir.path().join("blobs/b3").join("abcdef").exists());
    let err = layout.open_blob(&unknown).await.unwrap_err();
    assert!(matches!(err, Error::UnsupportedDigest { .. }), "{err}");

    let big = vec![b'x'; 100];
    let digest = Digest::sha256(&big);
    layout.write_blob(&digest, &big).await.unwrap();
    let err = layout.read_blob(&digest, 99).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::BlobTooLarge {
                size: 100,
                limit: 99,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn tags_name_index_entries() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    for content in [&b"one"[..], b"two"] {
        layout
            .write_blob(&Digest::sha256(content), content)
            .await
            .unwrap();
    }
    layout
        .set_tag(&tag("v1"), manifest_descriptor(b"one"))
        .await
        .unwrap();
    layout
        .set_tag(&tag("latest"), manifest_descriptor(b"one"))
        .await
        .unwrap();
    // Re-tagging replaces the entry instead of adding a second one.
    layout
        .set_tag(&tag("v1"), manifest_descriptor(b"two"))
        .await
        .unwrap();

    let index = layout.index().await.unwrap();
    let entries: Vec<(Option<&str>, &Digest)> = index
        .manifests()
        .iter()
        .map(|d| (ref_name(d), d.digest()))
        .collect();
    assert_eq!(
        entries,
        [
            (Some("v1"), &Digest::sha256(b"two")),
            (Some("latest"), &Digest::sha256(b"one"))
        ]
    );

    let (descriptor, bytes) = layout.manifest(Some(&tag("v1"))).await.unwrap();
    assert_eq!(bytes, b"two");
    assert_eq!(descriptor.media_type(), &MediaType::OciManifest);

    let err = layout.manifest(Some(&tag("nope"))).await.unwrap_err();
    assert!(
        matches!(&err, Error::TagNotFound { tag, .. } if tag == "nope"),
        "{err}"
    );
    let err = layout.resolve(None).await.unwrap_err();
    assert!(matches!(err, Error::AmbiguousImage { count: 2, .. }), "{err}");

    assert!(layout.remove_tag(&tag("latest")).await.unwrap());
    assert!(!layout.remove_tag(&tag("latest")).await.unwrap());
    let (only, _) = layout.manifest(None).await.unwrap();
    assert_eq!(ref_name(&only), Some("v1"));

    layout.add_untagged(manifest_descriptor(b"one")).await.unwrap();
    layout.add_untagged(manifest_descriptor(b"one")).await.unwrap();
    assert_eq!(layout.index().await.unwrap().manifests().len(), 2);
}

#[tokio::test]
async fn manifests_are_found_by_digest_listed_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let image = image_fixtures::index("by-digest", &["linux/amd64", "linux/arm64"]);
    image_fixtures::write(&layout, &image, "idx").await;

    // The index is listed in index.json: its entry comes back, tag and all.
    let (entry, bytes) = layout.manifest_by_digest(image.digest()).await.unwrap();
    assert_eq!(ref_name(&entry), Some("idx"));
    assert_eq!(bytes, image.manifest.content);

    // A platform manifest is only a blob: its type is read from its bytes.
    let child = &image.children[1];
    let (entry, bytes) = layout.manifest_by_digest(child.digest()).await.unwrap();
    assert_eq!(entry.media_type(), &MediaType::OciManifest);
    assert_eq!(entry.size(), child.manifest.content.len() as u64);
    assert_eq!(bytes, child.manifest.content);

    // A layer is not a manifest.
    let layer = &child.blobs[2].digest;
    let err = layout.manifest_by_digest(layer).await.unwrap_err();
    assert!(matches!(err, Error::NotAManifest { .. }), "{err}");
}

#[tokio::test]
async fn a_manifest_whose_size_disagrees_with_its_entry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    layout.write_blob(&Digest::sha256(b"abc"), b"abc").await.unwrap();
    let lying = Descriptor::new(MediaType::OciManifest, Digest::sha256(b"abc"), 4);
    layout.set_tag(&tag("t"), lying).await.unwrap();
    let err = layout.manifest(Some(&tag("t"))).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::SourceSize {
                expected: 4,
                actual: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn concurrent_index_updates_lose_nothing_and_leave_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..24 {
        let layout = layout.clone();
        tasks.spawn(async move {
            let content = format!("manifest {i}");
            layout
                .set_tag(&tag(&format!("t{i}")), manifest_descriptor(content.as_bytes()))
                .await
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    let index = layout.index().await.unwrap();
    assert_eq!(index.manifests().len(), 24);
    for i in 0..24 {
        let found = index.find_tag(&tag(&format!("t{i}"))).expect("tag present");
        assert_eq!(
            found.digest(),
            &Digest::sha256(format!("manifest {i}").as_bytes())
        );
    }
    assert_eq!(root_files(dir.path()), ["blobs", "index.json", "oci-layout"]);
}

#[tokio::test]
async fn index_updates_keep_what_other_tools_wrote() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let digest = Digest::sha256(b"x");
    std::fs::write(
        dir.path().join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{digest}","size":1,"platform":{{"architecture":"arm64","os":"linux"}},"annotations":{{"org.opencontainers.image.ref.name":"old","com.example.note":"kept"}}}}],"annotations":{{"com.example.index":"kept too"}}}}"#
        ),
    )
    .unwrap();
    let layout = OciLayout::open(dir.path()).await.unwrap();
    layout
        .set_tag(&tag("new"), manifest_descriptor(b"y"))
        .await
        .unwrap();
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
    assert_eq!(written["annotations"]["com.example.index"], "kept too");
    let old = &written["manifests"][0];
    assert_eq!(old["platform"]["architecture"], "arm64");
    assert_eq!(old["annotations"]["com.example.note"], "kept");
    assert_eq!(written["manifests"][1]["annotations"][REF], "new");
}

const REF: &str = registry_client::layout::REF_NAME_ANNOTATION;

#[tokio::test]
async fn nothing_escapes_the_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("layout");
    let layout = OciLayout::create(&root).await.unwrap();

    // Tags that look like paths are refused before they reach index.json.
    for bad in ["../../etc/passwd", "/abs", "a/../b", ".", "..", "a\\b"] {
        let err = bad.parse::<LayoutTag>().unwrap_err();
        assert!(matches!(err, Error::InvalidLayoutTag { .. }), "{bad}: {err}");
    }
    // Digests that look like paths never parse, so never become blob paths.
    for bad in [
        "sha256:../../x",
        "../sha256:abc",
        "sha256/../x:abc",
        "x:..",
        "x:a/b",
    ] {
        assert!(bad.parse::<Digest>().is_err(), "{bad}");
    }
    // A hostile index.json naming such a digest is refused as malformed.
    std::fs::write(
        root.join("index.json"),
        r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../../../etc/passwd","size":1}]}"#,
    )
    .unwrap();
    let err = OciLayout::open(&root).await.unwrap_err();
    assert!(matches!(err, Error::MalformedFile { .. }), "{err}");

    // Every well-formed digest, of any algorithm, maps inside blobs/.
    for digest in [
        Digest::sha256(b"a").to_string(),
        "sha512:".to_owned() + &"ab".repeat(64),
        "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8".to_owned(),
        "b3:-_=AZaz09".to_owned(),
    ]
    .map(|d| d.parse::<Digest>().unwrap())
    {
        let path = layout.blob_path(&digest);
        assert!(path.starts_with(root.join("blobs")), "{}", path.display());
        assert_eq!(
            path.components().count(),
            root.join("blobs/x/y").components().count()
        );
    }
}

#[tokio::test]
async fn stale_temp_files_of_a_killed_writer_can_be_swept() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let digest = Digest::sha256(b"kept");
    layout.write_blob(&digest, b"kept").await.unwrap();
    // What killed processes leave: temp files nobody will drop, in the root
    // and (from earlier versions) beside the blobs.
    std::fs::write(dir.path().join(".tmp-999999-0-abcdef"), b"partial").unwrap();
    std::fs::write(dir.path().join("blobs/sha256/.tmp-999999-1-abcdef"), b"partial").unwrap();
    assert_eq!(layout.remove_stale_temp_files().await.unwrap(), 2);
    assert!(temp_files(dir.path()).is_empty());
    assert_eq!(blob_files(dir.path(), "sha256"), [digest.encoded()]);
}

#[tokio::test]
async fn only_temp_files_of_exited_writers_count_as_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    // A writer of this process is at work...
    let digest = Digest::sha256(b"in progress");
    let mut writer = layout.blob_writer(&digest, None).await.unwrap();
    writer.write(b"in ").await.unwrap();
    // ...and one of a process that has exited left its file.
    let exited = std::process::Command::new("true").spawn().unwrap();
    let exited_pid = exited.id();
    let mut exited = exited;
    exited.wait().unwrap();
    let orphan = format!(".tmp-{exited_pid}-0-abcdef");
    std::fs::write(dir.path().join(&orphan), b"partial").unwrap();
    assert_eq!(layout.remove_orphaned_temp_files().await.unwrap(), 1);
    let left = temp_files(dir.path());
    assert_eq!(left.len(), 1, "{left:?}");
    assert_ne!(left[0], orphan);
    writer.write(b"progress").await.unwrap();
    writer.commit().await.unwrap();
    assert!(temp_files(dir.path()).is_empty());
    assert!(layout.has_blob(&digest).await.unwrap());
}

#[tokio::test]
async fn skopeo_reads_our_layout_and_we_read_what_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours");
    let layout = OciLayout::create(&ours).await.unwrap();
    let image = image_fixtures::single("layout-interop", "linux", "arm64", 20_000);
    image_fixtures::write(&layout, &image, "v1").await;

    let inspect = image_fixtures::run(
        "skopeo",
        &["inspect", "--raw", &format!("oci:{}:v1", ours.display())],
    );
    assert_eq!(inspect.as_bytes(), &image.manifest.content[..]);
    let summary = image_fixtures::run("skopeo", &["inspect", &format!("oci:{}:v1", ours.display())]);
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["Architecture"], "arm64");
    assert_eq!(summary["Digest"], image.digest().as_str());

    // skopeo copies our layout into its own; we read that one back exactly.
    let theirs = dir.path().join("theirs");
    image_fixtures::run(
        "skopeo",
        &[
            "copy",
            "--insecure-policy",
            &format!("oci:{}:v1", ours.display()),
            &format!("oci:{}:copied", theirs.display()),
        ],
    );
    let copied = OciLayout::open(&theirs).await.unwrap();
    let (descriptor, bytes) = copied.manifest(Some(&tag("copied"))).await.unwrap();
    assert_eq!(descriptor.digest(), image.digest());
    assert_eq!(bytes, image.manifest.content);
    for blob in image.all_blobs() {
        assert_eq!(
            copied.read_blob(&blob.digest, 1 << 20).await.unwrap(),
            blob.content
        );
    }
}
