//! Manifest parse + digest for every format, and schema1 JWS verification.
//!
//! Inputs are the committed fixtures (`tests/fixtures`), so the numbers are
//! for realistic, registry-sized manifests. Parsing is measured together with
//! the digest because that is what every pull does with a manifest it fetched.

// `criterion_group!` defines a public, undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use oci_manifest::{jws, Manifest};

/// One fixture per format, with the `Content-Type` a registry would send.
const FORMATS: [(&str, &[u8], &str); 6] = [
    (
        "schema1-unsigned",
        include_bytes!("../tests/fixtures/schema1-unsigned.json"),
        "application/vnd.docker.distribution.manifest.v1+json",
    ),
    (
        "schema1-signed",
        include_bytes!("../tests/fixtures/schema1-signed-rs256.json"),
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    ),
    (
        "schema2",
        include_bytes!("../tests/fixtures/schema2.json"),
        "application/vnd.docker.distribution.manifest.v2+json",
    ),
    (
        "manifest-list",
        include_bytes!("../tests/fixtures/manifest-list.json"),
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ),
    (
        "oci-manifest",
        include_bytes!("../tests/fixtures/oci-manifest.json"),
        "application/vnd.oci.image.manifest.v1+json",
    ),
    (
        "oci-index",
        include_bytes!("../tests/fixtures/oci-index.json"),
        "application/vnd.oci.image.index.v1+json",
    ),
];

/// Signed schema1 fixtures, one per key family.
const SIGNED: [(&str, &[u8]); 2] = [
    (
        "RS256",
        include_bytes!("../tests/fixtures/schema1-signed-rs256.json"),
    ),
    (
        "ES256",
        include_bytes!("../tests/fixtures/schema1-signed-es256.json"),
    ),
];

fn parse_and_digest(c: &mut Criterion) {
    let mut group = c.benchmark_group("manifest/parse+digest");
    for (name, bytes, content_type) in FORMATS {
        // Fail before measuring if a fixture stopped parsing: a benchmark of
        // the error path would report flattering, meaningless numbers.
        Manifest::parse(bytes, Some(content_type)).expect("fixture parses");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("content-type", name), bytes, |b, bytes| {
            b.iter(|| Manifest::parse(bytes, Some(content_type)).map(|m| m.digest()))
        });
        // Without a Content-Type the format is guessed from the bytes.
        group.bench_with_input(BenchmarkId::new("guessed", name), bytes, |b, bytes| {
            b.iter(|| Manifest::parse(bytes, None).map(|m| m.digest()))
        });
    }
    group.finish();
}

fn verify_schema1(c: &mut Criterion) {
    let mut group = c.benchmark_group("manifest/schema1-verify");
    for (algorithm, bytes) in SIGNED {
        let verified = jws::verify(bytes).expect("fixture signature verifies");
        assert_eq!(
            verified[0].algorithm().as_str(),
            algorithm,
            "fixture uses {algorithm}"
        );
        group.bench_with_input(BenchmarkId::from_parameter(algorithm), bytes, |b, bytes| {
            b.iter(|| jws::verify(bytes))
        });
    }
    group.finish();
}

criterion_group!(benches, parse_and_digest, verify_schema1);
criterion_main!(benches);
