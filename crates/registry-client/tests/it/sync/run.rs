//! The runner against real registries: images copied, a second run `unchanged` at the cost of
//! one manifest HEAD on each side, blobs shared between images moved once, dry runs that write
//! nothing, failures stopping the run or not.

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use registry_client::sync::{
    self, ImageStatus, NoSyncProgress, PlanOptions, SyncConfig, SyncOptions, SyncReport,
};
use skiff_integration::{FaultProxy, ImageFormat, Registry, Route, SeenRequest, Skopeo};

/// Every test's run ends within this, or fails.
const LIMIT: Duration = Duration::from_secs(120);

/// A whole run on a runtime of its own (the harness's blocking helpers are used between runs).
fn run(config: &SyncConfig, destination: &str, options: &SyncOptions) -> SyncReport {
    run_with(&crate::util::client(), config, destination, options)
}

fn run_with(
    client: &registry_client::Client,
    config: &SyncConfig,
    destination: &str,
    options: &SyncOptions,
) -> SyncReport {
    let plan = PlanOptions::new(destination);
    let work = sync::run(client, config, &plan, None, options, Arc::new(NoSyncProgress));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime
        .block_on(async { tokio::time::timeout(LIMIT, work).await })
        .expect("the sync ends in time")
        .expect("the input is good")
}

fn statuses(report: &SyncReport) -> Vec<(String, ImageStatus)> {
    report
        .images()
        .iter()
        .map(|i| (i.destination().to_owned(), i.status()))
        .collect()
}

/// Pushes `team/app:1`, `:2` and `:3`: 1 and 2 share every blob (the same image), 3 is its own.
fn three_tags(registry: &Registry) -> Vec<String> {
    let skopeo = Skopeo::new();
    let shared = skopeo.push_random_image(registry, "team/app:1", &[3000, 200], ImageFormat::Oci);
    skopeo
        .copy(
            &skiff_integration::ImageRef::registry(registry, "team/app:1"),
            &skiff_integration::ImageRef::registry(registry, "team/app:2"),
            None,
        )
        .unwrap_or_else(|failure| registry.fail(failure));
    let own = skopeo.push_random_image(registry, "team/app:3", &[5000], ImageFormat::V2s2);
    vec![
        shared.digest().to_owned(),
        shared.digest().to_owned(),
        own.digest().to_owned(),
    ]
}

/// Two repositories holding the same image: the run sends each blob once and mounts it into
/// the other repository, and a blob it mounts is never downloaded from the source.
#[test]
fn a_blob_mounted_from_another_repository_is_not_downloaded() {
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    let skopeo = Skopeo::new();
    skopeo.push_random_image(&source, "team/app:1", &[3000, 200], ImageFormat::Oci);
    skopeo
        .copy(
            &skiff_integration::ImageRef::registry(&source, "team/app:1"),
            &skiff_integration::ImageRef::registry(&source, "team/tool:1"),
            None,
        )
        .unwrap_or_else(|failure| source.fail(failure));
    let (from, to) = (FaultProxy::start(&source), FaultProxy::start(&destination));
    let yaml = format!(
        "{}:\n  tls-verify: false\n  images:\n    team/app: []\n    team/tool: []\n",
        from.addr()
    );
    let config = SyncConfig::from_yaml("sync.yml", &yaml).expect("a valid file");
    // One image at a time, so the second finds the first's blobs in the ledger.
    let report = run(&config, &to.reference("mirror"), &SyncOptions::new().parallel(1));
    assert!(
        statuses(&report)
            .iter()
            .all(|(_, status)| *status == ImageStatus::Copied),
        "{:?}",
        statuses(&report)
    );
    let seen = to.requests();
    let uploads: Vec<&SeenRequest> = seen.iter().filter(|r| r.route == Route::Upload).collect();
    let mounts = uploads
        .iter()
        .filter(|r| r.method == Method::POST && r.path.contains("mount="))
        .count();
    let blob_puts = uploads.iter().filter(|r| r.method == Method::PUT).count();
    let blob_gets = from
        .requests()
        .iter()
        .filter(|r| r.method == Method::GET && r.route == Route::Blob)
        .count();
    assert_eq!((blob_puts, mounts), (3, 3), "{uploads:?}");
    assert_eq!(blob_gets, blob_puts, "a mounted blob was downloaded as well");
}

