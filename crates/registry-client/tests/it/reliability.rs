//! Reliability of whole image transfers through the fault proxy in front of a real
//! `docker-registry`: every fault ends in a correct image or a clear error, and a layout never
//! holds a blob that was not verified.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use oci_digest::Digest;
use oci_manifest::{Descriptor, MediaType, Reference};
use registry_client::image::{self, NoProgress, TransferOptions, TransferReport};
use registry_client::layout::{LayoutTag, OciLayout};
use registry_client::{Client, Credential, Error, ErrorCode, RepositoryRef, StaticCredentials};
use skiff_integration::{Fault, FaultProxy, Match, Registry, Route, Rule, TokenService, TokenUser};
use tempfile::TempDir;

#[cfg(feature = "tls")]
use crate::util::trusting;
use crate::util::{builder, client, reference};

/// The size of the layer the download and upload faults hit: large enough that 1% of it is
/// several TCP segments, small enough to keep the tests quick.
const LAYER_SIZE: usize = 400_000;

fn tag() -> LayoutTag {
    "v1".parse().expect("valid tag")
}

/// An image in a layout of its own: a config and one incompressible layer.
struct SourceImage {
    _dir: TempDir,
    layout: OciLayout,
    manifest: Digest,
    /// Config and layer, with their contents.
    blobs: Vec<(Digest, Bytes)>,
}

impl SourceImage {
    async fn new(seed: u64) -> SourceImage {
        let dir = tempfile::tempdir().expect("temp dir");
        let layout = OciLayout::create(dir.path()).await.expect("create layout");
        let config = Bytes::from(format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"Labels":{{"seed":"{seed}"}}}}}}"#
        ));
        let mut rng = fastrand::Rng::with_seed(seed);
        let layer: Bytes = (0..LAYER_SIZE).map(|_| rng.u8(..)).collect::<Vec<u8>>().into();
        let config_digest = Digest::sha256(&config);
        let layer_digest = Digest::sha256(&layer);
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MediaType::OciManifest.as_str(),
            "config": Descriptor::new(MediaType::OciConfig, config_digest.clone(), config.len() as u64),
            "layers": [Descriptor::new(MediaType::OciLayerGzip, layer_digest.clone(), layer.len() as u64)],
        }))
        .expect("json");
        let manifest_digest = Digest::sha256(&manifest);
        let blobs = vec![(config_digest, config), (layer_digest, layer)];
        for (digest, content) in &blobs {
            layout.write_blob(digest, content).await.expect("write blob");
        }
        layout
            .write_blob(&manifest_digest, &manifest)
            .await
            .expect("write manifest");
        let descriptor = Descriptor::new(
            MediaType::OciManifest,
            manifest_digest.clone(),
            manifest.len() as u64,
        );
        layout.set_tag(&tag(), descriptor).await.expect("tag");
        SourceImage {
            _dir: dir,
            layout,
            manifest: manifest_digest,
            blobs,
        }
    }

    fn layer(&self) -> &Digest {
        &self.blobs[1].0
    }

    async fn push(&self, client: &Client, to: &Reference) -> Result<TransferReport, Error> {
        self.push_with(client, to, &TransferOptions::new()).await
    }

    async fn push_with(
        &self,
        client: &Client,
        to: &Reference,
        options: &TransferOptions,
    ) -> Result<TransferReport, Error> {
        image::push(
            client,
            &self.layout,
            Some(&tag()),
            to,
            options,
            Arc::new(NoProgress),
        )
        .await
    }
}

/// Pulls `from` into a fresh layout; the directory is returned with the outcome so that a
/// failed pull can be inspected too.
async fn pull(client: &Client, from: &Reference) -> (TempDir, OciLayout, Result<TransferReport, Error>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let layout = OciLayout::create(dir.path()).await.expect("create layout");
    let result = image::pull(
        client,
        from,
        &layout,
        Some(&tag()),
        &TransferOptions::new(),
        Arc::new(NoProgress),
    )
    .await;
    (dir, layout, result)
}

