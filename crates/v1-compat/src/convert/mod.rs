//! Whole-image format conversion: read an image in any format, write it in
//! the one asked for.
//!
//! A conversion is a copy plus a rewrite: this module supplies the rewrite
//! (`rewrite`: which source blobs the new image uses, which layers to scan,
//! then the new manifest and blobs), and the image engine of
//! `registry-client` does the copy ([`image::convert`]) in its one pass:
//! each blob moved once, bounded by [`ConvertOptions::jobs`], mounted within
//! one registry, each scanned layer read once while it streams, the new
//! manifest written last so the destination never names a blob it lacks.

mod rewrite;
mod scan;

use std::sync::Arc;

use oci_digest::Digest;
use oci_manifest::{MediaType, Platform, Reference};
use registry_client::image::{
    self, host_platform, ImageDestination, ImageSource, NoProgress, Progress, Recompress,
    RegistryDestination, RegistrySource, TransferOptions, DEFAULT_JOBS,
};
use registry_client::Client;

use crate::Error;
use rewrite::FormatRewrite;

use crate::format::TargetFormat;

/// How [`convert`] works: which platform of a list or index, and how many
/// blobs move at once.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    platform: Option<Platform>,
    jobs: usize,
    recompress: Option<Recompress>,
    preserve_digests: bool,
}

impl Default for ConvertOptions {
    fn default() -> ConvertOptions {
        ConvertOptions {
            platform: None,
            jobs: DEFAULT_JOBS,
            recompress: None,
            preserve_digests: false,
        }
    }
}

impl ConvertOptions {
    /// The host's platform out of a list or index (as every other operation
    /// chooses, [`host_platform`]), four blobs at once.
    pub fn new() -> ConvertOptions {
        ConvertOptions::default()
    }

    /// Converts the image for `platform` when the source is a list or index.
    pub fn platform(mut self, platform: Platform) -> ConvertOptions {
        self.platform = Some(platform);
        self
    }

    /// Moves at most `jobs` blobs at once (at least one).
    pub fn jobs(mut self, jobs: usize) -> ConvertOptions {
        self.jobs = jobs.max(1);
        self
    }

    /// Recompresses the layers on the way, before the conversion sees them (see
    /// [`TransferOptions::recompress`]): a target format that cannot name the packing (zstd
    /// in `v2s2`, anything but gzip in `v2s1`) is refused before anything is written.
    pub fn recompress(mut self, recompress: Recompress) -> ConvertOptions {
        self.recompress = Some(recompress);
        self
    }

    /// Refuses a conversion that would change a digest (another format, a recompressed
    /// layer) before anything is written (see [`TransferOptions::preserve_digests`]).
    pub fn preserve_digests(mut self, preserve: bool) -> ConvertOptions {
        self.preserve_digests = preserve;
        self
    }

    /// The platform chosen out of a list or index.
    pub fn selected_platform(&self) -> Platform {
        self.platform.clone().unwrap_or_else(host_platform)
    }

    /// The number of blobs moved at once.
    pub fn concurrent_jobs(&self) -> usize {
        self.jobs
    }
}

/// The manifest a conversion pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    digest: Digest,
    media_type: MediaType,
    manifest: Vec<u8>,
}

impl Converted {
    /// The digest of the pushed manifest (for schema1: of its signed
    /// payload), as the destination registry reports it.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The pushed manifest's media type.
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// The pushed manifest's bytes.
    pub fn manifest(&self) -> &[u8] {
        &self.manifest
    }
}

/// Converts the image `source` names into `target` format and pushes it to
/// `destination`; returns the digest and bytes of the manifest pushed.
///
/// `source` may name its image by tag or digest (fetched by digest, the
/// manifest is verified before it is read), or name a manifest list or OCI
/// index, whose image for [`ConvertOptions::platform`] is converted. Every
/// blob is verified while it is downloaded; nothing unverified is uploaded.
///
/// | from | to | how |
/// | --- | --- | --- |
/// | schema1 | schema2, OCI | each distinct content layer is downloaded once to compute its diffID; the config is built from the v1 history ([`schema1_to_config`](crate::schema1_to_config)); `throwaway` layers leave `layers` but keep their history entry |
/// | schema2 | OCI, and back | config and layer media types mapped; blobs and their digests unchanged |
/// | schema2, OCI | schema1 | v1 history built from the config ([`config_to_schema1`](crate::config_to_schema1)), signed with a throwaway key, the gzipped empty tar added when a history entry is empty |
/// | any | its own format | a copy: the manifest bytes are pushed unchanged |
///
/// Blobs the destination repository has are not sent; within one registry
/// they are mounted from the source repository; otherwise they are downloaded
/// (verified) into a temporary file and uploaded, at most
/// [`ConvertOptions::jobs`] at once. The manifest is pushed last, so the
/// destination never names a blob it lacks.
///
/// # Errors
///
/// [`Error::Image`] when the source cannot be resolved (missing, failing its
/// digest, no image for the platform) or a blob or the manifest cannot be
/// moved (a layer failing its digest included), the engine's error whole,
/// [`Error::NoEquivalentMediaType`] or [`Error::UnsupportedSource`] when the
/// target format cannot express the image, and the history errors of
/// [`schema1_to_config`](crate::schema1_to_config) and
/// [`config_to_schema1`](crate::config_to_schema1).
///
/// ```no_run
/// use v1_compat::{convert, ConvertOptions, TargetFormat};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = registry_client::Client::new()?;
/// let source = "127.0.0.1:5000/old/app:1.0".parse()?;
/// let destination = "127.0.0.1:5000/new/app:1.0".parse()?;
/// let converted = convert(&client, &source, &destination, TargetFormat::Oci, &ConvertOptions::new()).await?;
/// println!("{}", converted.digest());
/// # Ok(())
/// # }
/// ```
pub async fn convert(
    client: &Client,
    source: &Reference,
    destination: &Reference,
    target: TargetFormat,
    options: &ConvertOptions,
) -> Result<Converted, Error> {
    let from = RegistrySource::new(client, source);
    let to = RegistryDestination::new(client, destination);
    convert_image(
        &from,
        &to,
        Some(destination),
        target,
        options,
        Arc::new(NoProgress),
    )
    .await
}

