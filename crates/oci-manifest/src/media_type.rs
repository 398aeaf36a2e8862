//! Media types of manifests, configs and layers: every Docker and OCI type a
//! registry serves, with unknown types kept exactly as given.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// A media type as it appears in a descriptor, a manifest's `mediaType` field
/// or a `Content-Type` header.
///
/// Known types parse to their own variant; anything else is kept verbatim in
/// [`MediaType::Other`], so parsing never fails and printing gives back the input.
///
/// ```
/// use oci_manifest::MediaType;
///
/// let t: MediaType = "application/vnd.oci.image.manifest.v1+json".parse().unwrap();
/// assert_eq!(t, MediaType::OciManifest);
/// assert!(t.is_manifest());
/// let odd = MediaType::from("application/x-custom");
/// assert_eq!(odd.as_str(), "application/x-custom");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum MediaType {
    /// Docker schema1 manifest without signatures.
    DockerSchema1,
    /// Docker schema1 manifest with libtrust JWS signatures.
    DockerSchema1Signed,
    /// Docker image manifest, schema version 2.
    DockerSchema2,
    /// Docker manifest list (schema version 2).
    DockerManifestList,
    /// Docker image configuration.
    DockerContainerConfig,
    /// Docker gzip-compressed layer.
    DockerLayerGzip,
    /// Docker gzip-compressed layer served from elsewhere (`urls`), such as Windows base layers.
    DockerForeignLayerGzip,
    /// Docker plugin configuration.
    DockerPluginConfig,
    /// OCI image manifest.
    OciManifest,
    /// OCI image index.
    OciIndex,
    /// OCI image configuration.
    OciConfig,
    /// OCI uncompressed layer.
    OciLayer,
    /// OCI gzip-compressed layer.
    OciLayerGzip,
    /// OCI zstd-compressed layer.
    OciLayerZstd,
    /// OCI non-distributable uncompressed layer (deprecated by the spec, still served).
    OciNondistributableLayer,
    /// OCI non-distributable gzip-compressed layer.
    OciNondistributableLayerGzip,
    /// OCI non-distributable zstd-compressed layer.
    OciNondistributableLayerZstd,
    /// The OCI empty descriptor's type: content `{}`.
    OciEmpty,
    /// The `oci-layout` file of an OCI image layout.
    OciLayoutHeader,
    /// Any other media type, kept exactly as given.
    Other(Box<str>),
}

/// Every known type with its text, in one place so parsing and printing agree.
const KNOWN: [(MediaType, &str); 19] = [
    (
        MediaType::DockerSchema1,
        "application/vnd.docker.distribution.manifest.v1+json",
    ),
    (
        MediaType::DockerSchema1Signed,
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    ),
    (
        MediaType::DockerSchema2,
        "application/vnd.docker.distribution.manifest.v2+json",
    ),
    (
        MediaType::DockerManifestList,
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ),
    (
        MediaType::DockerContainerConfig,
        "application/vnd.docker.container.image.v1+json",
    ),
    (
        MediaType::DockerLayerGzip,
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
    ),
    (
        MediaType::DockerForeignLayerGzip,
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    ),
    (
        MediaType::DockerPluginConfig,
        "application/vnd.docker.plugin.v1+json",
    ),
    (
        MediaType::OciManifest,
        "application/vnd.oci.image.manifest.v1+json",
    ),
    (MediaType::OciIndex, "application/vnd.oci.image.index.v1+json"),
    (MediaType::OciConfig, "application/vnd.oci.image.config.v1+json"),
    (MediaType::OciLayer, "application/vnd.oci.image.layer.v1.tar"),
    (
        MediaType::OciLayerGzip,
        "application/vnd.oci.image.layer.v1.tar+gzip",
    ),
    (
        MediaType::OciLayerZstd,
        "application/vnd.oci.image.layer.v1.tar+zstd",
    ),
    (
        MediaType::OciNondistributableLayer,
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
    ),
    (
        MediaType::OciNondistributableLayerGzip,
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    ),
    (
        MediaType::OciNondistributableLayerZstd,
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    ),
    (MediaType::OciEmpty, "application/vnd.oci.empty.v1+json"),
    (
        MediaType::OciLayoutHeader,
        "application/vnd.oci.layout.header.v1+json",
    ),
];

impl MediaType {
    /// Every manifest type this crate parses, most preferred first: the value
    /// of an `Accept` header for manifest requests.
    pub const MANIFEST_TYPES: [MediaType; 6] = [
        MediaType::OciIndex,
        MediaType::OciManifest,
        MediaType::DockerManifestList,
        MediaType::DockerSchema2,
        MediaType::DockerSchema1Signed,
        MediaType::DockerSchema1,
    ];

    /// The media type's text.
    pub fn as_str(&self) -> &str {
        if let MediaType::Other(text) = self {
            return text;
        }
        KNOWN
            .iter()
            .find(|(known, _)| known == self)
            .map_or("", |(_, text)| text)
    }

