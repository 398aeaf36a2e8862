//! `skiff delete`: delete a manifest by digest, resolving a tag to its digest first.

use registry_client::RepositoryRef;

use super::Invocation;
use crate::cli::DeleteArgs;
use crate::failure::Failure;

pub(crate) async fn run(invocation: &Invocation, args: &DeleteArgs) -> Result<(), Failure> {
    let reference = super::registry_only("delete", &args.image)?;
    let what = || format!("deleting {reference}");
    let client = invocation.client_for_images(&[&args.image])?;
    let digest = super::manifest_digest_of(&client, reference)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    tracing::debug!(%digest, "deleting manifest");
    client
        .delete_manifest(&RepositoryRef::from(reference), &digest)
        .await
        .map_err(|e| Failure::new(what(), e))
}