/// Every file under `blobs/sha256` is a finished blob whose content hashes to its name: no
/// temp file, nothing unverified.
fn assert_only_verified_blobs(root: &Path) {
    let dir = root.join("blobs/sha256");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        // Created with the first blob: no directory, no blob.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return,
        Err(error) => panic!("{}: {error}", dir.display()),
    };
    for entry in entries {
        let entry = entry.expect("blob entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let content = std::fs::read(entry.path()).expect("read blob");
        assert_eq!(
            Digest::sha256(&content).encoded(),
            name,
            "{} is not a verified blob",
            entry.path().display()
        );
    }
}

/// The pulled layout holds the source image byte for byte, and nothing else unverified.
async fn assert_pulled(layout: &OciLayout, source: &SourceImage) {
    for (digest, content) in &source.blobs {
        let on_disk = layout.read_blob(digest, 1 << 20).await.expect("blob pulled");
        assert!(on_disk == content.as_ref(), "{digest} differs");
    }
    let entry = layout.resolve(Some(&tag())).await.expect("tag resolves");
    assert_eq!(entry.digest(), &source.manifest);
    assert_only_verified_blobs(layout.root());
}

/// A registry holding `source` as `faulty/app:v1`, and a proxy in front of it.
async fn registry_with(source: &SourceImage) -> (Registry, FaultProxy) {
    let registry = Registry::anonymous();
    source
        .push(&client(), &reference(registry.addr(), "faulty/app:v1"))
        .await
        .expect("seed the registry");
    let proxy = FaultProxy::start(&registry);
    (registry, proxy)
}

#[tokio::test]
async fn pulls_resume_after_a_cut_at_1_50_and_99_percent() {
    let source = SourceImage::new(1).await;
    let (_registry, proxy) = registry_with(&source).await;
    let name = reference(&proxy.addr(), "faulty/app:v1");
    for percent in [1, 50, 99] {
        proxy.clear();
        let cut_at = (LAYER_SIZE * percent / 100) as u64;
        let layer = Match::blob_get().path_contains(source.layer().as_str());
        proxy.add(Rule::new(layer, Fault::CutBodyAfter(cut_at)).times(1));
        let before = proxy.count(&Method::GET, Route::Blob);
        let (_dir, layout, result) = pull(&client(), &name).await;
        result.unwrap_or_else(|e| panic!("cut at {percent}%: {e}"));
        assert_pulled(&layout, &source).await;
        // Config, the cut layer, and its resumption.
        assert_eq!(proxy.count(&Method::GET, Route::Blob) - before, 3, "{percent}%");
        let resumed = proxy
            .requests()
            .into_iter()
            .rev()
            .find(|r| r.route == Route::Blob);
        assert!(resumed.is_some_and(|r| r.fault.is_none()), "{percent}%");
    }
}

#[tokio::test]
async fn a_pull_restarts_the_layer_when_range_is_ignored() {
    let source = SourceImage::new(2).await;
    let (_registry, proxy) = registry_with(&source).await;
    let layer = Match::blob_get().path_contains(source.layer().as_str());
    proxy.add(Rule::new(layer.clone(), Fault::CutBodyAfter((LAYER_SIZE / 2) as u64)).times(1));
    proxy.add(Rule::new(layer, Fault::IgnoreRange).times(1));
    let (_dir, layout, result) = pull(&client(), &reference(&proxy.addr(), "faulty/app:v1")).await;
    result.unwrap();
    assert_pulled(&layout, &source).await;
}

#[tokio::test]
async fn a_corrupted_layer_fails_the_pull_and_leaves_nothing_at_its_path() {
    let source = SourceImage::new(3).await;
    let (_registry, proxy) = registry_with(&source).await;
    let layer = Match::blob_get().path_contains(source.layer().as_str());
    proxy.add(Rule::new(layer, Fault::CorruptByteAt((LAYER_SIZE / 3) as u64)));
    let (_dir, layout, result) = pull(&client(), &reference(&proxy.addr(), "faulty/app:v1")).await;
    let error = result.unwrap_err();
    assert!(error.is_digest_mismatch(), "{error}");
    assert!(error.to_string().contains("digest mismatch"), "{error}");
    assert!(!layout.blob_path(source.layer()).exists());
    assert!(!layout.has_blob(source.layer()).await.unwrap());
    assert_only_verified_blobs(layout.root());
    assert!(
        layout.index().await.unwrap().manifests().is_empty(),
        "no image was recorded"
    );
}

