//! The image config of a schema1 image: built from its v1 history and the diffIDs of its
//! content layers, which only the layers themselves can tell.

use std::collections::HashMap;

use oci_digest::Digest;
use registry_client::{Client, RepositoryRef};
use tokio::io::AsyncWriteExt;
use v1_compat::{LayerSummary, V1History};

/// A boxed error from any of the layers below.
pub(super) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The config `v1_compat::schema1_to_config` builds for `history`, and what scanning each
/// content layer found (base first).
pub(super) async fn config_from_history(
    client: &Client,
    repository: &RepositoryRef,
    history: &V1History,
) -> Result<(Vec<u8>, Vec<LayerSummary>), BoxError> {
    // A manifest may name one layer any number of times: each digest is fetched and
    // scanned once, and its summary stands for every reference.
    let mut scanned: HashMap<Digest, LayerSummary> = HashMap::new();
    let mut layers = Vec::new();
    for layer in history.content_layers() {
        let digest = layer.blob_sum();
        let summary = match scanned.get(digest) {
            Some(summary) => summary.clone(),
            None => {
                let summary = scan_remote_layer(client, repository, digest).await?;
                scanned.insert(digest.clone(), summary.clone());
                summary
            }
        };
        layers.push(summary);
    }
    let diff_ids: Vec<Digest> = layers.iter().map(|l| l.diff_id().clone()).collect();
    let config = v1_compat::schema1_to_config(history, &diff_ids)?;
    Ok((config.into_bytes(), layers))
}

/// Downloads a layer blob into a temp file (verified as it streams) and scans it once for
/// its diffID and sizes; the file is gone when this returns.
async fn scan_remote_layer(
    client: &Client,
    repository: &RepositoryRef,
    digest: &Digest,
) -> Result<LayerSummary, BoxError> {
    let temp = tempfile::tempfile()?;
    let mut file = tokio::fs::File::from_std(temp.try_clone()?);
    client
        .get_blob(repository, digest)
        .await?
        .write_to(&mut file)
        .await?;
    file.flush().await?;
    drop(file);
    let expected = digest.clone();
    tokio::task::spawn_blocking(move || -> Result<LayerSummary, BoxError> {
        use std::io::Seek as _;
        let mut temp = temp;
        temp.rewind()?;
        Ok(v1_compat::scan_layer(std::io::BufReader::new(temp), &expected)?)
    })
    .await?
}
