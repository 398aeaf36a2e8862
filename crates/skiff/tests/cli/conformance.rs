//! Real-world conformance: signed schema1 read from its payload alone, and signature
//! errors that describe the document they were given.

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
