//! `skiff tag`: more names for one manifest in its own repository (or layout); no blob moves.
//!
//! Every new tag is checked before anything is written, so a bad one in the list leaves the
//! repository as it was. The engine's [`image::tag`] puts the manifest's exact bytes under
//! each (a registry names manifests, not copies of them; a layout gets one more `index.json`
//! entry for the same manifest).

use registry_client::image::{self, ImageDestination};

use super::Invocation;
use crate::cli::TagArgs;
use crate::failure::Failure;

pub(crate) async fn run(invocation: &Invocation, args: &TagArgs) -> Result<(), Failure> {
    let location = super::source_location(&args.image).await?;
    let targets = args
        .tags
        .iter()
        .map(|tag| {
            location
                .with_tag(tag)
                .map_err(|e| Failure::usage(format!("tag {tag:?}"), e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let client = invocation.client_for_images(&[&args.image])?;
    let destinations: Vec<Box<dyn ImageDestination>> =
        targets.iter().map(|t| t.destination(&client)).collect();
    let destinations: Vec<&dyn ImageDestination> = destinations.iter().map(|d| &**d).collect();
    let manifest = image::tag(&*location.source(&client), &destinations)
        .await
        .map_err(|e| Failure::new(format!("tagging {}", args.image), e))?;
    super::print_line(manifest.digest())
}
