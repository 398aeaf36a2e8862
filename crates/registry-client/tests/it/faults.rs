//! Reliability: broken downloads resume, ignored ranges restart, transient statuses retry,
//! redirects keep credentials home, corrupt content never passes.

use std::time::Duration;

use http::Method;
use registry_client::image::{self, ImageLocation, NoProgress, TransferOptions, VerifiedBlob};
use registry_client::{Credential, RetryPolicy, StaticCredentials};
use skiff_integration::{Fault, FaultProxy, Match, Registry, Route, Rule, TokenService, TokenUser, User};

use crate::util::{builder, bytes_of, client, push_image, reference, repo};

const SIZE: usize = 300_000;

async fn registry_with_blob(registry: &Registry) -> (bytes::Bytes, oci_digest::Digest) {
    let content = bytes_of(70, SIZE);
    let digest = client()
        .push_blob_bytes(&repo(registry.addr(), "faulty/app"), content.clone())
        .await
        .unwrap();
    (content, digest)
}

#[tokio::test]
async fn a_broken_download_resumes_with_range() {
    let registry = Registry::anonymous();
    let (content, digest) = registry_with_blob(&registry).await;
    let proxy = FaultProxy::start(&registry);
    proxy.add(Rule::new(Match::blob_get(), Fault::CutBodyAfter(100_000)).times(1));
    let client = client();
    let blob = client
        .get_blob(&repo(&proxy.addr(), "faulty/app"), &digest)
        .await
        .unwrap();
    assert_eq!(blob.bytes(1 << 20).await.unwrap(), content);
    assert_eq!(proxy.count(&Method::GET, Route::Blob), 2);
}

#[tokio::test]
async fn a_server_ignoring_range_restarts_cleanly() {
    let registry = Registry::anonymous();
    let (content, digest) = registry_with_blob(&registry).await;
    let proxy = FaultProxy::start(&registry);
    proxy.add(Rule::new(Match::blob_get(), Fault::CutBodyAfter(120_000)).times(1));
    proxy.add(Rule::new(Match::blob_get(), Fault::IgnoreRange).times(1));
    let blob = client()
        .get_blob(&repo(&proxy.addr(), "faulty/app"), &digest)
        .await
        .unwrap();
    assert_eq!(blob.bytes(1 << 20).await.unwrap(), content);
}

#[tokio::test]
async fn corrupt_content_fails_verification() {
    let registry = Registry::anonymous();
    let (_, digest) = registry_with_blob(&registry).await;
    let proxy = FaultProxy::start(&registry);
    proxy.add(Rule::new(Match::blob_get(), Fault::CorruptByteAt(5)));
    let blob = client()
        .get_blob(&repo(&proxy.addr(), "faulty/app"), &digest)
        .await
        .unwrap();
    let error = blob.bytes(1 << 20).await.unwrap_err();
    assert!(error.is_digest_mismatch(), "{error}");
}

#[tokio::test]
async fn transient_statuses_are_retried_and_rate_limits_reported() {
    let registry = Registry::anonymous();
    let client = client();
    push_image(&client, &repo(registry.addr(), "faulty/app"), "v1", 71).await;
    let proxy = FaultProxy::start(&registry);
    let name = reference(&proxy.addr(), "faulty/app:v1");

    proxy.add(
        Rule::new(
            Match::any().route(Route::Manifest),
            Fault::Status {
                status: 503,
                retry_after: Some(1),
            },
        )
        .times(1),
    );
    client.get_manifest(&name).await.unwrap();
    assert_eq!(proxy.count(&Method::GET, Route::Manifest), 2);

    proxy.clear();
    proxy.add(Rule::new(
        Match::any().route(Route::Manifest),
        Fault::Status {
            status: 429,
            retry_after: None,
        },
    ));
    let patient = builder()
        .retry_policy(
            RetryPolicy::default()
                .with_max_retries(3)
                .with_delays(Duration::from_millis(10), Duration::from_millis(50))
                .with_rate_limit_deadline(Duration::from_millis(300)),
        )
        .build()
        .unwrap();
    let error = patient.get_manifest(&name).await.unwrap_err();
    assert!(error.is_rate_limited(), "{error}");
    // Rate limits are waited out past the three retries, until the rate-limit deadline.
    assert!(proxy.count(&Method::GET, Route::Manifest) > 2 + 4);
}

#[tokio::test]
async fn rate_limits_slow_the_client_down_instead_of_failing() {
    let registry = Registry::anonymous();
    push_image(&client(), &repo(registry.addr(), "limited/app"), "v1", 73).await;
    let proxy = FaultProxy::start(&registry);
    let name = reference(&proxy.addr(), "limited/app:v1");
    // More 429s than the three retries the test policy allows, each asking for a second.
    proxy.add(
        Rule::new(
            Match::any().route(Route::Manifest),
            Fault::Status {
                status: 429,
                retry_after: Some(1),
            },
        )
        .times(2),
    );
    proxy.add(
        Rule::new(
            Match::any().route(Route::Manifest),
            Fault::Status {
                status: 429,
                retry_after: Some(0),
            },
        )
        .times(3),
    );
    let limited = client();
    limited.get_manifest(&name).await.unwrap();
    assert_eq!(proxy.count(&Method::GET, Route::Manifest), 6);
    assert_eq!(limited.request_counts().rate_limit_waits, 5);

    // A registry saying no requests remain holds the next ones back until its reset.
    proxy.clear();
    proxy.add(
        Rule::new(
            Match::any().route(Route::Manifest),
            Fault::RateLimitHeaders {
                remaining: 0,
                reset: 1,
            },
        )
        .times(1),
    );
    let paced = client();
    paced.get_manifest(&name).await.unwrap();
    assert_eq!(paced.request_counts().rate_limit_waits, 0);
    paced.head_manifest(&name).await.unwrap();
    assert_eq!(paced.request_counts().rate_limit_waits, 1);
}

