//! `skiff catalog`: every repository of a registry, one per line, as the pages arrive.

use futures_util::TryStreamExt;

use super::Invocation;
use crate::cli::CatalogArgs;
use crate::connect;
use crate::failure::Failure;

pub(crate) async fn run(invocation: &Invocation, args: &CatalogArgs) -> Result<(), Failure> {
    let registry = args.registry.as_str();
    let client = connect::client(&invocation.global, &invocation.explicit, &[(registry, None)])?;
    let mut names = client.catalog(registry, None);
    let what = || format!("listing the catalog of {registry}");
    while let Some(name) = names.try_next().await.map_err(|e| Failure::new(what(), e))? {
        super::print_line(format_args!("{name}"))?;
    }
    Ok(())
}
