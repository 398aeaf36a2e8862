//! `skiff referrers`: the manifests whose `subject` is an image, from the OCI 1.1 referrers
//! API or, on a registry without it, from the `ALG-HEX` fallback tag.

use oci_manifest::{Flavour, ImageIndex};
use registry_client::RepositoryRef;

use super::Invocation;
use crate::cli::ReferrersArgs;
use crate::failure::Failure;

pub(crate) async fn run(invocation: &Invocation, args: &ReferrersArgs) -> Result<(), Failure> {
    let reference = super::registry_only("referrers", &args.image)?;
    let what = || format!("listing referrers of {reference}");
    let repository = RepositoryRef::from(reference);
    let client = invocation.client_for(&repository)?;
    let digest = super::manifest_digest_of(&client, reference)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    let referrers = client
        .referrers(&repository, &digest, args.artifact_type.as_deref())
        .await
        .map_err(|e| Failure::new(what(), e))?;
    tracing::debug!(
        fallback_tag = referrers.from_tag_schema(),
        "referrers of {digest}"
    );
    if args.json {
        let index = ImageIndex::new(Flavour::Oci, referrers.descriptors().to_vec())
            .map_err(|e| Failure::new(what(), e))?;
        return super::write_stdout(&[index.as_bytes(), b"\n"].concat());
    }
    for descriptor in referrers.descriptors() {
        let artifact_type = descriptor.artifact_type().map(|t| t.as_str()).unwrap_or("");
        super::print_line(format_args!("{}\t{artifact_type}", descriptor.digest()))?;
    }
    Ok(())
}
