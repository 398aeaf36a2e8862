//! A change made to an image while the engine copies it (a format conversion), as pure
//! functions the engine applies in its one pass. Recompression is the engine's own
//! (`relayer`), applied before a rewrite sees the image.

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use oci_digest::Digest;
use oci_manifest::MediaType;

use super::copier::LayerScan;
use super::{ManifestData, ResolvedImage};
use crate::Error;

/// What a rewrite needs from a copy, and what it makes of the image.
///
/// The engine calls [`plan`](Self::plan) with the resolved source image,
/// moves the blobs the plan lists (feeding each layer it marks to a fresh
/// [`scan`](Self::scan) while the layer streams, so it is read once), then
/// calls [`finish`](Self::finish) and writes the blobs and manifest that
/// returns.
pub trait Rewrite: Send + Sync {
    /// The source blobs the new image uses, and which layers to read. It may be asked
    /// more than once (with recompression: first for the image as it will be, then for it
    /// as it is once its layers are made), and must not depend on being asked once.
    fn plan(&self, image: &ResolvedImage) -> Result<RewritePlan, Error>;

    /// The type of manifest the rewrite makes, when that is known before the image is (a
    /// conversion's target format): lets the engine refuse, before reading anything, layer
    /// packings the format cannot name.
    fn target_type(&self) -> Option<MediaType> {
        None
    }

    /// A fresh reader of layer `digest` (called once per attempt at it).
    fn scan(&self, digest: &Digest) -> Arc<dyn LayerScan>;

    /// After every planned blob is at the destination (and every scan
    /// finished): the new manifest and any blobs that exist only in it.
    fn finish(&self, image: &ResolvedImage) -> Result<Rewritten, Error>;
}

/// The blobs a rewritten image takes from its source.
#[derive(Debug, Clone)]
pub struct RewritePlan {
    media_type: MediaType,
    blobs: Vec<(Digest, Option<u64>)>,
    scan: HashSet<Digest>,
}

impl RewritePlan {
    /// A plan for a manifest of type `media_type` that uses `blobs` of the
    /// source (digest and size where known), each moved once in that order.
    pub fn new(media_type: MediaType, blobs: Vec<(Digest, Option<u64>)>) -> RewritePlan {
        let mut seen = HashSet::new();
        let blobs = blobs
            .into_iter()
            .filter(|(d, _)| seen.insert(d.clone()))
            .collect();
        RewritePlan {
            media_type,
            blobs,
            scan: HashSet::new(),
        }
    }

    /// Marks `digests` (among the blobs) to be read by [`Rewrite::scan`].
    pub fn scanning(mut self, digests: impl IntoIterator<Item = Digest>) -> RewritePlan {
        self.scan.extend(digests);
        self
    }

    /// The type of the manifest the rewrite makes.
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// The source blobs to move.
    pub fn blobs(&self) -> &[(Digest, Option<u64>)] {
        &self.blobs
    }

    /// Whether blob `digest` is read by a scan.
    pub fn scans(&self, digest: &Digest) -> bool {
        self.scan.contains(digest)
    }
}

/// What a rewrite made: the new manifest, and blobs only it has.
#[derive(Debug, Clone)]
pub struct Rewritten {
    manifest: ManifestData,
    blobs: Vec<Bytes>,
}

impl Rewritten {
    /// `bytes` as a manifest of `media_type`, with `blobs` (a converted
    /// config, the empty layer, ...) to write before it.
    pub fn new(media_type: MediaType, bytes: Bytes, blobs: Vec<Bytes>) -> Result<Rewritten, Error> {
        let digest = crate::manifests::manifest_digest(&bytes, &media_type, &oci_digest::Algorithm::Sha256)?;
        Ok(Rewritten {
            manifest: ManifestData::new(media_type, digest, bytes),
            blobs,
        })
    }

    /// The image as it was: its manifest's exact bytes, nothing new.
    pub fn unchanged(image: &ResolvedImage) -> Rewritten {
        Rewritten {
            manifest: image.image().clone(),
            blobs: Vec::new(),
        }
    }

    /// The new manifest.
    pub fn manifest(&self) -> &ManifestData {
        &self.manifest
    }

    /// The new blobs.
    pub fn blobs(&self) -> &[Bytes] {
        &self.blobs
    }
}
