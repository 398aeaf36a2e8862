//! Schema1 JWS signatures end to end: round trips for every algorithm, typed
//! errors for every kind of damage, known answers computed outside this crate,
//! and no panics on arbitrary input. Cross-checks with the `openssl` command
//! line live in `jws_openssl.rs`.
#![cfg(feature = "jws")]

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oci_manifest::jws::{self, Algorithm, KeyId, SignatureError, SigningKey};

/// A realistic pretty-printed schema1 payload (three-space indent, as Docker writes).
const PAYLOAD: &str = r#"{
   "schemaVersion": 1,
   "name": "library/hello",
   "tag": "latest",
   "architecture": "amd64",
   "fsLayers": [
      {
         "blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
      }
   ],
   "history": [
      {
         "v1Compatibility": "{\"id\":\"5f5e\",\"created\":\"2015-01-01T00:00:00Z\"}"
      }
   ]
}"#;

fn time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_420_070_400)
}

fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("keys")
}

fn key(name: &str) -> SigningKey {
    let pem = std::fs::read_to_string(keys_dir().join(format!("{name}.pem"))).unwrap();
    SigningKey::from_pkcs8_pem(&pem).unwrap()
}

/// The key IDs in `tests/keys/key-ids.txt`, computed with openssl and python3.
fn expected_key_id(name: &str) -> KeyId {
    let table = std::fs::read_to_string(keys_dir().join("key-ids.txt")).unwrap();
    let line = table
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no key ID for {name}"));
    line.parse().unwrap()
}

/// Every key and algorithm pair `ring` can sign with.
fn signers() -> Vec<(&'static str, SigningKey)> {
    vec![
        ("rsa-2048", key("rsa-2048")),
        (
            "rsa-2048",
            key("rsa-2048").with_algorithm(Algorithm::Rs384).unwrap(),
        ),
        (
            "rsa-2048",
            key("rsa-2048").with_algorithm(Algorithm::Rs512).unwrap(),
        ),
        ("ec-p256", key("ec-p256")),
        ("ec-p384", key("ec-p384")),
    ]
}

fn signed_with(name: &str) -> Vec<u8> {
    jws::sign(PAYLOAD.as_bytes(), &key(name), time()).unwrap()
}

/// Replaces the first occurrence of `from` (which must occur) in `bytes`.
fn replace_first(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(text.contains(from), "{from:?} not in manifest");
    text.replacen(from, to, 1).into_bytes()
}

/// The value of the first `"name": "value"` member in `bytes`.
fn member<'a>(bytes: &'a [u8], name: &str) -> &'a str {
    let text = std::str::from_utf8(bytes).unwrap();
    let start = text.find(&format!("\"{name}\": \"")).unwrap() + name.len() + 5;
    let len = text[start..].find('"').unwrap();
    &text[start..start + len]
}

mod round_trip {
    use super::*;

    #[test]
    fn every_algorithm_signs_and_verifies() {
        let expected = [
            Algorithm::Rs256,
            Algorithm::Rs384,
            Algorithm::Rs512,
            Algorithm::Es256,
            Algorithm::Es384,
        ];
        for ((name, key), algorithm) in signers().into_iter().zip(expected) {
            assert_eq!(key.algorithm(), algorithm);
            let signed = jws::sign(PAYLOAD.as_bytes(), &key, time()).unwrap();
            assert_eq!(
                jws::signed_payload(&signed).unwrap(),
                PAYLOAD.as_bytes(),
                "{algorithm}"
            );
            let verified = jws::verify(&signed).unwrap();
            assert_eq!(verified.len(), 1);
            assert_eq!(verified[0].algorithm(), algorithm);
            assert_eq!(verified[0].key_id(), &expected_key_id(name), "{algorithm}");
            assert_eq!(verified[0].time(), Some("2015-01-01T00:00:00Z"));
            assert!(!verified[0].from_certificate());
        }
    }

    #[test]
    fn rsa_signatures_are_deterministic() {
        assert_eq!(signed_with("rsa-2048"), signed_with("rsa-2048"));
    }

