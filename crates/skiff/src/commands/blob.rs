//! `skiff blob get|put`: one blob, verified against its digest.

use std::path::Path;

use registry_client::image::VerifiedBlob;
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
    let what = || {
        format!(
            "downloading blob {digest} from {}",
            RepositoryRef::from(reference)
        )
    };
    let repository = RepositoryRef::from(reference);
    let client = invocation.client_for(&repository)?;
    match &args.file {
        // The stream fails at its end when the bytes are not the digest's; bytes already
        // written to a pipe cannot be taken back, but the exit status says so.
        None => {
            let stream = client
                .get_blob(&repository, digest)
                .await
                .map_err(|e| Failure::new(what(), e))?;
            let mut stdout = tokio::io::stdout();
            stream
                .write_to(&mut stdout)
                .await
                .map_err(|e| Failure::new(what(), e))?;
            stdout.flush().await.map_err(|e| Failure::new(what(), e))?;
        }
        Some(path) => download_to_file(&client, &repository, digest, path).await?,
    }
    Ok(())
}

/// Downloads the blob `digest` to `path`: into a temp file beside it, verified, fsynced, then
/// renamed, so `path` only ever holds the whole, verified blob.
pub(crate) async fn download_to_file(
    client: &registry_client::Client,
    repository: &RepositoryRef,
    digest: &oci_digest::Digest,
    path: &Path,
) -> Result<(), Failure> {
    let what = || {
        format!(
            "downloading blob {digest} from {repository} to {}",
            path.display()
        )
    };
    let stream = client
        .get_blob(repository, digest)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    let temp = temp_beside(path).map_err(|e| Failure::new(what(), e))?;
    let file = temp.as_file().try_clone().map_err(|e| Failure::new(what(), e))?;
    let mut file = tokio::fs::File::from_std(file);
    stream
        .write_to(&mut file)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    file.flush().await.map_err(|e| Failure::new(what(), e))?;
    file.sync_all().await.map_err(|e| Failure::new(what(), e))?;
    // Only verified bytes get the name; on any failure the temp file is removed on drop.
    temp.persist(path).map_err(|e| Failure::new(what(), e.error))?;
    Ok(())
}

/// A temp file in the directory of `path`, so the final rename stays on one file system.
fn temp_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    tempfile::Builder::new().prefix(".skiff-blob-").tempfile_in(dir)
}

pub(crate) async fn put(invocation: &Invocation, args: &BlobPutArgs) -> Result<(), Failure> {
    let client = invocation.client_for(&args.repository)?;
    let (digest, _) = upload_file(&client, &args.repository, &args.file).await?;
    super::print_line(format_args!("{digest}"))?;
    Ok(())
}

/// Uploads the file at `path` as a blob (skipped when the repository has it): hashed first,
/// since the upload names its digest, and checked again while it goes. Its digest and size.
pub(crate) async fn upload_file(
    client: &registry_client::Client,
    repository: &RepositoryRef,
    path: &Path,
) -> Result<(oci_digest::Digest, u64), Failure> {
    let what = || format!("uploading {} to {repository}", path.display());
    let file = std::fs::File::open(path).map_err(|e| Failure::new(what(), e))?;
    let (digest, size) = oci_digest::digest_reader(oci_digest::Algorithm::Sha256, file)
        .map_err(|e| Failure::new(what(), e))?;
    let source = tokio::fs::File::open(path)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    let blob = VerifiedBlob::hashing(source, &digest, size).map_err(|e| Failure::new(what(), e))?;
    let outcome = client
        .push_blob(repository, blob, None)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    tracing::debug!(?outcome, "blob pushed");
    Ok((digest, size))
}
