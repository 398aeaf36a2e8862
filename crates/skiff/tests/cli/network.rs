//! The network conventions from the command line, agreeing with skopeo: certificate
//! directories (mutual TLS).

use skiff_integration::{ImageFormat, ImageRef, Registry, Skopeo};

use crate::cli::util::Skiff;

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
