//! Manifests: fetch by tag or digest (verified before anything parses them), check for
//! existence, push, delete.

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, Method, StatusCode};
use oci_digest::{Digest, Mismatch};
use oci_manifest::{guess_media_type, normalize_media_type, Manifest, MediaType, Reference};

use crate::auth::Access;
use crate::client::{Call, Client, Target};
use crate::dispatch::{expect_status, response_uri};
use crate::error::{display_url, Context, Error};
use crate::repository::RepositoryRef;
use crate::transport::RequestBody;

/// The header registries use to state a manifest's or blob's digest.
pub(crate) const DOCKER_CONTENT_DIGEST: &str = "docker-content-digest";

/// The header a registry with the referrers API answers a manifest `PUT` that has a `subject` with.
const OCI_SUBJECT: &str = "oci-subject";

/// What a manifest `PUT` was answered with.
pub(crate) struct PutAnswer {
    /// The manifest's digest, checked against the registry's.
    pub(crate) digest: Digest,
    /// Whether the registry sent `OCI-Subject`.
    pub(crate) subject_acknowledged: bool,
}

/// A manifest exactly as the registry served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedManifest {
    bytes: Bytes,
    media_type: MediaType,
    digest: Digest,
}

impl FetchedManifest {
    /// The bytes, unchanged.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The media type: the `Content-Type` when it names a manifest format, else what the
    /// bytes show, else the `Content-Type` as sent (an artifact type this crate does not know).
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// The manifest's digest (for signed schema1: of the signed payload), verified against
    /// the digest it was fetched by and against `Docker-Content-Digest` when present.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Parses the bytes as one of the manifest formats.
    pub fn parse(&self) -> Result<Manifest, Error> {
        Ok(Manifest::parse(&self.bytes, Some(self.media_type.as_str()))?)
    }

    /// The bytes, consuming the manifest.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }
}

/// What a `HEAD` on a manifest tells without its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    media_type: Option<MediaType>,
    digest: Option<Digest>,
    size: Option<u64>,
}

impl ManifestHead {
    /// The `Content-Type`, when the registry sent one.
    pub fn media_type(&self) -> Option<&MediaType> {
        self.media_type.as_ref()
    }

    /// The `Docker-Content-Digest`, when the registry sent one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The `Content-Length`, when the registry sent one.
    pub fn size(&self) -> Option<u64> {
        self.size
    }
}

/// `Accept` for manifest requests: every format this workspace understands, so a registry
/// never converts (schema2 to schema1) or refuses an index for lack of it.
fn accept_manifests() -> HeaderValue {
    let types: Vec<&str> = MediaType::MANIFEST_TYPES.iter().map(MediaType::as_str).collect();
    HeaderValue::from_str(&types.join(", ")).unwrap_or_else(|_| HeaderValue::from_static("*/*"))
}

fn manifest_path(repository: &str, reference: &str) -> String {
    format!("/v2/{repository}/manifests/{reference}")
}

fn reference_context(reference: &Reference) -> Context {
    let context = Context::repository(reference.registry(), reference.repository().as_str());
    match reference.digest() {
        Some(digest) => context.with_digest(digest),
        None => context,
    }
}

/// The `Docker-Content-Digest` header, if present and well-formed.
pub(crate) fn content_digest(headers: &HeaderMap, url: &str) -> Result<Option<Digest>, Error> {
    let Some(value) = headers.get(DOCKER_CONTENT_DIGEST) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| Error::InvalidResponse {
        url: url.to_owned(),
        problem: "Docker-Content-Digest is not ASCII".to_owned(),
    })?;
    text.trim()
        .parse()
        .map(Some)
        .map_err(|e: oci_digest::Error| Error::InvalidResponse {
            url: url.to_owned(),
            problem: format!("Docker-Content-Digest {text:?}: {e}"),
        })
}

/// The digest of `bytes` in `algorithm`, over the signed payload for signed schema1.
pub(crate) fn manifest_digest(
    bytes: &[u8],
    media_type: &MediaType,
    algorithm: &oci_digest::Algorithm,
) -> Result<Digest, Error> {
    if *media_type == MediaType::DockerSchema1Signed {
        let manifest = Manifest::parse(bytes, Some(media_type.as_str()))?;
        return Ok(Digest::compute(algorithm.clone(), manifest.digested_bytes())?);
    }
    Ok(Digest::compute(algorithm.clone(), bytes)?)
}

