//! `WWW-Authenticate` challenge parsing and token-response parsing.
//!
//! Both run once per registry and scope set in a pull, so they matter little
//! for throughput; these numbers show they stay negligible (microseconds)
//! next to the request they answer, including for headers with escapes and
//! several challenges.

// `criterion_group!` defines a public, undocumented function.
#![allow(missing_docs)]

use std::time::SystemTime;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use http::StatusCode;
use registry_auth::{BearerChallenge, Challenge, Token};

/// Headers as registries send them: Docker Hub's, a registry offering two
/// schemes, and one with quoted-pair escapes and a multi-scope parameter.
const CHALLENGES: [(&str, &str); 3] = [
    (
        "docker-hub",
        r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
    ),
    (
        "basic+bearer",
        r#"Basic realm="Registry Realm", Bearer realm="https://registry.example.com:5001/auth",service="registry.example.com",scope="repository:team/app:pull,push""#,
    ),
    (
        "escapes",
        r#"Bearer realm="https://auth.example.com/token?x=\"1\"",service="reg\\istry",scope="repository:a/b:pull repository:c/d:pull,push",error="insufficient_scope""#,
    ),
];

/// A token-service answer the size real ones have: an RS256 JWT of about a
/// kilobyte, with the optional members Docker's token service adds.
fn token_body() -> Vec<u8> {
    let jwt = format!(
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}",
        "e".repeat(600),
        "s".repeat(342)
    );
    format!(
        r#"{{"token":"{jwt}","access_token":"{jwt}","expires_in":300,"issued_at":"2024-05-01T12:00:00.123456789Z","refresh_token":"r3fr3sh"}}"#
    )
    .into_bytes()
}

fn challenges(c: &mut Criterion) {
    let mut group = c.benchmark_group("auth/challenge");
    for (name, header) in CHALLENGES {
        // Measure the success path only: a parse error would be cheaper.
        let parsed = Challenge::parse(header).expect("challenge parses");
        BearerChallenge::find(&parsed)
            .expect("has Bearer")
            .expect("valid Bearer");
        group.throughput(Throughput::Bytes(header.len() as u64));
        group.bench_with_input(BenchmarkId::new("parse", name), header, |b, header| {
            b.iter(|| Challenge::parse(header))
        });
        group.bench_with_input(BenchmarkId::new("parse+bearer", name), header, |b, header| {
            b.iter(|| {
                Challenge::parse(header).map(|all| BearerChallenge::find(&all).map(|bearer| bearer.is_ok()))
            })
        });
    }
    group.finish();
}

fn token_response(c: &mut Criterion) {
    let body = token_body();
    let now = SystemTime::now();
    Token::from_response(StatusCode::OK, &body, now).expect("token response parses");
    let mut group = c.benchmark_group("auth/token-response");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| Token::from_response(StatusCode::OK, &body, now))
    });
    group.finish();
}

criterion_group!(benches, challenges, token_response);
criterion_main!(benches);
