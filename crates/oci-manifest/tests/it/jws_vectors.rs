//! Known-answer vectors made by other implementations: a schema1 manifest the
//! Docker registry (2.8, libtrust) converted from schema2 and signed with its own
//! key, and one skopeo (1.9, `--format v2s1`) signed with a throwaway key. Each
//! must verify, and its digest must be the one the registry and
//! `skopeo manifest-digest` reported.
#![cfg(feature = "jws")]

use oci_manifest::jws::{self, Algorithm};

/// Served by `docker-registry` for a schema2 manifest requested with only the
/// schema1 `Accept` type: pretty-printed, signed by the registry's key.
const REGISTRY_SIGNED: &str = r##"{
   "schemaVersion": 1,
   "name": "library/s2",
   "tag": "latest",
   "architecture": "amd64",
   "fsLayers": [
      {
         "blobSum": "sha256:ded11b2027cc7fa93726f59ee4a9027a0e11aac762c4b5f5d4f874eecc92d16c"
      }
   ],
   "history": [
      {
         "v1Compatibility": "{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"/hello\"]},\"created\":\"2015-01-01T00:00:00Z\",\"id\":\"8b8f6973d51d09171619b6308a24c132e5ac9349e50966e1555a88ac54e95368\",\"os\":\"linux\"}"
      }
   ],
   "signatures": [
      {
         "header": {
            "jwk": {
               "crv": "P-256",
               "kid": "RNSE:6HUK:5C6J:PV53:B5GU:RQOE:UKBS:LLOE:WGGH:6THQ:KHVO:KCTM",
               "kty": "EC",
               "x": "_7rxD5VioyY10eXcLlxcpbrilSsuor4bdjSZInUg__A",
               "y": "PH1HRDS8_sO0Oy5w0qNVFomTYSL8Og4hTLg6nFNkkvY"
            },
            "alg": "ES256"
         },
         "signature": "zdwVfzX0V_7MUrSkiS1QXDZVUOhjhFVYOL1Rb4OkF8xP_cQnpaCKCtSj59pk6L0_okXaJGcM_a5FOqvHDoPdOA",
         "protected": "eyJmb3JtYXRMZW5ndGgiOjQ5MCwiZm9ybWF0VGFpbCI6IkNuMCIsInRpbWUiOiIyMDI2LTExLTI1VDE1OjA5OjQyWiJ9"
      }
   ]
}"##;
/// Its `Docker-Content-Digest`.
const REGISTRY_DIGEST: &str = "sha256:cbd3848f6735ecbaf5bcc877ae7486f13dcff92ee658ec10d7ee3ac7dfda2540";
/// The registry key's ID as libtrust printed it in the JWK.
const REGISTRY_KEY_ID: &str = "RNSE:6HUK:5C6J:PV53:B5GU:RQOE:UKBS:LLOE:WGGH:6THQ:KHVO:KCTM";

/// Written by `skopeo copy --format v2s1 ... dir:`: compact, dummy-signed.
const SKOPEO_SIGNED: &str = r##"{"name":"","tag":"","architecture":"amd64","fsLayers":[{"blobSum":"sha256:ded11b2027cc7fa93726f59ee4a9027a0e11aac762c4b5f5d4f874eecc92d16c"}],"history":[{"v1Compatibility":"{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"/hello\"]},\"created\":\"2015-01-01T00:00:00Z\",\"id\":\"8b8f6973d51d09171619b6308a24c132e5ac9349e50966e1555a88ac54e95368\",\"os\":\"linux\"}"}],"schemaVersion":1,"signatures":[{"header":{"jwk":{"crv":"P-256","kid":"CYKW:QHEV:JIUU:2G7U:MV6O:WWW5:BUTV:CCJD:6TSV:J3FZ:DBU6:GH2V","kty":"EC","x":"bBIn3p22pCPbdb1buf5D6Xn3tX-Zqmnuwx1ciB6RB3g","y":"nV8ASMb1JBygcxtVIbpOvh5Yi7J2aITtbGqjax3G_Gg"},"alg":"ES256"},"signature":"qH_JGEebSpmKkPPlvFlYjbCA80dK5Aguuw8v0PeXAd6jz7oWXWL2xJSwAqVhKpwiVMFq8VDkc7CoyQNZ_VQ_uQ","protected":"eyJmb3JtYXRMZW5ndGgiOjM4NiwiZm9ybWF0VGFpbCI6ImZRIiwidGltZSI6IjIwMjYtMTEtMjVUMTU6MDk6NDJaIn0"}]}"##;
/// What `skopeo manifest-digest` printed for it.
const SKOPEO_DIGEST: &str = "sha256:e3cfb28937e696b27f6597439189f83fafe5d6019c17a47c035131d5e7b503d3";

fn sha256(bytes: &[u8]) -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, bytes);
    let hex: String = hash.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[test]
fn registry_signed_manifest_verifies_with_the_registry_digest() {
    let verified = jws::verify(REGISTRY_SIGNED.as_bytes()).unwrap();
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].algorithm(), Algorithm::Es256);
    assert_eq!(verified[0].key_id().as_str(), REGISTRY_KEY_ID);
    assert_eq!(
        sha256(&jws::signed_payload(REGISTRY_SIGNED.as_bytes()).unwrap()),
        REGISTRY_DIGEST
    );
}

#[test]
fn skopeo_signed_manifest_verifies_with_the_skopeo_digest() {
    let verified = jws::verify(SKOPEO_SIGNED.as_bytes()).unwrap();
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].algorithm(), Algorithm::Es256);
    assert_eq!(
        sha256(&jws::signed_payload(SKOPEO_SIGNED.as_bytes()).unwrap()),
        SKOPEO_DIGEST
    );
}

#[test]
fn vectors_fail_once_touched() {
    for vector in [REGISTRY_SIGNED, SKOPEO_SIGNED] {
        let touched = vector.replacen("amd64", "arm64", 1);
        assert_eq!(
            jws::verify(touched.as_bytes()),
            Err(jws::SignatureError::Invalid { index: 0 })
        );
    }
}
