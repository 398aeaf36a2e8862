//! Known answers from Docker and containers/image for the `httpd:2.4.23` image.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oci_digest::Digest;
use oci_manifest::jws::{self, SigningKey};
use serde_json::Value;
use v1_compat::{config_to_schema1, image_id, schema1_image_id, schema1_to_config, V1History};

use crate::util::{data, schema1_history};

/// The diffIDs of the image's five content layers, base first.
const DIFF_IDS: [&str; 5] = [
    "sha256:142a601d97936307e75220c35dde0348971a9584c21e7cb42e1f7004005432ab",
    "sha256:90fcc66ad3be9f1757f954b750deb37032f208428aa12599fcb02182b9065a9c",
    "sha256:5a8624bb7e76d1e6829f9c64c43185e02bc07f97a2189eb048609a8914e72c56",
    "sha256:d349ff6b3afc6a2800054768c82bfbf4289c9aa5da55c1290f802943dcd4d1e9",
    "sha256:8c064bb1f60e84fa8cc6079b6d2e76e0423389fd6aeb7e497dfdae5e05b2b25b",
];

/// The image ID Docker and containers/image report for it.
const IMAGE_ID: &str = "sha256:9ca4bda0a6b3727a6ffcc43e981cad0f24e2ec79d338f6ba325b4dfd0756fb8f";

fn diff_ids() -> Vec<Digest> {
    DIFF_IDS.iter().map(|d| d.parse().unwrap()).collect()
}

#[test]
fn schema1_image_id_equals_docker() {
    let history = schema1_history(&data("httpd-schema1.json"));
    assert_eq!(history.layers().len(), 15);
    assert_eq!(history.content_layers().count(), 5);

    let config = schema1_to_config(&history, &diff_ids()).unwrap();
    assert_eq!(config.digest().as_str(), IMAGE_ID);
    // Byte for byte the config Docker built the image with.
    assert_eq!(
        String::from_utf8_lossy(config.bytes()),
        String::from_utf8_lossy(&data("httpd-config.json"))
    );
    assert_eq!(image_id(&data("httpd-config.json")).as_str(), IMAGE_ID);
}

/// The schema1 payload Docker made of the image: what the vector's signature covers.
fn docker_signed_payload() -> String {
    let signed = jws::signed_payload(&data("httpd-schema1.json")).expect("a signed manifest");
    String::from_utf8(signed).expect("UTF-8")
}

/// The test key the vector is signed with, and its signing time (Docker's, 2016-10-14T16:12:09Z).
fn vector_key() -> (SigningKey, SystemTime) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../oci-manifest/tests/keys/rsa-2048.pem");
    let pem = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let key = SigningKey::from_pkcs8_pem(&pem).unwrap();
    (key, UNIX_EPOCH + Duration::from_secs(1_476_461_529))
}

#[test]
fn the_signed_vector_verifies_and_is_reproducible() {
    let vector = data("httpd-schema1.json");
    let (key, time) = vector_key();
    let verified = jws::verify(&vector).expect("the vector's signature verifies");
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].key_id(), key.key_id());
    // RS256 is deterministic: signing Docker's payload again gives the file byte for byte.
    let resigned = jws::sign(docker_signed_payload().as_bytes(), &key, time).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&resigned),
        String::from_utf8_lossy(&vector)
    );
    // Read from its payload, it is the manifest Docker wrote.
    let manifest = oci_manifest::Schema1::from_slice(&vector).unwrap();
    assert_eq!(manifest.payload(), docker_signed_payload().as_bytes());
    assert_eq!(
        (manifest.name(), manifest.tag()),
        ("library/httpd-copy", "latest")
    );
}

/// The layer digests of the image's schema2 manifest, base first.
fn schema2_layers() -> Vec<Digest> {
    let schema2: Value = serde_json::from_slice(&data("httpd-schema2.json")).unwrap();
    schema2["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn schema2_to_schema1_equals_docker() {
    let layers = schema2_layers();
    let schema1 = config_to_schema1(
        &data("httpd-config.json"),
        &layers,
        "library/httpd-copy",
        "latest",
    )
    .unwrap();
    assert!(schema1.needs_empty_layer());
    assert_eq!(
        String::from_utf8_lossy(schema1.as_bytes()),
        docker_signed_payload()
    );
}

#[test]
fn round_trip_through_schema1_keeps_the_image_id() {
    let layers = schema2_layers();
    let schema1 = config_to_schema1(&data("httpd-config.json"), &layers, "x", "y").unwrap();
    let history = V1History::from_schema1(&schema1).unwrap();
    let config = schema1_to_config(&history, &diff_ids()).unwrap();
    assert_eq!(config.digest().as_str(), IMAGE_ID);
}

#[test]
fn parsed_signed_manifest_gives_the_same_image_id() {
    let manifest = oci_manifest::Schema1::from_slice(&data("httpd-schema1.json")).unwrap();
    let history = V1History::from_schema1(&manifest).unwrap();
    assert_eq!(history, schema1_history(&data("httpd-schema1.json")));
    assert_eq!(
        schema1_image_id(&history, &diff_ids()).unwrap().as_str(),
        IMAGE_ID
    );
}
