//! `skiff convert`: copy one image while rewriting its manifest format (schema1, Docker
//! schema2, OCI). The conversion is v1-compat's, applied by the image engine in its one
//! pass; this module only turns the arguments into the two ends.

use registry_client::image::ImageName;

use super::Invocation;
use crate::cli::{ConvertArgs, FormatArg};
use crate::failure::Failure;
use crate::progress;

pub(crate) async fn run(invocation: &Invocation, args: &ConvertArgs) -> Result<(), Failure> {
    let what = || {
        format!(
            "converting {} to {} as {}",
            args.source, args.destination, args.to
        )
    };
    let (target, name) = match (&args.destination, args.to) {
        (ImageName::Layout(_) | ImageName::OciArchive(_), FormatArg::V2s1) => {
            return Err(Failure::usage(
                what(),
                "an OCI layout cannot hold schema1 manifests",
            ))
        }
        (ImageName::DockerArchive(_), FormatArg::V2s1 | FormatArg::Oci) => {
            return Err(Failure::usage(
                what(),
                "a docker-archive holds Docker schema2 images: convert --to v2s2",
            ))
        }
        (ImageName::Registry(reference), to) => (target_format(to), Some(reference)),
        (ImageName::Layout(_) | ImageName::OciArchive(_) | ImageName::DockerArchive(_), to) => {
            (target_format(to), None)
        }
    };
    let (recompress, preserve_digests) = super::layer_options(&args.layers, &what())?;
    let client = invocation.client_for_images(&[&args.source, &args.destination])?;
    let source = super::source_location(&args.source).await?.source(&client);
    let destination = super::destination_location(&args.destination)
        .await?
        .destination(&client);
    let global = &invocation.global;
    let mut options = v1_compat::ConvertOptions::new()
        .jobs(global.jobs.get())
        .preserve_digests(preserve_digests);
    if let Some(recompress) = recompress {
        options = options.recompress(recompress);
    }
    if let Some(platform) = global.platform() {
        options = options.platform(platform.clone());
    }
    let progress = progress::reporter(global.quiet);
    let converted = v1_compat::convert_image(&*source, &*destination, name, target, &options, progress)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    super::print_line(format_args!("{}", converted.digest()))?;
    Ok(())
}

fn target_format(to: FormatArg) -> v1_compat::TargetFormat {
    match to {
        FormatArg::V2s1 => v1_compat::TargetFormat::V2s1,
        FormatArg::V2s2 => v1_compat::TargetFormat::V2s2,
        FormatArg::Oci => v1_compat::TargetFormat::Oci,
    }
}
