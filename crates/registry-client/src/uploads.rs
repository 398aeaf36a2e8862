//! Blob uploads: existence check, cross-repository mount, monolithic `PUT` for small blobs,
//! streamed or chunked `PATCH` for large ones, and a check of the digest the registry reports.
//!
//! What is sent is always a [`VerifiedBlob`], which checks its own content, so nothing here
//! hashes: a blob that fails ends the upload before its commit, and the upload is cancelled.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, BoxStream};
use futures_util::StreamExt;
use http::header::{HeaderValue, CONTENT_RANGE, CONTENT_TYPE, LOCATION};
use http::{Method, Response, StatusCode, Uri};
use oci_digest::{Digest, Mismatch};

use crate::auth::Access;
use crate::blobs::blob_context;
use crate::client::{Call, Client, Target};
use crate::dispatch::{expect_status, response_uri, Body};
use crate::error::{display_url, Context, Error};
use crate::image::{BlobOutcome, Computed, ComputedBlob, VerifiedBlob};

use crate::manifests::content_digest;
use crate::repository::RepositoryRef;
use crate::transport::RequestBody;
use crate::url::{encode_query_value, resolve};

fn uploads_path(repository: &RepositoryRef) -> String {
    format!("/v2/{}/blobs/uploads/", repository.repository())
}

fn push_access(repository: &RepositoryRef) -> Access {
    Access::Push(repository.repository().as_str().to_owned())
}

/// An upload the registry has opened for one blob: where its bytes go.
///
/// An upload that is neither finished nor cancelled expires on the registry.
#[derive(Debug)]
#[must_use = "an open upload is finished or cancelled"]
pub(crate) struct BlobUpload {
    location: Uri,
}

/// How [`Client::start_blob_upload`] began.
#[derive(Debug)]
#[must_use = "an open upload is finished or cancelled"]
pub(crate) enum UploadStart {
    /// The registry linked the blob from the repository named for a mount; nothing to send.
    Mounted,
    /// The registry opened an upload; send the bytes with [`Client::finish_blob_upload`].
    Open(BlobUpload),
}

/// The upload URL in a response's `Location`, resolved against the request.
fn upload_location(response: &Response<Body>) -> Result<Uri, Error> {
    let uri = response_uri(response);
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::InvalidResponse {
            url: display_url(&uri),
            problem: "upload response without a Location header".to_owned(),
        })?;
    resolve(&uri, location)
}

/// `uri` with `name=value` appended to its query (the existing query is opaque upload state).
fn with_query(uri: &Uri, name: &str, value: &str) -> Result<Uri, Error> {
    let text = uri.to_string();
    let separator = if uri.query().is_some() { '&' } else { '?' };
    crate::client::parse_uri(&format!("{text}{separator}{name}={}", encode_query_value(value)))
}

/// The last byte the registry has, from `Range: 0-END` (`None` when it has none).
fn range_end(response: &Response<Body>) -> Option<u64> {
    let value = response.headers().get(http::header::RANGE)?.to_str().ok()?;
    let value = value.trim().strip_prefix("bytes=").unwrap_or(value.trim());
    let (start, end) = value.split_once('-')?;
    if start.trim() != "0" {
        return None;
    }
    end.trim().parse().ok()
}

impl Client {
    /// Makes `repository` hold `blob`: nothing is sent when it has the blob
    /// already; with `mount_from` (another repository of the same registry)
    /// the registry is asked to link it from there; otherwise the content is
    /// uploaded, and committed only once it reached its end verified.
    ///
    /// Images move through [`image::copy_image`](crate::image::copy_image),
    /// which opens each source only when its bytes must move; this is for one
    /// blob at hand. A file or other reader becomes a blob with
    /// [`VerifiedBlob::hashing`].
    pub async fn push_blob(
        &self,
        repository: &RepositoryRef,
        blob: VerifiedBlob,
        mount_from: Option<&RepositoryRef>,
    ) -> Result<BlobOutcome, Error> {
        let digest = blob.digest().clone();
        if self.blob_size(repository, &digest).await?.is_some() {
            return Ok(BlobOutcome::AlreadyPresent);
        }
        match self.start_blob_upload(repository, &digest, mount_from).await? {
            UploadStart::Mounted => Ok(BlobOutcome::Mounted),
            UploadStart::Open(upload) => {
                self.finish_blob_upload(repository, &digest, blob, upload).await?;
                Ok(BlobOutcome::Transferred)
            }
        }
    }

