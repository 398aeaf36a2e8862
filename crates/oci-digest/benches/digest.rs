//! Digest throughput: this crate's `Digester` (sha2 with run-time SHA-NI
//! detection) against `ring::digest`, for 1 MiB and 64 MiB inputs.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use oci_digest::{Algorithm, Digester};

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("digest");
    for size in [1usize << 20, 64 << 20] {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        group.throughput(Throughput::Bytes(size as u64));
        group.sample_size(10);
        for (name, algorithm) in [("sha256", Algorithm::Sha256), ("sha512", Algorithm::Sha512)] {
            group.bench_with_input(
                BenchmarkId::new(format!("oci-digest/{name}"), size),
                &data,
                |b, data| {
                    b.iter(|| {
                        let mut d = Digester::new(algorithm.clone()).unwrap();
                        for chunk in data.chunks(256 * 1024) {
                            d.update(chunk);
                        }
                        d.finish()
                    })
                },
            );
        }
        for (name, algorithm) in [
            ("sha256", &ring::digest::SHA256),
            ("sha512", &ring::digest::SHA512),
        ] {
            group.bench_with_input(
                BenchmarkId::new(format!("ring/{name}"), size),
                &data,
                |b, data| {
                    b.iter(|| {
                        let mut ctx = ring::digest::Context::new(algorithm);
                        for chunk in data.chunks(256 * 1024) {
                            ctx.update(chunk);
                        }
                        ctx.finish()
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
