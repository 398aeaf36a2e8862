//! Cross-checks of schema1 JWS signatures with an independent implementation:
//! the `openssl` command line verifies what we sign, and we verify what it
//! signs, including manifests assembled here by hand rather than by this crate.
#![cfg(feature = "jws")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use oci_manifest::jws::{self, Algorithm, SignatureError, SigningKey};
use serde_json::{json, Value};

const PAYLOAD: &str =
    "{\n   \"schemaVersion\": 1,\n   \"name\": \"library/openssl\",\n   \"tag\": \"1.0\"\n}";

fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("keys")
}

fn key_path(name: &str, suffix: &str) -> PathBuf {
    keys_dir().join(format!("{name}{suffix}"))
}

fn key(name: &str) -> SigningKey {
    SigningKey::from_pkcs8_pem(&std::fs::read_to_string(key_path(name, ".pem")).unwrap()).unwrap()
}

fn expected_key_id(name: &str) -> String {
    let table = std::fs::read_to_string(keys_dir().join("key-ids.txt")).unwrap();
    table
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| Some(line.strip_prefix(name)?.strip_prefix(' ')?.to_owned()))
        .unwrap()
}

/// Runs `openssl` in `dir`; a failure prints everything needed to reproduce it.
fn openssl(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "openssl {args:?} failed in {}\nstdout: {stdout}\nstderr: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The digest option of `openssl dgst` for an algorithm.
fn digest_flag(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::Es256 | Algorithm::Rs256 => "-sha256",
        Algorithm::Es384 | Algorithm::Rs384 => "-sha384",
        _ => "-sha512",
    }
}

/// Bytes of `r` (and of `s`) in a raw ECDSA signature for an algorithm.
fn scalar_len(algorithm: Algorithm) -> usize {
    match algorithm {
        Algorithm::Es256 => 32,
        Algorithm::Es384 => 48,
        _ => 66,
    }
}

/// DER length octets.
fn der_len(len: usize) -> Vec<u8> {
    if len < 0x80 {
        vec![len as u8]
    } else {
        vec![0x81, len as u8]
    }
}

/// JWS raw `r || s` to the DER `ECDSA-Sig-Value` openssl reads.
fn raw_to_der(raw: &[u8]) -> Vec<u8> {
    let integer = |half: &[u8]| {
        let trimmed = &half[half.iter().take_while(|&&b| b == 0).count()..];
        let mut content = if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
            vec![0]
        } else {
            vec![]
        };
        content.extend_from_slice(trimmed);
        [vec![0x02], der_len(content.len()), content].concat()
    };
    let (r, s) = raw.split_at(raw.len() / 2);
    let body = [integer(r), integer(s)].concat();
    [vec![0x30], der_len(body.len()), body].concat()
}

/// The DER `ECDSA-Sig-Value` openssl writes to the JWS raw `r || s` form.
fn der_to_raw(der: &[u8], scalar_len: usize) -> Vec<u8> {
    let mut at = if der[1] == 0x81 { 3 } else { 2 };
    let mut raw = Vec::new();
    for _ in 0..2 {
        assert_eq!(der[at], 0x02, "INTEGER expected in {der:02x?}");
        let len = usize::from(der[at + 1]);
        let value = &der[at + 2..at + 2 + len];
        let value = &value[value.iter().take_while(|&&b| b == 0).count()..];
        raw.extend(std::iter::repeat(0).take(scalar_len - value.len()));
        raw.extend_from_slice(value);
        at += 2 + len;
    }
    raw
}

/// A protected header for `payload` and the JWS signing input it implies,
/// computed here rather than by the crate.
fn protected_and_input(payload: &str) -> (String, String) {
    let close = payload.rfind('}').unwrap();
    let format_length = payload[..close].trim_end().len();
    let protected = json!({
        "formatLength": format_length,
        "formatTail": URL_SAFE_NO_PAD.encode(&payload[format_length..]),
        "time": "2015-01-01T00:00:00Z",
    });
    let protected = URL_SAFE_NO_PAD.encode(protected.to_string());
    let input = format!("{protected}.{}", URL_SAFE_NO_PAD.encode(payload));
    (protected, input)
}

