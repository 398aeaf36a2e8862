//! Blob downloads verified while they stream, resumed after a broken connection, plus `HEAD`
//! and `DELETE`.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_RANGE, RANGE};
use http::{Method, StatusCode};
use oci_digest::{Digest, Verifier};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::auth::Access;
use crate::client::{Call, Client, Target};
use crate::dispatch::{expect_status, response_uri, Body};
use crate::error::{display_url, Context, Error};
use crate::repository::RepositoryRef;

fn blob_path(repository: &RepositoryRef, digest: &Digest) -> String {
    format!("/v2/{}/blobs/{digest}", repository.repository())
}

pub(crate) fn blob_context(repository: &RepositoryRef, digest: &Digest) -> Context {
    Context::repository(repository.registry(), repository.repository().as_str()).with_digest(digest)
}

/// A blob's bytes as they arrive, checked against its digest.
///
/// The stream yields the content in order and ends with an error instead of its last item when
/// the whole content does not match the digest, so a consumer that commits only after the end
/// never keeps unverified data. A connection that breaks mid-way is resumed with `Range` from
/// the last byte received; a server that ignores `Range` is read again from the start and the
/// bytes already delivered are skipped, so the consumer still sees one continuous blob.
pub struct BlobStream {
    size: Option<u64>,
    url: String,
    /// The total deadline of [`BlobStream::bytes`], a bounded read.
    read_deadline: std::time::Duration,
    inner: Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>,
}