#[test]
fn a_second_run_is_unchanged_at_one_head_on_each_side() {
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    let digests = three_tags(&source);
    let (from, to) = (FaultProxy::start(&source), FaultProxy::start(&destination));
    let config = SyncConfig::from_docker(&from.reference("team/app")).expect("a repository");
    let prefix = to.reference("mirror");

    let first = run(&config, &prefix, &SyncOptions::new());
    let names: Vec<String> = (1..=3).map(|t| format!("{prefix}/app:{t}")).collect();
    assert_eq!(
        statuses(&first),
        names
            .iter()
            .map(|n| (n.clone(), ImageStatus::Copied))
            .collect::<Vec<_>>()
    );
    for (index, image) in first.images().iter().enumerate() {
        assert_eq!(
            image.digest().map(ToString::to_string).as_ref(),
            Some(&digests[index])
        );
        assert_eq!(
            destination
                .manifest_digest("mirror/app", &(index + 1).to_string())
                .as_ref(),
            Some(&digests[index])
        );
    }
    // Tags 1 and 2 share their blobs: each blob crossed once.
    let uploads = to.counts();
    let blob_puts = to
        .requests()
        .iter()
        .filter(|r| r.method == Method::PUT && r.route == Route::Upload)
        .count();
    assert_eq!(
        blob_puts,
        3 + 2,
        "config and two layers, then config and one layer: {uploads:?}"
    );

    let (before_from, before_to) = (from.requests().len(), to.requests().len());
    let second = run(&config, &prefix, &SyncOptions::new());
    assert_eq!(
        statuses(&second),
        names
            .iter()
            .map(|n| (n.clone(), ImageStatus::Unchanged))
            .collect::<Vec<_>>()
    );
    // The tag listing, then one HEAD per image on each side and nothing else: no GET of a
    // destination manifest, no write.
    let (heads, rest) = from.manifest_heads_since(before_from);
    assert_eq!(heads, 3);
    assert_eq!(
        rest.keys().collect::<Vec<_>>(),
        [&(Method::GET, Route::Tags)],
        "{rest:?}"
    );
    let (heads, rest) = to.manifest_heads_since(before_to);
    assert_eq!(heads, 3);
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn a_dry_run_sends_no_write_and_says_what_it_would_do() {
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    three_tags(&source);
    let to = FaultProxy::start(&destination);
    let config = SyncConfig::from_docker(&source.reference("team/app")).expect("a repository");
    let prefix = to.reference("mirror");
    // One image there already.
    let one = SyncConfig::from_docker(&source.reference("team/app:3")).expect("an image");
    run(&one, &prefix, &SyncOptions::new());
    let before = to.requests().len();

    let report = run(&config, &prefix, &SyncOptions::new().dry_run(true));
    let mut seen: Vec<ImageStatus> = report.images().iter().map(|i| i.status()).collect();
    seen.sort_by_key(|s| s.as_str());
    assert_eq!(
        seen,
        [ImageStatus::Planned, ImageStatus::Planned, ImageStatus::Unchanged]
    );
    assert!(report.images().iter().all(|i| i.digest().is_some()));
    let seen = to.requests();
    let writes: Vec<&SeenRequest> = seen[before..]
        .iter()
        .filter(|r| !matches!(r.method, Method::GET | Method::HEAD))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert!(destination.manifest_digest("mirror/app", "1").is_none());
}

/// Tags `team/app:3` as `team/app:4` to `:9` too, by putting its manifest under each.
fn more_tags(registry: &Registry) {
    let client = crate::util::client();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let three = crate::util::reference(registry.addr(), "team/app:3");
        let manifest = client.get_manifest(&three).await.expect("tag 3");
        for tag in 4..=9 {
            let target = crate::util::reference(registry.addr(), &format!("team/app:{tag}"));
            client
                .put_manifest(&target, manifest.media_type(), manifest.bytes().clone())
                .await
                .expect("another tag");
        }
    });
}

