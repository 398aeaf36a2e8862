//! Layer compression: how a layer's tar is packed, how a copy is asked to pack it
//! ([`Recompress`]), and the media type each manifest format gives each packing.

use std::fmt;
use std::str::FromStr;

use oci_manifest::MediaType;

use crate::Error;

/// Docker's type for an uncompressed layer: rare, and not among the types `oci-manifest`
/// names, but Docker and containers/image both write it.
pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";

/// How a layer's tar is packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LayerCompression {
    /// A plain tar.
    None,
    /// gzip.
    Gzip,
    /// Zstandard.
    Zstd,
}

impl LayerCompression {
    /// The name `--dest-compress` takes: `none`, `gzip` or `zstd`.
    pub fn name(&self) -> &'static str {
        match self {
            LayerCompression::None => "none",
            LayerCompression::Gzip => "gzip",
            LayerCompression::Zstd => "zstd",
        }
    }

    /// The packing a layer media type names: `None` for a type that is not a layer a
    /// registry serves (a config, an artifact's file, a foreign or non-distributable layer).
    pub fn of_media_type(media_type: &MediaType) -> Option<LayerCompression> {
        match media_type {
            MediaType::DockerLayerGzip | MediaType::OciLayerGzip => Some(LayerCompression::Gzip),
            MediaType::OciLayerZstd => Some(LayerCompression::Zstd),
            MediaType::OciLayer => Some(LayerCompression::None),
            other if other.as_str() == DOCKER_LAYER_TAR => Some(LayerCompression::None),
            _ => None,
        }
    }

    /// The type of a layer packed so in a manifest of type `manifest`: an OCI manifest has
    /// one for each packing, Docker schema2 has gzip and plain tar but no zstd, and schema1
    /// names no layer types at all.
    pub fn media_type_in(&self, manifest: &MediaType) -> Option<MediaType> {
        match (manifest, self) {
            (MediaType::OciManifest, LayerCompression::None) => Some(MediaType::OciLayer),
            (MediaType::OciManifest, LayerCompression::Gzip) => Some(MediaType::OciLayerGzip),
            (MediaType::OciManifest, LayerCompression::Zstd) => Some(MediaType::OciLayerZstd),
            (MediaType::DockerSchema2, LayerCompression::None) => Some(MediaType::from(DOCKER_LAYER_TAR)),
            (MediaType::DockerSchema2, LayerCompression::Gzip) => Some(MediaType::DockerLayerGzip),
            _ => None,
        }
    }

    /// The levels the compression takes, and the one it gets when none is asked for
    /// (those of gzip and zstd's own tools); `None` for a plain tar.
    fn levels(&self) -> Option<(i32, i32, i32)> {
        match self {
            LayerCompression::None => None,
            LayerCompression::Gzip => Some((1, 9, 6)),
            LayerCompression::Zstd => Some((1, 22, 3)),
        }
    }
}

impl fmt::Display for LayerCompression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LayerCompression {
    type Err = Error;

    /// Parses `none`, `gzip` or `zstd`.
    fn from_str(input: &str) -> Result<LayerCompression, Error> {
        [
            LayerCompression::None,
            LayerCompression::Gzip,
            LayerCompression::Zstd,
        ]
        .into_iter()
        .find(|compression| compression.name() == input)
        .ok_or_else(|| Error::UnknownCompression {
            input: input.to_owned(),
        })
    }
}

/// What a copy does to the layers of an image on their way: each layer of an image
/// manifest packed otherwise is unpacked, checked against its diffID in the image config,
/// and packed with [`compression`](Self::compression) (at [`level`](Self::level)); layers
/// already packed so pass through unchanged, whatever level made them, as skopeo's
/// `--dest-compress-format` leaves them.
///
/// ```
/// use registry_client::image::{LayerCompression, Recompress};
///
/// let zstd = Recompress::new(LayerCompression::Zstd).with_level(19)?;
/// assert_eq!(zstd.level(), Some(19));
/// assert!(Recompress::new(LayerCompression::Gzip).with_level(10).is_err());
/// assert!(Recompress::new(LayerCompression::None).with_level(1).is_err());
/// # Ok::<(), registry_client::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recompress {
    compression: LayerCompression,
    level: Option<i32>,
}

