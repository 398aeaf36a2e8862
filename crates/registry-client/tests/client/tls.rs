//! Hosts marked insecure: unverified https where the registry has TLS, plain http where not.

use skiff_integration::Registry;

use crate::util::{builder, push_image, reference, repo};

#[tokio::test]
async fn insecure_hosts_use_unverified_tls_then_http() {
    let tls = Registry::builder().tls().start();
    let plain = Registry::anonymous();
    let client = builder()
        .insecure_host(tls.addr())
        .insecure_host(plain.addr())
        .build()
        .unwrap();
    for registry in [&tls, &plain] {
        let (bytes, _) = push_image(&client, &repo(registry.addr(), "insecure/app"), "v1", 80).await;
        let fetched = client
            .get_manifest(&reference(registry.addr(), "insecure/app:v1"))
            .await
            .unwrap();
        assert_eq!(fetched.bytes(), &bytes, "{}", registry.scheme());
    }
}

#[tokio::test]
async fn unmarked_loopback_hosts_use_plain_http_only() {
    let tls = Registry::builder().tls().start();
    let client = builder().build().unwrap();
    let error = client.ping(tls.addr()).await.unwrap_err();
    assert!(error.to_string().contains("not reachable"), "{error}");
}