    /// Pushes `bytes` as a blob and returns its digest.
    pub async fn push_blob_bytes(
        &self,
        repository: &RepositoryRef,
        bytes: impl Into<Bytes>,
    ) -> Result<Digest, Error> {
        let blob = VerifiedBlob::from_bytes(bytes);
        let digest = blob.digest().clone();
        self.push_blob(repository, blob, None).await?;
        Ok(digest)
    }

    /// Opens an upload for blob `digest` without checking whether the repository has it,
    /// asking first for a mount from `mount_from` when that names a repository of the same
    /// registry: one `POST`.
    pub(crate) async fn start_blob_upload(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        mount_from: Option<&RepositoryRef>,
    ) -> Result<UploadStart, Error> {
        match self.start_upload_or_mount(repository, digest, mount_from).await {
            Ok(None) => Ok(UploadStart::Mounted),
            Ok(Some(location)) => Ok(UploadStart::Open(BlobUpload { location })),
            Err(error) => Err(error.context(blob_context(repository, digest))),
        }
    }

    /// Sends `blob` to an upload opened by [`Client::start_blob_upload`] and commits it once
    /// the content reached its end verified. When the content fails (a mismatch, a short
    /// source) the upload is cancelled and that failure returned.
    pub(crate) async fn finish_blob_upload(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        blob: VerifiedBlob,
        upload: BlobUpload,
    ) -> Result<(), Error> {
        self.upload(repository, Outgoing::verified(blob), upload.location)
            .await
            .map(drop)
            .map_err(|e: Error| e.context(blob_context(repository, digest)))
    }

    /// Uploads content whose digest is known only at its end (a layer recompressed on the
    /// way): no presence check and no mount (there is no digest to ask by), one `POST`, the
    /// content streamed (`PATCH`, or chunked `PATCH`es), then `PUT ?digest=` with the digest
    /// it turned out to have. Small content (up to the monolithic limit) goes in the `PUT`
    /// itself. Returns the digest and size committed; when the content fails, the upload is
    /// cancelled and that failure returned.
    pub(crate) async fn push_computed_blob(
        &self,
        repository: &RepositoryRef,
        blob: ComputedBlob,
    ) -> Result<(Digest, u64), Error> {
        let context = || Context::repository(repository.registry(), repository.repository().as_str());
        let location = self
            .start_upload(repository)
            .await
            .map_err(|e| e.context(context()))?;
        let (chunks, computed) = blob.into_parts();
        let content = Outgoing {
            chunks,
            size: None,
            digest: OutgoingDigest::Computed(computed),
        };
        let digest = self
            .upload(repository, content, location)
            .await
            .map_err(|e| e.context(context()))?;
        Ok(digest)
    }

    /// Abandons an upload opened by [`Client::start_blob_upload`] (best effort).
    pub(crate) async fn cancel_blob_upload(&self, repository: &RepositoryRef, upload: BlobUpload) {
        self.cancel_upload(repository, upload.location).await;
    }

    /// The upload URL the registry opened, or `None` when it mounted the blob instead.
    async fn start_upload_or_mount(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        mount_from: Option<&RepositoryRef>,
    ) -> Result<Option<Uri>, Error> {
        match mount_from {
            Some(from) => self.mount_or_start(repository, digest, from).await,
            None => self.start_upload(repository).await.map(Some),
        }
    }