/// Checks bytes fetched by `expected` before anything else reads them: the raw bytes first;
/// only when they differ and the registry says signed schema1 is the payload extracted.
fn verify_digest(bytes: &[u8], content_type: Option<&str>, expected: &Digest) -> Result<(), Error> {
    if expected.matches(bytes) {
        return Ok(());
    }
    let actual = Digest::compute(expected.algorithm().clone(), bytes)?;
    let might_be_signed_schema1 = matches!(
        normalize_media_type(content_type),
        None | Some(MediaType::DockerSchema1Signed | MediaType::DockerSchema1)
    );
    if might_be_signed_schema1 {
        if let Ok(manifest) = Manifest::parse(bytes, content_type) {
            if manifest.media_type() == MediaType::DockerSchema1Signed && manifest.matches_digest(expected) {
                return Ok(());
            }
        }
    }
    Err(Error::DigestMismatch(Mismatch::new(expected.clone(), actual)))
}

fn media_type_of(bytes: &[u8], content_type: Option<&str>) -> MediaType {
    let declared = normalize_media_type(content_type);
    let refined = match declared {
        // The header cannot tell signed from unsigned schema1; the bytes can.
        Some(MediaType::DockerSchema1 | MediaType::DockerSchema1Signed) | None => {
            guess_media_type(bytes).or(declared)
        }
        Some(other) => Some(other),
    };
    refined.unwrap_or_else(|| {
        let essence = content_type
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim();
        MediaType::from(essence)
    })
}

impl Client {
    /// Fetches the manifest `reference` names (its digest when pinned, else its tag).
    ///
    /// Fetched by digest, the bytes are checked against it before anything parses them; the
    /// registry's `Docker-Content-Digest`, when sent, must agree.
    pub async fn get_manifest(&self, reference: &Reference) -> Result<FetchedManifest, Error> {
        self.get_manifest_inner(reference)
            .await
            .map_err(|e| e.context(reference_context(reference)))
    }

