//! `skiff convert`: copy one image while rewriting its manifest format (schema1, Docker
//! schema2, OCI), through v1-compat for the schema1 side.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use oci_digest::Digest;
use oci_manifest::{Descriptor, Manifest, MediaType, OciManifest, Schema2};
use registry_client::image::VerifiedBlob;
use registry_client::image::{self, BlobOutcome, ImageLocation, Progress, ResolvedImage};
use registry_client::layout::OciLayout;
use registry_client::{Client, RepositoryRef};
use tokio::io::AsyncWriteExt;
use v1_compat::V1History;

use super::schema1::BoxError;
use super::Invocation;
use crate::cli::{ConvertArgs, FormatArg};
use crate::failure::Failure;
use crate::image_arg::ImageArg;
use crate::progress;

/// The converted image: its manifest, new blobs made on the way, and the source blobs it uses.
struct Converted {
    media_type: MediaType,
    manifest: Bytes,
    /// Blobs that exist only here (a converted config, the empty layer schema1 may need).
    new_blobs: Vec<Bytes>,
    /// Blobs to bring over from the source, with their sizes when known.
    source_blobs: Vec<(Digest, Option<u64>)>,
}

pub(crate) async fn run(invocation: &Invocation, args: &ConvertArgs) -> Result<(), Failure> {
    let what = || {
        format!(
            "converting {} to {} as {}",
            args.source, args.destination, args.to
        )
    };
    if args.to == FormatArg::V2s1 && matches!(args.destination, ImageArg::Layout(_)) {
        return Err(Failure::usage(
            what(),
            "an OCI layout cannot hold schema1 manifests",
        ));
    }
    let client = invocation.client_for_images(&[&args.source, &args.destination])?;
    let source = super::source_location(&args.source).await?;
    let resolved = image::resolve(&client, &source, invocation.global.platform())
        .await
        .map_err(|e| Failure::new(what(), e))?;
    let converted = convert(&client, &source, &args.destination, &resolved, args.to)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    let progress = progress::reporter(invocation.global.quiet);
    let digest = write(&client, &source, &args.destination, converted, progress)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    super::print_line(format_args!("{digest}"))?;
    Ok(())
}

async fn convert(
    client: &Client,
    source: &ImageLocation,
    destination: &ImageArg,
    resolved: &ResolvedImage,
    to: FormatArg,
) -> Result<Converted, BoxError> {
    match (resolved.manifest(), resolved.config()) {
        (Manifest::Schema1(schema1), _) => {
            let ImageLocation::Registry(reference) = source else {
                return Err("schema1 images come only from registries".into());
            };
            if to == FormatArg::V2s1 {
                return Ok(unchanged(resolved));
            }
            let history = V1History::from_schema1(schema1)?;
            let repository = RepositoryRef::from(reference);
            let (config, layers) = super::schema1::config_from_history(client, &repository, &history).await?;
            let layer_type = match to {
                FormatArg::Oci => MediaType::OciLayerGzip,
                _ => MediaType::DockerLayerGzip,
            };
            let descriptors = layers
                .iter()
                .map(|l| Descriptor::new(layer_type.clone(), l.blob_digest().clone(), l.blob_size()))
                .collect();
            from_config(to, Bytes::from(config), descriptors, true)
        }
        (manifest, Some(config)) => {
            let layers = manifest.layer_descriptors().unwrap_or_default().to_vec();
            match to {
                FormatArg::V2s1 => to_schema1(destination, config, &layers),
                _ => {
                    let mut converted = from_config(to, config.clone(), layers, false)?;
                    if converted.manifest == *resolved.image().bytes() {
                        // Already in that format: the exact bytes travel, digest unchanged.
                        converted = unchanged(resolved);
                    }
                    Ok(converted)
                }
            }
        }
        (manifest, None) => Err(format!("{} manifests cannot be converted", manifest.media_type()).into()),
    }
}

/// The image as it is.
fn unchanged(resolved: &ResolvedImage) -> Converted {
    let manifest = resolved.manifest();
    let mut source_blobs: Vec<(Digest, Option<u64>)> = manifest
        .config()
        .map(|c| (c.digest().clone(), Some(c.size())))
        .into_iter()
        .collect();
    for layer in manifest.layer_infos() {
        if !source_blobs.iter().any(|(d, _)| d == layer.digest()) {
            source_blobs.push((layer.digest().clone(), layer.size()));
        }
    }
    Converted {
        media_type: resolved.image().media_type().clone(),
        manifest: resolved.image().bytes().clone(),
        new_blobs: Vec::new(),
        source_blobs,
    }
}

