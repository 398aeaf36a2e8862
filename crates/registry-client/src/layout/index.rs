//! The model of `index.json` and the descriptors it lists.
//!
//! Members this crate does not interpret (an index's own annotations, future
//! fields; descriptors keep theirs through [`Descriptor`]) are carried
//! through unchanged, so rewriting `index.json` to add a tag never loses what
//! another tool wrote there.

use oci_digest::Digest;
use oci_manifest::{Descriptor, MediaType};
use serde::{Deserialize, Serialize};

use super::LayoutTag;

/// The annotation that names an image inside a layout.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

/// The `org.opencontainers.image.ref.name` annotation of `descriptor`, if any.
pub fn ref_name(descriptor: &Descriptor) -> Option<&str> {
    descriptor
        .annotations()
        .get(REF_NAME_ANNOTATION)
        .map(String::as_str)
}

/// `descriptor` named `tag` inside a layout, its other annotations kept.
pub fn with_ref_name(descriptor: Descriptor, tag: &LayoutTag) -> Descriptor {
    let mut annotations = descriptor.annotations().clone();
    annotations.insert(REF_NAME_ANNOTATION.to_owned(), tag.as_str().to_owned());
    descriptor.with_annotations(annotations)
}

/// The content of `index.json`: the entry points of the layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutIndex {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<MediaType>,
    manifests: Vec<Descriptor>,
    /// Everything else the index holds, kept as written.
    #[serde(flatten)]
    other_fields: serde_json::Map<String, serde_json::Value>,
}

impl Default for LayoutIndex {
    fn default() -> Self {
        LayoutIndex {
            schema_version: 2,
            media_type: Some(MediaType::OciIndex),
            manifests: Vec::new(),
            other_fields: serde_json::Map::new(),
        }
    }
}

impl LayoutIndex {
    /// Every entry, in the order of the file.
    pub fn manifests(&self) -> &[Descriptor] {
        &self.manifests
    }

    /// The entry carrying `tag`, if any.
    pub fn find_tag(&self, tag: &LayoutTag) -> Option<&Descriptor> {
        self.manifests.iter().find(|d| ref_name(d) == Some(tag.as_str()))
    }

    /// The first entry pointing at `digest`, if any.
    pub fn find_digest(&self, digest: &Digest) -> Option<&Descriptor> {
        self.manifests.iter().find(|d| d.digest() == digest)
    }

    /// Points `tag` at `descriptor`: an entry that already carries the tag is
    /// replaced in place, otherwise the tagged descriptor is appended.
    pub(crate) fn set_tag(&mut self, tag: &LayoutTag, descriptor: Descriptor) {
        let tagged = with_ref_name(descriptor, tag);
        match self
            .manifests
            .iter_mut()
            .find(|d| ref_name(d) == Some(tag.as_str()))
        {
            Some(slot) => *slot = tagged,
            None => self.manifests.push(tagged),
        }
    }

    /// Adds an untagged entry unless one for the same digest exists already.
    pub(crate) fn add_untagged(&mut self, descriptor: Descriptor) {
        let present = self
            .manifests
            .iter()
            .any(|d| d.digest() == descriptor.digest() && ref_name(d).is_none());
        if !present {
            self.manifests.push(descriptor);
        }
    }

    /// Removes the entry carrying `tag`; whether there was one.
    pub(crate) fn remove_tag(&mut self, tag: &LayoutTag) -> bool {
        let before = self.manifests.len();
        self.manifests.retain(|d| ref_name(d) != Some(tag.as_str()));
        before != self.manifests.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(content: &[u8]) -> Descriptor {
        Descriptor::new(
            MediaType::OciManifest,
            Digest::sha256(content),
            content.len() as u64,
        )
    }

    #[test]
    fn set_tag_replaces_the_entry_with_the_same_tag_only() {
        let v1: LayoutTag = "v1".parse().unwrap();
        let v2: LayoutTag = "v2".parse().unwrap();
        let mut index = LayoutIndex::default();
        index.set_tag(&v1, manifest(b"a"));
        index.set_tag(&v2, manifest(b"b"));
        index.set_tag(&v1, manifest(b"c"));
        let entries: Vec<_> = index
            .manifests()
            .iter()
            .map(|d| (ref_name(d).unwrap(), d.digest().clone()))
            .collect();
        assert_eq!(
            entries,
            [("v1", Digest::sha256(b"c")), ("v2", Digest::sha256(b"b"))]
        );
        assert_eq!(index.find_tag(&v2).unwrap().digest(), &Digest::sha256(b"b"));
        assert!(index.remove_tag(&v2));
        assert!(!index.remove_tag(&v2));
        assert_eq!(index.manifests().len(), 1);
    }

    #[test]
    fn add_untagged_does_not_duplicate() {
        let mut index = LayoutIndex::default();
        index.add_untagged(manifest(b"a"));
        index.add_untagged(manifest(b"a"));
        assert_eq!(index.manifests().len(), 1);
        assert!(index.find_digest(&Digest::sha256(b"a")).is_some());
    }

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let text = r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb","size":1,"platform":{"architecture":"arm64","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"x"}}],"annotations":{"k":"v"}}"#;
        let index: LayoutIndex = serde_json::from_str(text).unwrap();
        assert_eq!(ref_name(&index.manifests()[0]), Some("x"));
        let back: serde_json::Value = serde_json::to_value(&index).unwrap();
        assert_eq!(back, serde_json::from_str::<serde_json::Value>(text).unwrap());
    }

    #[test]
    fn rejects_digests_that_could_escape_the_layout() {
        let bad = [
            "sha256:../../../etc/passwd",
            "../x:abc",
            "sha256/..:abc",
            "x:a/b",
            "x:..",
            "x:.",
        ];
        for digest in bad {
            let text = format!(
                r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"m","digest":"{digest}","size":1}}]}}"#
            );
            assert!(
                serde_json::from_str::<LayoutIndex>(&text).is_err(),
                "{digest:?} accepted"
            );
        }
    }
}
