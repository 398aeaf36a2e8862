//! `skiff tags`: every tag of a repository, one per line, as the pages arrive.

use futures_util::TryStreamExt;

use super::Invocation;
use crate::cli::TagsArgs;
use crate::failure::Failure;

pub(crate) async fn run(invocation: &Invocation, args: &TagsArgs) -> Result<(), Failure> {
    let client = invocation.client_for(&args.repository)?;
    let mut tags = client.tags(&args.repository, None);
    let what = || format!("listing tags of {}", args.repository);
    while let Some(tag) = tags.try_next().await.map_err(|e| Failure::new(what(), e))? {
        super::print_line(format_args!("{tag}"))?;
    }
    Ok(())
}
