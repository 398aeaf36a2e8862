//! `skiff tag`: more names for one manifest in its own repository (or layout); no blob moves.
//!
//! Every new tag is checked before anything is written, so a bad one in the list leaves the
//! repository as it was. On a registry the manifest's exact bytes are put again under each
//! tag (a registry names manifests, not copies of them); in a layout each tag is one more
//! `index.json` entry for the same descriptor.

use registry_client::layout::LayoutTag;
use registry_client::RepositoryRef;

use registry_client::image::ImageName;

use super::Invocation;
use crate::cli::TagArgs;
use crate::failure::Failure;

pub(crate) async fn run(invocation: &Invocation, args: &TagArgs) -> Result<(), Failure> {
    let what = || format!("tagging {}", args.image);
    match &args.image {
        ImageName::Registry(reference) => {
            let repository = RepositoryRef::from(reference);
            let targets = args
                .tags
                .iter()
                .map(|tag| {
                    repository
                        .tagged(tag)
                        .map_err(|e| Failure::usage(format!("tag {tag:?}"), e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let client = invocation.client_for(&repository)?;
            let manifest = client
                .get_manifest(reference)
                .await
                .map_err(|e| Failure::new(what(), e))?;
            for target in &targets {
                client
                    .put_manifest(target, manifest.media_type(), manifest.bytes().clone())
                    .await
                    .map_err(|e| Failure::new(format!("tagging {target}"), e))?;
            }
            super::print_line(manifest.digest())
        }
        ImageName::Layout(layout_arg) => {
            let tags = args
                .tags
                .iter()
                .map(|tag| {
                    tag.parse::<LayoutTag>()
                        .map_err(|e| Failure::usage(format!("tag {tag:?}"), e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let layout = super::open_layout(layout_arg).await?;
            let descriptor = layout
                .resolve(layout_arg.tag())
                .await
                .map_err(|e| Failure::new(what(), e))?;
            for tag in &tags {
                layout
                    .set_tag(tag, descriptor.clone())
                    .await
                    .map_err(|e| Failure::new(what(), e))?;
            }
            super::print_line(descriptor.digest())
        }
    }
}