    /// Whether this is one of the manifest formats (image manifests, lists, indexes).
    pub fn is_manifest(&self) -> bool {
        Self::MANIFEST_TYPES.contains(self)
    }

    /// Whether this type lists other manifests (Docker manifest list, OCI index).
    pub fn is_index(&self) -> bool {
        matches!(self, MediaType::DockerManifestList | MediaType::OciIndex)
    }

    /// Whether this is a Docker schema1 manifest, signed or not.
    pub fn is_schema1(&self) -> bool {
        matches!(self, MediaType::DockerSchema1 | MediaType::DockerSchema1Signed)
    }

    /// Whether this is an image configuration type.
    pub fn is_config(&self) -> bool {
        matches!(self, MediaType::DockerContainerConfig | MediaType::OciConfig)
    }

    /// Whether this is a known layer type.
    pub fn is_layer(&self) -> bool {
        matches!(
            self,
            MediaType::DockerLayerGzip
                | MediaType::DockerForeignLayerGzip
                | MediaType::OciLayer
                | MediaType::OciLayerGzip
                | MediaType::OciLayerZstd
                | MediaType::OciNondistributableLayer
                | MediaType::OciNondistributableLayerGzip
                | MediaType::OciNondistributableLayerZstd
        )
    }

    /// Whether this is a layer that registries do not serve themselves
    /// (Docker foreign layers, OCI non-distributable layers).
    pub fn is_foreign_layer(&self) -> bool {
        matches!(
            self,
            MediaType::DockerForeignLayerGzip
                | MediaType::OciNondistributableLayer
                | MediaType::OciNondistributableLayerGzip
                | MediaType::OciNondistributableLayerZstd
        )
    }

    /// Whether this is a Docker type (as opposed to OCI or unknown).
    pub fn is_docker(&self) -> bool {
        self.as_str().starts_with("application/vnd.docker.")
    }

    /// Whether this is an OCI type.
    pub fn is_oci(&self) -> bool {
        self.as_str().starts_with("application/vnd.oci.")
    }
}

impl From<&str> for MediaType {
    fn from(text: &str) -> Self {
        KNOWN
            .iter()
            .find(|(_, known)| *known == text)
            .map_or_else(|| MediaType::Other(text.into()), |(known, _)| known.clone())
    }
}

impl From<String> for MediaType {
    fn from(text: String) -> Self {
        MediaType::from(text.as_str())
    }
}

impl FromStr for MediaType {
    type Err = Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(MediaType::from(text))
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for MediaType {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl serde::Serialize for MediaType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for MediaType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(MediaType::from(&*text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_type_round_trips() {
        for (media_type, text) in &KNOWN {
            assert_eq!(media_type.as_str(), *text);
            assert_eq!(&MediaType::from(*text), media_type);
            assert_eq!(media_type.to_string(), *text);
        }
    }

    #[test]
    fn unknown_types_are_kept_verbatim() {
        for text in [
            "",
            "application/json",
            "Application/VND.OCI.image.manifest.v1+json",
            "x/y; a=b",
        ] {
            let media_type = MediaType::from(text);
            assert_eq!(media_type, MediaType::Other(text.into()));
            assert_eq!(media_type.as_str(), text);
        }
    }

    #[test]
    fn classification() {
        let table = [
            // (type, manifest, index, schema1, config, layer)
            (MediaType::DockerSchema1Signed, true, false, true, false, false),
            (MediaType::DockerSchema2, true, false, false, false, false),
            (MediaType::DockerManifestList, true, true, false, false, false),
            (MediaType::OciIndex, true, true, false, false, false),
            (MediaType::OciConfig, false, false, false, true, false),
            (MediaType::OciLayerZstd, false, false, false, false, true),
            (
                MediaType::DockerForeignLayerGzip,
                false,
                false,
                false,
                false,
                true,
            ),
            (MediaType::OciEmpty, false, false, false, false, false),
        ];
        for (media_type, manifest, index, schema1, config, layer) in table {
            assert_eq!(media_type.is_manifest(), manifest, "{media_type}");
            assert_eq!(media_type.is_index(), index, "{media_type}");
            assert_eq!(media_type.is_schema1(), schema1, "{media_type}");
            assert_eq!(media_type.is_config(), config, "{media_type}");
            assert_eq!(media_type.is_layer(), layer, "{media_type}");
        }
        assert!(MediaType::OciNondistributableLayerGzip.is_foreign_layer());
        assert!(!MediaType::OciLayerGzip.is_foreign_layer());
        assert!(MediaType::DockerSchema2.is_docker() && !MediaType::DockerSchema2.is_oci());
    }

    #[test]
    fn serde_goes_through_text() {
        let t: MediaType = serde_json::from_str("\"application/vnd.oci.empty.v1+json\"").unwrap();
        assert_eq!(t, MediaType::OciEmpty);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"application/vnd.oci.empty.v1+json\""
        );
    }
}