/// A compact pretty-signed manifest assembled by hand around one signature.
fn assemble(payload: &str, header: Value, signature: &[u8], protected: &str) -> Vec<u8> {
    let close = payload.rfind('}').unwrap();
    let head = payload[..close].trim_end();
    let entry = json!({
        "header": header,
        "signature": URL_SAFE_NO_PAD.encode(signature),
        "protected": protected,
    });
    format!("{head},\"signatures\":[{entry}]}}").into_bytes()
}

/// The public JWK of a key, from the DER SubjectPublicKeyInfo openssl wrote.
fn jwk_from_spki(name: &str) -> Value {
    let spki = std::fs::read(key_path(name, ".spki.der")).unwrap();
    let kid = expected_key_id(name);
    let (crv, coordinate) = match name {
        "ec-p256" => ("P-256", 32),
        "ec-p384" => ("P-384", 48),
        "ec-p521" => ("P-521", 66),
        _ => panic!("not an EC test key: {name}"),
    };
    // An uncompressed point ends the SubjectPublicKeyInfo: 0x04 || x || y.
    let point = &spki[spki.len() - 2 * coordinate..];
    let (x, y) = point.split_at(coordinate);
    json!({"kty": "EC", "crv": crv, "kid": kid, "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)})
}

/// openssl's signature over `input` with a committed key, in JWS form.
fn openssl_sign(dir: &Path, name: &str, algorithm: Algorithm, input: &str) -> Vec<u8> {
    std::fs::write(dir.join("input"), input).unwrap();
    let pem = key_path(name, ".pem");
    openssl(
        dir,
        &[
            "dgst",
            digest_flag(algorithm),
            "-sign",
            pem.to_str().unwrap(),
            "-out",
            "sig",
            "input",
        ],
    );
    let signature = std::fs::read(dir.join("sig")).unwrap();
    if algorithm.is_rsa() {
        signature
    } else {
        der_to_raw(&signature, scalar_len(algorithm))
    }
}

#[test]
fn openssl_verifies_our_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("rsa-2048", Algorithm::Rs256),
        ("rsa-2048", Algorithm::Rs384),
        ("rsa-2048", Algorithm::Rs512),
        ("ec-p256", Algorithm::Es256),
        ("ec-p384", Algorithm::Es384),
    ];
    for (name, algorithm) in cases {
        let key = key(name).with_algorithm(algorithm).unwrap();
        let signed = jws::sign(
            PAYLOAD.as_bytes(),
            &key,
            UNIX_EPOCH + Duration::from_secs(1_420_070_400),
        )
        .unwrap();
        let signature = jws::parse_signatures(&signed).unwrap().remove(0);
        assert_eq!(signature.alg(), algorithm.as_str());
        let input = format!("{}.{}", signature.protected(), URL_SAFE_NO_PAD.encode(PAYLOAD));
        let der_signature = if algorithm.is_rsa() {
            signature.signature().to_vec()
        } else {
            raw_to_der(signature.signature())
        };
        std::fs::write(dir.path().join("input"), &input).unwrap();
        std::fs::write(dir.path().join("sig"), der_signature).unwrap();
        let spki = key_path(name, ".spki.der");
        let args = [
            "dgst",
            digest_flag(algorithm),
            "-verify",
            spki.to_str().unwrap(),
            "-keyform",
            "DER",
            "-signature",
            "sig",
            "input",
        ];
        assert_eq!(openssl(dir.path(), &args).trim(), "Verified OK", "{algorithm}");
    }
}

