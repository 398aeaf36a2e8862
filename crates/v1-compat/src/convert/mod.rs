//! Whole-image format conversion between registries: read an image in any
//! format, write it in the one asked for.
//!
//! [`convert`] is the one entry point. It resolves the source (a list or
//! index yields the image for [`ConvertOptions::platform`]), gets every blob
//! the new manifest names into the destination repository (nothing sent when
//! it is there, a cross-repository mount within one registry, else a verified
//! download and upload), and pushes the new manifest last, so the destination
//! never names a blob it lacks.

mod blobs;
mod format;
mod from_schema1;
mod into_schema1;
mod retype;

use std::collections::HashSet;

use futures_util::{StreamExt, TryStreamExt};
use oci_digest::Digest;
use oci_manifest::{Descriptor, Manifest, MediaType, OciManifest, Platform, Reference, Schema2};
use registry_client::image::{self, ImageLocation, DEFAULT_JOBS};
use registry_client::{Client, RepositoryRef};

use crate::Error;
use blobs::BlobMover;

pub use format::TargetFormat;

/// How [`convert`] works: which platform of a list or index, and how many
/// blobs move at once.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    platform: Platform,
    jobs: usize,
}

impl Default for ConvertOptions {
    fn default() -> ConvertOptions {
        ConvertOptions {
            platform: Platform::new("linux", "amd64"),
            jobs: DEFAULT_JOBS,
        }
    }
}

impl ConvertOptions {
    /// `linux/amd64` out of a list or index, four blobs at once.
    pub fn new() -> ConvertOptions {
        ConvertOptions::default()
    }

    /// Converts the image for `platform` when the source is a list or index.
    pub fn platform(mut self, platform: Platform) -> ConvertOptions {
        self.platform = platform;
        self
    }

    /// Moves at most `jobs` blobs at once (at least one).
    pub fn jobs(mut self, jobs: usize) -> ConvertOptions {
        self.jobs = jobs.max(1);
        self
    }

    /// The platform chosen out of a list or index.
    pub fn selected_platform(&self) -> &Platform {
        &self.platform
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

/// A manifest ready to push.
struct NewManifest {
    media_type: MediaType,
    bytes: Vec<u8>,
}

/// What every conversion step needs.
struct Job<'a> {
    blobs: BlobMover<'a>,
    jobs: usize,
    source: &'a Reference,
    destination: &'a Reference,
}

impl Job<'_> {
    fn unsupported(&self, manifest: &Manifest) -> Error {
        Error::UnsupportedSource {
            image: self.source.to_string(),
            media_type: manifest.media_type(),
        }
    }

