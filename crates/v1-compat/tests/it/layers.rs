//! diffIDs, unpacked sizes and blob verification on real archives.

use std::io::Write;

use oci_digest::{known, Digest};
use v1_compat::{scan_layer, Compression, Error};

/// A tar with the given files, as the `tar` crate writes it (with end-of-archive blocks).
fn tar_of(files: &[(&str, usize)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for &(path, size) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(size as u64);
        header.set_mode(0o644);
        header.set_cksum();
        let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        builder
            .append_data(&mut header, path, content.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

#[test]
fn every_compression_gives_the_tar_digest_and_header_sizes() {
    let tar = tar_of(&[("a.txt", 10), ("dir/b.bin", 70_000), ("dir/empty", 0)]);
    let cases: [(Vec<u8>, Compression); 3] = [
        (tar.clone(), Compression::None),
        (gzip(&tar), Compression::Gzip),
        (zstd(&tar), Compression::Zstd),
    ];
    for (blob, compression) in cases {
        let summary = scan_layer(blob.as_slice(), &Digest::sha256(&blob)).unwrap();
        assert_eq!(summary.compression(), compression);
        assert_eq!(summary.diff_id(), &Digest::sha256(&tar), "{compression:?}");
        assert_eq!(summary.unpacked_size(), 70_010);
        assert_eq!(summary.blob_size(), blob.len() as u64);
        assert_eq!(summary.blob_digest(), &Digest::sha256(&blob));
        assert!(!summary.is_empty_tar());
    }
}

#[test]
fn reads_from_a_file_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.tar.gz");
    let blob = gzip(&tar_of(&[("x", 1234)]));
    std::fs::write(&path, &blob).unwrap();
    let summary = scan_layer(std::fs::File::open(&path).unwrap(), &Digest::sha256(&blob)).unwrap();
    assert_eq!(summary.unpacked_size(), 1234);
}

#[test]
fn recognises_the_empty_tar() {
    let empty = vec![0u8; 1024];
    let plain = scan_layer(empty.as_slice(), &Digest::sha256(&empty)).unwrap();
    assert!(plain.is_empty_tar());
    assert_eq!(plain.unpacked_size(), 0);

    let docker = known::EMPTY_TAR_GZIP_BYTES;
    let summary = scan_layer(&docker[..], &known::empty_tar_gzip()).unwrap();
    assert!(summary.is_empty_tar());
    assert_eq!(summary.diff_id(), &known::empty_tar());
    assert_eq!(summary.compression(), Compression::Gzip);

    let zstd_empty = zstd(&empty);
    assert!(scan_layer(zstd_empty.as_slice(), &Digest::sha256(&zstd_empty))
        .unwrap()
        .is_empty_tar());
}

#[test]
fn multi_member_gzip_is_read_whole() {
    let tar = tar_of(&[("a", 600), ("b", 5)]);
    let (head, tail) = tar.split_at(512);
    let mut blob = gzip(head);
    blob.extend(gzip(tail));
    let summary = scan_layer(blob.as_slice(), &Digest::sha256(&blob)).unwrap();
    assert_eq!(summary.diff_id(), &Digest::sha256(&tar));
    assert_eq!(summary.unpacked_size(), 605);
}

#[test]
fn a_wrong_blob_digest_is_an_error() {
    let blob = gzip(&tar_of(&[("a", 1)]));
    let expected = Digest::sha256(b"something else");
    match scan_layer(blob.as_slice(), &expected) {
        Err(Error::LayerDigestMismatch(mismatch)) => {
            assert_eq!(mismatch.expected(), &expected);
            assert_eq!(mismatch.actual(), &Digest::sha256(&blob));
            assert!(mismatch
                .to_string()
                .starts_with("digest mismatch: expected sha256:"));
        }
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
}

#[test]
fn damaged_or_unsupported_layers_are_errors() {
    let blob = gzip(&tar_of(&[("a", 5000)]));
    let truncated = &blob[..blob.len() / 2];
    let err = scan_layer(truncated, &Digest::sha256(truncated)).unwrap_err();
    assert!(matches!(err, Error::LayerRead { .. }), "{err}");

    let not_tar =
        b"this is not a tar archive, not even close; it is text that goes on long enough".repeat(10);
    let err = scan_layer(not_tar.as_slice(), &Digest::sha256(&not_tar)).unwrap_err();
    assert!(matches!(err, Error::LayerRead { .. }), "{err}");

    let bzip2 = b"BZh91AY&SY";
    let err = scan_layer(&bzip2[..], &Digest::sha256(bzip2)).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedCompression { compression: "bzip2" }),
        "{err}"
    );
}