impl std::fmt::Debug for BlobStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStream")
            .field("url", &self.url)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl BlobStream {
    /// The size the registry announced (`Content-Length`), if it did.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Writes the whole blob to `writer` and returns its length; fails, after writing, when the
    /// content did not match (the caller discards what it wrote).
    pub async fn write_to<W: AsyncWrite + Unpin + ?Sized>(mut self, writer: &mut W) -> Result<u64, Error> {
        let mut written = 0u64;
        while let Some(chunk) = self.inner.next().await {
            let chunk = chunk?;
            writer.write_all(&chunk).await.map_err(Error::Source)?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(Error::Source)?;
        Ok(written)
    }

    /// The whole blob in memory, refusing more than `limit` bytes, or more time than the
    /// client's read deadline (this is a bounded read, like a manifest's).
    pub async fn bytes(mut self, limit: u64) -> Result<Bytes, Error> {
        let deadline = self.read_deadline;
        let url = self.url.clone();
        let read = async move {
            let mut out = bytes::BytesMut::new();
            while let Some(chunk) = self.inner.next().await {
                let chunk = chunk?;
                if out.len() as u64 + chunk.len() as u64 > limit {
                    return Err(Error::TooLarge { url: self.url, limit });
                }
                out.extend_from_slice(&chunk);
            }
            Ok(out.freeze())
        };
        crate::timeouts::bounded_read(deadline, url, read).await
    }
}

impl Stream for BlobStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The state of one download between chunks.
struct Download {
    client: Client,
    repository: RepositoryRef,
    digest: Digest,
    body: Body,
    verifier: Option<Verifier>,
    received: u64,
    /// Bytes of a restarted response that the consumer already has.
    skip: u64,
    resumes: u32,
}

impl Download {
    async fn next_chunk(mut self) -> Result<Option<(Bytes, Download)>, Error> {
        loop {
            match self.body.chunk().await {
                Ok(Some(mut chunk)) => {
                    if self.skip > 0 {
                        let drop = self.skip.min(chunk.len() as u64);
                        self.skip -= drop;
                        chunk = chunk.slice(drop as usize..);
                        if chunk.is_empty() {
                            continue;
                        }
                    }
                    if let Some(verifier) = self.verifier.as_mut() {
                        verifier.update(&chunk);
                    }
                    self.received += chunk.len() as u64;
                    return Ok(Some((chunk, self)));
                }
                Ok(None) => {
                    if let Some(verifier) = self.verifier.take() {
                        verifier.finish()?;
                    }
                    return Ok(None);
                }
                Err(error) if is_resumable(&error) && self.resumes < self.client.max_retries() => {
                    self.resumes += 1;
                    tracing::debug!(digest = %self.digest, received = self.received, %error, "resuming download");
                    self.resume().await?;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Asks for the rest of the blob; a server that ignores `Range` sends it all again.
    async fn resume(&mut self) -> Result<(), Error> {
        self.body.release_slot();
        let range = HeaderValue::from_str(&format!("bytes={}-", self.received)).map_err(|_| {
            Error::InvalidHeader {
                name: "Range",
                value: self.received.to_string(),
            }
        })?;
        let response = self
            .client
            .open_blob(&self.repository, &self.digest, Some(range))
            .await?;
        let status = response.status();
        let url = display_url(&response_uri(&response));
        let skip = if status == StatusCode::PARTIAL_CONTENT {
            let start = response
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(content_range_start)
                .ok_or_else(|| Error::InvalidResponse {
                    url: url.clone(),
                    problem: "206 without a usable Content-Range".to_owned(),
                })?;
            if start > self.received {
                return Err(Error::InvalidResponse {
                    url,
                    problem: format!("asked for bytes from {}, got them from {start}", self.received),
                });
            }
            self.received - start
        } else {
            self.received
        };
        self.skip = skip;
        self.body = response.into_body();
        Ok(())
    }
}

/// Failures where asking again for the rest of the body may succeed.
fn is_resumable(error: &Error) -> bool {
    matches!(error, Error::Body { .. } | Error::Timeout { .. })
}

/// The first byte position of `Content-Range: bytes START-END/TOTAL`.
fn content_range_start(value: &str) -> Option<u64> {
    let range = value.trim().strip_prefix("bytes")?.trim_start();
    range.split('-').next()?.trim().parse().ok()
}

impl Client {
    /// Downloads the blob `digest` as a stream verified while it flows.
    pub async fn get_blob(&self, repository: &RepositoryRef, digest: &Digest) -> Result<BlobStream, Error> {
        let result = async {
            let verifier = Verifier::new(digest)?;
            let response = self.open_blob(repository, digest, None).await?;
            let response = expect_status(&Method::GET, response, &[StatusCode::OK]).await?;
            let size = response
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            let url = display_url(&response_uri(&response));
            let download = Download {
                client: self.clone(),
                repository: repository.clone(),
                digest: digest.clone(),
                body: response.into_body(),
                verifier: Some(verifier),
                received: 0,
                skip: 0,
                resumes: 0,
            };
            let context = blob_context(repository, digest);
            let stream = futures_util::stream::try_unfold(download, Download::next_chunk)
                .map(move |item| item.map_err(|e| e.context(context.clone())));
            Ok(BlobStream {
                size,
                url,
                read_deadline: self.timeouts().read(),
                inner: Box::pin(stream),
            })
        };
        result
            .await
            .map_err(|e: Error| e.context(blob_context(repository, digest)))
    }

    pub(crate) async fn open_blob(
        &self,
        repository: &RepositoryRef,
        digest: &Digest,
        range: Option<HeaderValue>,
    ) -> Result<http::Response<Body>, Error> {
        let mut call = Call::new(
            repository.registry(),
            Access::Pull(repository.repository().as_str().to_owned()),
            Method::GET,
            Target::Path(blob_path(repository, digest)),
        );
        if let Some(range) = range {
            call = call.header(RANGE, range);
        }
        let response = self.execute(call).await?;
        if response.status() == StatusCode::PARTIAL_CONTENT || response.status() == StatusCode::OK {
            Ok(response)
        } else {
            expect_status(&Method::GET, response, &[]).await
        }
    }

    /// The blob's size when the repository has it, `None` when it does not.
    pub async fn blob_size(&self, repository: &RepositoryRef, digest: &Digest) -> Result<Option<u64>, Error> {
        let call = Call::new(
            repository.registry(),
            Access::Pull(repository.repository().as_str().to_owned()),
            Method::HEAD,
            Target::Path(blob_path(repository, digest)),
        );
        let result = async {
            let response = self.execute(call).await?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            let response = expect_status(&Method::HEAD, response, &[StatusCode::OK]).await?;
            let size = response
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            Ok(Some(size.unwrap_or(0)))
        };
        result
            .await
            .map_err(|e: Error| e.context(blob_context(repository, digest)))
    }

    /// Deletes the blob from the repository.
    pub async fn delete_blob(&self, repository: &RepositoryRef, digest: &Digest) -> Result<(), Error> {
        let call = Call::new(
            repository.registry(),
            Access::Delete(repository.repository().as_str().to_owned()),
            Method::DELETE,
            Target::Path(blob_path(repository, digest)),
        );
        let result = async {
            let response = self.execute(call).await?;
            expect_status(
                &Method::DELETE,
                response,
                &[StatusCode::ACCEPTED, StatusCode::OK, StatusCode::NO_CONTENT],
            )
            .await
            .map(drop)
        };
        result
            .await
            .map_err(|e: Error| e.context(blob_context(repository, digest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_starts() {
        let cases = [
            ("bytes 100-199/200", Some(100)),
            ("bytes 0-0/1", Some(0)),
            ("bytes  7-9/*", Some(7)),
            ("bytes */200", None),
            ("items 1-2/3", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(content_range_start(value), expected, "{value:?}");
        }
    }
}
