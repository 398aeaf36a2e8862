//! Registry configurations without auth: anonymous, TLS, schema1 compatibility, catalog paging.

use skiff_integration::{HttpRequest, ImageFormat, ImageRef, RandomImage, Registry, Skopeo};

#[test]
fn anonymous_registry_answers_the_v2_ping() {
    let registry = Registry::anonymous();
    let status = registry.get_status("/v2/");
    registry.ensure(status.contains(" 200 "), format!("GET /v2/ answered {status:?}"));
}

#[test]
fn unknown_repository_is_not_found() {
    let registry = Registry::anonymous();
    let status = registry.get_status("/v2/no/such/tags/list");
    registry.ensure(status.contains(" 404 "), format!("answered {status:?}"));
}

#[test]
fn skopeo_pushes_and_pulls_back_the_same_bytes() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "round/trip:v1", &[1000, 70_000], ImageFormat::V2s2);

    let remote = ImageRef::registry(&registry, "round/trip:v1");
    let summary = skopeo.inspect(&remote).unwrap_or_else(|e| registry.fail(e));
    assert_eq!(summary["Digest"], pushed.digest());
    let layers: Vec<&str> = summary["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let expected: Vec<&str> = pushed.image().layers().iter().map(|l| l.digest()).collect();
    assert_eq!(layers, expected, "schema2 keeps the gzip layers byte for byte");

    let pulled = tempfile::tempdir().unwrap();
    let local = ImageRef::local(format!("oci:{}:pulled", pulled.path().display()));
    skopeo
        .copy(&remote, &local, None)
        .unwrap_or_else(|e| registry.fail(e));
    for layer in pushed.image().layers() {
        let hex = layer.digest().strip_prefix("sha256:").unwrap();
        let bytes = std::fs::read(pulled.path().join("blobs/sha256").join(hex)).unwrap();
        assert_eq!(skiff_integration::sha256(&bytes), layer.digest());
    }

    let blob = pushed.image().layers()[1].digest();
    let response = HttpRequest::get(registry.url(&format!("/v2/round/trip/blobs/{blob}"))).send_blocking();
    assert_eq!(response.status(), 200);
    assert_eq!(skiff_integration::sha256(response.body()), blob);
    assert_eq!(response.header("docker-content-digest"), Some(blob));
}

#[test]
fn tls_registry_is_reached_with_the_test_ca() {
    let registry = Registry::builder().tls().start();
    assert!(registry.url("/v2/").starts_with("https://127.0.0.1:"));
    let tls = registry.tls().expect("TLS files");
    let ca = std::fs::read_to_string(tls.ca_cert()).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(
        std::fs::read_to_string(tls.cert_dir().join("ca.crt")).unwrap(),
        ca
    );

    let skopeo = Skopeo::new();
    // push_random_image passes --dest-cert-dir with the CA and keeps verification on.
    let pushed = skopeo.push_random_image(&registry, "secure/app:1", &[500], ImageFormat::Oci);
    let summary = skopeo
        .inspect(&ImageRef::registry(&registry, "secure/app:1"))
        .unwrap();
    assert_eq!(summary["Digest"], pushed.digest());

    // Without the CA, verification fails: the certificate really comes from the test CA.
    let untrusted = tempfile::tempdir().unwrap();
    let image = RandomImage::build("untrusted", &[10]);
    let failure = skopeo
        .copy(
            &ImageRef::local(image.oci_reference()),
            &ImageRef::registry(&registry, "secure/other:1").with_cert_dir(untrusted.path()),
            None,
        )
        .expect_err("an unknown CA must be refused");
    assert!(failure.stderr().contains("certificate"), "{failure}");
}

#[test]
fn schema1_registry_stores_and_serves_schema1() {
    let registry = Registry::builder().schema1().start();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "old/style:v1", &[300, 400], ImageFormat::V2s1);

    let raw = skopeo
        .inspect_raw(&ImageRef::registry(&registry, "old/style:v1"))
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(manifest["schemaVersion"], 1);
    assert!(manifest["signatures"].as_array().is_some_and(|s| !s.is_empty()));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &raw).unwrap();
    assert_eq!(skopeo.manifest_digest(file.path()).unwrap(), pushed.digest());

    // A schema2 image is rewritten to schema1 for a client that accepts nothing else.
    skopeo.push_random_image(&registry, "new/style:v2", &[100], ImageFormat::V2s2);
    let response = HttpRequest::get(registry.url("/v2/new/style/manifests/v2"))
        .header(
            "accept",
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
        )
        .send_blocking();
    registry.ensure(
        response.status() == 200,
        format!("schema1 GET answered {}", response.status()),
    );
    assert_eq!(
        response.json()["schemaVersion"],
        1,
        "{}",
        String::from_utf8_lossy(response.body())
    );
}

#[test]
fn small_catalog_pages_link_to_the_next() {
    let registry = Registry::builder().catalog_max_entries(2).start();
    let skopeo = Skopeo::new();
    let first = skopeo.push_random_image(&registry, "repo-a:1", &[10], ImageFormat::V2s2);
    for name in ["repo-b:1", "repo-c:1"] {
        skopeo
            .copy(
                &ImageRef::registry(&registry, "repo-a:1"),
                &ImageRef::registry(&registry, name),
                None,
            )
            .unwrap_or_else(|e| registry.fail(e));
    }
    drop(first);

    let mut names = Vec::new();
    let mut next = Some("/v2/_catalog".to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let response = HttpRequest::get(registry.url(&path)).send_blocking();
        registry.ensure(
            response.status() == 200,
            format!("GET {path}: {}", response.status()),
        );
        let page = response.json()["repositories"].as_array().unwrap().clone();
        assert!(page.len() <= 2, "page larger than maxentries: {page:?}");
        names.extend(page.iter().map(|n| n.as_str().unwrap().to_owned()));
        next = response.header("link").map(|link| {
            let target = link
                .split_once('<')
                .and_then(|(_, rest)| rest.split_once('>'))
                .unwrap()
                .0;
            assert!(link.contains("rel=\"next\""), "{link}");
            target.to_owned()
        });
        pages += 1;
    }
    assert_eq!(names, ["repo-a", "repo-b", "repo-c"]);
    assert_eq!(pages, 2);
}
