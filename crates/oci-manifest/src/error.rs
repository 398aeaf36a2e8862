//! The one error type of this crate.

use oci_digest::Digest;

use crate::MediaType;

/// Everything that can go wrong when parsing references, platforms, descriptors
/// and manifests, or when editing a manifest.
///
/// Each variant names the offending input so that a message printed to a user
/// says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An image reference was empty.
    #[error("image reference is empty")]
    EmptyReference,
    /// The registry (host and port) part of a reference is malformed.
    #[error("reference {input:?} has an invalid registry {registry:?}: {reason}")]
    InvalidRegistry {
        /// The whole reference as given.
        input: String,
        /// The registry part.
        registry: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The repository name part of a reference is malformed.
    #[error("reference {input:?} has an invalid repository name {repository:?}: {reason}")]
    InvalidRepository {
        /// The whole reference as given.
        input: String,
        /// The repository part.
        repository: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The name (registry and repository) is longer than Docker allows.
    #[error("reference {input:?} has a {length}-character name, the limit is {max}")]
    NameTooLong {
        /// The whole reference as given.
        input: String,
        /// Length of the name.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// The tag part of a reference is malformed.
    #[error("reference {input:?} has an invalid tag {tag:?}: {reason}")]
    InvalidTag {
        /// The whole reference as given.
        input: String,
        /// The tag part.
        tag: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The digest part of a reference is malformed or of an unsupported algorithm.
    #[error("reference {input:?} has an invalid digest: {source}")]
    InvalidReferenceDigest {
        /// The whole reference as given.
        input: String,
        /// What the digest parser reported.
        source: oci_digest::Error,
    },
    /// A platform string such as `linux/arm64/v8` is malformed.
    #[error("platform {input:?} is invalid: {reason}")]
    InvalidPlatform {
        /// The platform as given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Input is larger than the configured limit.
    #[error("manifest is {size} bytes, larger than the {max}-byte limit")]
    TooLarge {
        /// Size of the input.
        size: u64,
        /// The limit in force.
        max: u64,
    },
    /// Neither the content type nor the bytes identify a manifest format this crate reads.
    #[error(
        "not a manifest format this crate reads (Content-Type: {}, mediaType field: {})",
        content_type.as_deref().unwrap_or("none"),
        media_type.as_deref().unwrap_or("none")
    )]
    UnknownFormat {
        /// The content type the caller passed, if any.
        content_type: Option<String>,
        /// The document's `mediaType` field, if it has one.
        media_type: Option<String>,
    },
    /// The document's `mediaType` field contradicts the type it was served as.
    #[error("manifest was served as {declared} but its mediaType field says {found}")]
    MediaTypeMismatch {
        /// The type it was served or requested as.
        declared: MediaType,
        /// The type its `mediaType` field names.
        found: MediaType,
    },
    /// The document is not valid JSON for the format it claims to be.
    #[error("malformed {format}: {source}")]
    Json {
        /// The format being read, such as `OCI image manifest`.
        format: &'static str,
        /// What the JSON parser reported (with line and column).
        source: serde_json::Error,
    },
    /// `schemaVersion` is missing or not the one the format requires.
    #[error("{format} must have schemaVersion {expected}, found {found:?}")]
    SchemaVersion {
        /// The format being read.
        format: &'static str,
        /// The required version.
        expected: u32,
        /// The version found, if any.
        found: Option<i64>,
    },
    /// A schema1 manifest has no layers.
    #[error("schema1 manifest has no fsLayers")]
    Schema1NoLayers,
    /// A schema1 manifest's `fsLayers` and `history` differ in length.
    #[error("schema1 manifest has {fs_layers} fsLayers but {history} history entries")]
    Schema1LengthMismatch {
        /// Number of `fsLayers` entries.
        fs_layers: usize,
        /// Number of `history` entries.
        history: usize,
    },
    /// A descriptor's embedded `data` does not match its `size` or `digest`.
    #[error("descriptor {digest}: embedded data {reason}")]
    DescriptorData {
        /// The descriptor's digest.
        digest: Digest,
        /// What does not match.
        reason: String,
    },
    /// An edit supplied a different number of layers than the manifest has.
    #[error("manifest has {expected} layers, {actual} were supplied")]
    LayerCountMismatch {
        /// Layers in the manifest.
        expected: usize,
        /// Layers supplied.
        actual: usize,
    },
    /// An operation that needs a single-image manifest was given a list or index.
    #[error("a {media_type} lists other manifests and has no {wanted}")]
    NotAnImage {
        /// The manifest's type.
        media_type: MediaType,
        /// What was asked for, such as `layers`.
        wanted: &'static str,
    },
    /// An edit set a member the manifest's format does not have, such as
    /// `subject` in a Docker manifest.
    #[error("a {media_type} has no {member} member")]
    NotInFormat {
        /// The manifest's type.
        media_type: MediaType,
        /// The member, as JSON names it.
        member: &'static str,
    },
    /// Serialising a new manifest failed.
    #[error("cannot serialise {format}: {source}")]
    Serialize {
        /// The format being written.
        format: &'static str,
        /// What the serialiser reported.
        source: serde_json::Error,
    },
    // Docker v1 image metadata (`v1`): layer positions count from the base layer, 0.
    /// A v1 image ID is not 64 lowercase hexadecimal characters.
    #[error("invalid v1 image ID {id:?}: must be 64 lowercase hexadecimal characters")]
    InvalidV1Id {
        /// The rejected ID.
        id: String,
    },
    /// A layer's `v1Compatibility` is not a JSON object of the expected shape.
    #[error("layer {layer}: v1Compatibility is not valid v1 image JSON: {source}")]
    V1Json {
        /// Position of the layer, base first.
        layer: usize,
        /// What the JSON parser reported.
        source: serde_json::Error,
    },
    /// A layer's `v1Compatibility` has a bad `id` or `parent`.
    #[error("layer {layer}: {source}")]
    LayerId {
        /// Position of the layer, base first.
        layer: usize,
        /// The ID problem.
        source: Box<Error>,
    },
    /// A timestamp is not an RFC 3339 date-time.
    #[error("invalid timestamp {value:?}: {reason}")]
    InvalidTimestamp {
        /// The rejected text.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A layer's `created` timestamp could not be parsed.
    #[error("layer {layer}: {source}")]
    LayerCreated {
        /// Position of the layer, base first.
        layer: usize,
        /// The timestamp problem.
        source: Box<Error>,
    },
    /// The image has no layers at all.
    #[error("the image has no layers")]
    NoLayers,
    /// The base layer names a parent.
    #[error("the base layer {id} names parent {parent}, but a base layer has none")]
    BaseLayerHasParent {
        /// The base layer's ID.
        id: String,
        /// The parent it names.
        parent: String,
    },
    /// The same v1 ID appears at two positions that are not next to each other.
    #[error("v1 ID {id} appears at layer {first} and again at layer {again}")]
    RepeatedId {
        /// The repeated ID.
        id: String,
        /// Where it first appears.
        first: usize,
        /// Where it appears again.
        again: usize,
    },
    /// A layer's parent is not the ID of the layer below it.
    #[error("layer {layer} ({id}): parent should be {expected}, found {found:?}")]
    ParentMismatch {
        /// Position of the layer, base first.
        layer: usize,
        /// The layer's own ID.
        id: String,
        /// The ID of the layer below.
        expected: String,
        /// The parent the layer names (`None` when it names none).
        found: Option<String>,
    },
    /// The number of diffIDs does not match the number of layers that carry content.
    #[error("{non_empty_layers} layers carry content but {diff_ids} diffIDs were given")]
    DiffIdCount {
        /// Layers not marked `throwaway`.
        non_empty_layers: usize,
        /// diffIDs given.
        diff_ids: usize,
    },
    /// The top layer was written by a Docker older than 1.8.3, whose config
    /// Docker re-encodes through its own structs before converting.
    #[error(
        "the top layer was written by Docker {docker_version}; configs from Docker older than 1.8.3 \
         cannot be converted byte-exactly"
    )]
    LegacyDockerVersion {
        /// The `docker_version` the top layer names.
        docker_version: String,
    },
    /// A schema1 signature could not be read (or, with the `jws` feature, verified).
    #[error(transparent)]
    Signature(#[from] crate::jws::SignatureError),
}

impl Error {
    /// Wraps an ID problem with the position of the layer it was found in.
    pub(crate) fn at_layer(self, layer: usize) -> Error {
        Error::LayerId {
            layer,
            source: Box::new(self),
        }
    }

    /// Whether this error comes from an image reference that could not be parsed.
    pub fn is_invalid_reference(&self) -> bool {
        matches!(
            self,
            Error::EmptyReference
                | Error::InvalidRegistry { .. }
                | Error::InvalidRepository { .. }
                | Error::NameTooLong { .. }
                | Error::InvalidTag { .. }
                | Error::InvalidReferenceDigest { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_context_wraps_the_cause() {
        let err = Error::InvalidV1Id { id: "x".into() }.at_layer(4);
        assert_eq!(
            err.to_string(),
            "layer 4: invalid v1 image ID \"x\": must be 64 lowercase hexadecimal characters"
        );
        assert!(std::error::Error::source(&err).is_some());
    }
}
