//! `skiff digest`: manifest digests (of an image or a file) and blob digests.

use std::fs::File;

use oci_manifest::Manifest;

use registry_client::image::ImageName;

use super::Invocation;
use crate::cli::DigestArgs;
use crate::failure::Failure;

pub(crate) async fn run(invocation: &Invocation, args: &DigestArgs) -> Result<(), Failure> {
    if let Some(image) = &args.image {
        let digest = image_digest(invocation, image).await?;
        super::print_line(format_args!("{digest}"))?;
    } else if let Some(path) = &args.blob {
        let what = || format!("digest of {}", path.display());
        let file = File::open(path).map_err(|e| Failure::new(what(), e))?;
        let (digest, _len) =
            oci_digest::digest_reader(args.algorithm.into(), file).map_err(|e| Failure::new(what(), e))?;
        super::print_line(format_args!("{digest}"))?;
    } else if let Some(path) = &args.file {
        let bytes = super::read_manifest_file(path)?;
        let manifest = Manifest::parse(&bytes, None)
            .map_err(|e| Failure::new(format!("digest of {}", path.display()), e))?;
        super::print_line(format_args!("{}", manifest.digest()))?;
    }
    Ok(())
}

/// The digest of the manifest `image` names, as stored (a list's own digest for a list).
async fn image_digest(invocation: &Invocation, image: &ImageName) -> Result<oci_digest::Digest, Failure> {
    let client = invocation.client_for_images(&[image])?;
    let source = super::source_location(image).await?.source(&client);
    let manifest = source
        .top_manifest()
        .await
        .map_err(|e| Failure::new(format!("digest of {image}"), e))?;
    Ok(manifest.digest().clone())
}
