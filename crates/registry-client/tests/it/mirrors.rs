//! registries.conf against real registries: a `docker-registry` pull-through cache as the
//! mirror of another, a mirror that is down, `pull-from-mirror`, prefix rewriting, blocked and
//! insecure entries.

use std::path::Path;

use registry_client::{Client, Error, NetworkEnv, Registries};
use skiff_integration::{free_port, Registry};

use crate::util::{builder, client, push_image, reference, repo};

fn with_conf(text: &str) -> Client {
    let registries = Registries::parse(text, Path::new("test.conf")).unwrap();
    builder().registries(registries).build().unwrap()
}

/// Whether the registry's storage holds `repository` (a pull-through cache stores what it served).
fn stores(registry: &Registry, repository: &str) -> bool {
    registry
        .storage()
        .join("docker/registry/v2/repositories")
        .join(repository)
        .is_dir()
}

#[tokio::test]
async fn reads_try_the_mirrors_in_order_and_writes_go_to_the_registry() {
    let upstream = Registry::anonymous();
    let cache = Registry::builder().pull_through_cache(&upstream).start();
    let (bytes, digest) = push_image(&client(), &repo(upstream.addr(), "team/app"), "v1", 97).await;
    let dead = format!("127.0.0.1:{}", free_port());
    let client = with_conf(&format!(
        r#"
[[registry]]
prefix = "example.test/team"
location = "{upstream}/team"
[[registry.mirror]]
location = "{dead}/team"
[[registry.mirror]]
location = "{cache}/team"
"#,
        upstream = upstream.addr(),
        cache = cache.addr(),
    ));
    let fetched = client
        .get_manifest(&reference("example.test", "team/app:v1"))
        .await
        .unwrap();
    assert_eq!(fetched.bytes(), &bytes);
    cache.ensure(stores(&cache, "team/app"), "the cache served the read");

    // A write goes to the registry (the cache would refuse it), under the rewritten name.
    let (pushed, _) = push_image(&client, &repo("example.test", "team/other"), "v1", 98).await;
    let direct = crate::util::client()
        .get_manifest(&reference(upstream.addr(), "team/other:v1"))
        .await
        .unwrap();
    assert_eq!(direct.bytes(), &pushed);
    assert_eq!(
        client
            .get_manifest(&reference("example.test", &format!("team/app@{digest}")))
            .await
            .unwrap()
            .bytes(),
        &bytes
    );
}

#[tokio::test]
async fn pull_from_mirror_digest_only_leaves_tags_to_the_registry() {
    let upstream = Registry::anonymous();
    let cache = Registry::builder().pull_through_cache(&upstream).start();
    let seeding = client();
    push_image(&seeding, &repo(upstream.addr(), "bytag/app"), "v1", 99).await;
    let (_, digest) = push_image(&seeding, &repo(upstream.addr(), "bydigest/app"), "v1", 100).await;
    let client = with_conf(&format!(
        r#"
[[registry]]
location = "{upstream}"
[[registry.mirror]]
location = "{cache}"
pull-from-mirror = "digest-only"
"#,
        upstream = upstream.addr(),
        cache = cache.addr(),
    ));
    client
        .get_manifest(&reference(upstream.addr(), "bytag/app:v1"))
        .await
        .unwrap();
    client
        .get_manifest(&reference(upstream.addr(), &format!("bydigest/app@{digest}")))
        .await
        .unwrap();
    cache.ensure(!stores(&cache, "bytag/app"), "a tag was not read from the mirror");
    cache.ensure(
        stores(&cache, "bydigest/app"),
        "a digest was read from the mirror",
    );
}

#[tokio::test]
async fn blocked_names_are_refused_before_any_request() {
    let registry = Registry::anonymous();
    let client = with_conf(&format!(
        "[[registry]]\nprefix = \"{0}/secret\"\nlocation = \"{0}/secret\"\nblocked = true\n",
        registry.addr()
    ));
    let error = client
        .get_manifest(&reference(registry.addr(), "secret/app:v1"))
        .await
        .unwrap_err();
    assert!(matches!(error.root(), Error::Blocked { .. }), "{error}");
    assert!(error.to_string().contains("blocked"), "{error}");
    assert_eq!(client.request_counts().total(), 0);
    // Other names on the same registry are not blocked.
    client.ping(registry.addr()).await.unwrap();

    // A whole registry blocked: its ping and catalog too.
    let client = with_conf(&format!(
        "[[registry]]\nlocation = \"{}\"\nblocked = true\n",
        registry.addr()
    ));
    let error = client.ping(registry.addr()).await.unwrap_err();
    assert!(matches!(error.root(), Error::Blocked { .. }), "{error}");
    assert_eq!(client.request_counts().total(), 0);
}

#[tokio::test]
async fn insecure_entries_allow_an_unverifiable_certificate() {
    let tls = Registry::builder().tls().start();
    let client = with_conf(&format!(
        "[[registry]]\nlocation = \"{}\"\ninsecure = true\n",
        tls.addr()
    ));
    client.ping(tls.addr()).await.unwrap();
    // And without the entry, the certificate is an error.
    let error = builder()
        .registries(Registries::default())
        .build()
        .unwrap()
        .ping(tls.addr())
        .await
        .unwrap_err();
    assert!(error.is_tls_verification(), "{error}");
    // The environment's file is read when no entries are given.
    let home = tempfile::tempdir().unwrap();
    let conf = home.path().join("registries.conf");
    std::fs::write(
        &conf,
        format!("[[registry]]\nlocation = \"{}\"\ninsecure = true\n", tls.addr()),
    )
    .unwrap();
    let from_env = builder()
        .environment(NetworkEnv {
            registries_conf: Some(conf),
            ..NetworkEnv::default()
        })
        .build()
        .unwrap();
    from_env.ping(tls.addr()).await.unwrap();
}
