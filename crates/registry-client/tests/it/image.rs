//! Image operations against a real `docker-registry`, with skopeo as the
//! peer: pull what skopeo pushed (byte-exact), push what skopeo then reads,
//! copy lists with every platform, mount within a registry, and make no blob
//! transfers when the destination has everything.

use std::path::Path;
use std::sync::{Arc, Mutex};

use oci_digest::Digest;
use oci_manifest::{MediaType, Platform, Reference};
use registry_client::image::{self, BlobOutcome, ImageLocation, NoProgress, Progress, TransferOptions};
use registry_client::layout::{LayoutTag, OciLayout};
use registry_client::{Client, Error, RepositoryRef, RequestCounts};
use skiff_integration::Registry;

use crate::image_fixtures::{self, run, TestImage};

fn client() -> Client {
    Client::new().expect("client with default settings")
}

fn reference(registry: &Registry, name: &str) -> Reference {
    format!("{}/{name}", registry.addr())
        .parse()
        .expect("valid reference")
}

fn tag(text: &str) -> LayoutTag {
    text.parse().expect("valid tag")
}

/// A copy with the default options and no progress report.
async fn copy_plain(
    client: &Client,
    source: &ImageLocation,
    destination: &ImageLocation,
) -> Result<image::TransferReport, Error> {
    image::copy(
        client,
        source,
        destination,
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
}

/// Builds `image` into a fresh layout under `dir` and has skopeo push it.
async fn skopeo_push(dir: &Path, image: &TestImage, registry: &Registry, name: &str) {
    let layout = OciLayout::create(dir).await.unwrap();
    image_fixtures::write(&layout, image, "src").await;
    run(
        "skopeo",
        &[
            "copy",
            "--all",
            "--insecure-policy",
            "--dest-tls-verify=false",
            &format!("oci:{}:src", dir.display()),
            &format!("docker://{}/{name}", registry.addr()),
        ],
    );
}

/// The manifest skopeo reads for `name` (`REPO:TAG` or `REPO@DIGEST`).
fn skopeo_raw(registry: &Registry, name: &str) -> Vec<u8> {
    run(
        "skopeo",
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{}/{name}", registry.addr()),
        ],
    )
    .into_bytes()
}

/// Asserts that `layout` holds every blob of `image` byte for byte.
fn assert_layout_holds(root: &Path, image: &TestImage) {
    let mut blobs = image.all_blobs();
    blobs.push(&image.manifest);
    for blob in blobs {
        let path = root.join("blobs/sha256").join(blob.digest.encoded());
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(on_disk == blob.content, "{} differs", blob.digest);
    }
    let leftovers: Vec<_> = std::fs::read_dir(root.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

/// Records every progress call, to check the reports an operation makes.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<(Digest, &'static str, u64)>>,
}

impl Progress for Recorder {
    fn blob_started(&self, digest: &Digest, size: Option<u64>) {
        let size = size.unwrap_or(0);
        self.events.lock().unwrap().push((digest.clone(), "start", size));
    }

    fn blob_progress(&self, digest: &Digest, bytes: u64) {
        self.events
            .lock()
            .unwrap()
            .push((digest.clone(), "progress", bytes));
    }

    fn blob_done(&self, digest: &Digest, outcome: BlobOutcome) {
        let kind = match outcome {
            BlobOutcome::Transferred => "transferred",
            BlobOutcome::AlreadyPresent => "present",
            BlobOutcome::Mounted => "mounted",
            _ => "other",
        };
        self.events.lock().unwrap().push((digest.clone(), kind, 0));
    }
}

impl Recorder {
    fn bytes_for(&self, digest: &Digest) -> u64 {
        let events = self.events.lock().unwrap();
        events
            .iter()
            .filter(|(d, kind, _)| d == digest && *kind == "progress")
            .map(|(_, _, n)| n)
            .sum()
    }

    fn count(&self, wanted: &str) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, k, _)| *k == wanted)
            .count()
    }
}

