//! Referrers (OCI distribution 1.1): the manifests whose `subject` is a given digest, from the
//! referrers API or, where a registry lacks it, from the `ALG-HEX` tag schema.

use http::header::{HeaderValue, ACCEPT};
use http::{Method, StatusCode};
use oci_digest::Digest;
use oci_manifest::{Descriptor, MediaType, OciIndex};

use crate::auth::Access;
use crate::client::{Call, Client, Target};
use crate::dispatch::expect_status;
use crate::error::{Context, Error};
use crate::repository::RepositoryRef;
use crate::url::encode_query_value;

/// Referrers indexes are at most this large.
const INDEX_LIMIT: u64 = 4 * 1024 * 1024;

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
        let index = OciIndex::from_slice(&bytes)?;
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

    async fn referrers_from_tag(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Referrers, Error> {
        let reference = repository.tagged(&referrers_tag(digest))?;
        let fetched = match self.get_manifest(&reference).await {
            Ok(fetched) => fetched,
            Err(error) if error.is_not_found() => {
                return Ok(Referrers {
                    descriptors: Vec::new(),
                    from_tag_schema: true,
                });
            }
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
        let index = OciIndex::from_slice(fetched.bytes())?;
        Ok(Referrers {
            descriptors: keep_type(index.manifests().to_vec(), artifact_type),
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
