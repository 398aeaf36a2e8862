//! Digests every registry client meets, as constants and checked values.

use crate::Digest;

/// SHA-256 of empty content.
pub const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// SHA-256 of the empty tar archive: 1024 zero bytes (two empty records).
pub const EMPTY_TAR: &str = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

/// SHA-256 of the gzipped empty tar that Docker uses for layers without
/// content (schema1 "throwaway" layers); its diffID is [`EMPTY_TAR`].
pub const EMPTY_TAR_GZIP: &str = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";

/// The gzipped empty tar itself (32 bytes), as Docker writes it.
pub const EMPTY_TAR_GZIP_BYTES: [u8; 32] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x09, 0x6e, 0x88, 0x00, 0xff, 0x62, 0x18, 0x05, 0xa3, 0x60, 0x14, 0x8c,
    0x58, 0x00, 0x08, 0x00, 0x00, 0xff, 0xff, 0x2e, 0xaf, 0xb5, 0xef, 0x00, 0x04, 0x00, 0x00,
];

/// SHA-256 of the empty JSON object `{}`: the OCI empty descriptor's content.
pub const EMPTY_JSON: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

/// [`EMPTY`] as a [`Digest`].
pub fn empty() -> Digest {
    EMPTY.parse().expect("constant is valid")
}

/// [`EMPTY_TAR`] as a [`Digest`].
pub fn empty_tar() -> Digest {
    EMPTY_TAR.parse().expect("constant is valid")
}

/// [`EMPTY_TAR_GZIP`] as a [`Digest`].
pub fn empty_tar_gzip() -> Digest {
    EMPTY_TAR_GZIP.parse().expect("constant is valid")
}

/// [`EMPTY_JSON`] as a [`Digest`].
pub fn empty_json() -> Digest {
    EMPTY_JSON.parse().expect("constant is valid")
}