    /// `POST ?mount=&from=`: `None` when mounted, else the upload URL the registry opened.
    async fn mount_or_start(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        from: &RepositoryRef,
    ) -> Result<Option<Uri>, Error> {
        if from.api_host() != repository.api_host() {
            return self.start_upload(repository).await.map(Some);
        }
        let path = format!(
            "{}?mount={}&from={}",
            uploads_path(repository),
            encode_query_value(digest.as_str()),
            encode_query_value(from.repository().as_str())
        );
        let access = Access::Mount {
            to: repository.repository().as_str().to_owned(),
            from: from.repository().as_str().to_owned(),
        };
        let call = Call::new(repository.registry(), access, Method::POST, Target::Path(path));
        let response = self.execute(call).await?;
        let response = expect_status(
            &Method::POST,
            response,
            &[StatusCode::CREATED, StatusCode::ACCEPTED],
        )
        .await?;
        if response.status() == StatusCode::CREATED {
            let url = display_url(&response_uri(&response));
            check_reported_digest(&response, digest, &url)?;
            return Ok(None);
        }
        upload_location(&response).map(Some)
    }

    async fn start_upload(&self, repository: &RepositoryRef) -> Result<Uri, Error> {
        // The copier opens the source download beside this POST: it is a step of that
        // transfer and takes no slot (see `crate::dispatch`).
        let call = Call::new(
            repository.registry(),
            push_access(repository),
            Method::POST,
            Target::Path(uploads_path(repository)),
        )
        .continuing_transfer();
        let response = self.execute(call).await?;
        let response = expect_status(&Method::POST, response, &[StatusCode::ACCEPTED]).await?;
        upload_location(&response)
    }

    /// Best effort: an upload left open expires on the registry anyway.
    async fn cancel_upload(&self, repository: &RepositoryRef, location: Uri) {
        let call = Call::new(
            repository.registry(),
            push_access(repository),
            Method::DELETE,
            Target::Url(location),
        );
        if let Err(error) = self.execute(call).await {
            tracing::debug!(%error, "cancelling an upload failed");
        }
    }

    /// Sends the content to an open upload and commits it under its digest, which it
    /// returns with the size; a failure of the content itself cancels the upload.
    async fn upload(
        &self,
        repository: &RepositoryRef,
        content: Outgoing,
        location: Uri,
    ) -> Result<(Digest, u64), Error> {
        let limits = self.limits();
        let Outgoing { chunks, size, digest } = content;
        // Content up to the monolithic limit goes whole in the final `PUT`; content of
        // unknown length is read that far to find out whether it is that small.
        let sent = match read_prefix(chunks, size, limits.monolithic).await {
            Err(error) => Err((error, Some(location))),
            Ok(Prefix::Whole(bytes)) => Ok((location, bytes.len() as u64, RequestBody::full(bytes))),
            Ok(Prefix::Partial(chunks)) => {
                let sent = match limits.chunk_size {
                    Some(chunk_size) => self.patch_chunks(repository, chunks, chunk_size, location).await,
                    None => self.patch_stream(repository, chunks, location).await,
                };
                sent.map(|(location, length)| (location, length, RequestBody::empty()))
            }
        };
        match sent {
            Ok((location, length, body)) => {
                let Some(digest) = digest.get() else {
                    self.cancel_upload(repository, location).await;
                    return Err(Error::RecompressStopped);
                };
                self.commit(repository, &digest, location, body).await?;
                Ok((digest, length))
            }
            Err((error, location)) => {
                if let Some(location) = location {
                    self.cancel_upload(repository, location).await;
                }
                Err(error)
            }
        }
    }

