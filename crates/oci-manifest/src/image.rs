//! Image manifests, Docker schema2 and OCI: a config descriptor and layer
//! descriptors, base first.

use serde::ser::SerializeMap;
use serde::Deserialize;

use crate::descriptor::{AllInFlavour, InFlavour};
use crate::document::{format, Head, Shape};
use crate::{json, BlobInfo, Descriptor, Document, Error, Flavour, Image, MediaType};

/// An image manifest, Docker schema2 or OCI: a config and layers.
///
/// ```
/// use oci_manifest::{Descriptor, Flavour, ImageManifest, MediaType};
///
/// let config = Descriptor::from_data(MediaType::OciEmpty, b"{}".to_vec());
/// let manifest = ImageManifest::new(Flavour::Oci, config, Vec::new())?;
/// assert_eq!(manifest.media_type(), MediaType::OciManifest);
/// assert!(manifest.layers().is_empty());
/// # Ok::<(), oci_manifest::Error>(())
/// ```
pub type ImageManifest = Document<Image>;

impl Shape for Image {
    const FORMATS: [(MediaType, &'static str); 2] = [
        (MediaType::DockerSchema2, "Docker schema2 manifest"),
        (MediaType::OciManifest, "OCI image manifest"),
    ];

    fn read(flavour: Flavour, bytes: &[u8]) -> Result<ImageManifest, Error> {
        #[derive(Deserialize)]
        struct Wire {
            config: Descriptor,
            layers: Vec<Descriptor>,
            #[serde(flatten)]
            head: Head,
        }
        let wire: Wire = json::parse_versioned(format::<Image>(flavour).1, 2, bytes)?;
        let image = Image {
            config: wire.config,
            layers: wire.layers,
        };
        Document::assemble(flavour, bytes, image, wire.head)
    }

    fn write<M: SerializeMap>(&self, map: &mut M, flavour: Flavour) -> Result<(), M::Error> {
        map.serialize_entry("config", &InFlavour(&self.config, flavour))?;
        map.serialize_entry("layers", &AllInFlavour(&self.layers, flavour))
    }
}

impl Document<Image> {
    /// A new image manifest, written canonically (see the crate docs).
    pub fn new(
        flavour: Flavour,
        config: Descriptor,
        layers: Vec<Descriptor>,
    ) -> Result<ImageManifest, Error> {
        Document::create(flavour, Image { config, layers })
    }

    /// The config descriptor.
    pub fn config(&self) -> &Descriptor {
        &self.shape().config
    }

    /// The layer descriptors, base first. Duplicates are meaningful.
    pub fn layers(&self) -> &[Descriptor] {
        &self.shape().layers
    }

    /// A new manifest with each layer replaced by the matching `layers` entry
    /// (base first), re-serialised canonically.
    pub fn with_layers(&self, layers: &[BlobInfo]) -> Result<ImageManifest, Error> {
        let current = self.layers();
        check_layer_count(current.len(), layers)?;
        let layers = current
            .iter()
            .zip(layers)
            .map(|(descriptor, info)| descriptor.replace_content(info))
            .collect();
        self.with_shape(Image {
            config: self.config().clone(),
            layers,
        })
    }
}

/// Checks that an edit supplies as many layers as the manifest has.
pub(crate) fn check_layer_count(expected: usize, layers: &[BlobInfo]) -> Result<(), Error> {
    if expected == layers.len() {
        Ok(())
    } else {
        Err(Error::LayerCountMismatch {
            expected,
            actual: layers.len(),
        })
    }
}
