//! The manifest formats a conversion can produce, and how config and layer
//! media types map between them.
//!
//! A layer type says two things: how the tar is compressed, and whether the
//! registry serves it (Docker "foreign" and OCI "non-distributable" layers
//! live at URLs instead). Mapping goes through that pair, so every type has
//! exactly one counterpart per format, or none.

use std::fmt;
use std::str::FromStr;

use oci_manifest::MediaType;

use crate::{Compression, Error};

/// Docker's type for an uncompressed layer; rare, and not among the types
/// `oci-manifest` names, but Docker and containers/image both use it.
pub(crate) const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";

/// The manifest format a conversion writes, named as `skopeo copy --format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetFormat {
    /// Docker schema1, signed (`v2s1`).
    V2s1,
    /// Docker schema2 (`v2s2`).
    V2s2,
    /// OCI image manifest (`oci`).
    Oci,
}

impl TargetFormat {
    /// The media type of the manifests this format writes.
    pub fn media_type(&self) -> MediaType {
        match self {
            TargetFormat::V2s1 => MediaType::DockerSchema1Signed,
            TargetFormat::V2s2 => MediaType::DockerSchema2,
            TargetFormat::Oci => MediaType::OciManifest,
        }
    }

    /// The format `media_type` is, if it is an image manifest format.
    pub fn of(media_type: &MediaType) -> Option<TargetFormat> {
        match media_type {
            MediaType::DockerSchema1 | MediaType::DockerSchema1Signed => Some(TargetFormat::V2s1),
            MediaType::DockerSchema2 => Some(TargetFormat::V2s2),
            MediaType::OciManifest => Some(TargetFormat::Oci),
            _ => None,
        }
    }

    /// The short name: `v2s1`, `v2s2` or `oci`.
    pub fn as_str(&self) -> &'static str {
        match self {
            TargetFormat::V2s1 => "v2s1",
            TargetFormat::V2s2 => "v2s2",
            TargetFormat::Oci => "oci",
        }
    }

    /// The config media type of this format (`None` for schema1, which has no config blob).
    pub(crate) fn config_media_type(&self) -> Option<MediaType> {
        match self {
            TargetFormat::V2s1 => None,
            TargetFormat::V2s2 => Some(MediaType::DockerContainerConfig),
            TargetFormat::Oci => Some(MediaType::OciConfig),
        }
    }

    /// The config type in this format for a config of `source` type; only
    /// image configs have a counterpart.
    pub(crate) fn map_config(&self, source: &MediaType) -> Result<MediaType, Error> {
        let no_equivalent = || Error::NoEquivalentMediaType {
            media_type: source.clone(),
            target: *self,
        };
        if !source.is_config() {
            return Err(no_equivalent());
        }
        self.config_media_type().ok_or_else(no_equivalent)
    }

    /// The layer type in this format for a layer of `source` type.
    pub(crate) fn map_layer(&self, source: &MediaType) -> Result<MediaType, Error> {
        LayerKind::of(source)
            .and_then(|kind| kind.media_type(*self))
            .ok_or_else(|| Error::NoEquivalentMediaType {
                media_type: source.clone(),
                target: *self,
            })
    }

    /// The layer type in this format for a registry-served layer compressed with `compression`.
    pub(crate) fn layer_for(&self, compression: Compression) -> Result<MediaType, Error> {
        let packing = match compression {
            Compression::None => Packing::Tar,
            Compression::Gzip => Packing::Gzip,
            Compression::Zstd => Packing::Zstd,
            other => {
                return Err(Error::UnsupportedCompression {
                    compression: other.name(),
                })
            }
        };
        let kind = LayerKind {
            packing,
            foreign: false,
        };
        kind.media_type(*self)
            .ok_or_else(|| Error::NoEquivalentMediaType {
                media_type: kind
                    .media_type(TargetFormat::Oci)
                    .unwrap_or(MediaType::OciLayerZstd),
                target: *self,
            })
    }
}

impl fmt::Display for TargetFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TargetFormat {
    type Err = Error;

    /// Parses `v2s1`, `v2s2` or `oci` (as `skopeo copy --format` takes them).
    fn from_str(input: &str) -> Result<TargetFormat, Error> {
        [TargetFormat::V2s1, TargetFormat::V2s2, TargetFormat::Oci]
            .into_iter()
            .find(|format| format.as_str() == input)
            .ok_or_else(|| Error::InvalidTargetFormat {
                input: input.to_owned(),
            })
    }
}

