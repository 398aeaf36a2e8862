//! Basic auth against an htpasswd registry, Bearer tokens from the harness token service.

use futures_util::future::try_join_all;
use futures_util::TryStreamExt;
use registry_client::{Credential, StaticCredentials};
use skiff_integration::{Fault, FaultProxy, Match, Registry, Route, Rule, TokenService, TokenUser, User};

use crate::util::{builder, bytes_of, push_image, reference, repo};

#[tokio::test]
async fn basic_auth_with_htpasswd() {
    let registry = Registry::builder()
        .htpasswd(&[User::new("alice", "secret")])
        .start();
    let repository = repo(registry.addr(), "private/app");

    let client = builder()
        .credentials(StaticCredentials::new().with(registry.addr(), Credential::basic("alice", "secret")))
        .build()
        .unwrap();
    let (bytes, _) = push_image(&client, &repository, "v1", 50).await;
    let fetched = client
        .get_manifest(&reference(registry.addr(), "private/app:v1"))
        .await
        .unwrap();
    assert_eq!(fetched.bytes(), &bytes);

    let anonymous = builder().build().unwrap();
    let error = anonymous
        .get_manifest(&reference(registry.addr(), "private/app:v1"))
        .await
        .unwrap_err();
    assert!(error.is_unauthorized(), "{error}");

    let wrong = builder()
        .credentials(StaticCredentials::new().with(registry.addr(), Credential::basic("alice", "wrong")))
        .build()
        .unwrap();
    let error = wrong
        .get_manifest(&reference(registry.addr(), "private/app:v1"))
        .await
        .unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
    assert!(!error.to_string().contains("wrong"), "no password in {error}");
}

fn token_registry() -> (TokenService, Registry) {
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "secret"))
        .user(TokenUser::new("reader", "pw").allow("*", &["pull"]))
        .start();
    let registry = Registry::builder().token(&tokens).start();
    (tokens, registry)
}

#[tokio::test]
async fn bearer_tokens_per_scope_shared_by_concurrent_requests() {
    let (tokens, registry) = token_registry();
    let repository = repo(registry.addr(), "team/app");
    let writer = builder()
        .credentials(StaticCredentials::new().with(registry.addr(), Credential::basic("alice", "secret")))
        .build()
        .unwrap();
    let content = bytes_of(60, 1000);
    let digest = writer.push_blob_bytes(&repository, content).await.unwrap();
    let (bytes, _) = push_image(&writer, &repository, "v1", 61).await;

    let reader = builder()
        .credentials(StaticCredentials::new().with(registry.addr(), Credential::basic("reader", "pw")))
        .build()
        .unwrap();
    let before = tokens.tokens_issued();
    let sizes = try_join_all((0..8).map(|_| reader.blob_size(&repository, &digest)))
        .await
        .unwrap();
    assert!(sizes.iter().all(|size| *size == Some(1000)));
    assert_eq!(
        tokens.tokens_issued() - before,
        1,
        "eight concurrent requests share one token"
    );
    let fetched = reader
        .get_manifest(&reference(registry.addr(), "team/app:v1"))
        .await
        .unwrap();
    assert_eq!(fetched.bytes(), &bytes);
    assert_eq!(tokens.tokens_issued() - before, 1, "the cached token is reused");

    let error = reader
        .push_blob_bytes(&repository, bytes_of(62, 10))
        .await
        .unwrap_err();
    assert!(error.is_unauthorized() || error.is_denied(), "{error}");

    let wrong = builder()
        .credentials(StaticCredentials::new().with(registry.addr(), Credential::basic("reader", "nope")))
        .build()
        .unwrap();
    let error = wrong
        .get_manifest(&reference(registry.addr(), "team/app:v1"))
        .await
        .unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
    assert!(!error.to_string().contains("nope"), "no password in {error}");

    // The catalog needs its own scope, which the admin has.
    let names: Vec<String> = writer.catalog(registry.addr(), None).try_collect().await.unwrap();
    assert_eq!(names, ["team/app"]);
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once() {
    let (tokens, registry) = token_registry();
    let proxy = FaultProxy::start(&registry);
    let credentials = StaticCredentials::new().with(&proxy.addr(), Credential::basic("alice", "secret"));
    let client = builder().credentials(credentials).build().unwrap();
    let repository = repo(&proxy.addr(), "team/app");
    push_image(&client, &repository, "v1", 63).await;

    proxy.add(Rule::new(Match::any().route(Route::Manifest), Fault::Unauthorized).times(1));
    let before = tokens.tokens_issued();
    client
        .get_manifest(&reference(&proxy.addr(), "team/app:v1"))
        .await
        .unwrap();
    assert_eq!(tokens.tokens_issued() - before, 1, "one refresh after the 401");

    proxy.add(Rule::new(
        Match::any().route(Route::Manifest),
        Fault::Unauthorized,
    ));
    let error = client
        .get_manifest(&reference(&proxy.addr(), "team/app:v1"))
        .await
        .unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
}