#[test]
fn we_verify_signatures_openssl_made() {
    let dir = tempfile::tempdir().unwrap();
    let (protected, input) = protected_and_input(PAYLOAD);
    let rsa_jwk = || {
        let signed = jws::sign(PAYLOAD.as_bytes(), &key("rsa-2048"), UNIX_EPOCH).unwrap();
        jws::parse_signatures(&signed).unwrap()[0].jwk().cloned().unwrap()
    };
    let cases = [
        ("rsa-2048", Algorithm::Rs256, Value::Object(rsa_jwk())),
        ("rsa-2048", Algorithm::Rs384, Value::Object(rsa_jwk())),
        ("rsa-2048", Algorithm::Rs512, Value::Object(rsa_jwk())),
        ("ec-p256", Algorithm::Es256, jwk_from_spki("ec-p256")),
        ("ec-p384", Algorithm::Es384, jwk_from_spki("ec-p384")),
    ];
    for (name, algorithm, jwk) in cases {
        let signature = openssl_sign(dir.path(), name, algorithm, &input);
        let manifest = assemble(
            PAYLOAD,
            json!({"jwk": jwk, "alg": algorithm.as_str()}),
            &signature,
            &protected,
        );
        assert_eq!(jws::signed_payload(&manifest).unwrap(), PAYLOAD.as_bytes());
        let verified = jws::verify(&manifest).unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        assert_eq!(verified[0].algorithm(), algorithm);
        assert_eq!(verified[0].key_id().as_str(), expected_key_id(name));
        if algorithm.is_rsa() {
            // PKCS#1 v1.5 is deterministic: ring and openssl must agree byte for byte.
            let ours = key(name).with_algorithm(algorithm).unwrap();
            let resigned = jws::sign(
                PAYLOAD.as_bytes(),
                &ours,
                UNIX_EPOCH + Duration::from_secs(1_420_070_400),
            )
            .unwrap();
            assert_eq!(
                jws::parse_signatures(&resigned).unwrap()[0].signature(),
                &signature[..],
                "{algorithm}"
            );
        }
    }
}

#[test]
fn es512_is_refused_as_unsupported_after_its_key_id_checks_out() {
    let dir = tempfile::tempdir().unwrap();
    let (protected, input) = protected_and_input(PAYLOAD);
    let signature = openssl_sign(dir.path(), "ec-p521", Algorithm::Es512, &input);
    let manifest = assemble(
        PAYLOAD,
        json!({"jwk": jwk_from_spki("ec-p521"), "alg": "ES512"}),
        &signature,
        &protected,
    );
    assert_eq!(
        jws::verify(&manifest),
        Err(SignatureError::UnsupportedKey {
            index: 0,
            key: "EC P-521".to_owned()
        })
    );
    // A wrong `kid` is caught before the curve is found unsupported.
    let mut jwk = jwk_from_spki("ec-p521");
    jwk["kid"] = json!(expected_key_id("ec-p256"));
    let manifest = assemble(
        PAYLOAD,
        json!({"jwk": jwk, "alg": "ES512"}),
        &signature,
        &protected,
    );
    assert!(matches!(
        jws::verify(&manifest),
        Err(SignatureError::KeyIdMismatch { .. })
    ));
}

#[test]
fn x5c_leaf_certificates_supply_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (protected, input) = protected_and_input(PAYLOAD);
    for (name, algorithm) in [("ec-p256", Algorithm::Es256), ("rsa-2048", Algorithm::Rs256)] {
        let pem = key_path(name, ".pem");
        let args = [
            "req",
            "-new",
            "-x509",
            "-key",
            pem.to_str().unwrap(),
            "-subj",
            "/CN=skiff test",
            "-days",
            "1",
        ];
        openssl(
            dir.path(),
            &[&args[..], &["-outform", "DER", "-out", "cert.der"]].concat(),
        );
        let cert = STANDARD.encode(std::fs::read(dir.path().join("cert.der")).unwrap());
        let signature = openssl_sign(dir.path(), name, algorithm, &input);

        let manifest = assemble(
            PAYLOAD,
            json!({"alg": algorithm.as_str(), "x5c": [cert]}),
            &signature,
            &protected,
        );
        let verified = jws::verify(&manifest).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(verified[0].from_certificate());
        assert_eq!(verified[0].key_id().as_str(), expected_key_id(name));

        // A JWK beside the chain must describe the same key.
        let header = json!({"jwk": jwk_from_spki("ec-p384"), "alg": algorithm.as_str(), "x5c": [cert]});
        assert_eq!(
            jws::verify(&assemble(PAYLOAD, header, &signature, &protected)),
            Err(SignatureError::KeyIdMismatch {
                index: 0,
                declared: expected_key_id("ec-p384"),
                actual: expected_key_id(name),
            })
        );

        // The leaf key must still produce the signature.
        let other = openssl_sign(dir.path(), "ec-p384", Algorithm::Es384, &input);
        let header = json!({"alg": algorithm.as_str(), "x5c": [cert]});
        assert!(jws::verify(&assemble(PAYLOAD, header, &other, &protected)).is_err());
    }
}