    /// One `PATCH` streaming the whole content; returns the next upload URL and the bytes
    /// sent. On failure, the error and (when the content failed) the URL to cancel.
    async fn patch_stream(
        &self,
        repository: &RepositoryRef,
        chunks: BoxStream<'static, Result<Bytes, Error>>,
        location: Uri,
    ) -> Result<(Uri, u64), (Error, Option<Uri>)> {
        // A failure of the content is kept here, and ends the body early but cleanly: the
        // registry then answers a complete request before the upload is cancelled. A body
        // broken off instead would look like a broken connection, worth a restart (a
        // mismatch is not), and the registry could still be writing the partial request
        // into the upload when the cancel arrived, leaving it behind.
        let failed: Arc<Mutex<Option<Error>>> = Arc::default();
        let slot = Arc::clone(&failed);
        let sent = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&sent);
        let stream = chunks.scan((), move |(), chunk| {
            futures_util::future::ready(match chunk {
                Ok(chunk) => {
                    counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    Some(Ok::<Bytes, std::io::Error>(chunk))
                }
                Err(error) => {
                    *slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error);
                    None
                }
            })
        });
        let call = Call::new(
            repository.registry(),
            push_access(repository),
            Method::PATCH,
            Target::Url(location.clone()),
        )
        .header(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"))
        .body(RequestBody::stream(stream))
        .continuing_transfer();
        let response = self.execute(call).await;
        let content_failed = failed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(error) = content_failed {
            // The upload now lives where the registry's answer says, if it answered.
            let cancel_at = response
                .ok()
                .and_then(|response| upload_location(&response).ok())
                .unwrap_or(location);
            return Err((error, Some(cancel_at)));
        }
        let response = expect_status(
            &Method::PATCH,
            response.map_err(|e| (e, None))?,
            &[StatusCode::ACCEPTED, StatusCode::NO_CONTENT],
        )
        .await
        .map_err(|e| (e, None))?;
        let size = sent.load(Ordering::Relaxed);
        if let Some(end) = range_end(&response) {
            if end + 1 != size {
                let url = display_url(&response_uri(&response));
                return Err((
                    Error::InvalidResponse {
                        url,
                        problem: format!("the registry stored {} of {size} bytes", end + 1),
                    },
                    None,
                ));
            }
        }
        let location = upload_location(&response).map_err(|e| (e, None))?;
        Ok((location, size))
    }

    /// `PATCH` requests of at most `chunk_size` bytes with `Content-Range`, resending whatever
    /// the registry's `Range` says it did not keep; returns the next upload URL and the bytes
    /// sent once the content reached its end (verified, for a known digest). On failure, the
    /// error and (when the content failed) the URL to cancel.
    async fn patch_chunks(
        &self,
        repository: &RepositoryRef,
        mut chunks: BoxStream<'static, Result<Bytes, Error>>,
        chunk_size: u64,
        mut location: Uri,
    ) -> Result<(Uri, u64), (Error, Option<Uri>)> {
        let mut pending = Bytes::new();
        let mut offset = 0u64;
        let mut ended = false;
        while !ended {
            let mut chunk =
                BytesMut::with_capacity(usize::try_from(chunk_size).unwrap_or(usize::MAX).min(1 << 24));
            while (chunk.len() as u64) < chunk_size {
                if pending.is_empty() {
                    // The read past the last byte is where verified content proves its digest.
                    match chunks.next().await {
                        Some(Ok(next)) => pending = next,
                        Some(Err(error)) => return Err((error, Some(location))),
                        None => {
                            ended = true;
                            break;
                        }
                    }
                }
                let take = pending.len().min((chunk_size - chunk.len() as u64) as usize);
                chunk.extend_from_slice(&pending.split_to(take));
            }
            let chunk = chunk.freeze();
            let mut sent_from = 0usize;
            // The registry may keep less than was sent; send the rest of the chunk again.
            while sent_from < chunk.len() {
                let piece = chunk.slice(sent_from..);
                let start = offset + sent_from as u64;
                let end = start + piece.len() as u64 - 1;
                let range = HeaderValue::from_str(&format!("{start}-{end}")).map_err(|_| {
                    (
                        Error::InvalidHeader {
                            name: "Content-Range",
                            value: format!("{start}-{end}"),
                        },
                        None,
                    )
                })?;
                let call = Call::new(
                    repository.registry(),
                    push_access(repository),
                    Method::PATCH,
                    Target::Url(location),
                )
                .header(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"))
                .header(CONTENT_RANGE, range)
                .body(RequestBody::full(piece))
                .continuing_transfer();
                let response = self.execute(call).await.map_err(|e| (e, None))?;
                let response = expect_status(
                    &Method::PATCH,
                    response,
                    &[StatusCode::ACCEPTED, StatusCode::NO_CONTENT],
                )
                .await
                .map_err(|e| (e, None))?;
                let url = display_url(&response_uri(&response));
                let stored = range_end(&response).map_or(end + 1, |e| e + 1);
                if stored <= start || stored > end + 1 {
                    return Err((
                        Error::InvalidResponse {
                            url,
                            problem: format!(
                                "after sending bytes {start}-{end} the registry reports {stored} stored"
                            ),
                        },
                        None,
                    ));
                }
                sent_from = (stored - offset) as usize;
                location = upload_location(&response).map_err(|e| (e, None))?;
            }
            offset += chunk.len() as u64;
        }
        Ok((location, offset))
    }

    /// The final `PUT ?digest=`; the digest the registry reports must be the one sent.
    async fn commit(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        location: Uri,
        body: RequestBody,
    ) -> Result<(), Error> {
        let uri = with_query(&location, "digest", digest.as_str())?;
        let call = Call::new(
            repository.registry(),
            push_access(repository),
            Method::PUT,
            Target::Url(uri),
        )
        .header(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"))
        .body(body)
        .continuing_transfer();
        let response = self.execute(call).await?;
        let response = expect_status(
            &Method::PUT,
            response,
            &[StatusCode::CREATED, StatusCode::NO_CONTENT],
        )
        .await?;
        let url = display_url(&response_uri(&response));
        check_reported_digest(&response, digest, &url)
    }
}

/// What an upload sends: content checked against a digest known before (a
/// [`VerifiedBlob`]), or hashed on the way for a digest known only at its end (a
/// [`ComputedBlob`]).
struct Outgoing {
    chunks: BoxStream<'static, Result<Bytes, Error>>,
    /// The length, when known before.
    size: Option<u64>,
    digest: OutgoingDigest,
}

impl Outgoing {
    fn verified(blob: VerifiedBlob) -> Outgoing {
        let digest = OutgoingDigest::Known(blob.digest().clone());
        let size = Some(blob.size());
        Outgoing {
            chunks: blob.into_stream(),
            size,
            digest,
        }
    }
}

/// The digest an upload is committed under.
enum OutgoingDigest {
    Known(Digest),
    /// Appears once the content was read to its end.
    Computed(Computed),
}

impl OutgoingDigest {
    fn get(&self) -> Option<Digest> {
        match self {
            OutgoingDigest::Known(digest) => Some(digest.clone()),
            OutgoingDigest::Computed(computed) => computed.get().map(|(digest, _)| digest),
        }
    }
}

/// The start of an upload's content.
enum Prefix {
    /// All of it, at most the monolithic limit, read to its end (and so verified).
    Whole(Bytes),
    /// More than that: the whole content still to send, what was read first included.
    Partial(BoxStream<'static, Result<Bytes, Error>>),
}

/// Reads `chunks` whole when `size` says they fit in `limit`, or when `size` is unknown and
/// they turn out to; otherwise hands them back untouched or with what was read in front.
async fn read_prefix(
    mut chunks: BoxStream<'static, Result<Bytes, Error>>,
    size: Option<u64>,
    limit: u64,
) -> Result<Prefix, Error> {
    if size.is_some_and(|size| size > limit) {
        return Ok(Prefix::Partial(chunks));
    }
    let mut read = BytesMut::new();
    while let Some(chunk) = chunks.next().await {
        read.extend_from_slice(&chunk?);
        if read.len() as u64 > limit {
            let first = stream::once(futures_util::future::ready(Ok(read.freeze())));
            return Ok(Prefix::Partial(first.chain(chunks).boxed()));
        }
    }
    Ok(Prefix::Whole(read.freeze()))
}

fn check_reported_digest(response: &Response<Body>, digest: &Digest, url: &str) -> Result<(), Error> {
    match content_digest(response.headers(), url)? {
        Some(reported) if reported != *digest => {
            Err(Error::DigestMismatch(Mismatch::new(digest.clone(), reported)))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_parameters_keep_the_opaque_upload_state() {
        let cases = [
            (
                "http://r:5000/v2/a/blobs/uploads/u1?_state=abc%3D",
                "http://r:5000/v2/a/blobs/uploads/u1?_state=abc%3D&digest=sha256%3A00",
            ),
            (
                "https://r/v2/a/blobs/uploads/u1",
                "https://r/v2/a/blobs/uploads/u1?digest=sha256%3A00",
            ),
        ];
        for (location, expected) in cases {
            let uri: Uri = location.parse().unwrap();
            assert_eq!(
                with_query(&uri, "digest", "sha256:00").unwrap().to_string(),
                expected
            );
        }
    }
}
