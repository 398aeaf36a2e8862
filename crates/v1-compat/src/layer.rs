//! One pass over a layer blob: its digest, its diffID and its unpacked size.
//!
//! A layer is read exactly once, in constant memory. The compressed bytes feed
//! the blob digest; the decompressed tar stream feeds the diffID and is walked
//! entry by entry to add up file sizes from the tar headers. Compression is
//! recognised from the first bytes, as Docker does, so a mislabelled layer is
//! still read correctly.

use std::io::{self, BufRead, BufReader, Read};

use oci_digest::{known, Digest, HashingReader, Mismatch};

use crate::Error;

/// Read buffer: large enough for hashing at full speed, small enough to stay in cache.
const BUFFER: usize = 256 * 1024;

/// How a layer blob is compressed, as recognised from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (`1f 8b`).
    Gzip,
    /// Zstandard (`28 b5 2f fd`).
    Zstd,
    /// bzip2 (`BZh`): recognised but not decompressed.
    Bzip2,
    /// xz (`fd 37 7a 58 5a 00`): recognised but not decompressed.
    Xz,
}

impl Compression {
    /// Recognises the compression from the first bytes of a blob; anything
    /// unrecognised is taken to be a plain tar, as Docker does.
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b, 0x08]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.starts_with(b"BZh") {
            Compression::Bzip2
        } else if head.starts_with(&[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) {
            Compression::Xz
        } else {
            Compression::None
        }
    }

    /// The compression's usual name.
    pub fn name(&self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
        }
    }
}

/// What one pass over a layer blob found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSummary {
    blob_digest: Digest,
    blob_size: u64,
    diff_id: Digest,
    compression: Compression,
    unpacked_size: u64,
}

impl LayerSummary {
    /// The blob's digest, verified against the expected one.
    pub fn blob_digest(&self) -> &Digest {
        &self.blob_digest
    }

    /// The blob's size in bytes, as stored.
    pub fn blob_size(&self) -> u64 {
        self.blob_size
    }

    /// The SHA-256 of the decompressed tar: the layer's diffID.
    pub fn diff_id(&self) -> &Digest {
        &self.diff_id
    }

    /// How the blob was compressed.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The sum of the sizes in the tar headers: the layer's size once unpacked.
    pub fn unpacked_size(&self) -> u64 {
        self.unpacked_size
    }

    /// Whether the tar is the empty archive (1024 zero bytes) that marks a
    /// layer without content.
    pub fn is_empty_tar(&self) -> bool {
        self.diff_id.as_str() == known::EMPTY_TAR
    }
}

/// Reads a whole layer blob once and reports its digest, diffID, compression
/// and unpacked size; fails if the blob does not hash to `expected`.
///
/// ```
/// use oci_digest::{known, Digest};
/// use v1_compat::scan_layer;
///
/// let blob = known::EMPTY_TAR_GZIP_BYTES;
/// let summary = scan_layer(&blob[..], &Digest::sha256(&blob))?;
/// assert!(summary.is_empty_tar());
/// assert_eq!(summary.diff_id().as_str(), known::EMPTY_TAR);
/// assert_eq!(summary.unpacked_size(), 0);
/// # Ok::<(), v1_compat::Error>(())
/// ```
pub fn scan_layer<R: Read>(reader: R, expected: &Digest) -> Result<LayerSummary, Error> {
    let read_error = |source| Error::LayerRead {
        blob: expected.clone(),
        source,
    };
    let mut blob = HashingReader::new(reader, expected.algorithm().clone())?;

    let (compression, diff_id, unpacked_size) = {
        let mut buffered = BufReader::with_capacity(BUFFER, &mut blob);
        let compression = Compression::detect(buffered.fill_buf().map_err(read_error)?);
        let tar: Box<dyn Read + '_> = match compression {
            Compression::None => Box::new(&mut buffered),
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(&mut buffered)),
            Compression::Zstd => Box::new(zstd::Decoder::with_buffer(&mut buffered).map_err(read_error)?),
            Compression::Bzip2 | Compression::Xz => {
                return Err(Error::UnsupportedCompression {
                    compression: compression.name(),
                })
            }
        };
        let mut tar = HashingReader::sha256(tar);
        let unpacked_size = tar_content_size(&mut tar).map_err(read_error)?;
        // The tar reader stops at the end-of-archive marker; the diffID covers
        // everything after it too (the second zero block, padding).
        io::copy(&mut tar, &mut io::sink()).map_err(read_error)?;
        (compression, tar.finish(), unpacked_size)
    };
    // Whatever follows the compressed stream is still part of the blob.
    io::copy(&mut blob, &mut io::sink()).map_err(read_error)?;

    let blob_size = blob.bytes_read();
    let blob_digest = blob.finish();
    if &blob_digest != expected {
        return Err(Error::LayerDigestMismatch(Mismatch::new(
            expected.clone(),
            blob_digest,
        )));
    }
    Ok(LayerSummary {
        blob_digest,
        blob_size,
        diff_id,
        compression,
        unpacked_size,
    })
}

/// Adds up the sizes recorded in the tar headers, reading every entry.
fn tar_content_size<R: Read>(tar: R) -> io::Result<u64> {
    let mut archive = tar::Archive::new(tar);
    let mut total = 0u64;
    for entry in archive.entries()? {
        total = total.saturating_add(entry?.size());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_compression_by_magic() {
        let cases: [(&[u8], Compression); 6] = [
            (&[0x1f, 0x8b, 0x08, 0x00], Compression::Gzip),
            (&[0x28, 0xb5, 0x2f, 0xfd, 0x00], Compression::Zstd),
            (b"BZh91AY", Compression::Bzip2),
            (&[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00], Compression::Xz),
            (b"etc/passwd\0", Compression::None),
            (&[], Compression::None),
        ];
        for (head, compression) in cases {
            assert_eq!(Compression::detect(head), compression, "{head:?}");
        }
    }
}
