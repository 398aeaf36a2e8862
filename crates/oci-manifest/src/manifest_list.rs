//! Docker manifest list: one schema2 manifest per platform.

use oci_digest::Digest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::descriptor::DockerOrder;
use crate::{json, Descriptor, Error, MediaType, Platform};

const FORMAT: &str = "Docker manifest list";

/// A Docker manifest list, holding the exact bytes it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestList {
    raw: Vec<u8>,
    media_type: Option<MediaType>,
    manifests: Vec<Descriptor>,
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    /// Checked by `parse_versioned`; named here so it stays out of `extra`.
    #[serde(rename = "schemaVersion")]
    _schema_version: i64,
    media_type: Option<MediaType>,
    manifests: Vec<Descriptor>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Out<'a> {
    schema_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<&'a MediaType>,
    manifests: Vec<DockerOrder<'a>>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

impl ManifestList {
    /// Parses a manifest list, keeping `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Result<ManifestList, Error> {
        let wire: Wire = json::parse_versioned(FORMAT, 2, bytes)?;
        json::check_media_type(MediaType::DockerManifestList, wire.media_type.as_ref())?;
        Ok(ManifestList {
            raw: bytes.to_vec(),
            media_type: wire.media_type,
            manifests: wire.manifests,
            extra: wire.extra,
        })
    }

    /// A new list of `manifests` (each should carry a platform), serialised canonically.
    pub fn new(manifests: Vec<Descriptor>) -> Result<ManifestList, Error> {
        let media_type = MediaType::DockerManifestList;
        let extra = Map::new();
        let out = Out {
            schema_version: 2,
            media_type: Some(&media_type),
            manifests: manifests.iter().map(DockerOrder).collect(),
            extra: &extra,
        };
        Ok(ManifestList {
            raw: json::to_canonical(FORMAT, &out)?,
            media_type: Some(media_type),
            manifests,
            extra,
        })
    }

    /// The exact bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The SHA-256 digest of the bytes.
    pub fn digest(&self) -> Digest {
        Digest::sha256(&self.raw)
    }

    /// The `mediaType` field as written.
    pub fn media_type_field(&self) -> Option<&MediaType> {
        self.media_type.as_ref()
    }

    /// The listed manifests.
    pub fn manifests(&self) -> &[Descriptor] {
        &self.manifests
    }

    /// The manifest that serves `wanted` best (see [`Platform::rank_for`]):
    /// exact matches first, then containerd's fallbacks, earliest on a tie.
    pub fn find(&self, wanted: &Platform) -> Option<&Descriptor> {
        find_platform(&self.manifests, wanted, false)
    }

    /// Members this crate does not know, kept as given.
    pub fn unknown_fields(&self) -> &Map<String, Value> {
        &self.extra
    }
}

/// The entry that serves `wanted` best: the lowest [`Platform::rank_for`],
/// the earliest on a tie, so an exact match wins over any fallback. When no
/// entry with a platform serves it and `platformless_fallback` holds (OCI
/// indexes), the first entry without a platform, as containers/image chooses
/// (a Docker list entry always names its platform, so one without cannot match).
pub(crate) fn find_platform<'a>(
    manifests: &'a [Descriptor],
    wanted: &Platform,
    platformless_fallback: bool,
) -> Option<&'a Descriptor> {
    manifests
        .iter()
        .filter_map(|entry| Some((entry.platform()?.rank_for(wanted)?, entry)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, entry)| entry)
        .or_else(|| {
            platformless_fallback
                .then(|| manifests.iter().find(|entry| entry.platform().is_none()))
                .flatten()
        })
}

#[cfg(test)]
mod tests {
    use oci_digest::Digest;

    use super::*;
    use crate::MediaType;

    fn entry(i: u8, platform: Option<&str>) -> Descriptor {
        let descriptor = Descriptor::new(MediaType::OciManifest, Digest::sha256(&[i]), 1);
        match platform {
            Some(platform) => descriptor.with_platform(platform.parse().unwrap()),
            None => descriptor,
        }
    }

    /// Which entry (by position) each request picks, or none.
    #[test]
    fn the_best_compatible_entry_wins() {
        let entries = [
            entry(0, Some("linux/arm/v5")),
            entry(1, Some("linux/arm/v6")),
            entry(2, Some("linux/386")),
            entry(3, Some("linux/aarch64")),
            entry(4, Some("linux/amd64")),
            entry(5, Some("linux/amd64")),
        ];
        let table = [
            ("linux/amd64", Some(4)),
            ("linux/x86_64", Some(4)),
            ("linux/amd64/v3", Some(4)),
            ("linux/386", Some(2)),
            ("linux/arm/v7", Some(1)),
            ("linux/armhf", Some(1)),
            ("linux/arm/v6", Some(1)),
            ("linux/arm/v5", Some(0)),
            ("linux/arm", Some(1)),
            ("linux/arm64", Some(3)),
            ("linux/arm64/v8", Some(3)),
            ("Linux/ARM64", Some(3)),
            ("linux/s390x", None),
            ("windows/amd64", None),
        ];
        for (wanted, expected) in table {
            let found = find_platform(&entries, &wanted.parse().unwrap(), false);
            let position = found.map(|found| entries.iter().position(|e| e == found).unwrap());
            assert_eq!(position, expected, "{wanted}");
        }
        // Only 32-bit arm: an arm64 request falls back to it, as containerd does.
        let arm_only = [entry(0, Some("linux/arm/v6")), entry(1, Some("linux/arm/v7"))];
        let found = find_platform(&arm_only, &"linux/arm64".parse().unwrap(), false);
        assert_eq!(found, Some(&arm_only[1]));
    }

    #[test]
    fn entries_without_a_platform_are_the_index_fallback() {
        let entries = [entry(0, None), entry(1, Some("linux/arm64")), entry(2, None)];
        let arm64 = "linux/arm64".parse().unwrap();
        let s390x = "linux/s390x".parse().unwrap();
        assert_eq!(find_platform(&entries, &arm64, true), Some(&entries[1]));
        assert_eq!(find_platform(&entries, &s390x, true), Some(&entries[0]));
        assert_eq!(find_platform(&entries, &s390x, false), None);
        assert_eq!(find_platform(&[], &s390x, true), None);
    }
}