    #[test]
    fn keeps_compact_tabbed_and_trailing_newline_payloads_exact() {
        let payloads = [
            r#"{"schemaVersion":1,"name":"a/b","tag":"t","fsLayers":[],"history":[]}"#,
            "{\n\t\"schemaVersion\": 1,\n\t\"name\": \"a/b\"\n}",
            "{\n  \"schemaVersion\": 1\n}\n",
        ];
        for payload in payloads {
            let signed = jws::sign(payload.as_bytes(), &key("ec-p256"), time()).unwrap();
            assert_eq!(
                jws::signed_payload(&signed).unwrap(),
                payload.as_bytes(),
                "{payload:?}"
            );
            assert_eq!(jws::verify(&signed).unwrap().len(), 1);
        }
    }

    #[test]
    fn lays_out_signatures_like_libtrust() {
        let signed = String::from_utf8(signed_with("rsa-2048")).unwrap();
        let head = &PAYLOAD[..PAYLOAD.len() - 2];
        let tail = signed.strip_prefix(head).unwrap();
        let kid = expected_key_id("rsa-2048");
        let n = member(signed.as_bytes(), "n");
        let signature = member(signed.as_bytes(), "signature");
        let protected = member(signed.as_bytes(), "protected");
        let expected = format!(
            ",\n   \"signatures\": [\n      {{\n         \"header\": {{\n            \"jwk\": {{\n               \
             \"e\": \"AQAB\",\n               \"kid\": \"{kid}\",\n               \"kty\": \"RSA\",\n               \
             \"n\": \"{n}\"\n            }},\n            \"alg\": \"RS256\"\n         }},\n         \
             \"signature\": \"{signature}\",\n         \"protected\": \"{protected}\"\n      }}\n   ]\n}}"
        );
        assert_eq!(tail, expected);
        let header = jws::parse_signatures(signed.as_bytes()).unwrap().remove(0);
        assert_eq!(
            header.protected(),
            // {"formatLength":N,"formatTail":"Cn0","time":"2015-01-01T00:00:00Z"}, members sorted as Go writes them.
            base64_url(
                format!(
                    r#"{{"formatLength":{},"formatTail":"Cn0","time":"2015-01-01T00:00:00Z"}}"#,
                    head.len()
                )
                .as_bytes()
            )
        );
    }

    fn base64_url(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn several_signatures_are_sorted_by_key_id() {
        let (rsa, p256, p384) = (key("rsa-2048"), key("ec-p256"), key("ec-p384"));
        let signed = jws::sign_all(PAYLOAD.as_bytes(), &[&rsa, &p256, &p384], time()).unwrap();
        let ids: Vec<KeyId> = jws::verify(&signed)
            .unwrap()
            .iter()
            .map(|v| v.key_id().clone())
            .collect();
        let mut sorted = vec![
            expected_key_id("rsa-2048"),
            expected_key_id("ec-p256"),
            expected_key_id("ec-p384"),
        ];
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(jws::signed_payload(&signed).unwrap(), PAYLOAD.as_bytes());
    }

    #[test]
    fn dummy_signatures_use_throwaway_p256_keys() {
        let first = jws::add_dummy_signature(PAYLOAD.as_bytes()).unwrap();
        let second = jws::add_dummy_signature(PAYLOAD.as_bytes()).unwrap();
        let (first, second) = (jws::verify(&first).unwrap(), jws::verify(&second).unwrap());
        assert_eq!(first[0].algorithm(), Algorithm::Es256);
        assert_ne!(first[0].key_id(), second[0].key_id());
    }

    #[test]
    fn key_ids_match_independently_computed_ones() {
        for name in ["rsa-2048", "ec-p256", "ec-p384"] {
            let key = key(name);
            assert_eq!(key.key_id(), &expected_key_id(name), "{name}");
            let spki = std::fs::read(keys_dir().join(format!("{name}.spki.der"))).unwrap();
            assert_eq!(
                key.public_key_spki_der(),
                spki,
                "{name}: SubjectPublicKeyInfo differs from openssl's"
            );
            assert_eq!(KeyId::from_spki_der(&spki), expected_key_id(name));
        }
    }
}

mod keys {
    use super::*;

    #[test]
    fn p521_keys_are_refused_with_a_typed_error() {
        let pem = std::fs::read_to_string(keys_dir().join("ec-p521.pem")).unwrap();
        assert_eq!(
            SigningKey::from_pkcs8_pem(&pem).unwrap_err(),
            SignatureError::UnsupportedKey {
                index: 0,
                key: "EC P-521".to_owned()
            }
        );
    }