/// A schema2 or OCI manifest over `config` and `layers`, layer types mapped to the format.
fn from_config(
    to: FormatArg,
    config: Bytes,
    layers: Vec<Descriptor>,
    config_is_new: bool,
) -> Result<Converted, BoxError> {
    let config_digest = Digest::sha256(&config);
    let config_size = config.len() as u64;
    let mapped = layers
        .iter()
        .map(|layer| map_layer(to, layer))
        .collect::<Result<Vec<_>, BoxError>>()?;
    let (media_type, manifest) = match to {
        FormatArg::Oci => {
            let descriptor = Descriptor::new(MediaType::OciConfig, config_digest.clone(), config_size);
            (
                MediaType::OciManifest,
                OciManifest::new(descriptor, mapped)?.as_bytes().to_vec(),
            )
        }
        _ => {
            let descriptor = Descriptor::new(
                MediaType::DockerContainerConfig,
                config_digest.clone(),
                config_size,
            );
            (
                MediaType::DockerSchema2,
                Schema2::new(descriptor, mapped)?.as_bytes().to_vec(),
            )
        }
    };
    let mut source_blobs: Vec<(Digest, Option<u64>)> = Vec::new();
    let mut new_blobs = Vec::new();
    if config_is_new {
        new_blobs.push(config);
    } else {
        source_blobs.push((config_digest, Some(config_size)));
    }
    for layer in &layers {
        if !source_blobs.iter().any(|(d, _)| d == layer.digest()) {
            source_blobs.push((layer.digest().clone(), Some(layer.size())));
        }
    }
    Ok(Converted {
        media_type,
        manifest: Bytes::from(manifest),
        new_blobs,
        source_blobs,
    })
}

/// The layer's descriptor with the media type the target format uses for it.
fn map_layer(to: FormatArg, layer: &Descriptor) -> Result<Descriptor, BoxError> {
    use MediaType::*;
    let from = layer.media_type();
    let media_type = match (to, from) {
        (FormatArg::Oci, DockerLayerGzip) => OciLayerGzip,
        (FormatArg::Oci, DockerForeignLayerGzip) => OciNondistributableLayerGzip,
        (FormatArg::Oci, other) if other.is_oci() && other.is_layer() => other.clone(),
        (_, OciLayerGzip | DockerLayerGzip) => DockerLayerGzip,
        (_, OciNondistributableLayerGzip | DockerForeignLayerGzip) => DockerForeignLayerGzip,
        (_, other) => return Err(format!("layer type {other} has no {to} equivalent").into()),
    };
    let mapped = Descriptor::new(media_type, layer.digest().clone(), layer.size());
    Ok(match layer.urls() {
        [] => mapped,
        urls => mapped.with_urls(urls.to_vec()),
    })
}

/// A signed schema1 manifest built from the config, as Docker pushes to schema1 registries.
fn to_schema1(destination: &ImageArg, config: &Bytes, layers: &[Descriptor]) -> Result<Converted, BoxError> {
    let ImageArg::Registry(reference) = destination else {
        return Err("an OCI layout cannot hold schema1 manifests".into());
    };
    let digests: Vec<Digest> = layers.iter().map(|l| l.digest().clone()).collect();
    let tag = reference.tag().unwrap_or(oci_manifest::DEFAULT_TAG);
    let unsigned = v1_compat::config_to_schema1(config, &digests, reference.repository().as_str(), tag)?;
    let mut new_blobs = Vec::new();
    if unsigned.needs_empty_layer() {
        new_blobs.push(Bytes::from_static(&oci_digest::known::EMPTY_TAR_GZIP_BYTES));
    }
    Ok(Converted {
        media_type: MediaType::DockerSchema1Signed,
        manifest: Bytes::from(unsigned.sign_with_throwaway_key()?),
        new_blobs,
        source_blobs: layers
            .iter()
            .map(|l| (l.digest().clone(), Some(l.size())))
            .collect(),
    })
}

