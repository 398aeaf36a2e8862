//! Indexes, Docker manifest lists and OCI image indexes: the manifests of an
//! image for each platform (or, in OCI, for any other purpose).

use serde::ser::SerializeMap;
use serde::Deserialize;

use crate::descriptor::AllInFlavour;
use crate::document::{format, Head, Shape};
use crate::{json, Descriptor, Document, Error, Flavour, Index, MediaType, Platform};

/// An index, a Docker manifest list or an OCI image index: manifests by platform.
///
/// ```
/// use oci_digest::Digest;
/// use oci_manifest::{Descriptor, Flavour, ImageIndex, MediaType, Platform};
///
/// let entry = Descriptor::new(MediaType::DockerSchema2, Digest::sha256(b"manifest"), 8)
///     .with_platform(Platform::new("linux", "arm64"));
/// let list = ImageIndex::new(Flavour::Docker, vec![entry])?;
/// assert_eq!(list.media_type(), MediaType::DockerManifestList);
/// assert!(list.find(&"linux/aarch64".parse()?).is_some());
/// # Ok::<(), oci_manifest::Error>(())
/// ```
pub type ImageIndex = Document<Index>;

impl Shape for Index {
    const FORMATS: [(MediaType, &'static str); 2] = [
        (MediaType::DockerManifestList, "Docker manifest list"),
        (MediaType::OciIndex, "OCI image index"),
    ];

    fn read(flavour: Flavour, bytes: &[u8]) -> Result<ImageIndex, Error> {
        #[derive(Deserialize)]
        struct Wire {
            manifests: Vec<Descriptor>,
            #[serde(flatten)]
            head: Head,
        }
        let wire: Wire = json::parse_versioned(format::<Index>(flavour).1, 2, bytes)?;
        let index = Index {
            manifests: wire.manifests,
        };
        Document::assemble(flavour, bytes, index, wire.head)
    }

    fn write<M: SerializeMap>(&self, map: &mut M, flavour: Flavour) -> Result<(), M::Error> {
        map.serialize_entry("manifests", &AllInFlavour(&self.manifests, flavour))
    }
}

impl Document<Index> {
    /// A new index of `manifests` (each should carry a platform), written canonically.
    pub fn new(flavour: Flavour, manifests: Vec<Descriptor>) -> Result<ImageIndex, Error> {
        Document::create(flavour, Index { manifests })
    }

    /// The listed manifests.
    pub fn manifests(&self) -> &[Descriptor] {
        &self.shape().manifests
    }

    /// The manifest that serves `wanted` best (see [`Platform::rank_for`]):
    /// exact matches first, then containerd's fallbacks, earliest on a tie;
    /// failing those, in an OCI index, the first manifest without a platform,
    /// as containers/image chooses.
    pub fn find(&self, wanted: &Platform) -> Option<&Descriptor> {
        find_platform(self.manifests(), wanted, self.flavour() == Flavour::Oci)
    }
}

/// The entry that serves `wanted` best: the lowest [`Platform::rank_for`],
/// the earliest on a tie, so an exact match wins over any fallback. When no
/// entry with a platform serves it and `platformless_fallback` holds (OCI
/// indexes), the first entry without a platform, as containers/image chooses
/// (a Docker list entry always names its platform, so one without cannot match).
fn find_platform<'a>(
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