#[tokio::test]
async fn a_push_restarts_an_upload_whose_connection_broke() {
    let source = SourceImage::new(4).await;
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    // Streamed PATCH uploads for everything but tiny blobs, so the layer is sent in one body.
    let client = builder().monolithic_upload_limit(1024).build().unwrap();
    proxy.add(
        Rule::new(
            Match::any().method(Method::PATCH),
            Fault::CutRequestAfter((LAYER_SIZE / 2) as u64),
        )
        .times(1),
    );
    let name = reference(&proxy.addr(), "faulty/push:v1");
    let report = source.push(&client, &name).await.unwrap();
    assert_eq!(report.digest(), &source.manifest);
    assert_eq!(proxy.faults_applied(), 1);
    // A fresh upload was opened for the restart.
    assert!(proxy.count(&Method::POST, Route::Upload) >= 2);

    // The registry, asked directly, holds exactly the right image.
    let (_dir, layout, result) = pull(&client, &reference(registry.addr(), "faulty/push:v1")).await;
    result.unwrap();
    assert_pulled(&layout, &source).await;
}

#[tokio::test]
async fn rate_limits_and_unavailability_bursts_are_waited_out() {
    let source = SourceImage::new(5).await;
    let (_registry, proxy) = registry_with(&source).await;
    proxy.add(
        Rule::new(
            Match::blob_get(),
            Fault::Status {
                status: 429,
                retry_after: Some(1),
            },
        )
        .times(1),
    );
    proxy.add(
        Rule::new(
            Match::any().route(Route::Manifest),
            Fault::Status {
                status: 503,
                retry_after: None,
            },
        )
        .times(2),
    );
    let (_dir, layout, result) = pull(&client(), &reference(&proxy.addr(), "faulty/app:v1")).await;
    result.unwrap();
    assert_pulled(&layout, &source).await;
    assert_eq!(proxy.faults_applied(), 3);
}

#[tokio::test]
async fn unavailability_that_never_ends_is_a_clear_error_after_bounded_retries() {
    let source = SourceImage::new(6).await;
    let (_registry, proxy) = registry_with(&source).await;
    proxy.add(Rule::new(
        Match::any().route(Route::Manifest),
        Fault::Status {
            status: 503,
            retry_after: Some(1),
        },
    ));
    let (_dir, layout, result) = pull(&client(), &reference(&proxy.addr(), "faulty/app:v1")).await;
    let error = result.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE), "{error}");
    assert!(error.to_string().contains("503"), "{error}");
    // The first attempt and the policy's three retries, then no more.
    assert_eq!(proxy.count(&Method::GET, Route::Manifest), 4);
    assert!(layout.index().await.unwrap().manifests().is_empty());
}