    async fn get_manifest_inner(&self, reference: &Reference) -> Result<FetchedManifest, Error> {
        let repository = reference.repository().as_str();
        let call = Call::new(
            reference.registry(),
            Access::Pull(repository.to_owned()),
            Method::GET,
            Target::Path(manifest_path(repository, reference.manifest_reference())),
        )
        .header(ACCEPT, accept_manifests());
        let response = self.execute(call).await?;
        let response = expect_status(&Method::GET, response, &[StatusCode::OK]).await?;
        let url = display_url(&response_uri(&response));
        let headers = response.headers().clone();
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .into_body()
            .bytes(self.limits().max_manifest_size)
            .await?;
        if let Some(expected) = reference.digest() {
            verify_digest(&bytes, content_type.as_deref(), expected)?;
        }
        let media_type = media_type_of(&bytes, content_type.as_deref());
        let digest = match reference.digest() {
            Some(expected) => expected.clone(),
            None => manifest_digest(&bytes, &media_type, &oci_digest::Algorithm::Sha256)?,
        };
        if let Some(reported) = content_digest(&headers, &url)? {
            let ours = if reported.algorithm() == digest.algorithm() {
                digest.clone()
            } else {
                manifest_digest(&bytes, &media_type, reported.algorithm())?
            };
            if reported != ours {
                return Err(Error::DigestMismatch(Mismatch::new(reported, ours)));
            }
        }
        Ok(FetchedManifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// `HEAD` on the manifest `reference` names: whether it exists, and its digest, type and
    /// size when the registry says. A missing manifest is an error with
    /// [`Error::is_not_found`].
    pub async fn head_manifest(&self, reference: &Reference) -> Result<ManifestHead, Error> {
        let repository = reference.repository().as_str();
        let call = Call::new(
            reference.registry(),
            Access::Pull(repository.to_owned()),
            Method::HEAD,
            Target::Path(manifest_path(repository, reference.manifest_reference())),
        )
        .header(ACCEPT, accept_manifests());
        let result = async {
            let response = self.execute(call).await?;
            let response = expect_status(&Method::HEAD, response, &[StatusCode::OK]).await?;
            let uri = response_uri(&response);
            let headers = response.headers();
            let media_type = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|t| MediaType::from(t.split(';').next().unwrap_or_default().trim()));
            let size = headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            let digest = content_digest(headers, &display_url(&uri))?;
            Ok(ManifestHead {
                media_type,
                digest,
                size,
            })
        };
        result
            .await
            .map_err(|e: Error| e.context(reference_context(reference)))
    }

    /// Pushes `bytes` as a manifest of `media_type` under `reference`'s tag (or digest), and
    /// returns its digest; the digest the registry reports must be the same.
    pub async fn put_manifest(
        &self,
        reference: &Reference,
        media_type: &MediaType,
        bytes: impl Into<Bytes>,
    ) -> Result<Digest, Error> {
        self.put_manifest_answered(reference, media_type, bytes.into())
            .await
            .map(|answer| answer.digest)
    }

    /// [`Client::put_manifest`], also telling whether the registry acknowledged a `subject`
    /// (the `OCI-Subject` header of distribution-spec 1.1: it keeps the referrers itself).
    pub(crate) async fn put_manifest_answered(
        &self,
        reference: &Reference,
        media_type: &MediaType,
        bytes: Bytes,
    ) -> Result<PutAnswer, Error> {
        if !media_type.is_manifest() {
            return Err(Error::NotAManifestType {
                media_type: media_type.clone(),
            }
            .context(reference_context(reference)));
        }
        let result = async {
            let digest = manifest_digest(&bytes, media_type, &oci_digest::Algorithm::Sha256)?;
            if let Some(pinned) = reference.digest() {
                verify_digest(&bytes, Some(media_type.as_str()), pinned)?;
            }
            let repository = reference.repository().as_str();
            let content_type =
                HeaderValue::from_str(media_type.as_str()).map_err(|_| Error::InvalidHeader {
                    name: "Content-Type",
                    value: media_type.to_string(),
                })?;
            let call = Call::new(
                reference.registry(),
                Access::Push(repository.to_owned()),
                Method::PUT,
                Target::Path(manifest_path(repository, reference.manifest_reference())),
            )
            .header(CONTENT_TYPE, content_type)
            .body(RequestBody::full(bytes.clone()));
            let response = self.execute(call).await?;
            let accepted = [StatusCode::CREATED, StatusCode::OK, StatusCode::ACCEPTED];
            let response = expect_status(&Method::PUT, response, &accepted).await?;
            let uri = response_uri(&response);
            if let Some(reported) = content_digest(response.headers(), &display_url(&uri))? {
                let ours = match reported.algorithm() == digest.algorithm() {
                    true => digest.clone(),
                    false => manifest_digest(&bytes, media_type, reported.algorithm())?,
                };
                if reported != ours {
                    return Err(Error::DigestMismatch(Mismatch::new(ours, reported)));
                }
            }
            let subject_acknowledged = response.headers().contains_key(OCI_SUBJECT);
            Ok(PutAnswer {
                digest,
                subject_acknowledged,
            })
        };
        result.await.map_err(|e| e.context(reference_context(reference)))
    }

    /// Deletes the manifest with `digest` (registries refuse deleting by tag).
    pub async fn delete_manifest(&self, repository: &RepositoryRef, digest: &Digest) -> Result<(), Error> {
        let call = Call::new(
            repository.registry(),
            Access::Delete(repository.repository().as_str().to_owned()),
            Method::DELETE,
            Target::Path(manifest_path(repository.repository().as_str(), digest.as_str())),
        );
        let result = async {
            let response = self.execute(call).await?;
            let accepted = [StatusCode::ACCEPTED, StatusCode::OK, StatusCode::NO_CONTENT];
            expect_status(&Method::DELETE, response, &accepted)
                .await
                .map(drop)
        };
        result.await.map_err(|e| {
            e.context(
                Context::repository(repository.registry(), repository.repository().as_str())
                    .with_digest(digest),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_prefer_the_header_then_the_bytes() {
        let oci = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        let cases: &[(&[u8], Option<&str>, MediaType)] = &[
            (
                oci,
                Some("application/vnd.oci.image.manifest.v1+json"),
                MediaType::OciManifest,
            ),
            (oci, Some("application/json"), MediaType::OciManifest),
            (oci, None, MediaType::OciManifest),
            (
                b"{}",
                Some("application/vnd.example.artifact+json"),
                MediaType::from("application/vnd.example.artifact+json"),
            ),
            (
                b"{\"schemaVersion\":1}",
                Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
                MediaType::DockerSchema1,
            ),
        ];
        for (bytes, content_type, expected) in cases {
            assert_eq!(&media_type_of(bytes, *content_type), expected, "{content_type:?}");
        }
    }

    #[test]
    fn fetched_bytes_must_match_their_digest() {
        let bytes = br#"{"schemaVersion":2}"#;
        let good = Digest::sha256(bytes);
        assert!(verify_digest(bytes, Some("application/vnd.oci.image.manifest.v1+json"), &good).is_ok());
        let bad = Digest::sha256(b"other");
        match verify_digest(bytes, Some("application/vnd.oci.image.manifest.v1+json"), &bad) {
            Err(Error::DigestMismatch(mismatch)) => {
                assert_eq!(mismatch.expected(), &bad);
                assert_eq!(mismatch.actual(), &good);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn accept_lists_every_manifest_format() {
        let accept = accept_manifests();
        let accept = accept.to_str().unwrap();
        for media_type in MediaType::MANIFEST_TYPES {
            assert!(accept.contains(media_type.as_str()), "{media_type}");
        }
    }
}
