//! Real-world conformance: signed schema1 read from its payload alone, and signature
//! errors that describe the document they were given.

use serde_json::Value;
use skiff_integration::{ImageFormat, ImageRef, Registry, Skopeo};

use super::util::Skiff;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../oci-manifest/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A signed fixture with `extra` spliced in right after its signed payload: members a reader
/// of the whole document sees but neither the signature nor the digest covers.
fn with_unsigned_members(name: &str, extra: &str) -> Vec<u8> {
    let signed = fixture(name);
    let length = oci_manifest::jws::parse_signatures(&signed).unwrap()[0].format_length() as usize;
    [&signed[..length], extra.as_bytes(), &signed[length..]].concat()
}

#[test]
fn digest_and_verify_of_a_file_read_the_signed_payload() {
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let expected = oci_digest::Digest::sha256(&fixture("schema1-unsigned.json")).to_string();
    for extra in [
        ",\n   \"name\": \"library/evil\"",
        ",\n   \"fsLayers\": [], \"x-unsigned\": 1",
    ] {
        let file = work.path().join("manifest.json");
        std::fs::write(&file, with_unsigned_members("schema1-signed-rs256.json", extra)).unwrap();
        let file = file.to_str().unwrap();
        assert_eq!(skiff.ok_text(&["digest", "--file", file]), expected, "{extra}");
        let verified = skiff.ok_text(&["verify", "--file", file]);
        assert!(verified.starts_with("RS256 "), "{extra}: {verified}");
    }
}

#[test]
fn verify_names_a_signatures_member_that_is_not_an_array() {
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let unsigned = String::from_utf8(fixture("schema1-unsigned.json")).unwrap();
    let body = unsigned.trim_end().strip_suffix('}').unwrap();
    for (signatures, found) in [("{}", "an object"), ("\"sig\"", "a string"), ("7", "a number")] {
        let file = work.path().join("manifest.json");
        std::fs::write(&file, format!("{body},\"signatures\":{signatures}}}")).unwrap();
        let file = file.to_str().unwrap();
        let stderr = skiff.fails(&["verify", "--file", file], 1);
        assert!(!stderr.contains("signature 0"), "{stderr}");
        assert!(
            stderr.contains(&format!("`signatures` member is not an array (it is {found})")),
            "{stderr}"
        );
        // digest refuses it for the same reason: there is no payload to digest.
        let stderr = skiff.fails(&["digest", "--file", file], 1);
        assert!(stderr.contains("not an array"), "{stderr}");
    }
}

/// `convert --to oci` keeps the config bytes (the image ID stays), and its manifest is skopeo's
/// exactly when skopeo's re-encoding of the config leaves it unchanged: what docs/CLI.md says.
#[test]
fn convert_to_oci_keeps_the_config_and_equals_skopeo_exactly_when_skopeo_keeps_it() {
    let registry = Registry::builder().schema1().start();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    // A Docker config, as Docker builds them from v1 history, and one skopeo itself wrote.
    let old = skopeo.push_random_image(&registry, "conv/old:1", &[500, 60], ImageFormat::V2s1);
    let docker = registry.reference("conv/docker:1");
    skiff.ok_text(&["convert", "-q", "--to", "v2s2", old.reference(), &docker]);
    skopeo.push_random_image(&registry, "conv/native:1", &[400, 30], ImageFormat::V2s2);

    let manifest = |reference: &str| -> Value {
        serde_json::from_slice(&skiff.ok(&["inspect", "--raw", reference])).unwrap()
    };
    let mut compared = Vec::new();
    for source in ["conv/docker:1", "conv/native:1"] {
        let source_ref = registry.reference(source);
        let ours_ref = registry.reference(&format!("{source}-ours"));
        let ours_digest = skiff.ok_text(&["convert", "-q", "--to", "oci", &source_ref, &ours_ref]);
        let theirs_digest = skopeo
            .copy(
                &ImageRef::registry(&registry, source),
                &ImageRef::registry(&registry, &format!("{source}-theirs")),
                Some(ImageFormat::Oci),
            )
            .unwrap();
        let (original, ours, theirs) = (
            manifest(&source_ref),
            manifest(&ours_ref),
            manifest(&registry.reference(&format!("{source}-theirs"))),
        );
        // The image ID stays: the config blob is the source's, byte for byte.
        assert_eq!(ours["config"]["digest"], original["config"]["digest"], "{source}");
        assert_eq!(
            skiff.ok(&["inspect", "--config", &ours_ref]),
            skiff.ok(&["inspect", "--config", &source_ref]),
            "{source}"
        );
        assert_eq!(
            ours["layers"].as_array().map(Vec::len),
            theirs["layers"].as_array().map(Vec::len)
        );
        for (a, b) in ours["layers"]
            .as_array()
            .unwrap()
            .iter()
            .zip(theirs["layers"].as_array().unwrap())
        {
            assert_eq!(
                (&a["digest"], &a["mediaType"]),
                (&b["digest"], &b["mediaType"]),
                "{source}"
            );
        }
        let skopeo_kept_the_config = theirs["config"]["digest"] == original["config"]["digest"];
        assert_eq!(ours_digest == theirs_digest, skopeo_kept_the_config, "{source}");
        compared.push(skopeo_kept_the_config);
    }
    // skopeo rewrites Docker's config and keeps its own: both sides of the rule were seen.
    assert_eq!(compared, [false, true]);
}
