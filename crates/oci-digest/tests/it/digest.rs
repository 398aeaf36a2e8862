//! Behaviour of `oci-digest` through its public API: known answers, parsing
//! tables, round trips, verification.

use std::io::Read;

use oci_digest::{
    digest_reader, known, mismatch, Algorithm, Digest, Digester, Error, Mismatch, Verifier, VerifyingReader,
};
use proptest::prelude::*;

fn kat_input(spec: &str) -> Vec<u8> {
    if spec == "empty" {
        Vec::new()
    } else if let Some(text) = spec.strip_prefix("text:") {
        text.as_bytes().to_vec()
    } else if let Some(rest) = spec.strip_prefix("repeat:") {
        let (c, count) = rest.split_once(':').expect("repeat:<char>:<count>");
        let count: usize = count.parse().expect("count");
        c.as_bytes().repeat(count)
    } else {
        panic!("unknown input spec {spec:?}")
    }
}

#[test]
fn known_answer_vectors() {
    let data = include_str!("../data/kat.txt");
    let mut checked = 0;
    for line in data.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let fields: Vec<&str> = line.split(' ').collect();
        let [alg, spec, hex] = fields[..] else {
            panic!("bad line {line:?}")
        };
        let algorithm: Algorithm = alg.parse().unwrap();
        let input = kat_input(spec);
        let expected: Digest = format!("{alg}:{hex}").parse().unwrap();
        assert_eq!(
            Digest::compute(algorithm.clone(), &input).unwrap(),
            expected,
            "{line}"
        );
        // Fed one byte at a time and then in odd chunks, the result is the same.
        let mut digester = Digester::new(algorithm.clone()).unwrap();
        for chunk in input.chunks(7) {
            digester.update(chunk);
        }
        assert_eq!(digester.bytes_hashed(), input.len() as u64);
        assert_eq!(digester.finish(), expected, "{line} (chunked)");
        let (streamed, len) = digest_reader(algorithm, &input[..]).unwrap();
        assert_eq!((streamed, len), (expected, input.len() as u64));
        checked += 1;
    }
    assert_eq!(checked, 8, "every vector in the data file was checked");
}

#[test]
fn well_known_constants_are_what_they_claim() {
    assert_eq!(Digest::sha256(b""), known::empty());
    assert_eq!(Digest::sha256(&[0u8; 1024]), known::empty_tar());
    assert_eq!(
        Digest::sha256(&known::EMPTY_TAR_GZIP_BYTES),
        known::empty_tar_gzip()
    );
    assert_eq!(Digest::sha256(b"{}"), known::empty_json());
}

