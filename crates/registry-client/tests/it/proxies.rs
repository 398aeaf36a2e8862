//! Forward proxies against a real squid: https through `CONNECT`, plain http in absolute form,
//! proxy credentials, `NO_PROXY`. The registries are reached by a name only squid resolves, so a
//! request that succeeds went through the proxy.

use registry_client::{Client, Credential, HyperTransport, NetworkEnv, StaticCredentials};
use skiff_integration::{free_port, ForwardProxy, Registry, User};

use crate::util::{builder, push_image, reference, repo};

fn proxy_user() -> User {
    User::new("proxyuser", "proxy-pass")
}

/// A transport with `env`'s proxies that trusts `registry`'s CA when it has one.
fn transport(env: NetworkEnv, registry: &Registry) -> HyperTransport {
    let mut transport = HyperTransport::builder().environment(env);
    if let Some(tls) = registry.tls() {
        transport = transport.ca_file(tls.ca_cert());
    }
    transport.build().unwrap()
}

// Multi-threaded: the connection tasks must run while the test waits for squid's log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_goes_through_connect_with_proxy_credentials_and_registry_credentials_inside() {
    let user = User::new("alice", "registry-secret");
    let registry = Registry::builder()
        .tls()
        .htpasswd(std::slice::from_ref(&user))
        .start();
    let proxy = ForwardProxy::with_user(&proxy_user());
    let host = registry.proxy_only_host();
    let env = NetworkEnv {
        https_proxy: Some(proxy.url_with_credentials()),
        ..NetworkEnv::default()
    };
    let credentials = StaticCredentials::new().with(&host, Credential::basic(user.name(), user.password()));
    let client = builder()
        .transport(transport(env, &registry))
        .credentials(credentials)
        .build()
        .unwrap();
    let (bytes, _) = push_image(&client, &repo(&host, "proxied/app"), "v1", 95).await;
    let fetched = client
        .get_manifest(&reference(&host, "proxied/app:v1"))
        .await
        .unwrap();
    assert_eq!(fetched.bytes(), &bytes);
    // squid logs a tunnel when it closes: dropping the client closes its pooled connections.
    drop(client);
    assert!(
        proxy.logged(&["CONNECT", &host, proxy_user().name()]),
        "the tunnel was opened as the proxy user:\n{}",
        proxy.log()
    );
    // The proxy saw tunnels only: no request line, so no registry credential.
    assert!(!proxy.access_log().contains("/v2/"), "{}", proxy.access_log());
}

#[tokio::test]
async fn plain_http_goes_to_the_proxy_in_absolute_form() {
    let registry = Registry::anonymous();
    let proxy = ForwardProxy::with_user(&proxy_user());
    let host = registry.proxy_only_host();
    let env = NetworkEnv {
        https_proxy: Some(proxy.url_with_credentials()),
        http_proxy: Some(proxy.url_with_credentials()),
        ..NetworkEnv::default()
    };
    // Not a local name, so plain http needs the insecure mark (https is tried first).
    let client = builder()
        .transport(transport(env, &registry))
        .insecure_host(&host)
        .build()
        .unwrap();
    let (bytes, _) = push_image(&client, &repo(&host, "plain/app"), "v1", 96).await;
    let fetched = client
        .get_manifest(&reference(&host, "plain/app:v1"))
        .await
        .unwrap();
    assert_eq!(fetched.bytes(), &bytes);
    assert!(
        proxy.logged(&[
            "GET",
            &format!("http://{host}/v2/plain/app/manifests/v1"),
            proxy_user().name()
        ]),
        "{}",
        proxy.log()
    );
}

#[tokio::test]
async fn a_proxy_refusing_the_credentials_is_an_error() {
    let registry = Registry::builder().tls().start();
    let proxy = ForwardProxy::with_user(&proxy_user());
    let env = NetworkEnv {
        https_proxy: Some(proxy.url()),
        ..NetworkEnv::default()
    };
    let client: Client = builder().transport(transport(env, &registry)).build().unwrap();
    let error = client.ping(&registry.proxy_only_host()).await.unwrap_err();
    assert!(proxy.logged(&["TCP_DENIED/407"]), "{error}\n{}", proxy.log());
    assert!(
        format!("{error:#}").contains("proxy authorization required"),
        "{error:#}"
    );
}

#[tokio::test]
async fn no_proxy_sends_matching_hosts_directly() {
    let registry = Registry::anonymous();
    // Nothing listens on the proxy port: a client that used it would fail.
    let dead_proxy = format!("http://127.0.0.1:{}", free_port());
    let env = |proxy: &str, no_proxy: &str| NetworkEnv {
        https_proxy: Some(proxy.to_owned()),
        http_proxy: Some(proxy.to_owned()),
        no_proxy: Some(no_proxy.to_owned()),
        ..NetworkEnv::default()
    };
    let port: u16 = registry.addr().rsplit_once(':').unwrap().1.parse().unwrap();
    for no_proxy in ["127.0.0.1", "127.0.0.0/8", "*", &format!("127.0.0.1:{port}")] {
        let client = builder()
            .transport(transport(env(&dead_proxy, no_proxy), &registry))
            .build()
            .unwrap();
        client
            .ping(registry.addr())
            .await
            .unwrap_or_else(|e| panic!("NO_PROXY={no_proxy}: {e}"));
    }
    // As with curl and Go's entries, loopback itself is proxied unless listed; an entry for
    // another port does not match.
    let proxy = ForwardProxy::start();
    let other_port = format!("127.0.0.1:{}", port + 1);
    let client = builder()
        .transport(transport(env(&proxy.url(), &other_port), &registry))
        .build()
        .unwrap();
    client.ping(registry.addr()).await.unwrap();
    assert!(
        proxy.logged(&["GET", &format!("http://{}/v2/", registry.addr())]),
        "{}",
        proxy.log()
    );
}