/// Puts the converted image at the destination: blobs first, then the manifest.
async fn write(
    client: &Client,
    source: &ImageLocation,
    destination: &ImageArg,
    converted: Converted,
    progress: Arc<dyn Progress>,
) -> Result<Digest, BoxError> {
    match destination {
        ImageArg::Registry(reference) => {
            let target = RepositoryRef::from(reference);
            for bytes in &converted.new_blobs {
                client.push_blob_bytes(&target, bytes.clone()).await?;
            }
            for (digest, size) in &converted.source_blobs {
                progress.blob_started(digest, *size);
                let outcome = blob_to_registry(client, source, &target, digest, *size).await?;
                progress.blob_done(digest, outcome);
            }
            Ok(client
                .put_manifest(reference, &converted.media_type, converted.manifest)
                .await?)
        }
        ImageArg::Layout(arg) => {
            let layout = super::create_layout(arg).await.map_err(|f| f.to_string())?;
            for bytes in &converted.new_blobs {
                layout.write_blob(&Digest::sha256(bytes), bytes).await?;
            }
            for (digest, size) in &converted.source_blobs {
                progress.blob_started(digest, *size);
                let outcome = blob_to_layout(client, source, &layout, digest, *size).await?;
                progress.blob_done(digest, outcome);
            }
            let digest = Digest::sha256(&converted.manifest);
            layout.write_blob(&digest, &converted.manifest).await?;
            let entry = Descriptor::new(
                converted.media_type,
                digest.clone(),
                converted.manifest.len() as u64,
            );
            match arg.tag() {
                Some(tag) => layout.set_tag(tag, entry).await?,
                None => layout.add_untagged(entry).await?,
            }
            Ok(digest)
        }
    }
}

async fn blob_to_registry(
    client: &Client,
    source: &ImageLocation,
    target: &RepositoryRef,
    digest: &Digest,
    size: Option<u64>,
) -> Result<BlobOutcome, BoxError> {
    if client.blob_size(target, digest).await?.is_some() {
        return Ok(BlobOutcome::AlreadyPresent);
    }
    // One POST mounts the blob (within one registry) or opens its upload.
    let mount_from = match source {
        ImageLocation::Registry(reference) => {
            Some(RepositoryRef::from(reference)).filter(|from| from != target)
        }
        ImageLocation::Layout { .. } => None,
    };
    let (length, reader) = stage_source(client, source, digest).await?;
    let size = size.unwrap_or(length);
    let blob = VerifiedBlob::hashing(reader, digest, size)?;
    Ok(client.push_blob(target, blob, mount_from.as_ref()).await?)
}

/// The blob's bytes from the source and their length. A registry blob goes through a
/// temp file so that the download is verified before anything is uploaded.
async fn stage_source(
    client: &Client,
    source: &ImageLocation,
    digest: &Digest,
) -> Result<(u64, Box<dyn tokio::io::AsyncRead + Send + Unpin>), BoxError> {
    match source {
        ImageLocation::Registry(reference) => {
            let from = RepositoryRef::from(reference);
            let temp = tempfile::tempfile()?;
            let mut file = tokio::fs::File::from_std(temp.try_clone()?);
            let length = client.get_blob(&from, digest).await?.write_to(&mut file).await?;
            file.flush().await?;
            drop(file);
            let mut upload = tokio::fs::File::from_std(temp);
            tokio::io::AsyncSeekExt::rewind(&mut upload).await?;
            Ok((length, Box::new(upload)))
        }
        ImageLocation::Layout { layout, .. } => {
            let reader = layout.open_blob(digest).await?;
            Ok((reader.len(), Box::new(reader)))
        }
    }
}

async fn blob_to_layout(
    client: &Client,
    source: &ImageLocation,
    layout: &OciLayout,
    digest: &Digest,
    size: Option<u64>,
) -> Result<BlobOutcome, BoxError> {
    if layout.has_blob(digest).await? {
        return Ok(BlobOutcome::AlreadyPresent);
    }
    match source {
        ImageLocation::Registry(reference) => {
            let mut stream = client.get_blob(&RepositoryRef::from(reference), digest).await?;
            let mut writer = layout.blob_writer(digest, size.or(stream.size())).await?;
            while let Some(chunk) = stream.next().await {
                writer.write(&chunk?).await?;
            }
            writer.commit().await?;
        }
        ImageLocation::Layout { layout: from, .. } => {
            let reader = from.open_blob(digest).await?;
            layout.write_blob_from(digest, size, reader).await?;
        }
    }
    Ok(BlobOutcome::Transferred)
}
