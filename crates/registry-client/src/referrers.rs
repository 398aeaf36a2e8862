//! Referrers (OCI distribution 1.1): the manifests whose `subject` is a given digest, from the
//! referrers API or, where a registry lacks it, from the `ALG-HEX` tag schema.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT};
use http::{Method, StatusCode};
use oci_digest::Digest;
use oci_manifest::{Descriptor, Flavour, ImageIndex, Manifest, MediaType, Reference};

use crate::auth::Access;
use crate::client::{Call, Client, Target};
use crate::dispatch::expect_status;
use crate::error::{Context, Error};
use crate::repository::RepositoryRef;
use crate::url::encode_query_value;

/// Referrers indexes are at most this large: an index is a manifest.
const INDEX_LIMIT: u64 = oci_manifest::DEFAULT_MAX_MANIFEST_SIZE;

/// How many read-merge-write rounds [`Client::put_referrer`] tries on a fallback tag that keeps
/// changing under it.
const FALLBACK_ATTEMPTS: usize = 5;

/// How long to wait after writing a fallback index before reading it back: long enough for a
/// concurrent writer's in-flight write (about one round trip, `write_took`) to land.
fn settle_time(write_took: Duration) -> Duration {
    (write_took * 4).clamp(Duration::from_millis(300), Duration::from_secs(5))
}

/// Where a pushed referrer is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferrerListing {
    /// The registry has the referrers API and indexes the manifest itself (it answered the
    /// push with `OCI-Subject`).
    Api,
    /// The registry has no referrers API: the manifest's descriptor is in the index under the
    /// fallback tag.
    FallbackTag {
        /// The fallback tag, `ALG-HEX` of the subject.
        tag: String,
        /// The digest of the fallback index as written (or as found, when it listed the
        /// manifest already).
        index: Digest,
    },
}

/// The manifests that refer to a subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Referrers {
    descriptors: Vec<Descriptor>,
    from_tag_schema: bool,
}

impl Referrers {
    /// The referring manifests' descriptors, filtered by artifact type when one was asked for.
    pub fn descriptors(&self) -> &[Descriptor] {
        &self.descriptors
    }

    /// Whether the list came from the fallback tag (the registry has no referrers API).
    pub fn from_tag_schema(&self) -> bool {
        self.from_tag_schema
    }
}

/// The fallback tag for `digest`: `ALG-HEX`, e.g. `sha256-e3b0...`.
pub fn referrers_tag(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm(), digest.encoded())
}

/// The descriptor a referrers list holds for a manifest (distribution-spec 1.1): its media
/// type, digest and size, its `artifactType` (else its config's media type) and its
/// annotations.
pub(crate) fn referrer_descriptor(manifest: &Manifest, media_type: &MediaType, bytes: &[u8]) -> Descriptor {
    let descriptor = Descriptor::new(media_type.clone(), Digest::sha256(bytes), bytes.len() as u64);
    let (artifact_type, annotations) = match manifest {
        Manifest::Image(m) if m.flavour() == Flavour::Oci => (
            m.artifact_type()
                .cloned()
                .or_else(|| Some(m.config().media_type().clone())),
            m.annotations().clone(),
        ),
        Manifest::Index(m) if m.flavour() == Flavour::Oci => {
            (m.artifact_type().cloned(), m.annotations().clone())
        }
        _ => (None, Default::default()),
    };
    let descriptor = match artifact_type {
        Some(artifact_type) => descriptor.with_artifact_type(artifact_type),
        None => descriptor,
    };
    if annotations.is_empty() {
        descriptor
    } else {
        descriptor.with_annotations(annotations)
    }
}

fn keep_type(descriptors: Vec<Descriptor>, artifact_type: Option<&str>) -> Vec<Descriptor> {
    match artifact_type {
        None => descriptors,
        Some(wanted) => descriptors
            .into_iter()
            .filter(|d| d.artifact_type().is_some_and(|t| t.as_str() == wanted))
            .collect(),
    }
}

