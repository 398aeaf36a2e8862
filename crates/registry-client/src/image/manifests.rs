//! Writing manifests that move no blob: more names for a manifest ([`tag`]), and an index or
//! list of images a place already holds ([`index_entry`], [`put_index`]).
//!
//! Both go through the engine's traits: manifests are read from an [`ImageSource`] (verified
//! as every source verifies them) and stored with [`ImageDestination::put_manifest`], the one
//! way a manifest is written, so they work wherever images live.

use oci_manifest::{Descriptor, Flavour, ImageConfig, ImageIndex, Manifest, MediaType};

use super::resolve::read_config;
use super::{ImageDestination, ImageSource, ManifestData, ManifestRole};
use crate::Error;

/// Stores the manifest `source` names, byte for byte, under each of `targets` (a tag of a
/// registry repository, a tag of a layout) and returns it.
///
/// No blob moves: each target must hold the manifest's blobs already, as the source's own
/// repository or layout does; to put an image anywhere else, copy it. Every target is
/// checked to accept the manifest's format before anything is written.
pub async fn tag(source: &dyn ImageSource, targets: &[&dyn ImageDestination]) -> Result<ManifestData, Error> {
    let manifest = source.top_manifest().await?;
    for target in targets {
        target.accepts(manifest.media_type())?;
    }
    for target in targets {
        target
            .put_manifest(&manifest, ManifestRole::Top { chosen: None })
            .await?;
    }
    Ok(manifest)
}

/// The kind of index [`put_index`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexFormat {
    /// An OCI image index: lists OCI and Docker schema2 image manifests.
    Oci,
    /// A Docker manifest list: lists Docker schema2 image manifests only.
    DockerList,
}

impl IndexFormat {
    /// The media type of an index of this format.
    pub fn media_type(self) -> MediaType {
        match self {
            IndexFormat::Oci => MediaType::OciIndex,
            IndexFormat::DockerList => MediaType::DockerManifestList,
        }
    }
}

/// The entry for the image `source` names in an index of `format`: its manifest's descriptor
/// (media type, digest, size) with the platform its config gives.
///
/// The manifest must be one image that `format` can list: not a list or index, not schema1
/// (which has no config to read a platform from), and not an OCI manifest for a Docker list
/// ([`Error::NotListable`]).
pub async fn index_entry(source: &dyn ImageSource, format: IndexFormat) -> Result<Descriptor, Error> {
    let manifest = source.top_manifest().await?;
    let parsed = manifest.parse()?;
    let config = match (&parsed, format) {
        (Manifest::Image(image), _) if image.flavour() == Flavour::Docker => image.config(),
        (Manifest::Image(image), IndexFormat::Oci) => image.config(),
        _ => {
            return Err(Error::NotListable {
                digest: manifest.digest().clone(),
                media_type: manifest.media_type().clone(),
                list: format.media_type(),
            })
        }
    };
    let config = read_config(source, config).await?;
    let platform = ImageConfig::from_slice(&config)?.platform();
    Ok(manifest.descriptor().with_platform(platform))
}

/// Writes an index of `format` listing `entries` (see [`index_entry`]) as the manifest
/// `destination` names, and returns it. The entries' manifests must be where the index is.
pub async fn put_index(
    destination: &dyn ImageDestination,
    entries: Vec<Descriptor>,
    format: IndexFormat,
) -> Result<ManifestData, Error> {
    let flavour = match format {
        IndexFormat::Oci => Flavour::Oci,
        IndexFormat::DockerList => Flavour::Docker,
    };
    let bytes = ImageIndex::new(flavour, entries)?.as_bytes().to_vec();
    let index = ManifestData::new(
        format.media_type(),
        oci_digest::Digest::sha256(&bytes),
        bytes.into(),
    );
    destination.accepts(index.media_type())?;
    let digest = destination
        .put_manifest(&index, ManifestRole::Top { chosen: None })
        .await?;
    Ok(index.with_digest(digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{ImageSource, LayoutDestination, LayoutSource};
    use crate::layout::OciLayout;

    #[tokio::test]
    async fn a_tag_in_a_layout_is_one_more_entry_for_the_same_manifest() {
        let work = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(work.path()).await.unwrap();
        let bytes = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        let digest = oci_digest::Digest::sha256(bytes);
        layout.write_blob(&digest, bytes).await.unwrap();
        let entry = Descriptor::new(MediaType::OciManifest, digest.clone(), bytes.len() as u64);
        layout.set_tag(&"v1".parse().unwrap(), entry).await.unwrap();

        let source = LayoutSource::new(&layout, Some(&"v1".parse().unwrap()));
        let targets =
            ["stable", "latest"].map(|tag| LayoutDestination::new(&layout, Some(&tag.parse().unwrap())));
        let targets: Vec<&dyn ImageDestination> =
            targets.iter().map(|t| t as &dyn ImageDestination).collect();
        let tagged = tag(&source, &targets).await.unwrap();
        assert_eq!(tagged.digest(), &digest);
        for name in ["v1", "stable", "latest"] {
            let read = LayoutSource::new(&layout, Some(&name.parse().unwrap()));
            let manifest = read.top_manifest().await.unwrap();
            assert_eq!(
                (manifest.digest(), &manifest.bytes()[..]),
                (&digest, &bytes[..]),
                "{name}"
            );
        }
        assert_eq!(layout.index().await.unwrap().manifests().len(), 3);
    }
}