    #[test]
    fn malformed_keys_are_refused() {
        let cases = [
            "",
            "-----BEGIN PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n",
        ];
        for pem in cases {
            assert!(
                matches!(
                    SigningKey::from_pkcs8_pem(pem),
                    Err(SignatureError::InvalidKey { .. })
                ),
                "{pem:?}"
            );
        }
        assert!(matches!(
            SigningKey::from_pkcs8_der(b"\x30\x03\x02\x01\x00"),
            Err(SignatureError::InvalidKey { .. })
        ));
    }

    #[test]
    fn algorithms_must_fit_the_key() {
        let cases = [
            ("rsa-2048", Algorithm::Es256),
            ("ec-p256", Algorithm::Rs256),
            ("ec-p256", Algorithm::Es384),
        ];
        for (name, algorithm) in cases {
            assert!(
                matches!(
                    key(name).with_algorithm(algorithm),
                    Err(SignatureError::AlgorithmKeyMismatch { .. })
                ),
                "{name} {algorithm}"
            );
        }
    }

    #[test]
    fn debug_output_hides_the_private_key() {
        let debug = format!("{:?}", key("ec-p256"));
        assert!(debug.contains(expected_key_id("ec-p256").as_str()), "{debug}");
        assert!(!debug.to_lowercase().contains("private"), "{debug}");
    }
}

mod damage {
    use super::*;

    #[test]
    fn tampered_payload_is_invalid() {
        for (name, _) in signers() {
            let tampered = replace_first(&signed_with(name), "library/hello", "library/hellp");
            assert_eq!(
                jws::verify(&tampered),
                Err(SignatureError::Invalid { index: 0 }),
                "{name}"
            );
        }
    }

    #[test]
    fn tampered_signature_is_invalid() {
        for (name, _) in signers() {
            let signed = signed_with(name);
            let signature = member(&signed, "signature");
            let flipped = if signature.starts_with('A') { "B" } else { "A" };
            let tampered = replace_first(&signed, signature, &format!("{flipped}{}", &signature[1..]));
            assert_eq!(
                jws::verify(&tampered),
                Err(SignatureError::Invalid { index: 0 }),
                "{name}"
            );
        }
    }

