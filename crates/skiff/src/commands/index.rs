//! `skiff index create`: an OCI image index (or a Docker manifest list) of images already in
//! the destination's repository, each entry's platform read from the image's config.
//!
//! The images must be in DEST's repository: an index names its entries by digest within one
//! repository, and copying them there first is `skiff copy`'s job, not a side effect of this
//! one. Everything is read and checked before the index is written.

use oci_manifest::{Descriptor, ImageConfig, Manifest, ManifestList, MediaType, OciIndex};
use registry_client::{Client, RepositoryRef};

use registry_client::image::ImageName;

use super::Invocation;
use crate::cli::{IndexCreateArgs, IndexFormatArg};
use crate::failure::Failure;

/// Image configs are small; this bounds what a registry can make skiff read for one.
const CONFIG_LIMIT: u64 = 4 * 1024 * 1024;

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
    let client = invocation.client_for(&repository)?;
    let mut entries = Vec::with_capacity(references.len());
    for reference in references {
        entries.push(entry_for(&client, &repository, reference, args.format).await?);
    }
    let what = || format!("writing the index {destination}");
    let (media_type, bytes) = match args.format {
        IndexFormatArg::Oci => (
            MediaType::OciIndex,
            OciIndex::new(entries)
                .map_err(|e| Failure::new(what(), e))?
                .as_bytes()
                .to_vec(),
        ),
        IndexFormatArg::V2s2 => (
            MediaType::DockerManifestList,
            ManifestList::new(entries)
                .map_err(|e| Failure::new(what(), e))?
                .as_bytes()
                .to_vec(),
        ),
    };
    let digest = client
        .put_manifest(destination, &media_type, bytes)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    super::print_line(digest)
}

/// The index entry for one image: its manifest's descriptor with the platform of its config.
async fn entry_for(
    client: &Client,
    repository: &RepositoryRef,
    reference: &oci_manifest::Reference,
    format: IndexFormatArg,
) -> Result<Descriptor, Failure> {
    let what = || format!("reading {reference} for the index");
    let fetched = client
        .get_manifest(reference)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    let manifest = fetched.parse().map_err(|e| Failure::new(what(), e))?;
    let config = match (&manifest, format) {
        (Manifest::Schema2(m), _) => m.config(),
        (Manifest::OciManifest(m), IndexFormatArg::Oci) => m.config(),
        (Manifest::OciManifest(_), IndexFormatArg::V2s2) => {
            return Err(Failure::new(
                what(),
                "a Docker manifest list holds Docker schema2 manifests, and this is an OCI \
                 manifest (leave out --format v2s2 for an OCI index)",
            ))
        }
        (Manifest::Schema1(_), _) => {
            return Err(Failure::new(
                what(),
                "a schema1 manifest cannot be listed (convert it with `skiff convert` first)",
            ))
        }
        _ => {
            return Err(Failure::new(
                what(),
                format!(
                    "a {} is not one image; name one platform's manifest",
                    fetched.media_type()
                ),
            ))
        }
    };
    let bytes = client
        .get_blob(repository, config.digest())
        .await
        .map_err(|e| Failure::new(what(), e))?
        .bytes(CONFIG_LIMIT)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    let platform = ImageConfig::from_slice(&bytes)
        .map_err(|e| Failure::new(what(), e))?
        .platform();
    Ok(Descriptor::new(
        fetched.media_type().clone(),
        fetched.digest().clone(),
        fetched.bytes().len() as u64,
    )
    .with_platform(platform))
}
