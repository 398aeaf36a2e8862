//! A small but realistic image written as an OCI image layout, to push with skopeo.

use std::io::Write;
use std::path::Path;

use oci_digest::Digest;
use serde_json::json;

/// Writes `content` under `blobs/sha256` and returns its digest and size.
fn put(root: &Path, content: &[u8]) -> (Digest, usize) {
    let digest = Digest::sha256(content);
    std::fs::write(root.join("blobs/sha256").join(digest.encoded()), content).unwrap();
    (digest, content.len())
}

fn layer(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_500_000_000);
        header.set_cksum();
        builder.append_data(&mut header, path, *content).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

/// Writes a two-layer image with an empty-layer history entry, labels, an
/// environment and characters Go escapes, tagged `v1`, into `root`.
pub(crate) fn write_image(root: &Path) {
    std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
    let big = vec![b'x'; 3000];
    let layers = [
        layer(&[("etc/a.txt", b"hello a&b <x>\n")]),
        layer(&[("usr/b.bin", &big), ("usr/c", b"cc")]),
    ];
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for blob in &layers {
        let (digest, size) = put(root, blob);
        descriptors.push(json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size}));
        let summary = v1_compat::scan_layer(blob.as_slice(), &digest).unwrap();
        diff_ids.push(summary.diff_id().clone());
    }
    let config = json!({
        "created": "2021-05-06T07:08:09.123456789Z",
        "architecture": "amd64",
        "os": "linux",
        "author": "Tester <t@example.com>",
        "config": {
            "Env": ["PATH=/usr/bin:/bin", "A=1&2"],
            "Cmd": ["/bin/sh"],
            "Labels": {"b.label": "two", "a.label": "<one>"}
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": "2021-05-06T07:08:07Z", "created_by": "/bin/sh -c #(nop) ADD file:a in / ", "author": "Tester"},
            {"created": "2021-05-06T07:08:08.5Z", "created_by": "/bin/sh -c #(nop)  ENV A=1&2", "empty_layer": true},
            {"created": "2021-05-06T07:08:09.123456789Z", "created_by": "/bin/sh -c make && install", "comment": "built"}
        ]
    });
    let (config_digest, config_size) = put(root, config.to_string().as_bytes());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": descriptors
    });
    let (manifest_digest, manifest_size) = put(root, manifest.to_string().as_bytes());
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": "v1"}
        }]
    });
    std::fs::write(root.join("index.json"), index.to_string()).unwrap();
    std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}
