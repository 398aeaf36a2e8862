//! `skiff index create`: an OCI image index (or a Docker manifest list) of images already in
//! the destination's repository, each entry's platform read from the image's config.
//!
//! The images must be in DEST's repository: an index names its entries by digest within one
//! repository, and copying them there first is `skiff copy`'s job, not a side effect of this
//! one. Every entry is read and checked ([`image::index_entry`]) before the index is written
//! ([`image::put_index`]).

use oci_manifest::MediaType;
use registry_client::image::{self, ImageName, IndexFormat, RegistryDestination, RegistrySource};
use registry_client::{Error, RepositoryRef};

use super::Invocation;
use crate::cli::{IndexCreateArgs, IndexFormatArg};
use crate::failure::Failure;

pub(crate) async fn create(invocation: &Invocation, args: &IndexCreateArgs) -> Result<(), Failure> {
    let destination = super::registry_only("index create", &args.destination)?;
    let repository = RepositoryRef::from(destination);
    let references = args
        .images
        .iter()
        .map(|image| match image {
            ImageName::Registry(reference) if RepositoryRef::from(reference) == repository => Ok(reference),
            other => Err(Failure::usage(
                format!("index create {other}"),
                format!("the image must be in {repository}, the index's repository (copy it there first)"),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let format = match args.format {
        IndexFormatArg::Oci => IndexFormat::Oci,
        IndexFormatArg::V2s2 => IndexFormat::DockerList,
    };
    let client = invocation.client_for(&repository)?;
    let mut entries = Vec::with_capacity(references.len());
    for reference in references {
        let entry = image::index_entry(&RegistrySource::new(&client, reference), format)
            .await
            .map_err(|e| {
                let hint = hint(&e);
                Failure::new(format!("reading {reference} for the index"), format!("{e}{hint}"))
            })?;
        entries.push(entry);
    }
    let index = image::put_index(&RegistryDestination::new(&client, destination), entries, format)
        .await
        .map_err(|e| Failure::new(format!("writing the index {destination}"), e))?;
    super::print_line(index.digest())
}

/// What to do about an image the index cannot list, in this command line's terms.
fn hint(error: &Error) -> &'static str {
    match error {
        Error::NotListable { media_type, .. } if media_type.is_schema1() => {
            " (convert it with `skiff convert` first)"
        }
        Error::NotListable { media_type, list, .. }
            if *media_type == MediaType::OciManifest && *list == MediaType::DockerManifestList =>
        {
            " (leave out --format v2s2 for an OCI index)"
        }
        _ => "",
    }
}
