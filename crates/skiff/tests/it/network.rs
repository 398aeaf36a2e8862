//! The network conventions from the command line, agreeing with skopeo: certificate
//! directories (mutual TLS), proxies and registries.conf.

use skiff_integration::{ForwardProxy, ImageFormat, ImageRef, Registry, Skopeo, User};

use crate::util::Skiff;

#[test]
fn cert_dir_gives_mutual_tls_as_skopeo_reads_it() {
    let registry = Registry::builder().mutual_tls().start();
    let skopeo = Skopeo::new();
    skopeo.push_random_image(&registry, "mtls/app:1", &[10], ImageFormat::Oci);
    let skiff = Skiff::new();
    let image = registry.reference("mtls/app:1");
    let cert_dir = registry.tls().unwrap().cert_dir().to_str().unwrap().to_owned();
    let ours = skiff.ok(&["inspect", "--raw", "--cert-dir", &cert_dir, &image]);
    let theirs = skopeo
        .inspect_raw(&ImageRef::registry(&registry, "mtls/app:1"))
        .unwrap();
    assert_eq!(ours, theirs);

    // Per host under the home, as skopeo reads ~/.config/containers/certs.d.
    let per_host = skiff
        .home()
        .join(".config/containers/certs.d")
        .join(registry.addr());
    std::fs::create_dir_all(&per_host).unwrap();
    for file in ["ca.crt", "client.cert", "client.key"] {
        std::fs::copy(format!("{cert_dir}/{file}"), per_host.join(file)).unwrap();
    }
    assert_eq!(skiff.ok(&["inspect", "--raw", &image]), theirs);

    // Half a pair is an error naming the file, before anything is sent.
    std::fs::remove_file(per_host.join("client.key")).unwrap();
    let stderr = skiff.fails(&["inspect", "--raw", &image], 1);
    let named = per_host.join("client.cert");
    assert!(
        stderr.contains(&named.display().to_string()) && stderr.contains("without its key"),
        "{stderr}"
    );
}

#[test]
fn https_proxy_is_used_as_skopeo_uses_it_and_named_at_debug_level() {
    let registry = Registry::builder().tls().start();
    Skopeo::new().push_random_image(&registry, "proxied/app:1", &[10], ImageFormat::Oci);
    let proxy = ForwardProxy::with_user(&User::new("proxyuser", "proxy-pass"));
    let with_proxy = proxy.url_with_credentials();
    let theirs = Skopeo::new()
        .with_env("HTTPS_PROXY", &with_proxy)
        .inspect_raw(&ImageRef::proxy_only(&registry, "proxied/app:1"))
        .unwrap();
    let skiff = Skiff::new().with_env("HTTPS_PROXY", &with_proxy);
    let ca = registry.tls().unwrap().ca_cert().to_str().unwrap().to_owned();
    let image = registry.proxy_only_reference("proxied/app:1");
    let out = skiff.run(&["-v", "inspect", "--raw", "--ca-file", &ca, &image]);
    assert!(out.status.success(), "{}", crate::util::describe(&out));
    assert_eq!(out.stdout, theirs, "the name resolves only inside the proxy");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("through proxy") && stderr.contains(&proxy.url()),
        "{stderr}"
    );
    assert!(!stderr.contains("proxy-pass"), "{stderr}");

    // A proxy URL skiff cannot use is an error, not a silent direct connection.
    let stderr = Skiff::new()
        .with_env("HTTPS_PROXY", "socks5://proxyuser:proxy-pass@127.0.0.1:1080")
        .fails(&["inspect", "--raw", &image], 1);
    assert!(
        stderr.contains("HTTPS_PROXY") && stderr.contains("only http://") && !stderr.contains("proxy-pass"),
        "{stderr}"
    );
}

#[test]
fn registries_conf_mirrors_and_blocks_as_skopeo_reads_it() {
    let upstream = Registry::anonymous();
    let cache = Registry::builder().pull_through_cache(&upstream).start();
    Skopeo::new().push_random_image(&upstream, "team/app:1", &[10], ImageFormat::Oci);
    let skiff = Skiff::new();
    let conf = skiff.home().join("mirrors.conf");
    std::fs::write(
        &conf,
        format!(
            r#"
[[registry]]
prefix = "example.test/team"
location = "{upstream}/team"
insecure = true
[[registry.mirror]]
location = "{cache}/team"
insecure = true

[[registry]]
prefix = "example.test/secret"
location = "{upstream}/secret"
blocked = true
"#,
            upstream = upstream.addr(),
            cache = cache.addr()
        ),
    )
    .unwrap();
    let skopeo = Skopeo::new().with_registries_conf(&conf);
    let theirs = skopeo
        .inspect_raw(&ImageRef::local("docker://example.test/team/app:1"))
        .unwrap();
    let conf_arg = conf.to_str().unwrap();
    let out = skiff.run(&[
        "-v",
        "--registries-conf",
        conf_arg,
        "inspect",
        "--raw",
        "example.test/team/app:1",
    ]);
    assert!(out.status.success(), "{}", crate::util::describe(&out));
    assert_eq!(out.stdout, theirs);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("read served by mirror") && stderr.contains(&format!("{}/team/app", cache.addr())),
        "-v names the endpoint that served the read: {stderr}"
    );

    // CONTAINERS_REGISTRIES_CONF is read when the flag is not given.
    let from_env = Skiff::new().with_env("CONTAINERS_REGISTRIES_CONF", conf_arg);
    assert_eq!(
        from_env.ok(&["inspect", "--raw", "example.test/team/app:1"]),
        theirs
    );

    assert!(skopeo
        .inspect_raw(&ImageRef::local("docker://example.test/secret/app:1"))
        .is_err());
    let stderr = skiff.fails(
        &[
            "--registries-conf",
            conf_arg,
            "inspect",
            "--raw",
            "example.test/secret/app:1",
        ],
        1,
    );
    assert!(stderr.contains("blocked"), "{stderr}");
}