/// [`convert`] between any two places images live (registries, OCI layouts,
/// ...), through the image engine, with progress reported to `progress`.
/// `name` is what a schema1 result records as its repository and tag (the
/// destination's reference; schema1 cannot be made without it).
pub async fn convert_image(
    source: &dyn ImageSource,
    destination: &dyn ImageDestination,
    name: Option<&Reference>,
    target: TargetFormat,
    options: &ConvertOptions,
    progress: Arc<dyn Progress>,
) -> Result<Converted, Error> {
    let rewrite = FormatRewrite::new(target, name);
    let mut transfer = TransferOptions::new()
        .jobs(options.jobs)
        .preserve_digests(options.preserve_digests);
    if let Some(platform) = &options.platform {
        transfer = transfer.platform(platform.clone());
    }
    if let Some(recompress) = options.recompress {
        transfer = transfer.recompress(recompress);
    }
    let report = image::convert(source, destination, &rewrite, &transfer, progress)
        .await
        .map_err(|error| conversion_error(source, error))?;
    let manifest = report.manifest();
    Ok(Converted {
        digest: manifest.digest().clone(),
        media_type: manifest.media_type().clone(),
        manifest: manifest.bytes().to_vec(),
    })
}

/// The image config of the schema1 image `source` names (its top manifest must be
/// schema1), built from its v1 history as a conversion to schema2 or OCI builds it, with what
/// scanning each content layer found, base first.
///
/// Each distinct content layer is read once from `source`, verified while it streams, and
/// scanned on the way for its diffID (a manifest may name one layer many times: its one
/// scan stands for every mention); nothing is written anywhere.
///
/// # Errors
///
/// [`Error::Image`] when a layer cannot be read or fails its digest, the scan's errors for a
/// layer that is no tar, and those of [`schema1_to_config`](crate::schema1_to_config).
pub async fn schema1_config(
    source: &dyn ImageSource,
    schema1: &oci_manifest::Schema1,
) -> Result<(crate::ImageConfigBlob, Vec<crate::LayerSummary>), Error> {
    let history = crate::V1History::from_schema1(schema1)?;
    let summaries = scan::Summaries::default();
    let scanned = |digest: &Digest| {
        summaries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(digest)
            .cloned()
    };
    let mut layers = Vec::new();
    for layer in history.content_layers() {
        let digest = layer.blob_sum();
        if scanned(digest).is_none() {
            let read = async {
                let content = source.blob(digest, None).await?;
                image::scan_blob(content, &scan::ChannelScan::start(digest, &summaries)).await
            };
            read.await.map_err(|error| conversion_error(source, error))?;
        }
        layers.push(scanned(digest).ok_or_else(|| Error::Staging {
            blob: digest.clone(),
            source: std::io::Error::other("the layer was not scanned"),
        })?);
    }
    let diff_ids: Vec<Digest> = layers.iter().map(|l| l.diff_id().clone()).collect();
    let config = crate::schema1_to_config(&history, &diff_ids)?;
    Ok((config, layers))
}

/// The engine's failure: a conversion error carried through it comes out
/// as itself; anything else says which image it happened to.
fn conversion_error(source: &dyn ImageSource, error: registry_client::Error) -> Error {
    match error {
        registry_client::Error::Rewrite(inner) => match inner.downcast::<Error>() {
            Ok(error) => *error,
            Err(other) => Error::Image {
                image: source.to_string(),
                source: Box::new(registry_client::Error::Rewrite(other)),
            },
        },
        other => Error::Image {
            image: source.to_string(),
            source: Box::new(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use oci_manifest::Descriptor;

    use super::*;

    fn descriptor(media_type: MediaType, seed: &[u8]) -> Descriptor {
        Descriptor::new(media_type, Digest::sha256(seed), seed.len() as u64)
    }

    #[test]
    fn options_keep_at_least_one_job() {
        let options = ConvertOptions::new();
        assert_eq!(options.selected_platform(), host_platform());
        assert_eq!(options.concurrent_jobs(), DEFAULT_JOBS);
        let options = options.jobs(0).platform(Platform::new("linux", "arm64"));
        assert_eq!(options.concurrent_jobs(), 1);
        assert_eq!(options.selected_platform().architecture(), "arm64");
    }

    #[test]
    fn schema1_is_not_built_as_an_image_manifest() {
        let config = descriptor(MediaType::DockerContainerConfig, b"config");
        let err = rewrite::image_manifest(TargetFormat::V2s1, config, Vec::new())
            .err()
            .unwrap();
        assert!(matches!(
            err,
            Error::NoEquivalentMediaType {
                target: TargetFormat::V2s1,
                ..
            }
        ));
        let built = rewrite::image_manifest(
            TargetFormat::Oci,
            descriptor(MediaType::OciConfig, b"c"),
            vec![descriptor(MediaType::OciLayerGzip, b"l")],
        )
        .unwrap();
        assert!(oci_manifest::ImageManifest::from_slice(oci_manifest::Flavour::Oci, &built).is_ok());
    }
}
