//! Content descriptors: what a manifest says about each blob or manifest it
//! points at (type, digest, size and optional extras).

use std::collections::BTreeMap;

use base64::Engine as _;
use oci_digest::Digest;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{Error, Flavour, MediaType, Platform};

/// A reference to content by media type, digest and size.
///
/// Optional members (`urls`, `annotations`, `platform`, `artifactType`, `data`)
/// are kept, and so is any member this crate does not know, so a parsed
/// descriptor serialises back with nothing lost. Embedded `data` is checked
/// against `size` and `digest` when the descriptor is read.
///
/// ```
/// use oci_manifest::{Descriptor, MediaType};
///
/// let empty = Descriptor::from_data(MediaType::OciEmpty, b"{}".to_vec());
/// assert_eq!(empty.size(), 2);
/// assert_eq!(empty.digest().as_str(), oci_digest::known::EMPTY_JSON);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    media_type: MediaType,
    digest: Digest,
    size: u64,
    urls: Vec<String>,
    annotations: BTreeMap<String, String>,
    data: Option<Vec<u8>>,
    platform: Option<Platform>,
    artifact_type: Option<MediaType>,
    extra: Map<String, Value>,
}

impl Descriptor {
    /// A descriptor with just the three required members.
    pub fn new(media_type: MediaType, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type,
            digest,
            size,
            urls: Vec::new(),
            annotations: BTreeMap::new(),
            data: None,
            platform: None,
            artifact_type: None,
            extra: Map::new(),
        }
    }

    /// A descriptor of `data` (SHA-256), with the data embedded.
    pub fn from_data(media_type: MediaType, data: Vec<u8>) -> Descriptor {
        let mut descriptor = Descriptor::new(media_type, Digest::sha256(&data), data.len() as u64);
        descriptor.data = Some(data);
        descriptor
    }

    /// The same descriptor with download URLs (foreign layers).
    pub fn with_urls(mut self, urls: Vec<String>) -> Descriptor {
        self.urls = urls;
        self
    }

    /// The same descriptor with annotations.
    pub fn with_annotations(mut self, annotations: BTreeMap<String, String>) -> Descriptor {
        self.annotations = annotations;
        self
    }

    /// The same descriptor with a platform (entries of lists and indexes).
    pub fn with_platform(mut self, platform: Platform) -> Descriptor {
        self.platform = Some(platform);
        self
    }

    /// The same descriptor with an artifact type.
    pub fn with_artifact_type(mut self, artifact_type: MediaType) -> Descriptor {
        self.artifact_type = Some(artifact_type);
        self
    }

    /// The content's media type.
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// The content's digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The content's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// URLs the content may also be fetched from.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Annotations, sorted by key.
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }

    /// The embedded content, already checked against size and digest.
    pub fn data(&self) -> Option<&[u8]> {
        self.data.as_deref()
    }

    /// The platform of a list or index entry.
    pub fn platform(&self) -> Option<&Platform> {
        self.platform.as_ref()
    }

    /// The artifact type of an artifact manifest this descriptor points at.
    pub fn artifact_type(&self) -> Option<&MediaType> {
        self.artifact_type.as_ref()
    }

    /// Members this crate does not know, kept for faithful re-serialisation.
    pub fn unknown_fields(&self) -> &Map<String, Value> {
        &self.extra
    }

    /// The same descriptor pointing at other content: digest, size, and
    /// optionally media type and URLs change; everything else stays. Embedded
    /// data is dropped, since it described the old content.
    pub(crate) fn replace_content(&self, info: &crate::BlobInfo) -> Descriptor {
        let mut next = self.clone();
        next.digest = info.digest().clone();
        if let Some(size) = info.size() {
            next.size = size;
        }
        if let Some(media_type) = info.media_type() {
            next.media_type = media_type.clone();
        }
        if let Some(urls) = info.urls() {
            next.urls = urls.to_vec();
        }
        next.data = None;
        next
    }

    /// Writes the members in `flavour`'s order of the three required ones:
    /// Docker's tools put `size` before `digest`, OCI's after.
    fn serialize_in<S: Serializer>(&self, serializer: S, flavour: Flavour) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("mediaType", &self.media_type)?;
        if flavour == Flavour::Docker {
            map.serialize_entry("size", &self.size)?;
            map.serialize_entry("digest", &self.digest)?;
        } else {
            map.serialize_entry("digest", &self.digest)?;
            map.serialize_entry("size", &self.size)?;
        }
        if !self.urls.is_empty() {
            map.serialize_entry("urls", &self.urls)?;
        }
        if !self.annotations.is_empty() {
            map.serialize_entry("annotations", &self.annotations)?;
        }
        if let Some(data) = &self.data {
            map.serialize_entry("data", &base64::engine::general_purpose::STANDARD.encode(data))?;
        }
        if let Some(platform) = &self.platform {
            map.serialize_entry("platform", platform)?;
        }
        if let Some(artifact_type) = &self.artifact_type {
            map.serialize_entry("artifactType", artifact_type)?;
        }
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// A descriptor serialised in a flavour's member order.
pub(crate) struct InFlavour<'a>(pub(crate) &'a Descriptor, pub(crate) Flavour);

