//! Copying what refers to an image along with it: its OCI 1.1 referrers (signatures, SBOMs,
//! attestations), theirs in turn, and cosign's digest tags (`sha256-HEX.sig`, `.att`,
//! `.sbom`), from one registry repository to another.
//!
//! Digests do not change in a copy, so every subject a referrer names is valid at the
//! destination. Each referrer is copied by digest through the engine like any image; the
//! destination lists it itself when it has the referrers API, else its fallback tag index is
//! merged (never overwritten), so what was there already stays listed.

use std::collections::HashSet;
use std::sync::Arc;

use oci_digest::Digest;
use oci_manifest::Reference;

use super::destination::RegistryDestination;
use super::source::RegistrySource;
use super::transfer::{copy_image, TransferOptions};
use super::{ManifestData, Progress};
use crate::{Client, Error, RepositoryRef};

/// How deep referrers of referrers are followed (a signature of an SBOM of an image is 2).
const MAX_DEPTH: usize = 8;

/// The cosign tag suffixes that travel with an image.
const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// What [`copy_referrers`] copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferrersReport {
    referrers: Vec<Digest>,
    cosign_tags: Vec<String>,
}

impl ReferrersReport {
    /// The referrers copied (at any depth), in the order they were copied.
    pub fn referrers(&self) -> &[Digest] {
        &self.referrers
    }

    /// The cosign digest tags copied (`sha256-HEX.sig`, ...).
    pub fn cosign_tags(&self) -> &[String] {
        &self.cosign_tags
    }
}

/// The digests an image copy wrote whose referrers travel too: the manifest itself and, for a
/// list or index, every entry.
pub fn subjects_of(manifest: &ManifestData) -> Result<Vec<Digest>, Error> {
    let mut subjects = vec![manifest.digest().clone()];
    if let Some(entries) = manifest.parse()?.manifests() {
        subjects.extend(entries.iter().map(|e| e.digest().clone()));
    }
    Ok(subjects)
}

/// Copies the referrers of each of `subjects` (and theirs, recursively) and the cosign digest
/// tags of each, from `source` to `destination` (two registry repositories). What the
/// destination holds already (a referrer by its digest, a cosign tag with the source's digest)
/// costs one `HEAD` and is not copied again; the report names what was copied.
pub async fn copy_referrers(
    client: &Client,
    source: &RepositoryRef,
    destination: &RepositoryRef,
    subjects: &[Digest],
    options: &TransferOptions,
    progress: Arc<dyn Progress>,
) -> Result<ReferrersReport, Error> {
    let mut report = ReferrersReport::default();
    let mut visited: HashSet<Digest> = subjects.iter().cloned().collect();
    let mut level: Vec<Digest> = subjects.to_vec();
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for subject in &level {
            for tag in cosign_tags(subject) {
                let from = source.tagged(&tag)?;
                let at_source = match client.head_manifest(&from).await {
                    Ok(head) => head,
                    Err(error) if error.is_not_found() => continue,
                    Err(error) => return Err(error),
                };
                let to = destination.tagged(&tag)?;
                if holds(client, &to, at_source.digest()).await? {
                    continue;
                }
                copy_one(client, &from, &to, options, &progress).await?;
                report.cosign_tags.push(tag);
            }
            let referrers = client.referrers(source, subject, None).await?;
            for descriptor in referrers.descriptors() {
                let digest = descriptor.digest().clone();
                if !visited.insert(digest.clone()) {
                    continue;
                }
                let from = source.digested(&digest)?;
                let to = destination.digested(&digest)?;
                // One copied before was listed then; its own referrers may be new.
                if !holds(client, &to, Some(&digest)).await? {
                    copy_one(client, &from, &to, options, &progress).await?;
                    list_at_destination(client, destination, subject, descriptor.clone()).await?;
                    report.referrers.push(digest.clone());
                }
                next.push(digest);
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    Ok(report)
}

/// `sha256-HEX.sig`, `.att`, `.sbom` for `digest`.
fn cosign_tags(digest: &Digest) -> Vec<String> {
    let base = crate::referrers_tag(digest);
    COSIGN_SUFFIXES
        .iter()
        .map(|suffix| format!("{base}.{suffix}"))
        .collect()
}

/// Whether the destination holds `digest` under `to`, asked with one `HEAD` (never a `GET`
/// of the destination's manifest); without a digest to compare, it does not.
async fn holds(client: &Client, to: &Reference, digest: Option<&Digest>) -> Result<bool, Error> {
    let Some(digest) = digest else {
        return Ok(false);
    };
    match client.head_manifest(to).await {
        Ok(head) => Ok(head.digest() == Some(digest)),
        Err(error) if error.is_not_found() => Ok(false),
        Err(error) => Err(error),
    }
}

async fn copy_one(
    client: &Client,
    from: &Reference,
    to: &Reference,
    options: &TransferOptions,
    progress: &Arc<dyn Progress>,
) -> Result<(), Error> {
    let source = RegistrySource::new(client, from);
    let destination = RegistryDestination::new(client, to);
    copy_image(&source, &destination, options, Arc::clone(progress)).await?;
    Ok(())
}

/// Makes sure the destination lists `entry` as a referrer of `subject`: a registry with the
/// referrers API did so when the manifest was put; on any other the fallback index gains it.
async fn list_at_destination(
    client: &Client,
    destination: &RepositoryRef,
    subject: &Digest,
    entry: oci_manifest::Descriptor,
) -> Result<(), Error> {
    let listed = client.referrers(destination, subject, None).await?;
    if listed.descriptors().iter().any(|d| d.digest() == entry.digest()) {
        return Ok(());
    }
    if !listed.from_tag_schema() {
        // The API is there but has not indexed it (yet): nothing of ours to write.
        return Ok(());
    }
    client.add_to_fallback_tag(destination, subject, entry).await?;
    Ok(())
}
