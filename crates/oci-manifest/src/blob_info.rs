//! What every manifest format can say about a layer: the common ground between
//! schema1's bare `blobSum`s and full descriptors.

use oci_digest::Digest;

use crate::{Descriptor, MediaType};

/// A layer as every manifest format can describe it, and as an edit replaces it.
///
/// Schema1 knows only the digest; the other formats also know size, media type
/// and URLs. When used to edit a manifest, members left `None` keep the value
/// the manifest already has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    digest: Digest,
    size: Option<u64>,
    media_type: Option<MediaType>,
    urls: Option<Vec<String>>,
}

impl BlobInfo {
    /// A blob known only by its digest.
    pub fn new(digest: Digest) -> BlobInfo {
        BlobInfo {
            digest,
            size: None,
            media_type: None,
            urls: None,
        }
    }

    /// The same blob with its size.
    pub fn with_size(mut self, size: u64) -> BlobInfo {
        self.size = Some(size);
        self
    }

    /// The same blob with its media type.
    pub fn with_media_type(mut self, media_type: MediaType) -> BlobInfo {
        self.media_type = Some(media_type);
        self
    }

    /// The same blob with URLs it can be fetched from.
    pub fn with_urls(mut self, urls: Vec<String>) -> BlobInfo {
        self.urls = Some(urls);
        self
    }

    /// The digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The size, when the format records it.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The media type, when the format records it.
    pub fn media_type(&self) -> Option<&MediaType> {
        self.media_type.as_ref()
    }

    /// The URLs, when the format records them.
    pub fn urls(&self) -> Option<&[String]> {
        self.urls.as_deref()
    }
}

impl From<&Descriptor> for BlobInfo {
    fn from(descriptor: &Descriptor) -> BlobInfo {
        BlobInfo {
            digest: descriptor.digest().clone(),
            size: Some(descriptor.size()),
            media_type: Some(descriptor.media_type().clone()),
            urls: Some(descriptor.urls().to_vec()),
        }
    }
}