#[tokio::test]
async fn redirected_downloads_carry_no_credentials() {
    let registry = Registry::builder()
        .htpasswd(&[User::new("alice", "secret")])
        .start();
    let proxy = FaultProxy::start(&registry);
    let client = builder()
        .credentials(StaticCredentials::new().with(&proxy.addr(), Credential::basic("alice", "secret")))
        .build()
        .unwrap();
    let repository = repo(&proxy.addr(), "cdn/app");
    let content = bytes_of(72, 50_000);
    let digest = client
        .push_blob_bytes(&repository, content.clone())
        .await
        .unwrap();

    proxy.add(Rule::new(Match::blob_get(), Fault::RedirectToMirror));
    let blob = client.get_blob(&repository, &digest).await.unwrap();
    assert_eq!(blob.bytes(1 << 20).await.unwrap(), content);
    let hits = proxy.mirror_hits();
    assert_eq!(hits.len(), 1);
    assert!(
        !hits[0].had_authorization,
        "Authorization must not reach another host"
    );
}

#[tokio::test]
async fn a_stalled_download_times_out_and_resumes() {
    let registry = Registry::anonymous();
    let (content, digest) = registry_with_blob(&registry).await;
    let proxy = FaultProxy::start(&registry);
    proxy.add(Rule::new(Match::blob_get(), Fault::StallBodyAfter(64_000)).times(1));
    let client = builder()
        .idle_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let blob = client
        .get_blob(&repo(&proxy.addr(), "faulty/app"), &digest)
        .await
        .unwrap();
    assert_eq!(blob.bytes(1 << 20).await.unwrap(), content);
    assert_eq!(proxy.count(&Method::GET, Route::Blob), 2);
}

#[tokio::test]
async fn a_broken_upload_is_an_error_and_leaves_no_blob() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    let client = builder().monolithic_upload_limit(1024).build().unwrap();
    let repository = repo(&proxy.addr(), "faulty/upload");
    let content = bytes_of(73, SIZE);
    let digest = oci_digest::Digest::sha256(&content);
    proxy.add(Rule::new(Match::any().method(Method::PATCH), Fault::CutRequestAfter(50_000)).times(1));
    let error = client
        .push_blob(
            &repository,
            VerifiedBlob::hashing(std::io::Cursor::new(content.clone()), &digest, SIZE as u64).unwrap(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(
        proxy.count(&Method::PATCH, Route::Upload),
        1,
        "a streamed upload is not repeated: {error}"
    );
    assert_eq!(client.blob_size(&repository, &digest).await.unwrap(), None);

    // Starting again succeeds.
    client
        .push_blob(
            &repository,
            VerifiedBlob::hashing(std::io::Cursor::new(content), &digest, SIZE as u64).unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        client.blob_size(&repository, &digest).await.unwrap(),
        Some(SIZE as u64)
    );
}

#[tokio::test]
async fn one_request_slot_is_enough_for_refreshes_and_resumes() {
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "secret"))
        .start();
    let registry = Registry::builder().token(&tokens).start();
    let proxy = FaultProxy::start(&registry);
    let client = builder()
        .max_concurrent_requests(1)
        .credentials(StaticCredentials::new().with(&proxy.addr(), Credential::basic("alice", "secret")))
        .build()
        .unwrap();
    let repository = repo(&proxy.addr(), "narrow/app");
    let content = bytes_of(74, SIZE);
    let digest = client
        .push_blob_bytes(&repository, content.clone())
        .await
        .unwrap();

    proxy.add(Rule::new(Match::blob_get(), Fault::Unauthorized).times(1));
    proxy.add(Rule::new(Match::blob_get(), Fault::CutBodyAfter(100_000)).times(1));
    let blob = client.get_blob(&repository, &digest).await.unwrap();
    assert_eq!(blob.bytes(1 << 20).await.unwrap(), content);
    assert_eq!(proxy.count(&Method::GET, Route::Blob), 3);
}

/// The copier opens a blob's upload and its source download at once: the download holds the one
/// request slot while the upload is opened and its push token fetched. The steps of an upload and
/// token exchanges take no slot, so this completes instead of waiting on itself forever.
#[tokio::test]
async fn one_request_slot_is_enough_for_a_copy_into_a_token_registry() {
    let source = Registry::anonymous();
    let (_, digest) = push_image(&client(), &repo(source.addr(), "narrow/app"), "1", 75).await;
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "secret"))
        .start();
    let destination = Registry::builder().token(&tokens).start();
    let client = builder()
        .max_concurrent_requests(1)
        .credentials(StaticCredentials::new().with(destination.addr(), Credential::basic("alice", "secret")))
        .build()
        .unwrap();
    let copied = tokio::time::timeout(
        Duration::from_secs(60),
        image::copy(
            &client,
            &ImageLocation::Registry(reference(source.addr(), "narrow/app:1")),
            &ImageLocation::Registry(reference(destination.addr(), "narrow/app:1")),
            &TransferOptions::new(),
            std::sync::Arc::new(NoProgress),
        ),
    )
    .await
    .expect("the copy waited on its own request slot");
    let report = copied.expect("the copy into the token registry");
    assert_eq!(report.digest(), &digest);
    assert_eq!(report.blobs_transferred(), 2);
    assert!(
        tokens
            .requests()
            .iter()
            .any(|r| r.scopes.iter().any(|s| s.contains("push"))),
        "the copy never asked for a push token: {:?}",
        tokens.requests()
    );
}