#[tokio::test]
async fn an_expired_token_in_the_middle_of_a_push_is_refreshed_once() {
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "secret"))
        .start();
    let registry = Registry::builder().token(&tokens).start();
    let proxy = FaultProxy::start(&registry);
    let credentials = StaticCredentials::new().with(&proxy.addr(), Credential::basic("alice", "secret"));
    let new_client = || {
        builder()
            .monolithic_upload_limit(1024)
            .credentials(credentials.clone())
            .build()
            .unwrap()
    };
    let source = SourceImage::new(7).await;
    // How many tokens a push takes when nothing goes wrong.
    let before = tokens.tokens_issued();
    source
        .push(&new_client(), &reference(&proxy.addr(), "secure/clean:v1"))
        .await
        .unwrap();
    let clean_push = tokens.tokens_issued() - before;

    let client = new_client();
    let tokens_before = tokens.tokens_issued();
    // The streamed layer upload, the commit of an upload, and then the manifest are refused
    // as if the token had expired while the layers were being sent.
    proxy.add(Rule::new(Match::any().method(Method::PATCH), Fault::Unauthorized).times(1));
    proxy.add(
        Rule::new(
            Match::any().method(Method::PUT).route(Route::Upload),
            Fault::Unauthorized,
        )
        .times(1),
    );
    proxy.add(
        Rule::new(
            Match::any().method(Method::PUT).route(Route::Manifest),
            Fault::Unauthorized,
        )
        .times(1),
    );
    let name = reference(&proxy.addr(), "secure/app:v1");
    // One blob at a time: concurrent requests refused together share one refresh, which
    // would make the count below depend on timing.
    let report = source
        .push_with(&client, &name, &TransferOptions::new().jobs(1))
        .await
        .unwrap();
    assert_eq!(report.digest(), &source.manifest);
    assert_eq!(proxy.faults_applied(), 3);
    // Each refusal led to one new token, no more.
    eprintln!(
        "{:#?}\n{:#?}",
        proxy
            .requests()
            .iter()
            .map(|r| (
                r.method.clone(),
                r.path.chars().take(60).collect::<String>(),
                r.fault.clone()
            ))
            .collect::<Vec<_>>(),
        tokens.requests()
    );
    assert_eq!(tokens.tokens_issued() - tokens_before, clean_push + 3);

    let (_dir, layout, result) = pull(&client, &name).await;
    result.unwrap();
    assert_pulled(&layout, &source).await;
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn a_redirect_from_https_to_http_is_refused() {
    let source = SourceImage::new(8).await;
    let registry = Registry::anonymous();
    source
        .push(&client(), &reference(registry.addr(), "faulty/app:v1"))
        .await
        .unwrap();
    let proxy = FaultProxy::start_tls(&registry);
    let ca = proxy.tls().expect("TLS files").ca_cert();
    let client = builder().transport(trusting(ca)).build().unwrap();
    proxy.add(Rule::new(Match::blob_get(), Fault::RedirectToMirror));
    let (_dir, layout, result) = pull(&client, &reference(&proxy.addr(), "faulty/app:v1")).await;
    let error = result.unwrap_err();
    assert!(matches!(error.root(), Error::InsecureRedirect { .. }), "{error}");
    assert!(proxy.mirror_hits().is_empty(), "nothing was sent over plain http");
    assert_only_verified_blobs(layout.root());
}

#[tokio::test]
async fn a_server_slower_than_the_timeout_is_a_timeout_error() {
    let source = SourceImage::new(9).await;
    let (_registry, proxy) = registry_with(&source).await;
    let client = builder()
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    client.ping(&proxy.addr()).await.unwrap();
    proxy.add(Rule::new(
        Match::any().route(Route::Manifest),
        Fault::Delay(Duration::from_secs(30)),
    ));
    let (_dir, _layout, result) = pull(&client, &reference(&proxy.addr(), "faulty/app:v1")).await;
    let error = result.unwrap_err();
    assert!(matches!(error.root(), Error::Timeout { .. }), "{error}");
    assert!(error.to_string().contains("no data for"), "{error}");
}

#[tokio::test]
async fn four_concurrent_pushes_to_one_repository_all_land() {
    let registry = Registry::anonymous();
    let client = client();
    let mut sources = Vec::new();
    for seed in 10..14 {
        sources.push(SourceImage::new(seed).await);
    }
    let pushes = sources.iter().enumerate().map(|(i, source)| {
        let client = client.clone();
        let name = reference(registry.addr(), &format!("shared/app:image{i}"));
        async move { source.push(&client, &name).await }
    });
    let reports = futures_util::future::join_all(pushes).await;
    for (i, (report, source)) in reports.into_iter().zip(&sources).enumerate() {
        assert_eq!(report.unwrap().digest(), &source.manifest, "image{i}");
        let (_dir, layout, result) = pull(
            &client,
            &reference(registry.addr(), &format!("shared/app:image{i}")),
        )
        .await;
        result.unwrap();
        assert_pulled(&layout, source).await;
    }
}