impl Client {
    /// The manifests in `repository` whose subject is `digest`, optionally only those of
    /// `artifact_type`.
    pub async fn referrers(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Referrers, Error> {
        let context =
            Context::repository(repository.registry(), repository.repository().as_str()).with_digest(digest);
        self.referrers_inner(repository, digest, artifact_type)
            .await
            .map_err(|e| e.context(context))
    }

    async fn referrers_inner(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Referrers, Error> {
        let mut path = format!("/v2/{}/referrers/{digest}", repository.repository());
        if let Some(artifact_type) = artifact_type {
            path.push_str("?artifactType=");
            path.push_str(&encode_query_value(artifact_type));
        }
        let call = Call::new(
            repository.registry(),
            Access::Pull(repository.repository().as_str().to_owned()),
            Method::GET,
            Target::Path(path),
        )
        .header(
            ACCEPT,
            HeaderValue::from_static("application/vnd.oci.image.index.v1+json"),
        );
        let response = self.execute(call).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return self.referrers_from_tag(repository, digest, artifact_type).await;
        }
        let response = expect_status(&Method::GET, response, &[StatusCode::OK]).await?;
        let filtered = response
            .headers()
            .get("oci-filters-applied")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|f| f.trim() == "artifactType"));
        let bytes = response.into_body().bytes(INDEX_LIMIT).await?;
        let index = ImageIndex::from_slice(Flavour::Oci, &bytes)?;
        let descriptors = index.manifests().to_vec();
        let descriptors = if filtered {
            descriptors
        } else {
            keep_type(descriptors, artifact_type)
        };
        Ok(Referrers {
            descriptors,
            from_tag_schema: false,
        })
    }

    /// Pushes a manifest that has a `subject` under `reference` and makes it findable as a
    /// referrer of that subject.
    ///
    /// A registry with the referrers API lists it itself, and says so. On any other, the index
    /// under the fallback tag (`ALG-HEX` of the subject) gains the manifest's descriptor,
    /// keeping every entry already there: it is read, merged and written back, and written
    /// only when the tag still has the digest it was read with. Registries have no
    /// conditional write, so two writers can cross between that check and the write; after
    /// writing, the index is read back once a concurrent write in flight would have landed
    /// (a few round trips, at least 300 ms), and a writer whose entry was overwritten merges
    /// again. After a few rounds it fails with [`Error::ReferrersTagContended`] rather than
    /// report success.
    pub async fn put_referrer(
        &self,
        reference: &Reference,
        media_type: &MediaType,
        bytes: impl Into<Bytes>,
    ) -> Result<(Digest, ReferrerListing), Error> {
        let bytes = bytes.into();
        let manifest = Manifest::parse(&bytes, Some(media_type.as_str()))?;
        let Some(subject) = manifest.subject().cloned() else {
            return Err(Error::NoSubject {
                reference: reference.to_string(),
            });
        };
        let entry = referrer_descriptor(&manifest, media_type, &bytes);
        let answer = self.put_manifest_answered(reference, media_type, bytes).await?;
        if answer.subject_acknowledged {
            return Ok((answer.digest, ReferrerListing::Api));
        }
        let repository = RepositoryRef::from(reference);
        let index = self
            .add_to_fallback_tag(&repository, subject.digest(), entry)
            .await?;
        Ok((
            answer.digest,
            ReferrerListing::FallbackTag {
                tag: referrers_tag(subject.digest()),
                index,
            },
        ))
    }

    /// Adds `entry` to the fallback index of `subject`, keeping what is there; the digest of
    /// the index that lists it.
    pub(crate) async fn add_to_fallback_tag(
        &self,
        repository: &RepositoryRef,
        subject: &Digest,
        entry: Descriptor,
    ) -> Result<Digest, Error> {
        let tag = referrers_tag(subject);
        let reference = repository.tagged(&tag)?;
        for _ in 0..FALLBACK_ATTEMPTS {
            let (read_digest, mut entries) = self.fallback_index(&reference).await?;
            if let Some(digest) = &read_digest {
                if entries.iter().any(|d| d.digest() == entry.digest()) {
                    return Ok(digest.clone());
                }
            }
            entries.push(entry.clone());
            let index = ImageIndex::new(Flavour::Oci, entries)?;
            // Write only over the index this merge was made from.
            let now = match self.head_manifest(&reference).await {
                Ok(head) => head.digest().cloned(),
                Err(error) if error.is_not_found() => None,
                Err(error) => return Err(error),
            };
            if now != read_digest {
                continue;
            }
            let started = Instant::now();
            let written = self
                .put_manifest(&reference, &MediaType::OciIndex, index.as_bytes().to_vec())
                .await?;
            // A writer that passed its own check just before this write lands its write within
            // about one round trip after it: wait for that before reading back, so an entry it
            // overwrote is seen missing and merged again.
            tokio::time::sleep(settle_time(started.elapsed())).await;
            let (_, after) = self.fallback_index(&reference).await?;
            if after.iter().any(|d| d.digest() == entry.digest()) {
                return Ok(written);
            }
        }
        Err(Error::ReferrersTagContended {
            tag,
            digest: entry.digest().clone(),
            attempts: FALLBACK_ATTEMPTS,
        })
    }

    /// The fallback index under `reference`: its digest and entries, or none when the tag
    /// does not exist.
    async fn fallback_index(
        &self,
        reference: &Reference,
    ) -> Result<(Option<Digest>, Vec<Descriptor>), Error> {
        let fetched = match self.get_manifest(reference).await {
            Ok(fetched) => fetched,
            Err(error) if error.is_not_found() => return Ok((None, Vec::new())),
            Err(error) => return Err(error),
        };
        if *fetched.media_type() != MediaType::OciIndex {
            return Err(Error::InvalidResponse {
                url: reference.to_string(),
                problem: format!(
                    "the referrers tag holds a {}, not an OCI index",
                    fetched.media_type()
                ),
            });
        }
        let index = ImageIndex::from_slice(Flavour::Oci, fetched.bytes())?;
        Ok((Some(fetched.digest().clone()), index.manifests().to_vec()))
    }

    async fn referrers_from_tag(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Referrers, Error> {
        let reference = repository.tagged(&referrers_tag(digest))?;
        let (_, entries) = self.fallback_index(&reference).await?;
        Ok(Referrers {
            descriptors: keep_type(entries, artifact_type),
            from_tag_schema: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_tags_follow_the_schema() {
        let digest = Digest::sha256(b"");
        assert_eq!(
            referrers_tag(&digest),
            "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