    /// Makes the destination hold every blob in `digests`, at most `jobs` at once.
    async fn copy_blobs(&self, digests: Vec<Digest>) -> Result<(), Error> {
        futures_util::stream::iter(digests)
            .map(|digest| async move { self.blobs.copy(&digest).await })
            .buffer_unordered(self.jobs)
            .try_for_each(|_| async { Ok(()) })
            .await
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
/// digest, no image for the platform), [`Error::Registry`] when a blob or the
/// manifest cannot be moved (a layer failing its digest included),
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
    let location = ImageLocation::Registry(source.clone());
    let resolved = image::resolve(client, &location, Some(&options.platform))
        .await
        .map_err(|e| Error::Image {
            image: source.to_string(),
            source: Box::new(e),
        })?;
    let job = Job {
        blobs: BlobMover::new(
            client,
            RepositoryRef::from(source),
            RepositoryRef::from(destination),
        ),
        jobs: options.jobs,
        source,
        destination,
    };
    let manifest = resolved.manifest();
    let new = match (manifest, target) {
        (Manifest::Schema1(_), TargetFormat::V2s1)
        | (Manifest::Schema2(_), TargetFormat::V2s2)
        | (Manifest::OciManifest(_), TargetFormat::Oci) => {
            job.copy_blobs(registry_blobs(manifest)).await?;
            NewManifest {
                media_type: resolved.image().media_type().clone(),
                bytes: resolved.image().bytes().to_vec(),
            }
        }
        (Manifest::Schema1(schema1), _) => from_schema1::convert(&job, schema1, target).await?,
        (Manifest::Schema2(_) | Manifest::OciManifest(_), TargetFormat::V2s1) => {
            into_schema1::convert(&job, manifest, resolved.config()).await?
        }
        (Manifest::Schema2(_) | Manifest::OciManifest(_), _) => {
            retype::convert(&job, manifest, target).await?
        }
        (other, _) => return Err(job.unsupported(other)),
    };
    let digest = client
        .put_manifest(destination, &new.media_type, new.bytes.clone())
        .await
        .map_err(|e| Error::Registry {
            operation: "pushing the manifest to",
            subject: destination.to_string(),
            source: Box::new(e),
        })?;
    Ok(Converted {
        digest,
        media_type: new.media_type,
        manifest: new.bytes,
    })
}

/// The blobs an image manifest names that the registry serves: config and
/// layers, once each, without foreign layers (those live at their URLs).
fn registry_blobs(manifest: &Manifest) -> Vec<Digest> {
    let mut digests: Vec<Digest> = Vec::new();
    if let Some(config) = manifest.config() {
        digests.push(config.digest().clone());
    }
    match manifest.layer_descriptors() {
        Some(layers) => digests.extend(
            layers
                .iter()
                .filter(|layer| !layer.media_type().is_foreign_layer())
                .map(|layer| layer.digest().clone()),
        ),
        None => digests.extend(
            manifest
                .layer_infos()
                .into_iter()
                .map(|info| info.digest().clone()),
        ),
    }
    distinct(digests)
}

/// `digests` without repeats, first occurrences kept in order.
fn distinct(digests: impl IntoIterator<Item = Digest>) -> Vec<Digest> {
    let mut seen = HashSet::new();
    digests.into_iter().filter(|d| seen.insert(d.clone())).collect()
}

/// Serialises a schema2 or OCI image manifest for `target`.
fn image_manifest(
    target: TargetFormat,
    config: Descriptor,
    layers: Vec<Descriptor>,
) -> Result<NewManifest, Error> {
    let bytes = match target {
        TargetFormat::V2s2 => Schema2::new(config, layers).map(|m| m.as_bytes().to_vec()),
        TargetFormat::Oci => OciManifest::new(config, layers).map(|m| m.as_bytes().to_vec()),
        TargetFormat::V2s1 => {
            return Err(Error::NoEquivalentMediaType {
                media_type: config.media_type().clone(),
                target,
            })
        }
    }
    .map_err(|source| Error::BuildManifest { source })?;
    Ok(NewManifest {
        media_type: target.media_type(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(media_type: MediaType, seed: &[u8]) -> Descriptor {
        Descriptor::new(media_type, Digest::sha256(seed), seed.len() as u64)
    }

    #[test]
    fn registry_blobs_are_distinct_and_skip_foreign_layers() {
        let config = descriptor(MediaType::DockerContainerConfig, b"config");
        let a = descriptor(MediaType::DockerLayerGzip, b"a");
        let foreign = descriptor(MediaType::DockerForeignLayerGzip, b"foreign")
            .with_urls(vec!["https://example.com/layer".to_owned()]);
        let layers = vec![a.clone(), foreign, a.clone()];
        let manifest = Manifest::Schema2(Schema2::new(config.clone(), layers).unwrap());
        assert_eq!(
            registry_blobs(&manifest),
            [config.digest().clone(), a.digest().clone()]
        );
    }

    #[test]
    fn options_keep_at_least_one_job() {
        let options = ConvertOptions::new();
        assert_eq!(options.selected_platform().to_string(), "linux/amd64");
        assert_eq!(options.concurrent_jobs(), DEFAULT_JOBS);
        let options = options.jobs(0).platform(Platform::new("linux", "arm64"));
        assert_eq!(options.concurrent_jobs(), 1);
        assert_eq!(options.selected_platform().architecture(), "arm64");
    }

    #[test]
    fn schema1_is_not_built_as_an_image_manifest() {
        let config = descriptor(MediaType::DockerContainerConfig, b"config");
        let err = image_manifest(TargetFormat::V2s1, config, Vec::new())
            .err()
            .unwrap();
        assert!(matches!(
            err,
            Error::NoEquivalentMediaType {
                target: TargetFormat::V2s1,
                ..
            }
        ));
        let built = image_manifest(
            TargetFormat::Oci,
            descriptor(MediaType::OciConfig, b"c"),
            vec![descriptor(MediaType::OciLayerGzip, b"l")],
        )
        .unwrap();
        assert_eq!(built.media_type, MediaType::OciManifest);
        assert!(OciManifest::from_slice(&built.bytes).is_ok());
    }
}
