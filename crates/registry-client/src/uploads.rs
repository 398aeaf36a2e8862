//! Blob uploads: existence check, cross-repository mount, monolithic `PUT` for small blobs,
//! streamed or chunked `PATCH` for large ones, and a check of the digest the registry reports.

use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, CONTENT_RANGE, CONTENT_TYPE, LOCATION};
use http::{Method, Response, StatusCode, Uri};
use oci_digest::{Digest, Digester};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::auth::Access;
use crate::blobs::blob_context;
use crate::client::{Call, Client, Target};
use crate::dispatch::{expect_status, response_uri, Body};
use crate::error::{display_url, Error};
use crate::manifests::content_digest;
use crate::repository::RepositoryRef;
use crate::transport::RequestBody;
use crate::url::{encode_query_value, resolve};

/// Upload chunks are read from the source in pieces of this size.
const READ_BUFFER: usize = 256 * 1024;

/// What pushing a blob did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobPush {
    /// The repository already had the blob; nothing was sent.
    Existed,
    /// The blob was mounted from another repository of the same registry.
    Mounted,
    /// The blob's bytes were uploaded.
    Uploaded,
}

/// What a cross-repository mount did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mount {
    /// The registry linked the blob into the repository.
    Mounted,
    /// The registry declined (202: it does not have the blob there, or does not mount); the
    /// blob must be uploaded instead.
    NotMounted,
}

fn uploads_path(repository: &RepositoryRef) -> String {
    format!("/v2/{}/blobs/uploads/", repository.repository())
}

fn push_access(repository: &RepositoryRef) -> Access {
    Access::Push(repository.repository().as_str().to_owned())
}

/// An upload the registry has opened for one blob: where its bytes go.
///
/// Returned by [`Client::start_blob_upload`]; consumed by [`Client::finish_blob_upload`] or
/// [`Client::cancel_blob_upload`]. An upload that is neither finished nor cancelled expires on
/// the registry.
#[derive(Debug)]
#[must_use = "an open upload is finished or cancelled"]
pub struct BlobUpload {
    location: Uri,
}

/// How [`Client::start_blob_upload`] began.
#[derive(Debug)]
#[must_use = "an open upload is finished or cancelled"]
pub enum UploadStart {
    /// The registry linked the blob from the repository named for a mount; nothing to send.
    Mounted,
    /// The registry opened an upload; send the bytes with [`Client::finish_blob_upload`].
    Open(BlobUpload),
}

/// What an upload hashes: every byte it sends, unless its source verifies
/// itself (a layout's `BlobReader`, a registry's `BlobStream`), whose last read
/// fails on a mismatch and so stops the upload before its commit.
struct ContentHash(Option<Digester>);

impl ContentHash {
    fn new(digest: &Digest, source_verifies: bool) -> Result<ContentHash, Error> {
        if source_verifies {
            Ok(ContentHash(None))
        } else {
            Ok(ContentHash(Some(Digester::new(digest.algorithm().clone())?)))
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        if let Some(digester) = &mut self.0 {
            digester.update(bytes);
        }
    }

    /// The mismatch, if the bytes were hashed and are not `expected`'s.
    fn mismatch(self, expected: &Digest) -> Option<Error> {
        let actual = self.0?.finish();
        (actual != *expected).then(|| Error::DigestMismatch {
            expected: expected.clone(),
            actual,
        })
    }
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
    /// Pushes the blob `digest` of `size` bytes read from `source`, unless the repository
    /// already has it. The content is hashed while it is sent; a mismatch cancels the upload
    /// before it is committed.
    pub async fn push_blob<R>(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        size: u64,
        source: R,
    ) -> Result<BlobPush, Error>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        self.push_blob_inner(repository, digest, size, source, None).await
    }

    /// Pushes `bytes` as a blob and returns its digest.
    pub async fn push_blob_bytes(
        &self,
        repository: &RepositoryRef,
        bytes: impl Into<Bytes>,
    ) -> Result<Digest, Error> {
        let bytes = bytes.into();
        let digest = Digest::sha256(&bytes);
        let size = bytes.len() as u64;
        self.push_blob(repository, &digest, size, std::io::Cursor::new(bytes))
            .await?;
        Ok(digest)
    }