#[test]
fn valid_digests_parse_and_keep_their_parts() {
    let valid = [
        ("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Algorithm::Sha256),
        (
            "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
            Algorithm::Sha512,
        ),
        ("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", Algorithm::Other("multihash+base58".into())),
        ("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", Algorithm::Other("sha256+b64u".into())),
        ("blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262", Algorithm::Other("blake3".into())),
        ("a.b_c-d:x=", Algorithm::Other("a.b_c-d".into())),
    ];
    for (text, algorithm) in valid {
        let digest: Digest = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(digest.algorithm(), &algorithm, "{text}");
        assert_eq!(digest.as_str(), text);
        assert_eq!(format!("{}:{}", digest.algorithm(), digest.encoded()), text);
    }
}

#[test]
fn invalid_digests_are_refused_with_the_reason() {
    let hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let invalid: Vec<(String, &str)> = vec![
        (String::new(), "digest is empty"),
        (" ".into(), "has no `:`"),
        (format!(" sha256:{hex64}"), "invalid algorithm"),
        (
            format!("sha256:{hex64} "),
            "must be lowercase hexadecimal, found ' '",
        ),
        ("sha256:".into(), "has 0 hex characters, needs 64"),
        (":".into(), "invalid algorithm \"\": it is empty"),
        (format!(":{hex64}"), "it is empty"),
        (hex64.into(), "has no `:`"),
        (
            format!("sha256:{}", hex64.to_uppercase()),
            "must be lowercase hexadecimal, found 'E'",
        ),
        (
            format!("sha256:{}", &hex64[1..]),
            "sha256 digest has 63 hex characters, needs 64",
        ),
        (
            format!("sha256:{hex64}00"),
            "sha256 digest has 66 hex characters, needs 64",
        ),
        (
            "sha512:abcd".into(),
            "sha512 digest has 4 hex characters, needs 128",
        ),
        (format!("sha256:{}g", &hex64[1..]), "found 'g' at position 63"),
        (format!("SHA256:{hex64}"), "it must be lowercase"),
        (format!("sha-:{hex64}"), "must not end with a separator"),
        (format!("-sha:{hex64}"), "must sit between"),
        (format!("sha__256:{hex64}"), "must sit between"),
        ("foo:".into(), "invalid encoded value: it is empty"),
        ("foo:a+b".into(), "character '+' is not allowed"),
        ("foo:a/b".into(), "character '/' is not allowed"),
        ("sha256:sha256:abc".into(), "found 's' at position 0"),
    ];
    for (input, expected) in invalid {
        let err = input.parse::<Digest>().expect_err(&input);
        let message = err.to_string();
        assert!(
            message.contains(expected),
            "{input:?}: {message:?} should contain {expected:?}"
        );
    }
}

#[test]
fn unregistered_algorithms_parse_but_cannot_be_computed() {
    let d: Digest = "blake3:abcd".parse().unwrap();
    assert!(!d.algorithm().is_supported());
    assert_eq!(
        Verifier::new(&d).unwrap_err(),
        Error::UnsupportedAlgorithm {
            algorithm: "blake3".into()
        }
    );
    assert!(!d.matches(b"anything"));
}

#[test]
fn ordering_and_serde_go_through_the_text() {
    let a = Digest::sha256(b"a");
    let b = Digest::sha256(b"b");
    assert_eq!(a.cmp(&b), a.as_str().cmp(b.as_str()));
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(json, format!("\"{a}\""));
    assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), a);
    let err = serde_json::from_str::<Digest>("\"sha256:abc\"").unwrap_err();
    assert!(err.to_string().contains("has 3 hex characters"), "{err}");
}

#[test]
fn verifier_reports_both_digests_on_mismatch() {
    let expected = Digest::sha256(b"right");
    let mut verifier = Verifier::new(&expected).unwrap();
    verifier.update(b"wrong");
    assert_eq!(
        verifier.finish(),
        Err(Error::Mismatch(Mismatch::new(
            expected.clone(),
            Digest::sha256(b"wrong")
        )))
    );
    // Truncated content is a mismatch too.
    let mut verifier = Verifier::new(&expected).unwrap();
    verifier.update(b"righ");
    assert!(matches!(verifier.finish(), Err(Error::Mismatch(_))));
    assert!(expected.verify(b"right").is_ok());
    assert!(expected.verify(b"").is_err());
}

#[test]
fn verifying_reader_fails_the_final_read_on_mismatch() {
    let content = vec![7u8; 300_000];
    let good = Digest::sha256(&content);
    let mut out = Vec::new();
    let mut reader = VerifyingReader::new(&content[..], &good).unwrap();
    assert!(!reader.is_verified());
    reader.read_to_end(&mut out).unwrap();
    assert!(reader.is_verified());
    assert_eq!(out, content);

    let mut tampered = content.clone();
    tampered[123_456] ^= 1;
    let mut reader = VerifyingReader::new(&tampered[..], &good).unwrap();
    let err = reader.read_to_end(&mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    match mismatch(&err) {
        Some(found) => {
            assert_eq!(found.expected(), &good);
            assert_eq!(found.actual(), &Digest::sha256(&tampered));
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    assert!(mismatch(&std::io::Error::other("unrelated")).is_none());
}

proptest! {
    #[test]
    fn display_then_parse_is_identity(bytes in proptest::collection::vec(any::<u8>(), 0..256), wide in any::<bool>()) {
        let algorithm = if wide { Algorithm::Sha512 } else { Algorithm::Sha256 };
        let digest = Digest::compute(algorithm, &bytes).unwrap();
        prop_assert_eq!(digest.to_string().parse::<Digest>().unwrap(), digest);
    }

    #[test]
    fn grammar_valid_unregistered_digests_round_trip(
        alg in "[a-z0-9]{1,8}([+._-][a-z0-9]{1,8}){0,3}",
        encoded in "[a-zA-Z0-9=_-]{1,64}",
    ) {
        prop_assume!(alg != "sha256" && alg != "sha512");
        let text = format!("{alg}:{encoded}");
        let digest: Digest = text.parse().unwrap();
        prop_assert_eq!(digest.to_string(), text);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = text.parse::<Digest>();
    }
}
