//! Manifest bytes as a registry serves them, in every format.
//!
//! The first input byte picks the `Content-Type` the "server" sent (or none,
//! so the bytes decide); the rest is the body. Properties: parsing never
//! panics; an accepted manifest keeps its bytes exactly, parses again under
//! its own media type to the same digest, and its accessors and a layer
//! rewrite do not panic.
//!
//! Shared by the fuzz target and by the corpus replay test of `oci-manifest`.

use oci_manifest::Manifest;

/// What a registry might put in `Content-Type` for a manifest.
const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/vnd.docker.distribution.manifest.v1+json"),
    Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
    Some("application/vnd.docker.distribution.manifest.v2+json"),
    Some("application/vnd.docker.distribution.manifest.list.v2+json"),
    Some("application/vnd.oci.image.manifest.v1+json"),
    Some("application/vnd.oci.image.index.v1+json"),
    Some("application/json"),
    Some("text/plain; charset=utf-8"),
    Some("application/vnd.oci.image.manifest.v1+json; charset=utf-8"),
    Some(""),
];

/// Checks one input (as the fuzzer gives it: raw bytes) against the properties above;
/// a violation panics.
pub(crate) fn check(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
    let Ok(manifest) = Manifest::parse(body, content_type) else {
        return;
    };
    assert_eq!(manifest.as_bytes(), body, "a parsed manifest keeps its bytes");

    let media_type = manifest.media_type().to_string();
    let again = Manifest::parse(body, Some(&media_type))
        .unwrap_or_else(|e| panic!("does not parse again as its own type {media_type}: {e}"));
    assert_eq!(again.digest(), manifest.digest(), "the digest is stable");

    let _ = manifest.config();
    let _ = manifest.layer_descriptors();
    let _ = manifest.manifests();
    let _ = manifest.subject();
    let _ = manifest.is_index();
    let layers = manifest.layer_infos();
    if let Ok(edited) = manifest.with_layers(&layers) {
        let _ = edited.digest();
    }
}