    /// Pushes a blob, mounting it from `from` (a repository on the same registry) when the
    /// registry allows, else uploading it.
    pub async fn push_blob_or_mount<R>(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        size: u64,
        source: R,
        from: &RepositoryRef,
    ) -> Result<BlobPush, Error>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        self.push_blob_inner(repository, digest, size, source, Some(from))
            .await
    }

    /// One `HEAD`, then a mount or an upload: the requests a blob push needs and no more.
    async fn push_blob_inner<R>(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        size: u64,
        source: R,
        mount_from: Option<&RepositoryRef>,
    ) -> Result<BlobPush, Error>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        let result = async {
            if self.blob_size(repository, digest).await?.is_some() {
                return Ok(BlobPush::Existed);
            }
            match self.start_upload_or_mount(repository, digest, mount_from).await? {
                None => Ok(BlobPush::Mounted),
                Some(location) => {
                    self.upload(repository, digest, size, source, location, false)
                        .await?;
                    Ok(BlobPush::Uploaded)
                }
            }
        };
        result
            .await
            .map_err(|e: Error| e.context(blob_context(repository, digest)))
    }

    /// Opens an upload for blob `digest` without checking whether the repository has it,
    /// asking first for a mount from `mount_from` when that names a repository of the same
    /// registry. Together with [`Client::finish_blob_upload`] this is the two-step form of
    /// [`Client::push_blob_or_mount`] for callers that have already checked for the blob
    /// (see [`Client::blob_size`]) and want to read the source only when bytes must be sent.
    pub async fn start_blob_upload(
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

    /// Sends `size` bytes of blob `digest` from `source` to an upload opened by
    /// [`Client::start_blob_upload`] and commits it. The content is hashed while it is sent;
    /// a mismatch cancels the upload before it is committed.
    pub async fn finish_blob_upload<R>(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        size: u64,
        source: R,
        upload: BlobUpload,
    ) -> Result<(), Error>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        self.finish_blob_upload_from(repository, digest, size, source, upload, false)
            .await
    }

    /// [`Client::finish_blob_upload`]; with `source_verifies` (a source that checks its
    /// content itself and fails its last read on a mismatch, which stops the upload before
    /// its commit) the bytes are not hashed a second time.
    pub(crate) async fn finish_blob_upload_from<R>(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        size: u64,
        source: R,
        upload: BlobUpload,
        source_verifies: bool,
    ) -> Result<(), Error>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        self.upload(repository, digest, size, source, upload.location, source_verifies)
            .await
            .map_err(|e: Error| e.context(blob_context(repository, digest)))
    }

    /// Abandons an upload opened by [`Client::start_blob_upload`] (best effort).
    pub async fn cancel_blob_upload(&self, repository: &RepositoryRef, upload: BlobUpload) {
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

    /// Asks the registry to link blob `digest` from repository `from` into `repository`.
    pub async fn mount_blob(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        from: &RepositoryRef,
    ) -> Result<Mount, Error> {
        let result = async {
            match self.mount_or_start(repository, digest, from).await? {
                None => Ok(Mount::Mounted),
                Some(location) => {
                    self.cancel_upload(repository, location).await;
                    Ok(Mount::NotMounted)
                }
            }
        };
        result
            .await
            .map_err(|e: Error| e.context(blob_context(repository, digest)))
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
        let call = Call::new(
            repository.registry(),
            push_access(repository),
            Method::POST,
            Target::Path(uploads_path(repository)),
        );
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

    /// Sends the content to an open upload and commits it. With
    /// `source_verifies`, the bytes are not hashed here (see [`ContentHash`]).
    async fn upload<R>(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        size: u64,
        mut source: R,
        location: Uri,
        source_verifies: bool,
    ) -> Result<(), Error>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        let limits = self.limits();
        if size <= limits.monolithic {
            let mut bytes = Vec::with_capacity(size as usize);
            (&mut source)
                .take(size + 1)
                .read_to_end(&mut bytes)
                .await
                .map_err(Error::Source)?;
            let mut hash = ContentHash::new(digest, source_verifies)?;
            hash.update(&bytes);
            let mismatch = match hash.mismatch(digest) {
                None if bytes.len() as u64 != size => Some(Error::InvalidResponse {
                    url: display_url(&location),
                    problem: format!("the source gave {} bytes, expected {size}", bytes.len()),
                }),
                found => found,
            };
            if let Some(error) = mismatch {
                self.cancel_upload(repository, location).await;
                return Err(error);
            }
            return self
                .commit(repository, digest, location, RequestBody::full(bytes))
                .await;
        }
        let mut hash = ContentHash::new(digest, source_verifies)?;
        let location = match limits.chunk_size {
            Some(chunk_size) => {
                self.patch_chunks(repository, &mut source, &mut hash, size, chunk_size, location)
                    .await?
            }
            None => {
                self.patch_stream(repository, source, &mut hash, size, location)
                    .await?
            }
        };
        if let Some(error) = hash.mismatch(digest) {
            self.cancel_upload(repository, location).await;
            return Err(error);
        }
        self.commit(repository, digest, location, RequestBody::empty())
            .await
    }

    /// One `PATCH` streaming the whole source; returns the next upload URL.
    async fn patch_stream<R>(
        &self,
        repository: &RepositoryRef,
        source: R,
        hash: &mut ContentHash,
        size: u64,
        location: Uri,
    ) -> Result<Uri, Error>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        // The digest is computed from exactly what goes on the wire, inside the body stream.
        let hashing = Arc::new(Mutex::new((std::mem::replace(hash, ContentHash(None)), 0u64)));
        let tap = Arc::clone(&hashing);
        let stream = futures_util::stream::try_unfold(source, move |mut source| {
            let tap = Arc::clone(&tap);
            async move {
                let mut buffer = BytesMut::zeroed(READ_BUFFER);
                let read = source.read(&mut buffer).await?;
                if read == 0 {
                    return Ok(None);
                }
                buffer.truncate(read);
                let chunk = buffer.freeze();
                let mut state = tap.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                state.0.update(&chunk);
                state.1 += read as u64;
                Ok(Some((chunk, source)))
            }
        });
        let call = Call::new(
            repository.registry(),
            push_access(repository),
            Method::PATCH,
            Target::Url(location),
        )
        .header(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"))
        .body(RequestBody::stream(stream));
        let response = self.execute(call).await?;
        let response = expect_status(
            &Method::PATCH,
            response,
            &[StatusCode::ACCEPTED, StatusCode::NO_CONTENT],
        )
        .await?;
        let url = display_url(&response_uri(&response));
        let sent = {
            let mut state = hashing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *hash = std::mem::replace(&mut state.0, ContentHash(None));
            state.1
        };
        if sent != size {
            return Err(Error::InvalidResponse {
                url,
                problem: format!("the source gave {sent} bytes, expected {size}"),
            });
        }
        if let Some(end) = range_end(&response) {
            if end + 1 != size {
                return Err(Error::InvalidResponse {
                    url,
                    problem: format!("the registry stored {} of {size} bytes", end + 1),
                });
            }
        }
        upload_location(&response)
    }

    /// `PATCH` requests of at most `chunk_size` bytes with `Content-Range`, resending whatever
    /// the registry's `Range` says it did not keep; returns the next upload URL.
    async fn patch_chunks<R>(
        &self,
        repository: &RepositoryRef,
        source: &mut R,
        hash: &mut ContentHash,
        size: u64,
        chunk_size: u64,
        mut location: Uri,
    ) -> Result<Uri, Error>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        let mut offset = 0u64;
        while offset < size {
            let want = chunk_size.min(size - offset);
            let mut chunk = Vec::with_capacity(want as usize);
            (&mut *source)
                .take(want)
                .read_to_end(&mut chunk)
                .await
                .map_err(Error::Source)?;
            if chunk.len() as u64 != want {
                return Err(Error::Source(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "the source ended after {} of {size} bytes",
                        offset + chunk.len() as u64
                    ),
                )));
            }
            hash.update(&chunk);
            let chunk = Bytes::from(chunk);
            let mut sent_from = 0usize;
            // The registry may keep less than was sent; send the rest of the chunk again.
            while sent_from < chunk.len() {
                let piece = chunk.slice(sent_from..);
                let start = offset + sent_from as u64;
                let end = start + piece.len() as u64 - 1;
                let range =
                    HeaderValue::from_str(&format!("{start}-{end}")).map_err(|_| Error::InvalidHeader {
                        name: "Content-Range",
                        value: format!("{start}-{end}"),
                    })?;
                let call = Call::new(
                    repository.registry(),
                    push_access(repository),
                    Method::PATCH,
                    Target::Url(location),
                )
                .header(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"))
                .header(CONTENT_RANGE, range)
                .body(RequestBody::full(piece));
                let response = self.execute(call).await?;
                let response = expect_status(
                    &Method::PATCH,
                    response,
                    &[StatusCode::ACCEPTED, StatusCode::NO_CONTENT],
                )
                .await?;
                let url = display_url(&response_uri(&response));
                let stored = range_end(&response).map_or(end + 1, |e| e + 1);
                if stored <= start || stored > end + 1 {
                    return Err(Error::InvalidResponse {
                        url,
                        problem: format!(
                            "after sending bytes {start}-{end} the registry reports {stored} stored"
                        ),
                    });
                }
                sent_from = (stored - offset) as usize;
                location = upload_location(&response)?;
            }
            offset += want;
        }
        Ok(location)
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
        .body(body);
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

fn check_reported_digest(response: &Response<Body>, digest: &Digest, url: &str) -> Result<(), Error> {
    match content_digest(response.headers(), url)? {
        Some(reported) if reported != *digest => Err(Error::DigestMismatch {
            expected: digest.clone(),
            actual: reported,
        }),
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