impl Serialize for InFlavour<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_in(serializer, self.1)
    }
}

/// Descriptors serialised as an array, each in a flavour's member order.
pub(crate) struct AllInFlavour<'a>(pub(crate) &'a [Descriptor], pub(crate) Flavour);

impl Serialize for AllInFlavour<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|descriptor| InFlavour(descriptor, self.1)))
    }
}

impl Serialize for Descriptor {
    /// Serialises in the OCI order: `mediaType`, `digest`, `size`, then the extras.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_in(serializer, Flavour::Oci)
    }
}

/// The descriptor as it appears in JSON, before validation.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    media_type: MediaType,
    digest: Digest,
    size: u64,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    data: Option<String>,
    platform: Option<Platform>,
    artifact_type: Option<MediaType>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl<'de> Deserialize<'de> for Descriptor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        let data = match wire.data {
            None => None,
            Some(text) => Some(check_data(&wire.digest, wire.size, &text).map_err(serde::de::Error::custom)?),
        };
        Ok(Descriptor {
            media_type: wire.media_type,
            digest: wire.digest,
            size: wire.size,
            urls: wire.urls,
            annotations: wire.annotations,
            data,
            platform: wire.platform,
            artifact_type: wire.artifact_type,
            extra: wire.extra,
        })
    }
}

/// Decodes embedded data and checks it against the descriptor's size and digest.
fn check_data(digest: &Digest, size: u64, text: &str) -> Result<Vec<u8>, Error> {
    let fail = |reason: String| Error::DescriptorData {
        digest: digest.clone(),
        reason,
    };
    let data = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| fail(format!("is not valid base64: {e}")))?;
    if data.len() as u64 != size {
        return Err(fail(format!("is {} bytes but size says {size}", data.len())));
    }
    if digest.algorithm().is_supported() && !digest.matches(&data) {
        return Err(fail("does not match the digest".to_owned()));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_JSON: &str = oci_digest::known::EMPTY_JSON;

    #[test]
    fn round_trips_every_member() {
        let json = format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{EMPTY_JSON}","size":2,"urls":["https://example.com/x"],"annotations":{{"a":"1","b":"2"}},"data":"e30=","platform":{{"architecture":"arm64","os":"linux","variant":"v8"}},"artifactType":"application/vnd.example","x-future":{{"k":[1,2]}}}}"#
        );
        let descriptor: Descriptor = serde_json::from_str(&json).unwrap();
        assert_eq!(descriptor.media_type(), &MediaType::OciManifest);
        assert_eq!(descriptor.size(), 2);
        assert_eq!(descriptor.data(), Some(&b"{}"[..]));
        assert_eq!(descriptor.platform().unwrap().architecture(), "arm64");
        assert_eq!(
            descriptor.artifact_type().unwrap().as_str(),
            "application/vnd.example"
        );
        assert!(descriptor.unknown_fields().contains_key("x-future"));
        assert_eq!(serde_json::to_string(&descriptor).unwrap(), json);
    }

    #[test]
    fn docker_order_puts_size_first() {
        let descriptor = Descriptor::new(MediaType::DockerLayerGzip, EMPTY_JSON.parse().unwrap(), 2);
        let json = serde_json::to_string(&InFlavour(&descriptor, Flavour::Docker)).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":2,"digest":"{EMPTY_JSON}"}}"#
            )
        );
    }

    #[test]
    fn invalid_descriptors_are_refused() {
        let table = [
            // Missing required members.
            format!(r#"{{"digest":"{EMPTY_JSON}","size":2}}"#),
            r#"{"mediaType":"a/b","size":2}"#.to_owned(),
            format!(r#"{{"mediaType":"a/b","digest":"{EMPTY_JSON}"}}"#),
            // Wrong types and values.
            format!(r#"{{"mediaType":"a/b","digest":"{EMPTY_JSON}","size":-1}}"#),
            r#"{"mediaType":"a/b","digest":"sha256:abc","size":2}"#.to_owned(),
            // Embedded data that lies.
            format!(r#"{{"mediaType":"a/b","digest":"{EMPTY_JSON}","size":2,"data":"e30"}}"#),
            format!(r#"{{"mediaType":"a/b","digest":"{EMPTY_JSON}","size":3,"data":"e30="}}"#),
            format!(r#"{{"mediaType":"a/b","digest":"{EMPTY_JSON}","size":2,"data":"W10="}}"#),
        ];
        for json in table {
            assert!(serde_json::from_str::<Descriptor>(&json).is_err(), "{json}");
        }
    }

    #[test]
    fn data_errors_name_the_problem() {
        let digest: Digest = EMPTY_JSON.parse().unwrap();
        let err = check_data(&digest, 2, "W10=").unwrap_err();
        assert!(err.to_string().contains("does not match the digest"), "{err}");
        let err = check_data(&digest, 3, "e30=").unwrap_err();
        assert!(err.to_string().contains("is 2 bytes but size says 3"), "{err}");
    }
}
