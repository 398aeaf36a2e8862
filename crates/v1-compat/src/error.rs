//! The one error type of this crate.

use oci_digest::Digest;

/// Everything that can go wrong while reading v1 history, converting between
/// manifest formats or scanning a layer.
///
/// Layer positions (`layer`) count from the base layer, which is 0: the
/// reverse of the order of a schema1 manifest's `history` array.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Docker v1 metadata that does not parse or check out: a v1 ID, a timestamp, a
    /// v1 image JSON, the parent chain, or the config built from it.
    #[error(transparent)]
    V1(#[from] oci_manifest::Error),
    /// A layer's parent is neither a layer of this image nor a known image.
    #[error("layer {layer} ({id}): parent {parent} is neither in this image nor a known image")]
    MissingParent {
        /// Position of the layer, base first.
        layer: usize,
        /// The layer's own ID.
        id: String,
        /// The parent that could not be found.
        parent: String,
    },
    /// An image config is not valid JSON of the expected shape.
    #[error("invalid image config: {source}")]
    ConfigJson {
        /// What the JSON parser reported.
        source: serde_json::Error,
    },
    /// An image config's history entry has a bad `created` timestamp.
    #[error("image config history entry {entry}: {source}")]
    HistoryCreated {
        /// Position of the history entry.
        entry: usize,
        /// The timestamp problem.
        source: Box<Error>,
    },
    /// An image config has no history, so no v1 history can be built from it.
    #[error("the image config has no history entries")]
    EmptyHistory,
    /// An image config's history, its diffIDs and the manifest's layers disagree.
    #[error(
        "the image config has {diff_ids} diffIDs and {non_empty_history} non-empty history entries, \
         but the manifest has {layers} layers"
    )]
    HistoryLayerMismatch {
        /// `rootfs.diff_ids` entries.
        diff_ids: usize,
        /// History entries without `empty_layer`.
        non_empty_history: usize,
        /// Layers in the manifest.
        layers: usize,
    },
    /// The image config names a Windows base layer, whose v1 chain Docker derives differently.
    #[error("the image config names a Windows base layer ({base_layer}); converting it to schema1 is not supported")]
    WindowsBaseLayer {
        /// The `rootfs.base_layer` value.
        base_layer: String,
    },
    /// A layer is compressed with an algorithm this crate does not decompress.
    #[error("layer is compressed with {compression}, which is not supported (gzip, zstd or none)")]
    UnsupportedCompression {
        /// The compression detected from the magic bytes.
        compression: &'static str,
    },
    /// Reading, decompressing or walking a layer's tar failed.
    #[error("reading layer {blob}: {source}")]
    LayerRead {
        /// The blob being read.
        blob: Digest,
        /// What failed.
        source: std::io::Error,
    },
    /// A layer's content did not hash to its blob digest (the digest it was announced with,
    /// and the digest of the bytes received).
    #[error("layer {0}")]
    LayerDigestMismatch(oci_digest::Mismatch),
    /// Signing a converted schema1 manifest failed.
    #[error("signing the schema1 manifest: {0}")]
    Signature(#[from] oci_manifest::jws::SignatureError),
    /// A digest could not be used (for example its algorithm cannot be computed).
    #[error(transparent)]
    Digest(#[from] oci_digest::Error),
    /// A conversion target was named with something other than `v2s1`, `v2s2` or `oci`.
    #[error("unknown manifest format {input:?}: expected v2s1, v2s2 or oci")]
    InvalidTargetFormat {
        /// The rejected name.
        input: String,
    },
    /// The image to convert could not be resolved (fetched, verified, parsed,
    /// or a platform chosen out of its list or index), or the engine failed moving it:
    /// the client's error whole, so its predicates (`is_not_found`, `is_digest_mismatch`,
    /// ...) answer for it.
    #[cfg(feature = "client")]
    #[error("reading {image}: {source}")]
    Image {
        /// The image, as the caller named it.
        image: String,
        /// What went wrong.
        #[source]
        source: Box<registry_client::Error>,
    },
    /// The image's manifest is of a type that cannot be converted (an index
    /// without a usable image, an artifact).
    #[error("{image} is a {media_type} manifest, which cannot be converted")]
    UnsupportedSource {
        /// The image, as the caller named it.
        image: String,
        /// Its manifest's type.
        media_type: oci_manifest::MediaType,
    },
    /// A config or layer type has no counterpart in the target format.
    #[error("{media_type} has no equivalent in {target} manifests")]
    NoEquivalentMediaType {
        /// The type without a counterpart.
        media_type: oci_manifest::MediaType,
        /// The format being written.
        target: crate::TargetFormat,
    },
    /// The converted manifest could not be serialised.
    #[error("building the converted manifest: {source}")]
    BuildManifest {
        /// The serialiser's error.
        source: oci_manifest::Error,
    },
    /// A blob could not be held in a temporary file between download and upload.
    #[error("staging blob {blob} in a temporary file: {source}")]
    Staging {
        /// The blob.
        blob: Digest,
        /// The file system's error.
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_cross_threads() {
        fn send_sync_static<T: Send + Sync + 'static>() {}
        send_sync_static::<Error>();
    }
}
