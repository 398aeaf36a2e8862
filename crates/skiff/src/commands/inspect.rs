//! `skiff inspect`: an image's summary (skopeo's keys), its raw manifest, or its config.

use futures_util::TryStreamExt;
use oci_digest::Digest;
use oci_manifest::{Manifest, MediaType};
use registry_client::archive::ArchiveImage;
use registry_client::image::{self, ImageLocation, ImageName, ResolvedImage};
use registry_client::{Client, RepositoryRef};
use v1_compat::InspectSummary;

use super::Invocation;
use crate::cli::InspectArgs;
use crate::failure::Failure;

pub(crate) async fn run(invocation: &Invocation, args: &InspectArgs) -> Result<(), Failure> {
    let what = || format!("inspecting {}", args.image);
    let client = invocation.client_for_images(&[&args.image])?;
    if args.raw {
        let bytes = raw_manifest(&client, &args.image).await?;
        return super::write_stdout(&bytes);
    }
    let location = super::source_location(&args.image).await?;
    let platform = invocation.global.platform();
    let resolved = image::resolve(&client, &location, platform)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    if args.config {
        let config = match resolved.config() {
            Some(config) => config.to_vec(),
            None => schema1_config(&location, &client, &args.image, &resolved).await?,
        };
        return super::write_stdout(&config);
    }
    let summary = summary(&client, &args.image, &resolved).await?;
    super::print_line(format_args!("{}", summary.to_skopeo_json()))?;
    Ok(())
}

/// The manifest the image names, byte for byte as stored.
async fn raw_manifest(client: &Client, image: &ImageName) -> Result<Vec<u8>, Failure> {
    let source = super::source_location(image).await?.source(client);
    let manifest = source
        .top_manifest()
        .await
        .map_err(|e| Failure::new(format!("inspecting {image}"), e))?;
    Ok(manifest.bytes().to_vec())
}

/// The summary `skopeo inspect` prints: values from the config (schema1: from the top
/// layer's history), the digest of what the reference names, the repository's tags.
async fn summary(
    client: &Client,
    image: &ImageName,
    resolved: &ResolvedImage,
) -> Result<InspectSummary, Failure> {
    let what = || format!("inspecting {image}");
    let (name, tags) = match image {
        ImageName::Registry(reference) => (reference.name(), repository_tags(client, reference).await?),
        // skopeo has no repository name or tags for a layout or an archive; a docker-archive
        // image read by `NAME:TAG` is named by it, still without tags.
        ImageName::DockerArchive(archive) => match archive.image() {
            Some(ArchiveImage::Tagged(reference)) => (reference.name(), Vec::new()),
            _ => (String::new(), Vec::new()),
        },
        ImageName::Layout(_) | ImageName::OciArchive(_) => (String::new(), Vec::new()),
    };
    let digest = resolved.top().digest().clone();
    match resolved.manifest() {
        Manifest::Schema1(schema1) => {
            InspectSummary::from_schema1(&name, digest, tags, schema1).map_err(|e| Failure::new(what(), e))
        }
        manifest => {
            let config = resolved.config().map(|c| c.to_vec()).unwrap_or_default();
            let layers: Vec<Digest> = manifest
                .layer_infos()
                .iter()
                .map(|layer| layer.digest().clone())
                .collect();
            let config_type = manifest
                .config()
                .map_or(MediaType::OciConfig, |d| d.media_type().clone());
            InspectSummary::from_config(&name, digest, tags, &config_type, &config, layers)
                .map_err(|e| Failure::new(what(), e))
        }
    }
}

/// Every tag of the image's repository. Like skopeo, a registry that denies listing tags
/// does not fail the inspection: the list is empty.
async fn repository_tags(
    client: &Client,
    reference: &oci_manifest::Reference,
) -> Result<Vec<String>, Failure> {
    let repository = RepositoryRef::from(reference);
    match client.tags(&repository, None).try_collect().await {
        Ok(tags) => Ok(tags),
        Err(error) if error.is_denied() => {
            tracing::debug!(%error, "listing tags denied; inspecting without them");
            Ok(Vec::new())
        }
        Err(error) => Err(Failure::new(format!("listing tags of {repository}"), error)),
    }
}

/// The image config of a schema1 image, converted from its v1 history and the diffIDs its
/// layers give.
async fn schema1_config(
    location: &ImageLocation,
    client: &Client,
    image: &ImageName,
    resolved: &ResolvedImage,
) -> Result<Vec<u8>, Failure> {
    let what = || format!("converting the schema1 history of {image} to a config");
    let Manifest::Schema1(schema1) = resolved.manifest() else {
        return Err(Failure::new(
            what(),
            "the image has neither a config nor a schema1 history",
        ));
    };
    let (config, _) = v1_compat::schema1_config(&*location.source(client), schema1)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    Ok(config.into_bytes())
}
