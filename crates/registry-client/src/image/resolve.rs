//! Resolving an image reference to the one image it means on a platform:
//! its manifest, and its config.

use bytes::Bytes;
use oci_manifest::{Descriptor, Manifest, Platform};

use super::host_platform;
use super::location::{ImageLocation, ManifestData};
use super::source::ImageSource;
use super::transfer::select_platform;
use crate::{Client, Error};

/// The largest image config read into memory. Configs carry the history of
/// every layer, but even images with hundreds of layers stay far below this.
pub const CONFIG_LIMIT: u64 = 8 * 1024 * 1024;

/// One image, resolved: what the reference names, and the platform image
/// inside it when that is a list or index.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    top: ManifestData,
    image: ManifestData,
    manifest: Manifest,
    entry: Option<Descriptor>,
    config: Option<Bytes>,
}

impl ResolvedImage {
    /// The manifest the reference names, as stored (a list or index, or the
    /// image manifest itself). Its digest is the one `skopeo inspect` shows.
    pub fn top(&self) -> &ManifestData {
        &self.top
    }

    /// The image manifest for the platform, as stored (the same as
    /// [`top`](Self::top) when the reference names an image manifest).
    pub fn image(&self) -> &ManifestData {
        &self.image
    }

    /// The image manifest, parsed.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The list or index entry the image was chosen by, if it was.
    pub fn entry(&self) -> Option<&Descriptor> {
        self.entry.as_ref()
    }

    /// The image config's exact bytes, verified against the manifest's
    /// config digest; `None` for schema1, whose config lives in its history.
    pub fn config(&self) -> Option<&Bytes> {
        self.config.as_ref()
    }

    /// The same image with another image manifest (its layers recompressed): config, entry
    /// and top kept, the top replaced too when it was the image manifest itself.
    pub(crate) fn with_image(&self, image: ManifestData) -> Result<ResolvedImage, Error> {
        let manifest = image.parse()?;
        let top = if self.top == self.image {
            image.clone()
        } else {
            self.top.clone()
        };
        Ok(ResolvedImage {
            top,
            image,
            manifest,
            entry: self.entry.clone(),
            config: self.config.clone(),
        })
    }
}

/// Resolves `location` to one image: fetches the manifest it names; when that
/// is a list or index, picks the entry for `platform` (default: the host's,
/// [`host_platform`]) and fetches that manifest by digest; then fetches the
/// config. Every manifest fetched by digest is verified before it is parsed.
pub async fn resolve(
    client: &Client,
    location: &ImageLocation,
    platform: Option<&Platform>,
) -> Result<ResolvedImage, Error> {
    resolve_from(&*location.source(client), platform).await
}

/// [`resolve`] for any [`ImageSource`].
pub async fn resolve_from(
    source: &dyn ImageSource,
    platform: Option<&Platform>,
) -> Result<ResolvedImage, Error> {
    let top = source.top_manifest().await?;
    let parsed = top.parse()?;
    let (image, manifest, entry) = if parsed.is_index() {
        let wanted = platform.cloned().unwrap_or_else(host_platform);
        let entry = select_platform(&parsed, &wanted, &source.to_string())?.clone();
        let image = source.child_manifest(&entry).await?;
        let manifest = image.parse()?;
        (image, manifest, Some(entry))
    } else {
        (top.clone(), parsed, None)
    };
    let config = match manifest.config() {
        None => None,
        Some(descriptor) => Some(read_config(source, descriptor).await?),
    };
    Ok(ResolvedImage {
        top,
        image,
        manifest,
        entry,
        config,
    })
}

/// Reads a config blob into memory, verified and capped.
pub(crate) async fn read_config(source: &dyn ImageSource, descriptor: &Descriptor) -> Result<Bytes, Error> {
    if descriptor.size() > CONFIG_LIMIT {
        return Err(Error::BlobTooLarge {
            digest: descriptor.digest().clone(),
            size: descriptor.size(),
            limit: CONFIG_LIMIT,
        });
    }
    // The blob is held to the descriptor's size, so the cap holds while it is read.
    let blob = source.blob(descriptor.digest(), Some(descriptor.size())).await?;
    blob.into_bytes().await
}