#[tokio::test]
async fn an_oversized_manifest_is_refused_before_it_is_parsed() {
    let source = SourceImage::new(16).await;
    let (registry, _proxy) = registry_with(&source).await;
    let client = builder().max_manifest_size(64).build().unwrap();
    let error = client
        .get_manifest(&reference(registry.addr(), "faulty/app:v1"))
        .await
        .unwrap_err();
    assert!(
        matches!(error.root(), Error::TooLarge { limit: 64, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn an_oversized_config_is_refused_instead_of_read_into_memory() {
    let registry = Registry::anonymous();
    let client = client();
    let repository: RepositoryRef = format!("{}/faulty/config", registry.addr()).parse().unwrap();
    let config = Bytes::from(vec![b' '; image::CONFIG_LIMIT as usize + 1]);
    let config_digest = client.push_blob_bytes(&repository, config.clone()).await.unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MediaType::OciManifest.as_str(),
        "config": Descriptor::new(MediaType::OciConfig, config_digest, config.len() as u64),
        "layers": [],
    }))
    .unwrap();
    let name = reference(registry.addr(), "faulty/config:v1");
    client
        .put_manifest(&name, &MediaType::OciManifest, Bytes::from(manifest))
        .await
        .unwrap();
    let error = image::resolve(&client, &image::ImageLocation::Registry(name), None)
        .await
        .unwrap_err();
    // Refused by the size its descriptor gives, before a byte of it is read.
    let too_large = matches!(
        error,
        Error::BlobTooLarge { limit, size, .. }
            if limit == image::CONFIG_LIMIT && size == image::CONFIG_LIMIT + 1
    );
    assert!(too_large, "{error}");
}

#[tokio::test]
async fn errors_from_a_wrong_password_do_not_contain_it() {
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "right-password"))
        .start();
    let registry = Registry::builder().token(&tokens).start();
    let secret = "wr0ng-pa55word-sentinel";
    let client = builder()
        .credentials(StaticCredentials::new().with(registry.addr(), Credential::basic("alice", secret)))
        .build()
        .unwrap();
    let source = SourceImage::new(15).await;
    let error = source
        .push(&client, &reference(registry.addr(), "secure/app:v1"))
        .await
        .unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
    for shown in [error.to_string(), format!("{error:?}"), format!("{client:?}")] {
        assert!(!shown.contains(secret), "the password leaked: {shown}");
    }
}

#[test]
fn debug_of_clients_and_credentials_hides_secrets() {
    let secret = "s3cret-sentinel";
    let credential = Credential::basic("alice", secret);
    let credentials = StaticCredentials::new().with("registry.example", credential.clone());
    let client = Client::builder()
        .credentials(credentials.clone())
        .build()
        .unwrap();
    for shown in [
        format!("{credential:?}"),
        format!("{credentials:?}"),
        format!("{client:?}"),
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(
        format!("{credential:?}").contains("alice"),
        "usernames stay visible"
    );
}

#[test]
fn repository_names_and_tags_are_validated_before_they_reach_a_url() {
    let hostile_repositories = [
        "127.0.0.1:5000/../etc",
        "127.0.0.1:5000/a/../b",
        "127.0.0.1:5000/a/./b",
        "127.0.0.1:5000/a//b",
        "127.0.0.1:5000/a%2F..%2Fb",
        "127.0.0.1:5000/a?mount=x",
        "127.0.0.1:5000/a#frag",
        "127.0.0.1:5000/A",
        "127.0.0.1:5000/a b",
        "127.0.0.1:5000/",
        "127.0.0.1:5000/a/",
    ];
    for text in hostile_repositories {
        assert!(
            text.parse::<RepositoryRef>().is_err(),
            "repository {text:?} was accepted"
        );
    }
    let repository: RepositoryRef = "127.0.0.1:5000/team/app".parse().unwrap();
    for tag in ["../x", "a/b", "", "-x", "a?b", "x".repeat(129).as_str()] {
        assert!(repository.tagged(tag).is_err(), "tag {tag:?} was accepted");
    }
}

#[tokio::test]
async fn an_endless_error_body_is_read_only_up_to_its_cap() {
    let source = SourceImage::new(1).await;
    let (_registry, proxy) = registry_with(&source).await;
    proxy.add(Rule::new(
        Match::any().route(Route::Manifest),
        Fault::EndlessErrorBody(403),
    ));
    // A client that read error bodies to their end would never return; the guard turns such
    // a hang into a failure instead of a stuck test run.
    let client = client();
    let name = reference(&proxy.addr(), "faulty/app:v1");
    let fetch = client.get_manifest(&name);
    let error = tokio::time::timeout(Duration::from_secs(60), fetch)
        .await
        .expect("the error body was read past its cap")
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::FORBIDDEN), "{error}");
    // The JSON at the start of the body was still understood.
    assert_eq!(error.diagnostics()[0].code(), &ErrorCode::Denied, "{error}");
    assert!(error.to_string().len() < 1024, "{error}");
}