/// How a layer's tar is packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Packing {
    Tar,
    Gzip,
    Zstd,
}

/// What a layer media type says, independent of the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LayerKind {
    packing: Packing,
    /// Served from URLs, not by the registry.
    foreign: bool,
}

impl LayerKind {
    fn of(media_type: &MediaType) -> Option<LayerKind> {
        let (packing, foreign) = match media_type {
            MediaType::DockerLayerGzip | MediaType::OciLayerGzip => (Packing::Gzip, false),
            MediaType::OciLayer => (Packing::Tar, false),
            MediaType::OciLayerZstd => (Packing::Zstd, false),
            MediaType::DockerForeignLayerGzip | MediaType::OciNondistributableLayerGzip => {
                (Packing::Gzip, true)
            }
            MediaType::OciNondistributableLayer => (Packing::Tar, true),
            MediaType::OciNondistributableLayerZstd => (Packing::Zstd, true),
            MediaType::Other(text) if &**text == DOCKER_LAYER_TAR => (Packing::Tar, false),
            _ => return None,
        };
        Some(LayerKind { packing, foreign })
    }

    /// The type naming this kind of layer in `format`. Schema1 lists bare
    /// blob digests that Docker decompresses by their magic bytes, so it takes
    /// plain and gzipped registry-served layers; it has no zstd and no URLs.
    fn media_type(&self, format: TargetFormat) -> Option<MediaType> {
        use Packing::{Gzip, Tar, Zstd};
        let media_type = match (format, self.packing, self.foreign) {
            (TargetFormat::V2s1, Gzip, false) => MediaType::DockerLayerGzip,
            (TargetFormat::V2s1, Tar, false) => MediaType::from(DOCKER_LAYER_TAR),
            (TargetFormat::V2s1, _, _) => return None,
            (TargetFormat::V2s2, Gzip, false) => MediaType::DockerLayerGzip,
            (TargetFormat::V2s2, Gzip, true) => MediaType::DockerForeignLayerGzip,
            (TargetFormat::V2s2, Tar, false) => MediaType::from(DOCKER_LAYER_TAR),
            (TargetFormat::V2s2, _, _) => return None,
            (TargetFormat::Oci, Tar, false) => MediaType::OciLayer,
            (TargetFormat::Oci, Gzip, false) => MediaType::OciLayerGzip,
            (TargetFormat::Oci, Zstd, false) => MediaType::OciLayerZstd,
            (TargetFormat::Oci, Tar, true) => MediaType::OciNondistributableLayer,
            (TargetFormat::Oci, Gzip, true) => MediaType::OciNondistributableLayerGzip,
            (TargetFormat::Oci, Zstd, true) => MediaType::OciNondistributableLayerZstd,
        };
        Some(media_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_names_are_refused() {
        for format in [TargetFormat::V2s1, TargetFormat::V2s2, TargetFormat::Oci] {
            assert_eq!(format.to_string().parse::<TargetFormat>().unwrap(), format);
            assert_eq!(TargetFormat::of(&format.media_type()), Some(format));
        }
        for bad in ["", "V2S2", "schema2", "oci ", "v2s3"] {
            let err = bad.parse::<TargetFormat>().unwrap_err();
            assert!(
                matches!(err, Error::InvalidTargetFormat { ref input } if input == bad),
                "{bad:?}"
            );
        }
        assert_eq!(
            TargetFormat::of(&MediaType::DockerSchema1),
            Some(TargetFormat::V2s1)
        );
        assert_eq!(TargetFormat::of(&MediaType::OciIndex), None);
    }

    #[test]
    fn layer_types_map_between_docker_and_oci() {
        let docker_tar = MediaType::from(DOCKER_LAYER_TAR);
        // (source, schema2 counterpart, OCI counterpart)
        let cases: Vec<(MediaType, Option<MediaType>, Option<MediaType>)> = vec![
            (
                MediaType::DockerLayerGzip,
                Some(MediaType::DockerLayerGzip),
                Some(MediaType::OciLayerGzip),
            ),
            (
                MediaType::OciLayerGzip,
                Some(MediaType::DockerLayerGzip),
                Some(MediaType::OciLayerGzip),
            ),
            (
                MediaType::DockerForeignLayerGzip,
                Some(MediaType::DockerForeignLayerGzip),
                Some(MediaType::OciNondistributableLayerGzip),
            ),
            (
                MediaType::OciNondistributableLayerGzip,
                Some(MediaType::DockerForeignLayerGzip),
                Some(MediaType::OciNondistributableLayerGzip),
            ),
            (
                MediaType::OciLayer,
                Some(docker_tar.clone()),
                Some(MediaType::OciLayer),
            ),
            (
                docker_tar.clone(),
                Some(docker_tar.clone()),
                Some(MediaType::OciLayer),
            ),
            (MediaType::OciLayerZstd, None, Some(MediaType::OciLayerZstd)),
            (
                MediaType::OciNondistributableLayerZstd,
                None,
                Some(MediaType::OciNondistributableLayerZstd),
            ),
            (
                MediaType::OciNondistributableLayer,
                None,
                Some(MediaType::OciNondistributableLayer),
            ),
            (MediaType::OciConfig, None, None),
            (MediaType::from("application/vnd.example.thing"), None, None),
        ];
        for (source, schema2, oci) in cases {
            assert_eq!(
                TargetFormat::V2s2.map_layer(&source).ok(),
                schema2,
                "{source} -> v2s2"
            );
            assert_eq!(TargetFormat::Oci.map_layer(&source).ok(), oci, "{source} -> oci");
        }
        let err = TargetFormat::V2s2
            .map_layer(&MediaType::OciLayerZstd)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "application/vnd.oci.image.layer.v1.tar+zstd has no equivalent in v2s2 manifests"
        );
    }

    #[test]
    fn schema1_takes_only_plain_or_gzipped_registry_layers() {
        let accepted = [
            MediaType::DockerLayerGzip,
            MediaType::OciLayerGzip,
            MediaType::OciLayer,
        ];
        for source in accepted {
            assert!(TargetFormat::V2s1.map_layer(&source).is_ok(), "{source}");
        }
        let refused = [
            MediaType::OciLayerZstd,
            MediaType::DockerForeignLayerGzip,
            MediaType::OciNondistributableLayer,
        ];
        for source in refused {
            assert!(TargetFormat::V2s1.map_layer(&source).is_err(), "{source}");
        }
    }

    #[test]
    fn scanned_compression_picks_the_layer_type() {
        let cases = [
            (
                TargetFormat::V2s2,
                Compression::Gzip,
                Some(MediaType::DockerLayerGzip),
            ),
            (
                TargetFormat::V2s2,
                Compression::None,
                Some(MediaType::from(DOCKER_LAYER_TAR)),
            ),
            (TargetFormat::V2s2, Compression::Zstd, None),
            (
                TargetFormat::Oci,
                Compression::Gzip,
                Some(MediaType::OciLayerGzip),
            ),
            (TargetFormat::Oci, Compression::None, Some(MediaType::OciLayer)),
            (
                TargetFormat::Oci,
                Compression::Zstd,
                Some(MediaType::OciLayerZstd),
            ),
            (TargetFormat::Oci, Compression::Xz, None),
        ];
        for (format, compression, expected) in cases {
            assert_eq!(
                format.layer_for(compression).ok(),
                expected,
                "{format} {compression:?}"
            );
        }
    }

    #[test]
    fn configs_map_only_between_image_config_types() {
        let cases = [
            (
                TargetFormat::V2s2,
                MediaType::OciConfig,
                Some(MediaType::DockerContainerConfig),
            ),
            (
                TargetFormat::Oci,
                MediaType::DockerContainerConfig,
                Some(MediaType::OciConfig),
            ),
            (
                TargetFormat::Oci,
                MediaType::OciConfig,
                Some(MediaType::OciConfig),
            ),
            (TargetFormat::Oci, MediaType::DockerPluginConfig, None),
            (TargetFormat::V2s2, MediaType::OciEmpty, None),
            (TargetFormat::V2s1, MediaType::OciConfig, None),
        ];
        for (format, source, expected) in cases {
            assert_eq!(format.map_config(&source).ok(), expected, "{source} -> {format}");
        }
    }
}
