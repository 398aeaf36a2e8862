//! `skiff blob get|put`: one blob, verified against its digest, moved by the engine
//! ([`image::get_file`], [`image::get_to_writer`], [`image::put_file`]).

use std::sync::Arc;

use registry_client::image::{self, NoProgress, RegistryDestination, RegistrySource};
use registry_client::RepositoryRef;
use tokio::io::AsyncWriteExt;

use super::Invocation;
use crate::cli::{BlobGetArgs, BlobPutArgs};
use crate::failure::Failure;

pub(crate) async fn get(invocation: &Invocation, args: &BlobGetArgs) -> Result<(), Failure> {
    let reference = super::registry_only("blob get", &args.blob)?;
    let Some(digest) = reference.digest() else {
        return Err(Failure::usage(
            format!("blob get {reference}"),
            "name the blob by digest: HOST/NAME@DIGEST",
        ));
    };
    let repository = RepositoryRef::from(reference);
    let client = invocation.client_for(&repository)?;
    let source = RegistrySource::new(&client, reference);
    match &args.file {
        // The blob fails at its end when the bytes are not the digest's; bytes already
        // written to a pipe cannot be taken back, but the exit status says so.
        None => {
            let what = || format!("downloading blob {digest} from {repository}");
            let mut stdout = tokio::io::stdout();
            image::get_to_writer(&source, digest, &mut stdout)
                .await
                .map_err(|e| Failure::new(what(), e))?;
            stdout.flush().await.map_err(|e| Failure::new(what(), e))?;
        }
        // Only the whole, verified blob ever gets the name.
        Some(path) => {
            image::get_file(&source, digest, None, path).await.map_err(|e| {
                Failure::new(
                    format!(
                        "downloading blob {digest} from {repository} to {}",
                        path.display()
                    ),
                    e,
                )
            })?;
        }
    }
    Ok(())
}

pub(crate) async fn put(invocation: &Invocation, args: &BlobPutArgs) -> Result<(), Failure> {
    let what = || format!("uploading {} to {}", args.file.display(), args.repository);
    let client = invocation.client_for(&args.repository)?;
    let destination = RegistryDestination::for_repository(&client, &args.repository)
        .map_err(|e| Failure::new(what(), e))?;
    let put = image::put_file(&destination, &args.file, Arc::new(NoProgress))
        .await
        .map_err(|e| Failure::new(what(), e))?;
    tracing::debug!(outcome = ?put.outcome(), "blob pushed");
    super::print_line(format_args!("{}", put.digest()))?;
    Ok(())
}
