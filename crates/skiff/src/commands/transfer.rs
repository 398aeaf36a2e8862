//! `skiff pull`, `push` and `copy`: moving images between registries and OCI layouts, with
//! progress on stderr.

use registry_client::image::{self, ImageLocation, ImageName, Recompress, TransferOptions};
use std::sync::Arc;

use registry_client::archive::ArchiveImage;
use registry_client::layout::LayoutTag;
use registry_client::RepositoryRef;

use super::Invocation;
use crate::cli::{CopyArgs, PullArgs, PushArgs};
use crate::failure::Failure;
use crate::progress;

pub(crate) async fn pull(invocation: &Invocation, args: &PullArgs) -> Result<(), Failure> {
    let what = format!("pulling {} into {}", args.image, args.layout);
    let layers = super::layer_options(&args.layers, &what)?;
    // Without an explicit tag the image keeps its own tag in the layout.
    let tag = match (args.layout.tag(), &args.image) {
        (Some(tag), _) => Some(tag.clone()),
        (None, ImageName::Registry(reference)) => match reference.tag() {
            Some(tag) => Some(
                tag.parse::<LayoutTag>()
                    .map_err(|e| Failure::usage(what.clone(), e))?,
            ),
            None => None,
        },
        (None, ImageName::Layout(source)) => source.tag().cloned(),
        (None, ImageName::OciArchive(source)) => source.tag().cloned(),
        (None, ImageName::DockerArchive(source)) => match source.image() {
            Some(ArchiveImage::Tagged(reference)) => reference.tag().and_then(|tag| tag.parse().ok()),
            _ => None,
        },
    };
    let destination = ImageLocation::Layout {
        layout: super::create_layout(&args.layout).await?,
        tag,
    };
    transfer(
        invocation,
        &args.image,
        &destination,
        &[&args.image],
        layers,
        what,
        None,
    )
    .await
}

pub(crate) async fn push(invocation: &Invocation, args: &PushArgs) -> Result<(), Failure> {
    let what = format!("pushing {} to {}", args.layout, args.image);
    let layers = super::layer_options(&args.layers, &what)?;
    let source = ImageName::Layout(args.layout.clone());
    let destination = super::destination_location(&args.image).await?;
    transfer(
        invocation,
        &source,
        &destination,
        &[&args.image],
        layers,
        what,
        None,
    )
    .await
}

pub(crate) async fn copy(invocation: &Invocation, args: &CopyArgs) -> Result<(), Failure> {
    let what = format!("copying {} to {}", args.source, args.destination);
    let layers = super::layer_options(&args.layers, &what)?;
    // Referrers are listed per registry repository: both ends must be one.
    let referrer_ends =
        match (args.referrers, &args.source, &args.destination) {
            (false, _, _) => None,
            (true, ImageName::Registry(from), ImageName::Registry(to)) => {
                Some((RepositoryRef::from(from), RepositoryRef::from(to)))
            }
            (true, _, _) => return Err(Failure::usage(
                what,
                "--referrers copies between registries only (layouts have no referrers API or fallback tags)",
            )),
        };
    let destination = super::destination_location(&args.destination).await?;
    let images = [&args.source, &args.destination];
    transfer(
        invocation,
        &args.source,
        &destination,
        &images,
        layers,
        what,
        referrer_ends,
    )
    .await
}

async fn transfer(
    invocation: &Invocation,
    source: &ImageName,
    destination: &ImageLocation,
    registries: &[&ImageName],
    (recompress, preserve_digests): (Option<Recompress>, bool),
    what: String,
    referrers: Option<(RepositoryRef, RepositoryRef)>,
) -> Result<(), Failure> {
    let client = invocation.client_for_images(registries)?;
    let source = super::source_location(source).await?;
    let global = &invocation.global;
    let mut options = TransferOptions::new().jobs(global.jobs.get());
    options = options
        .platforms(global.platforms.iter().cloned())
        .preserve_digests(preserve_digests);
    if let Some(recompress) = recompress {
        options = options.recompress(recompress);
    }
    if global.platforms.is_empty() && matches!(destination, ImageLocation::DockerArchive(_)) {
        // A docker-archive holds single images: a list resolves to this machine's
        // platform, as skopeo and `docker save` resolve it.
        options = options.platform(image::host_platform());
    }
    let progress = progress::reporter(global.quiet);
    let report = image::copy(&client, &source, destination, &options, Arc::clone(&progress))
        .await
        .map_err(|e| Failure::new(what.clone(), e))?;
    if let Some((from, to)) = referrers {
        let subjects = image::subjects_of(report.manifest()).map_err(|e| Failure::new(what.clone(), e))?;
        let copied = image::copy_referrers(&client, &from, &to, &subjects, &options, progress)
            .await
            .map_err(|e| Failure::new(format!("{what}: referrers"), e))?;
        if !global.quiet {
            for digest in copied.referrers() {
                eprintln!("referrer {digest}: copied");
            }
            for tag in copied.cosign_tags() {
                eprintln!("tag {tag}: copied");
            }
        }
    }
    tracing::debug!(
        transferred = report.blobs_transferred(),
        present = report.blobs_present(),
        mounted = report.blobs_mounted(),
        manifests = report.manifests_written(),
        requests = client.request_counts().total(),
        "transfer done"
    );
    super::print_line(format_args!("{}", report.digest()))?;
    Ok(())
}