    #[test]
    fn truncated_manifests_are_not_json() {
        let signed = signed_with("ec-p256");
        for cut in [0, 1, signed.len() / 2, signed.len() - 1] {
            assert!(
                matches!(
                    jws::verify(&signed[..cut]),
                    Err(SignatureError::NotJsonObject { .. })
                ),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn swapped_key_id_is_refused() {
        let signed = signed_with("ec-p256");
        let other = expected_key_id("ec-p384");
        let tampered = replace_first(&signed, expected_key_id("ec-p256").as_str(), other.as_str());
        assert_eq!(
            jws::verify(&tampered),
            Err(SignatureError::KeyIdMismatch {
                index: 0,
                declared: other.to_string(),
                actual: expected_key_id("ec-p256").to_string(),
            })
        );
    }

    #[test]
    fn swapped_key_is_invalid() {
        // A JWK that is internally consistent but not the signer's key.
        let signed = signed_with("ec-p256");
        let other = jws::sign(
            PAYLOAD.as_bytes(),
            &SigningKey::generate_ec_p256().unwrap(),
            time(),
        )
        .unwrap();
        let mut tampered = signed.clone();
        for field in ["kid", "x", "y"] {
            tampered = replace_first(&tampered, member(&signed, field), member(&other, field));
        }
        assert_eq!(jws::verify(&tampered), Err(SignatureError::Invalid { index: 0 }));
    }

    #[test]
    fn format_length_out_of_range_is_named() {
        let signed = signed_with("ec-p256");
        let protected =
            base64_json(r#"{"formatLength":100000,"formatTail":"Cn0","time":"2015-01-01T00:00:00Z"}"#);
        let tampered = replace_first(&signed, member(&signed, "protected"), &protected);
        let expected = SignatureError::FormatLengthOutOfRange {
            index: 0,
            format_length: 100_000,
            len: tampered.len(),
        };
        assert_eq!(jws::signed_payload(&tampered), Err(expected.clone()));
        assert_eq!(jws::verify(&tampered), Err(expected));
    }

    #[test]
    fn a_format_tail_the_manifest_does_not_end_with_is_refused() {
        // What the fuzzer found: formatLength spanning the whole manifest and a tail after
        // it, so the payload (which the digest and the signatures cover) would hold bytes
        // the manifest does not show.
        let signed = signed_with("ec-p256");
        let mut length = signed.len();
        let tampered = loop {
            let header =
                format!(r#"{{"formatLength":{length},"formatTail":"Cn0K","time":"2015-01-01T00:00:00Z"}}"#);
            let tampered = replace_first(&signed, member(&signed, "protected"), &base64_json(&header));
            if tampered.len() == length {
                break tampered;
            }
            length = tampered.len();
        };
        let expected = SignatureError::LayoutMismatch {
            index: 0,
            reason: "formatTail is longer than what follows formatLength",
        };
        assert_eq!(jws::signed_payload(&tampered), Err(expected.clone()));
        assert_eq!(jws::verify(&tampered), Err(expected));
    }

    #[test]
    fn disagreeing_signatures_are_refused() {
        let signed = jws::sign_all(PAYLOAD.as_bytes(), &[&key("ec-p256"), &key("rsa-2048")], time()).unwrap();
        let protected = member(&signed, "protected").to_owned();
        let text = String::from_utf8(signed).unwrap();
        let second = text.rfind(&protected).unwrap();
        let other = base64_json(r#"{"formatLength":10,"formatTail":"Cn0K","time":"2015-01-01T00:00:00Z"}"#);
        let tampered = format!("{}{other}{}", &text[..second], &text[second + protected.len()..]);
        assert_eq!(
            jws::signed_payload(tampered.as_bytes()),
            Err(SignatureError::PayloadMismatch { index: 1 })
        );
        assert_eq!(
            jws::verify(tampered.as_bytes()),
            Err(SignatureError::PayloadMismatch { index: 1 })
        );
    }

    #[test]
    fn unknown_and_mismatched_algorithms_are_named() {
        let es256 = signed_with("ec-p256");
        assert_eq!(
            jws::verify(&replace_first(&es256, "\"ES256\"", "\"HS256\"")),
            Err(SignatureError::UnsupportedAlgorithm {
                index: 0,
                alg: "HS256".to_owned()
            })
        );
        assert_eq!(
            jws::verify(&replace_first(&es256, "\"ES256\"", "\"RS256\"")),
            Err(SignatureError::AlgorithmKeyMismatch {
                index: 0,
                alg: "RS256".to_owned(),
                key: "EC P-256".to_owned()
            })
        );
        let rs256 = signed_with("rsa-2048");
        assert_eq!(
            jws::verify(&replace_first(&rs256, "\"RS256\"", "\"ES256\"")),
            Err(SignatureError::AlgorithmKeyMismatch {
                index: 0,
                alg: "ES256".to_owned(),
                key: "RSA-2048".to_owned()
            })
        );
        // RS512 is a valid pairing for the key, but not what was signed.
        assert_eq!(
            jws::verify(&replace_first(&rs256, "\"RS256\"", "\"RS512\"")),
            Err(SignatureError::Invalid { index: 0 })
        );
    }

    #[test]
    fn structural_problems_are_named() {
        let signed = signed_with("ec-p256");
        let signature = member(&signed, "signature");
        let cases: Vec<(Vec<u8>, SignatureError)> = vec![
            (PAYLOAD.as_bytes().to_vec(), SignatureError::NoSignatures),
            (br#"{"signatures":[]}"#.to_vec(), SignatureError::NoSignatures),
            (
                b"[1,2]".to_vec(),
                SignatureError::NotJsonObject {
                    reason: "the top level is not an object".to_owned(),
                },
            ),
            (
                replace_first(&signed, signature, "***"),
                SignatureError::Base64 {
                    index: 0,
                    field: "signature",
                },
            ),
            (
                replace_first(&signed, member(&signed, "x"), "AAAA"),
                SignatureError::MalformedSignature {
                    index: 0,
                    field: "header.jwk.x",
                    reason: "3 bytes, P-256 needs 32".to_owned(),
                },
            ),
            (
                replace_first(&signed, "\"P-256\"", "\"P-192\""),
                SignatureError::UnsupportedKey {
                    index: 0,
                    key: "EC P-192".to_owned(),
                },
            ),
            (
                replace_first(&signed, "\"kty\": \"EC\"", "\"kty\": \"OKP\""),
                SignatureError::UnsupportedKey {
                    index: 0,
                    key: "OKP".to_owned(),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                jws::verify(&input),
                Err(expected),
                "{}",
                String::from_utf8_lossy(&input)
            );
        }
    }

    #[test]
    fn unsignable_payloads_are_refused() {
        let signed = signed_with("ec-p256");
        for payload in [&b"{}"[..], b"[]", b"", b"{\"a\":", &signed] {
            assert!(
                matches!(
                    jws::sign(payload, &key("ec-p256"), time()),
                    Err(SignatureError::UnsignablePayload { .. })
                ),
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
        assert_eq!(
            jws::sign(
                PAYLOAD.as_bytes(),
                &key("ec-p256"),
                UNIX_EPOCH - Duration::from_secs(1)
            ),
            Err(SignatureError::TimeOutOfRange)
        );
    }

    fn base64_json(json: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = jws::signed_payload(&bytes);
            let _ = jws::parse_signatures(&bytes);
            let _ = jws::verify(&bytes);
        }

        #[test]
        fn arbitrary_signature_entries(
            alg in "[A-Z]{2}[0-9]{3}|ES256|RS256",
            protected in "[A-Za-z0-9_=-]{0,40}",
            signature in "[A-Za-z0-9_=-]{0,40}",
            crv in "P-256|P-384|P-521|X",
            kty in "EC|RSA|oct",
            coordinate in "[A-Za-z0-9_-]{0,90}",
        ) {
            let manifest = serde_json::json!({
                "schemaVersion": 1,
                "signatures": [{
                    "header": {
                        "jwk": {"kty": kty, "crv": crv, "x": coordinate, "y": coordinate, "n": coordinate, "e": "AQAB"},
                        "alg": alg,
                        "x5c": if coordinate.len() % 2 == 0 { vec![coordinate.clone()] } else { vec![] },
                    },
                    "signature": signature,
                    "protected": protected,
                }]
            });
            let bytes = serde_json::to_vec(&manifest).unwrap();
            prop_assert!(jws::verify(&bytes).is_err());
        }

        #[test]
        fn arbitrary_certificates(der in proptest::collection::vec(any::<u8>(), 0..256), wrap in any::<bool>()) {
            use base64::Engine as _;
            // Wrapped in a SEQUENCE header, the bytes get past the first check more often.
            let der = if wrap && der.len() < 128 { [vec![0x30, der.len() as u8], der].concat() } else { der };
            let cert = base64::engine::general_purpose::STANDARD.encode(&der);
            let signed = SIGNED.with(Clone::clone);
            let manifest = replace_first(&signed, "\"alg\": \"ES256\"", &format!("\"alg\": \"ES256\", \"x5c\": [\"{cert}\"]"));
            prop_assert!(jws::verify(&manifest).is_err());
        }

        #[test]
        fn arbitrary_private_keys(der in proptest::collection::vec(any::<u8>(), 0..256)) {
            prop_assert!(SigningKey::from_pkcs8_der(&der).is_err());
        }

        #[test]
        fn damaged_signed_manifests(position in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
            let mut signed = SIGNED.with(Clone::clone);
            let at = position.index(signed.len());
            if cut {
                signed.truncate(at);
            } else {
                signed[at] = byte;
            }
            // Either an error or, when only insignificant bytes changed, a valid
            // signature over the unchanged payload: never a panic, never another payload.
            if jws::verify(&signed).is_ok() {
                prop_assert_eq!(jws::signed_payload(&signed).unwrap(), PAYLOAD.as_bytes());
            }
        }

        #[test]
        fn any_json_object_round_trips(
            members in proptest::collection::btree_map("[a-z]{1,8}", "[ -~]{0,16}", 1..6),
            pretty in any::<bool>(),
        ) {
            let payload = if pretty {
                serde_json::to_vec_pretty(&members).unwrap()
            } else {
                serde_json::to_vec(&members).unwrap()
            };
            let signed = P256.with(|key| jws::sign(&payload, key, time())).unwrap();
            prop_assert_eq!(jws::signed_payload(&signed).unwrap(), payload);
            prop_assert_eq!(jws::verify(&signed).unwrap().len(), 1);
        }
    }

    thread_local! {
        static SIGNED: Vec<u8> = signed_with("ec-p256");
        static P256: SigningKey = key("ec-p256");
    }
}