#[tokio::test]
async fn pull_of_what_skopeo_pushed_is_byte_exact() {
    let registry = Registry::anonymous();
    let work = tempfile::tempdir().unwrap();
    let image = image_fixtures::single("pull", "linux", "amd64", 300_000);
    skopeo_push(&work.path().join("src"), &image, &registry, "team/app:v1").await;

    let dest = work.path().join("pulled");
    let layout = OciLayout::create(&dest).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let report = image::pull(
        &client(),
        &reference(&registry, "team/app:v1"),
        &layout,
        Some(&tag("v1")),
        &TransferOptions::new().jobs(2),
        recorder.clone(),
    )
    .await
    .unwrap_or_else(|e| panic!("pull failed: {e}\nregistry log:\n{}", registry.log()));

    assert_eq!(report.digest(), image.digest());
    assert_eq!(report.manifest().bytes().as_ref(), &image.manifest.content[..]);
    assert_eq!(report.blobs_transferred(), 3);
    assert_layout_holds(&dest, &image);
    for blob in &image.blobs {
        assert_eq!(recorder.bytes_for(&blob.digest), blob.content.len() as u64);
    }
    assert_eq!(recorder.count("transferred"), 3);

    // skopeo reads the layout we wrote.
    let raw = run(
        "skopeo",
        &["inspect", "--raw", &format!("oci:{}:v1", dest.display())],
    );
    assert_eq!(raw.as_bytes(), &image.manifest.content[..]);

    // Pulling again into the same layout transfers nothing.
    let again = image::pull(
        &client(),
        &reference(&registry, "team/app:v1"),
        &layout,
        Some(&tag("v1")),
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    assert_eq!((again.blobs_transferred(), again.blobs_present()), (0, 3));
    assert_eq!(layout.index().await.unwrap().manifests().len(), 1);
}

#[tokio::test]
async fn pull_of_an_index_takes_every_platform_or_the_one_asked_for() {
    let registry = Registry::anonymous();
    let work = tempfile::tempdir().unwrap();
    let image = image_fixtures::index("multi", &["linux/amd64", "linux/arm64/v8"]);
    skopeo_push(&work.path().join("src"), &image, &registry, "multi:1").await;

    let all = work.path().join("all");
    let layout = OciLayout::create(&all).await.unwrap();
    let report = image::pull(
        &client(),
        &reference(&registry, "multi:1"),
        &layout,
        Some(&tag("1")),
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    assert_eq!(report.digest(), image.digest());
    assert_eq!(report.manifests_written(), 3);
    // One shared base layer: 2 configs + 1 base + 2 top layers.
    assert_eq!(report.blobs_transferred(), 5);
    assert_layout_holds(&all, &image);
    let (entry, bytes) = layout.manifest(Some(&tag("1"))).await.unwrap();
    assert_eq!(entry.media_type(), &MediaType::OciIndex);
    assert_eq!(bytes, image.manifest.content);

    let one = work.path().join("one");
    let layout = OciLayout::create(&one).await.unwrap();
    let report = image::pull(
        &client(),
        &reference(&registry, "multi:1"),
        &layout,
        Some(&tag("arm")),
        &TransferOptions::new().platform("linux/arm64".parse().unwrap()),
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    let arm = &image.children[1];
    assert_eq!(report.digest(), arm.digest());
    assert_layout_holds(&one, arm);
    let (entry, _) = layout.manifest(Some(&tag("arm"))).await.unwrap();
    assert_eq!(
        entry.platform().map(ToString::to_string).as_deref(),
        Some("linux/arm64/v8")
    );
    assert!(!layout.has_blob(image.digest()).await.unwrap());

    let err = image::pull(
        &client(),
        &reference(&registry, "multi:1"),
        &layout,
        None,
        &TransferOptions::new().platform("linux/s390x".parse().unwrap()),
        Arc::new(NoProgress),
    )
    .await
    .unwrap_err();
    match &err {
        Error::NoMatchingPlatform { available, .. } => {
            assert_eq!(available, &["linux/amd64", "linux/arm64/v8"]);
        }
        other => panic!("expected no matching platform, got {other}"),
    }
    assert!(err.to_string().contains("linux/s390x"), "{err}");
}

#[tokio::test]
async fn push_of_a_layout_is_read_back_by_skopeo() {
    let registry = Registry::anonymous();
    let work = tempfile::tempdir().unwrap();
    let image = image_fixtures::index("push", &["linux/amd64", "linux/arm/v7"]);
    let source = work.path().join("layout");
    let layout = OciLayout::create(&source).await.unwrap();
    image_fixtures::write(&layout, &image, "v2").await;

    let report = image::push(
        &client(),
        &layout,
        Some(&tag("v2")),
        &reference(&registry, "pushed/app:v2"),
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap_or_else(|e| panic!("push failed: {e}\nregistry log:\n{}", registry.log()));
    assert_eq!(report.digest(), image.digest());
    assert_eq!(report.blobs_transferred(), 5);

    assert_eq!(skopeo_raw(&registry, "pushed/app:v2"), image.manifest.content);
    for child in &image.children {
        let by_digest = format!("pushed/app@{}", child.digest());
        assert_eq!(skopeo_raw(&registry, &by_digest), child.manifest.content);
    }
    // skopeo copies it all back out, verifying every blob on the way.
    let back = work.path().join("back");
    run(
        "skopeo",
        &[
            "copy",
            "--all",
            "--insecure-policy",
            "--src-tls-verify=false",
            &format!("docker://{}/pushed/app:v2", registry.addr()),
            &format!("oci:{}:back", back.display()),
        ],
    );
    assert_layout_holds(&back, &image);
}

#[tokio::test]
async fn copy_within_a_registry_mounts_and_a_warm_copy_uploads_nothing() {
    let registry = Registry::anonymous();
    let work = tempfile::tempdir().unwrap();
    let image = image_fixtures::index("copy", &["linux/amd64", "linux/arm64/v8"]);
    skopeo_push(&work.path().join("src"), &image, &registry, "origin/app:1").await;

    let client = client();
    let source = ImageLocation::Registry(reference(&registry, "origin/app:1"));
    let destination = ImageLocation::Registry(reference(&registry, "mirror/app:1"));
    let recorder = Arc::new(Recorder::default());
    let cold = client.request_counts();
    let report = image::copy(
        &client,
        &source,
        &destination,
        &TransferOptions::new(),
        recorder.clone(),
    )
    .await
    .unwrap_or_else(|e| panic!("copy failed: {e}\nregistry log:\n{}", registry.log()));
    assert_eq!(report.digest(), image.digest());
    assert_eq!(
        (
            report.blobs_mounted(),
            report.blobs_transferred(),
            report.blobs_present()
        ),
        (5, 0, 0)
    );
    assert_eq!(recorder.count("mounted"), 5);
    // Per blob: one HEAD (absent) and one POST that mounts it; no upload is opened and
    // then cancelled, nothing is downloaded.
    assert_eq!(heads_posts_deletes(cold, client.request_counts()), (5, 5, 0));
    assert_eq!(skopeo_raw(&registry, "mirror/app:1"), image.manifest.content);
    for child in &image.children {
        let by_digest = format!("mirror/app@{}", child.digest());
        assert_eq!(skopeo_raw(&registry, &by_digest), child.manifest.content);
    }

    let before = client.request_counts();
    let warm = copy_plain(&client, &source, &destination).await.unwrap();
    let spent = client.request_counts();
    assert_eq!(warm.digest(), image.digest());
    assert_eq!(
        (
            warm.blobs_present(),
            warm.blobs_transferred(),
            warm.blobs_mounted()
        ),
        (5, 0, 0)
    );
    assert_eq!(
        (spent.post - before.post, spent.patch - before.patch),
        (0, 0),
        "a warm copy opened uploads: before {before:?}, after {spent:?}"
    );
    // Only the three manifests were read: no blob was downloaded.
    assert_eq!(spent.get - before.get, 3, "before {before:?}, after {spent:?}");
}

/// HEAD, POST and DELETE requests sent between two snapshots.
fn heads_posts_deletes(before: RequestCounts, after: RequestCounts) -> (u64, u64, u64) {
    (
        after.head - before.head,
        after.post - before.post,
        after.delete - before.delete,
    )
}

#[tokio::test]
async fn copy_between_registries_moves_every_platform_then_nothing() {
    let from = Registry::anonymous();
    let to = Registry::anonymous();
    let work = tempfile::tempdir().unwrap();
    let image = image_fixtures::index("cross", &["linux/amd64", "linux/arm64/v8", "linux/ppc64le"]);
    skopeo_push(&work.path().join("src"), &image, &from, "src/app:3").await;

    let client = client();
    let source = ImageLocation::Registry(reference(&from, "src/app:3"));
    let destination = ImageLocation::Registry(reference(&to, "dst/app:3"));
    let cold = client.request_counts();
    let report = image::copy(
        &client,
        &source,
        &destination,
        &TransferOptions::new().jobs(3),
        Arc::new(NoProgress),
    )
    .await
    .unwrap_or_else(|e| panic!("copy failed: {e}\nlogs:\n{}\n{}", from.log(), to.log()));
    assert_eq!(report.digest(), image.digest());
    assert_eq!((report.blobs_transferred(), report.blobs_mounted()), (7, 0));
    // Per blob: one HEAD, one POST opening the upload, one PUT committing it (small blobs go
    // in one piece); no second existence check.
    assert_eq!(heads_posts_deletes(cold, client.request_counts()), (7, 7, 0));
    assert_eq!(skopeo_raw(&to, "dst/app:3"), image.manifest.content);

    let before = client.request_counts();
    let warm = copy_plain(&client, &source, &destination).await.unwrap();
    let spent = client.request_counts();
    assert_eq!((warm.blobs_present(), warm.blobs_transferred()), (7, 0));
    assert_eq!((spent.post - before.post, spent.patch - before.patch), (0, 0));
}

#[tokio::test]
async fn copy_of_one_platform_and_between_layouts() {
    let registry = Registry::anonymous();
    let work = tempfile::tempdir().unwrap();
    let image = image_fixtures::index("pick", &["linux/amd64", "linux/arm64/v8"]);
    let source_dir = work.path().join("source");
    let source_layout = OciLayout::create(&source_dir).await.unwrap();
    image_fixtures::write(&source_layout, &image, "all").await;
    let source = ImageLocation::Layout {
        layout: source_layout,
        tag: Some(tag("all")),
    };

    // Layout to registry, one platform only.
    let destination = ImageLocation::Registry(reference(&registry, "single:amd"));
    let options = TransferOptions::new().platform("linux/amd64".parse().unwrap());
    let report = image::copy(&client(), &source, &destination, &options, Arc::new(NoProgress))
        .await
        .unwrap();
    let amd = &image.children[0];
    assert_eq!(report.digest(), amd.digest());
    assert_eq!(skopeo_raw(&registry, "single:amd"), amd.manifest.content);

    // Layout to layout, everything.
    let copy_dir = work.path().join("copy");
    let destination_ref = format!("{}:copied", copy_dir.display()).parse().unwrap();
    let destination = ImageLocation::create_layout(&destination_ref).await.unwrap();
    let report = copy_plain(&client(), &source, &destination).await.unwrap();
    assert_eq!(report.digest(), image.digest());
    assert_layout_holds(&copy_dir, &image);
    let copied = ImageLocation::open_layout(&destination_ref).await.unwrap();
    let resolved = image::resolve(&client(), &copied, Some(&"linux/arm64".parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(resolved.top().digest(), image.digest());
    assert_eq!(resolved.image().digest(), image.children[1].digest());
}

#[tokio::test]
async fn push_mounts_from_a_named_repository_and_skips_what_is_there() {
    let registry = Registry::anonymous();
    let work = tempfile::tempdir().unwrap();
    let image = image_fixtures::single("mount", "linux", "amd64", 50_000);
    skopeo_push(&work.path().join("src"), &image, &registry, "base/app:1").await;
    let layout_dir = work.path().join("layout");
    let layout = OciLayout::create(&layout_dir).await.unwrap();
    image_fixtures::write(&layout, &image, "1").await;

    let options = TransferOptions::new().mount_from(RepositoryRef::from(&reference(&registry, "base/app")));
    let client = client();
    let report = image::push(
        &client,
        &layout,
        None,
        &reference(&registry, "derived/app:1"),
        &options,
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    assert_eq!((report.blobs_mounted(), report.blobs_transferred()), (3, 0));
    assert_eq!(skopeo_raw(&registry, "derived/app:1"), image.manifest.content);

    let before = client.request_counts();
    let again = image::push(
        &client,
        &layout,
        Some(&tag("1")),
        &reference(&registry, "derived/app:1"),
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    let spent = client.request_counts();
    assert_eq!(again.blobs_present(), 3);
    assert_eq!((spent.post - before.post, spent.patch - before.patch), (0, 0));
}

#[tokio::test]
async fn resolve_picks_the_platform_and_verifies_the_config() {
    let registry = Registry::anonymous();
    let work = tempfile::tempdir().unwrap();
    let image = image_fixtures::index("resolve", &["linux/amd64", "linux/arm64/v8"]);
    skopeo_push(&work.path().join("src"), &image, &registry, "res:1").await;
    let location = ImageLocation::Registry(reference(&registry, "res:1"));

    let arm: Platform = "linux/arm64".parse().unwrap();
    let resolved = image::resolve(&client(), &location, Some(&arm)).await.unwrap();
    let child = &image.children[1];
    assert_eq!(resolved.top().digest(), image.digest());
    assert_eq!(resolved.image().digest(), child.digest());
    assert_eq!(resolved.image().bytes().as_ref(), &child.manifest.content[..]);
    assert_eq!(resolved.config().unwrap().as_ref(), &child.blobs[0].content[..]);
    assert_eq!(
        resolved
            .entry()
            .and_then(|e| e.platform())
            .map(ToString::to_string)
            .as_deref(),
        Some("linux/arm64/v8")
    );

    // Without a platform, the host's is chosen.
    let host = image::host_platform();
    let resolved = image::resolve(&client(), &location, None).await;
    match image
        .children
        .iter()
        .zip(["linux/amd64", "linux/arm64/v8"])
        .find(|(_, p)| p.parse::<Platform>().unwrap().matches(&host))
    {
        Some((expected, _)) => assert_eq!(resolved.unwrap().image().digest(), expected.digest()),
        None => assert!(matches!(resolved, Err(Error::NoMatchingPlatform { .. }))),
    }

    // A single image resolves to itself, from a layout too.
    let layout_dir = work.path().join("layout");
    let layout = OciLayout::create(&layout_dir).await.unwrap();
    image_fixtures::write(&layout, child, "arm").await;
    let location = ImageLocation::Layout {
        layout,
        tag: Some(tag("arm")),
    };
    let resolved = image::resolve(&client(), &location, None).await.unwrap();
    assert_eq!(resolved.top(), resolved.image());
    assert_eq!(resolved.config().unwrap().as_ref(), &child.blobs[0].content[..]);
}

#[tokio::test]
async fn eight_pulls_of_one_image_into_eight_layouts_at_once() {
    let registry = Registry::anonymous();
    let work = tempfile::tempdir().unwrap();
    let image = image_fixtures::index("eight", &["linux/amd64", "linux/arm64/v8"]);
    skopeo_push(&work.path().join("src"), &image, &registry, "eight:1").await;

    let client = client();
    let source = reference(&registry, "eight:1");
    let options = TransferOptions::new();
    let mut layouts = Vec::new();
    for i in 0..8 {
        layouts.push(
            OciLayout::create(work.path().join(format!("dest{i}")))
                .await
                .unwrap(),
        );
    }
    let pulls = layouts
        .iter()
        .map(|layout| image::pull(&client, &source, layout, None, &options, Arc::new(NoProgress)));
    for report in futures_util::future::join_all(pulls).await {
        assert_eq!(report.unwrap().digest(), image.digest());
    }
    for i in 0..8 {
        assert_layout_holds(&work.path().join(format!("dest{i}")), &image);
    }
}

#[tokio::test]
async fn schema1_images_copy_between_registries_but_never_into_a_layout() {
    let registry = Registry::builder().schema1().start();
    let work = tempfile::tempdir().unwrap();
    let image = image_fixtures::single("schema1", "linux", "amd64", 20_000);
    let source_dir = work.path().join("src");
    let layout = OciLayout::create(&source_dir).await.unwrap();
    image_fixtures::write(&layout, &image, "src").await;
    run(
        "skopeo",
        &[
            "copy",
            "--insecure-policy",
            "--dest-tls-verify=false",
            "--format",
            "v2s1",
            &format!("oci:{}:src", source_dir.display()),
            &format!("docker://{}/old/app:1", registry.addr()),
        ],
    );

    let client = client();
    let source = ImageLocation::Registry(reference(&registry, "old/app:1"));
    let destination = ImageLocation::Registry(reference(&registry, "old/copy:1"));
    let report = copy_plain(&client, &source, &destination)
        .await
        .unwrap_or_else(|e| panic!("copy failed: {e}\nregistry log:\n{}", registry.log()));
    assert!(
        report.manifest().media_type().is_schema1(),
        "{:?}",
        report.manifest().media_type()
    );
    // Schema1 carries no config blob: the two layers are all there is to move.
    assert_eq!(report.blobs_mounted(), 2);
    // Signatures are randomised, so compare what they sign: the digest.
    let original = client
        .get_manifest(&reference(&registry, "old/app:1"))
        .await
        .unwrap();
    let copied = client
        .get_manifest(&reference(&registry, "old/copy:1"))
        .await
        .unwrap();
    assert_eq!(copied.digest(), original.digest());
    assert_eq!(report.digest(), original.digest());

    let into = OciLayout::create(work.path().join("dest")).await.unwrap();
    let err = image::pull(
        &client,
        &reference(&registry, "old/app:1"),
        &into,
        None,
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::UnsupportedInLayout { .. }), "{err}");
    assert!(std::fs::read_dir(work.path().join("dest/blobs/sha256")).map_or(true, |mut d| d.next().is_none()));
}

/// Fires once the first bytes of any blob arrive.
struct Tripwire(Arc<tokio::sync::Notify>);

impl Progress for Tripwire {
    fn blob_progress(&self, _: &Digest, _: u64) {
        self.0.notify_one();
    }
}

#[tokio::test]
async fn a_cancelled_pull_leaves_only_verified_blobs_and_completes_when_run_again() {
    let registry = Registry::anonymous();
    let work = tempfile::tempdir().unwrap();
    // Noise, so that the layer is large on the wire and is caught mid-stream.
    let image = image_fixtures::single_incompressible("cancel", 24 * 1024 * 1024);
    skopeo_push(&work.path().join("src"), &image, &registry, "big:1").await;
    let dest = work.path().join("dest");
    let layout = OciLayout::create(&dest).await.unwrap();

    let tripped = Arc::new(tokio::sync::Notify::new());
    let (client, source, dest_tag, options) = (
        client(),
        reference(&registry, "big:1"),
        tag("1"),
        TransferOptions::new(),
    );
    let pull = image::pull(
        &client,
        &source,
        &layout,
        Some(&dest_tag),
        &options,
        Arc::new(Tripwire(tripped.clone())),
    );
    // Dropping the pull mid-transfer is what Ctrl-C does to the command.
    tokio::select! {
        biased;
        _ = tripped.notified() => {}
        result = pull => panic!("the pull ended before it could be cancelled: {result:?}"),
    }

    let blobs = dest.join("blobs/sha256");
    for entry in std::fs::read_dir(&blobs).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "temp file {name} left behind");
        let content = std::fs::read(blobs.join(&name)).unwrap();
        assert_eq!(
            Digest::sha256(&content).encoded(),
            name,
            "unverified blob under blobs/"
        );
    }
    assert!(!layout.has_blob(&image.blobs[2].digest).await.unwrap());
    assert!(layout.index().await.unwrap().manifests().is_empty());

    let report = image::pull(
        &client,
        &source,
        &layout,
        Some(&dest_tag),
        &options,
        Arc::new(NoProgress),
    )
    .await
    .unwrap();
    assert_eq!(report.digest(), image.digest());
    assert_layout_holds(&dest, &image);
}

#[tokio::test]
async fn missing_images_and_corrupted_layouts_are_clear_errors() {
    let registry = Registry::anonymous();
    let work = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(work.path().join("dest")).await.unwrap();
    let err = image::pull(
        &client(),
        &reference(&registry, "no/such:tag"),
        &layout,
        None,
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap_err();
    assert!(err.is_not_found(), "{err}");

    // A layout whose layer was damaged on disk is refused, not pushed.
    let image = image_fixtures::single("damaged", "linux", "amd64", 10_000);
    let source_dir = work.path().join("damaged");
    let source = OciLayout::create(&source_dir).await.unwrap();
    image_fixtures::write(&source, &image, "1").await;
    let layer = &image.blobs[2];
    let mut tampered = layer.content.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0xff;
    std::fs::write(source.blob_path(&layer.digest), tampered).unwrap();
    let err = image::push(
        &client(),
        &source,
        Some(&tag("1")),
        &reference(&registry, "damaged:1"),
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains(layer.digest.as_str()), "{err}");
    let status = registry.get_status(&format!("/v2/damaged/blobs/{}", layer.digest));
    assert!(
        status.contains(" 404 "),
        "the damaged blob was committed: {status}"
    );
    let status = registry.get_status("/v2/damaged/manifests/1");
    assert!(
        status.contains(" 404 "),
        "a manifest was pushed over a failed blob: {status}"
    );
}

/// A listener that accepts connections (the kernel's backlog does) and never reads from or
/// answers them, and a registry location at its address. Dropping the listener ends it.
fn silent_destination() -> (std::net::TcpListener, ImageLocation) {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a silent listener");
    let addr = silent.local_addr().expect("listener address");
    let location = ImageLocation::Registry(format!("{addr}/mirror/app:1").parse().expect("valid reference"));
    (silent, location)
}

/// A copy pings its destination while it reads the source: a source that lacks the image must
/// still end the copy at once, not after a destination that accepts connections and never
/// answers has run out its 30-second reach timeout.
#[tokio::test]
async fn a_missing_source_is_reported_before_a_silent_destination() {
    let registry = Registry::anonymous();
    let (silent, destination) = silent_destination();
    let source = ImageLocation::Registry(reference(&registry, "absent/app:1"));
    let started = std::time::Instant::now();
    let copied = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        copy_plain(&client(), &source, &destination),
    )
    .await
    .expect("the copy waited on the silent destination");
    let error = copied.expect_err("the source has no such image");
    // distribution answers a missing tag with 404 MANIFEST_UNKNOWN, at the source's address.
    let message = error.to_string();
    assert!(
        matches!(error.root(), Error::Registry { .. })
            && message.contains(registry.addr())
            && message.contains("manifest unknown"),
        "expected the source's missing manifest, got {error:?} after {:?}",
        started.elapsed()
    );
    drop(silent);
}

/// The ping that runs beside the source read is the one wait on a destination that does not
/// answer: its failure ends the copy after one reach timeout, not a second one spent again by
/// the first blob check.
#[tokio::test]
async fn a_silent_destination_is_reported_after_one_reach_timeout() {
    let work = tempfile::tempdir().unwrap();
    let image = image_fixtures::single("silent", "linux", "amd64", 4096);
    let layout = OciLayout::create(work.path().join("source")).await.unwrap();
    image_fixtures::write(&layout, &image, "1").await;
    let source = ImageLocation::Layout {
        layout,
        tag: Some(tag("1")),
    };
    let (silent, destination) = silent_destination();
    let reach = std::time::Duration::from_secs(2);
    let client = Client::builder()
        .timeouts(registry_client::Timeouts::default().with_reach(reach))
        .build()
        .expect("client with a short reach timeout");
    let started = std::time::Instant::now();
    let copied = tokio::time::timeout(reach * 5, copy_plain(&client, &source, &destination))
        .await
        .expect("the copy outlived five reach timeouts");
    let elapsed = started.elapsed();
    let error = copied.expect_err("the destination never answers");
    assert!(
        matches!(error.root(), Error::NoAnswer { after, .. } if *after == reach),
        "expected no answer after the reach timeout, got {error:?}"
    );
    assert!(
        elapsed < reach * 2,
        "the silent destination was waited on more than once: {elapsed:?} with reach {reach:?}"
    );
    drop(silent);
}
