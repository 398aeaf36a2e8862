//! `skiff save`: several images into one archive, through the engine's `save`.

use registry_client::archive::ArchiveFormat;
use registry_client::image::{self, ImageLocation, TransferOptions};

use super::Invocation;
use crate::cli::{SaveArgs, SaveFormatArg};
use crate::failure::Failure;
use crate::progress;

pub(crate) async fn run(invocation: &Invocation, args: &SaveArgs) -> Result<(), Failure> {
    let what = || format!("saving into {}", args.output.display());
    let (recompress, preserve_digests) = super::layer_options(&args.layers, &what())?;
    let images: Vec<&_> = args.images.iter().collect();
    let client = invocation.client_for_images(&images)?;
    let mut locations: Vec<ImageLocation> = Vec::with_capacity(images.len());
    for image in &images {
        locations.push(super::source_location(image).await?);
    }
    let global = &invocation.global;
    let format = match args.format {
        SaveFormatArg::Docker => ArchiveFormat::Docker,
        SaveFormatArg::Oci => ArchiveFormat::Oci,
    };
    let mut options = TransferOptions::new()
        .jobs(global.jobs.get())
        .preserve_digests(preserve_digests);
    if let Some(recompress) = recompress {
        options = options.recompress(recompress);
    }
    options = match (global.platform(), format) {
        (Some(platform), _) => options.platform(platform.clone()),
        // A docker-archive holds single images: a list resolves to this machine's platform.
        (None, ArchiveFormat::Docker) => options.platform(image::host_platform()),
        (None, ArchiveFormat::Oci) => options,
    };
    let progress = progress::reporter(global.quiet);
    let reports = image::save(&client, &locations, &args.output, format, &options, progress)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    for report in reports {
        super::print_line(report.digest())?;
    }
    Ok(())
}