impl Recompress {
    /// Packs layers with `compression` at its default level (gzip 6, zstd 3).
    pub fn new(compression: LayerCompression) -> Recompress {
        Recompress {
            compression,
            level: None,
        }
    }

    /// The same at `level`: gzip takes 1 to 9, zstd 1 to 22; a plain tar takes none.
    pub fn with_level(self, level: i32) -> Result<Recompress, Error> {
        match self.compression.levels() {
            Some((min, max, _)) if (min..=max).contains(&level) => Ok(Recompress {
                level: Some(level),
                ..self
            }),
            range => Err(Error::CompressionLevel {
                compression: self.compression,
                level,
                range: range.map(|(min, max, _)| (min, max)),
            }),
        }
    }

    /// The packing layers get.
    pub fn compression(&self) -> LayerCompression {
        self.compression
    }

    /// The level asked for, if one was.
    pub fn level(&self) -> Option<i32> {
        self.level
    }

    /// The level the compressor runs at: the one asked for, else the compression's default.
    pub(crate) fn effective_level(&self) -> i32 {
        self.level
            .or(self.compression.levels().map(|(_, _, default)| default))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_types_map_to_packings_and_back() {
        let table = [
            (MediaType::DockerLayerGzip, Some(LayerCompression::Gzip)),
            (MediaType::OciLayerGzip, Some(LayerCompression::Gzip)),
            (MediaType::OciLayerZstd, Some(LayerCompression::Zstd)),
            (MediaType::OciLayer, Some(LayerCompression::None)),
            (MediaType::from(DOCKER_LAYER_TAR), Some(LayerCompression::None)),
            (MediaType::DockerForeignLayerGzip, None),
            (MediaType::OciNondistributableLayerGzip, None),
            (MediaType::OciConfig, None),
            (
                MediaType::from("application/vnd.cncf.helm.chart.content.v1.tar+gzip"),
                None,
            ),
        ];
        for (media_type, packing) in table {
            assert_eq!(
                LayerCompression::of_media_type(&media_type),
                packing,
                "{media_type}"
            );
        }
        for packing in [
            LayerCompression::None,
            LayerCompression::Gzip,
            LayerCompression::Zstd,
        ] {
            let oci = packing.media_type_in(&MediaType::OciManifest).unwrap();
            assert_eq!(LayerCompression::of_media_type(&oci), Some(packing));
            assert!(packing.media_type_in(&MediaType::DockerSchema1Signed).is_none());
        }
        assert_eq!(
            LayerCompression::None.media_type_in(&MediaType::DockerSchema2),
            Some(MediaType::from(DOCKER_LAYER_TAR))
        );
        assert!(LayerCompression::Zstd
            .media_type_in(&MediaType::DockerSchema2)
            .is_none());
    }

    #[test]
    fn levels_are_checked_and_defaulted() {
        let gzip = Recompress::new(LayerCompression::Gzip);
        assert_eq!(gzip.effective_level(), 6);
        assert_eq!(gzip.with_level(9).unwrap().effective_level(), 9);
        let zstd = Recompress::new(LayerCompression::Zstd);
        assert_eq!(zstd.effective_level(), 3);
        let err = zstd.with_level(23).unwrap_err();
        assert_eq!(err.to_string(), "zstd has no level 23 (it takes 1 to 22)");
        let err = Recompress::new(LayerCompression::None).with_level(1).unwrap_err();
        assert_eq!(err.to_string(), "none has no level 1 (it takes none)");
        assert!("lz4".parse::<LayerCompression>().is_err());
        assert_eq!(
            "zstd".parse::<LayerCompression>().unwrap(),
            LayerCompression::Zstd
        );
    }
}
