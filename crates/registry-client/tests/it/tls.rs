//! Scheme selection: local hosts get verified https (a CA file makes a self-made certificate
//! verifiable) and plain http only when they do not speak TLS; hosts marked insecure get
//! unverified https where the registry has TLS, plain http where not.

use skiff_integration::Registry;

use crate::util::{builder, push_image, reference, repo, trusting};

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
async fn a_loopback_tls_registry_is_verified_with_its_ca_file() {
    let tls = Registry::builder().tls().start();
    let ca = tls.tls().expect("a TLS registry has TLS files").ca_cert();
    let client = builder().transport(trusting(ca)).build().unwrap();
    let (bytes, _) = push_image(&client, &repo(tls.addr(), "verified/app"), "v1", 81).await;
    let fetched = client
        .get_manifest(&reference(tls.addr(), "verified/app:v1"))
        .await
        .unwrap();
    assert_eq!(fetched.bytes(), &bytes);
}

#[tokio::test]
async fn an_unverifiable_loopback_certificate_is_an_error_not_a_downgrade() {
    let tls = Registry::builder().tls().start();
    let client = builder().build().unwrap();
    let error = client.ping(tls.addr()).await.unwrap_err();
    assert!(error.is_tls_verification(), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("could not be verified") && message.contains("CA file"),
        "the message says what failed and what to do: {message}"
    );
}

#[tokio::test]
async fn loopback_plain_http_registries_need_no_configuration() {
    let plain = Registry::anonymous();
    let client = builder().build().unwrap();
    let (bytes, _) = push_image(&client, &repo(plain.addr(), "plain/app"), "v1", 82).await;
    let fetched = client
        .get_manifest(&reference(plain.addr(), "plain/app:v1"))
        .await
        .unwrap();
    assert_eq!(fetched.bytes(), &bytes);
}