#[test]
fn failures_stop_the_run_unless_it_keeps_going() {
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    three_tags(&source);
    more_tags(&source);
    let tags: Vec<String> = std::iter::once("gone".to_owned())
        .chain((1..=9).map(|t| t.to_string()))
        .collect();
    let text = format!(
        "{host}:\n  images:\n    team/app: [{list}]\n",
        host = source.addr(),
        list = tags
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let config = SyncConfig::from_yaml("sync.yml", &text).expect("good input");
    let prefix = destination.reference("mirror");

    // The failure comes first: no image starts after it but the first wave of checks (four
    // per copy), and of those at most the one copy turn that may have begun.
    let stopped = run(&config, &prefix, &SyncOptions::new().parallel(1));
    let failed = &stopped.images()[0];
    assert_eq!(failed.destination(), format!("{prefix}/app:gone"));
    assert_eq!(failed.status(), ImageStatus::Failed);
    assert!(failed.error().is_some_and(|e| e.is_not_found()), "{failed:?}");
    assert!(stopped.images().len() <= 4, "{:?}", statuses(&stopped));
    assert!(
        stopped.count(ImageStatus::Copied) <= 1,
        "{:?}",
        statuses(&stopped)
    );
    assert!(destination.tagged_images().len() <= 1);

    let going = run(&config, &prefix, &SyncOptions::new().keep_going(true));
    assert_eq!(going.images().len(), 10);
    assert_eq!(going.count(ImageStatus::Failed), 1);
    assert_eq!(destination.tagged_images().len(), 9);
    assert_eq!(going.images()[0].status(), ImageStatus::Failed);
    let json = going.to_json();
    assert_eq!(json["failed"], 1);
    assert_eq!(json["images"][0]["status"], "failed");
    assert!(
        json["images"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("404")),
        "{json}"
    );
    // The images share blobs: each crossed once, counted for the image that moved it.
    let bytes: u64 = going.images().iter().map(|i| i.bytes()).sum();
    assert!(bytes > 5000, "{json}");
}

#[test]
fn a_rate_limited_registry_slows_the_run_down_and_it_completes() {
    use skiff_integration::{Fault, Match, Rule};
    let source = Registry::anonymous();
    let destination = Registry::anonymous();
    three_tags(&source);
    let from = FaultProxy::start(&source);
    // More 429s than the test policy's three retries, on manifests and blobs alike.
    for (route, times) in [(Route::Manifest, 4), (Route::Blob, 4)] {
        from.add(
            Rule::new(
                Match::any().route(route),
                Fault::Status {
                    status: 429,
                    retry_after: Some(1),
                },
            )
            .times(times),
        );
    }
    from.add(
        Rule::new(
            Match::any().route(Route::Tags),
            Fault::RateLimitHeaders {
                remaining: 0,
                reset: 1,
            },
        )
        .times(1),
    );
    let config = SyncConfig::from_docker(&from.reference("team/app")).expect("a repository");
    // Patient enough for every wait, which a request may share with others held back meanwhile.
    let patient = crate::util::builder()
        .retry_policy(
            registry_client::RetryPolicy::default()
                .with_max_retries(3)
                .with_delays(Duration::from_millis(10), Duration::from_millis(50))
                .with_rate_limit_deadline(Duration::from_secs(60)),
        )
        .build()
        .expect("client");
    let report = run_with(
        &patient,
        &config,
        &destination.reference("mirror"),
        &SyncOptions::new(),
    );
    assert_eq!(report.summary(), "3 copied, 0 unchanged, 0 failed");
    assert!(patient.request_counts().rate_limit_waits >= 9);
    assert_eq!(from.faults_applied(), 9);
}
