//! A blob's bytes on their way from a source to a destination, checked
//! against their digest as they flow.
//!
//! "This content verifies itself" is this type, not a flag: every source
//! hands out a [`VerifiedBlob`], and every destination takes one, so no sink
//! hashes twice and none trusts blindly. The stream yields the content in
//! order and ends with an error instead of its end when the content is not
//! the digest's (or not the size promised), so a sink that commits only after
//! the end never keeps unverified data.

use std::io;
use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, BoxStream, Stream};
use futures_util::StreamExt;
use oci_digest::{Digest, Digester, Verifier};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Progress;
use crate::blobs::BlobStream;
use crate::layout::BlobReader;
use crate::Error;

/// Chunks read from a reader source are at most this large.
const READ_CHUNK: usize = 256 * 1024;

/// One blob's content, verified while it is read.
///
/// Made by a source that checks what it yields (a registry's
/// [`BlobStream`], a layout's [`BlobReader`]), from bytes in memory
/// ([`from_bytes`](Self::from_bytes)), or from any reader with the digest and
/// size it must have ([`hashing`](Self::hashing)).
pub struct VerifiedBlob {
    digest: Digest,
    size: u64,
    chunks: BoxStream<'static, Result<Bytes, Error>>,
}

impl std::fmt::Debug for VerifiedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedBlob")
            .field("digest", &self.digest)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl VerifiedBlob {
    /// Content held in memory; its digest (SHA-256) is computed here.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> VerifiedBlob {
        let bytes = bytes.into();
        VerifiedBlob {
            digest: Digest::sha256(&bytes),
            size: bytes.len() as u64,
            chunks: stream::once(async move { Ok(bytes) }).boxed(),
        }
    }

    /// `reader`'s content, which must be `size` bytes hashing to `digest`:
    /// it is hashed and counted as it is read, and the read that reaches the
    /// end fails with [`Error::DigestMismatch`] or [`Error::SourceSize`] when
    /// it is not.
    pub fn hashing<R>(reader: R, digest: &Digest, size: u64) -> Result<VerifiedBlob, Error>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        let verifier = Verifier::new(digest)?;
        let expected = digest.clone();
        let chunks = stream::try_unfold(
            (reader, Some(verifier), 0u64),
            move |(mut reader, verifier, read)| {
                let expected = expected.clone();
                async move {
                    let Some(mut verifier) = verifier else {
                        return Ok(None);
                    };
                    let mut buffer = BytesMut::zeroed(READ_CHUNK);
                    let n = reader.read(&mut buffer).await.map_err(Error::Source)?;
                    let read = read + n as u64;
                    if read > size || (n == 0 && read != size) {
                        return Err(Error::SourceSize {
                            digest: expected,
                            expected: size,
                            actual: read,
                        });
                    }
                    if n == 0 {
                        verifier.finish().map_err(Error::from)?;
                        return Ok(None);
                    }
                    buffer.truncate(n);
                    verifier.update(&buffer);
                    Ok(Some((buffer.freeze(), (reader, Some(verifier), read))))
                }
            },
        );
        Ok(VerifiedBlob {
            digest: digest.clone(),
            size,
            chunks: chunks.boxed(),
        })
    }

    /// A registry's blob download, which must be `size` bytes (the stream
    /// checks the digest; the size is checked here).
    pub(crate) fn from_stream(digest: &Digest, size: u64, stream: BlobStream) -> VerifiedBlob {
        let expected = digest.clone();
        let chunks = stream::try_unfold((stream, 0u64), move |(mut stream, read)| {
            let expected = expected.clone();
            async move {
                let chunk = stream.next().await.transpose()?;
                let read = read + chunk.as_ref().map_or(0, |c| c.len() as u64);
                if read > size || (chunk.is_none() && read != size) {
                    return Err(Error::SourceSize {
                        digest: expected,
                        expected: size,
                        actual: read,
                    });
                }
                Ok(chunk.map(|chunk| (chunk, (stream, read))))
            }
        });
        VerifiedBlob {
            digest: digest.clone(),
            size,
            chunks: chunks.boxed(),
        }
    }

    /// A layout's blob, read and hashed on a blocking thread of its own (see
    /// [`read_verified`]) and handed over in chunks through a short channel: off the
    /// thread that sends it, and without the copy and the zeroed buffer per chunk of a
    /// `tokio::fs::File`. The last chunk is followed by an error instead of the end when
    /// the content is not the digest's.
    pub(crate) fn from_layout(reader: BlobReader) -> VerifiedBlob {
        let digest = reader.digest().clone();
        let size = reader.len();
        let (sender, receiver) = tokio::sync::mpsc::channel(QUEUED_CHUNKS);
        match reader.into_unread() {
            Some((file, verifier)) => {
                tokio::task::spawn_blocking(move || read_verified(file, verifier, &sender));
            }
            None => {
                let started = io::Error::other("a layout blob was read before it was sent");
                let _ = sender.try_send(Err(Error::Source(started)));
            }
        }
        let chunks = stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|chunk| (chunk, receiver))
        });
        VerifiedBlob {
            digest,
            size,
            chunks: chunks.boxed(),
        }
    }

    /// The digest the content is checked against.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The size the content must have.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The next piece of content; an error instead of the end when the
    /// content is not the digest's.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, Error>> {
        self.chunks.next().await
    }

    /// The whole content in memory, verified.
    pub async fn into_bytes(mut self) -> Result<Bytes, Error> {
        let mut out = BytesMut::with_capacity(usize::try_from(self.size).unwrap_or(0));
        while let Some(chunk) = self.next_chunk().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.freeze())
    }

    /// Writes the whole content to `writer` and returns its length; fails, after
    /// writing, when the content did not match (the caller discards what it
    /// wrote, or reports that it cannot).
    pub async fn write_to<W: AsyncWrite + Unpin + ?Sized>(mut self, writer: &mut W) -> Result<u64, Error> {
        let mut written = 0u64;
        while let Some(chunk) = self.next_chunk().await {
            let chunk = chunk?;
            writer.write_all(&chunk).await.map_err(Error::Source)?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(Error::Source)?;
        Ok(written)
    }

    /// The same content, reporting every chunk to `progress` as it passes.
    pub(crate) fn with_progress(self, progress: Arc<dyn Progress>) -> VerifiedBlob {
        let digest = self.digest.clone();
        self.inspect(move |chunk| progress.blob_progress(&digest, chunk.len() as u64))
    }

    /// The same content, handing each chunk to `look` as it passes.
    pub(crate) fn inspect(self, mut look: impl FnMut(&Bytes) + Send + 'static) -> VerifiedBlob {
        VerifiedBlob {
            chunks: self
                .chunks
                .map(move |chunk| {
                    if let Ok(chunk) = &chunk {
                        look(chunk);
                    }
                    chunk
                })
                .boxed(),
            ..self
        }
    }

    /// The same content, passed through `stage` chunk by chunk (which may
    /// wait, to keep a slower consumer such as a layer scan in step).
    pub(crate) fn then_each<F, Fut>(self, stage: F) -> VerifiedBlob
    where
        F: FnMut(Bytes) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Bytes, Error>> + Send + 'static,
    {
        let mut stage = stage;
        VerifiedBlob {
            chunks: self
                .chunks
                .then(move |chunk| {
                    let staged = chunk.map(&mut stage);
                    async move {
                        match staged {
                            Ok(future) => future.await,
                            Err(error) => Err(error),
                        }
                    }
                })
                .boxed(),
            ..self
        }
    }

    /// The same content, its failures passed through `map` (to say which file a
    /// mismatch came from, say).
    pub(crate) fn map_err(self, map: impl Fn(Error) -> Error + Send + 'static) -> VerifiedBlob {
        VerifiedBlob {
            chunks: self.chunks.map(move |chunk| chunk.map_err(&map)).boxed(),
            ..self
        }
    }

    /// The content as a stream of chunks.
    pub(crate) fn into_stream(self) -> BoxStream<'static, Result<Bytes, Error>> {
        self.chunks
    }
}

/// Content made on the way, such as a layer recompressed while it streams: its digest
/// and size are known only once it has been read to its end, so it is hashed here as it
/// flows, and a destination commits it under the digest it turned out to have.
///
/// The stream ends with an error instead of its end when the content could not be made
/// (its source failed its digest, the layer inside was not what its config says), so a
/// sink that commits only after the end never keeps it.
pub struct ComputedBlob {
    chunks: BoxStream<'static, Result<Bytes, Error>>,
    computed: Arc<OnceLock<(Digest, u64)>>,
}

impl std::fmt::Debug for ComputedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComputedBlob")
            .field("computed", &self.computed.get())
            .finish_non_exhaustive()
    }
}

impl ComputedBlob {
    /// The content `chunks` yield, hashed with SHA-256 as it passes.
    pub fn from_stream(chunks: impl Stream<Item = Result<Bytes, Error>> + Send + 'static) -> ComputedBlob {
        let computed: Arc<OnceLock<(Digest, u64)>> = Arc::default();
        let slot = Arc::clone(&computed);
        let chunks = stream::try_unfold(
            (chunks.boxed(), Some(Digester::sha256())),
            move |(mut chunks, digester)| {
                let slot = Arc::clone(&slot);
                async move {
                    let Some(mut digester) = digester else {
                        return Ok(None);
                    };
                    match chunks.next().await.transpose()? {
                        Some(chunk) => {
                            digester.update(&chunk);
                            Ok(Some((chunk, (chunks, Some(digester)))))
                        }
                        None => {
                            let size = digester.bytes_hashed();
                            let _ = slot.set((digester.finish(), size));
                            Ok(None)
                        }
                    }
                }
            },
        );
        ComputedBlob {
            chunks: chunks.boxed(),
            computed,
        }
    }

    /// The next piece of content; an error instead of the end when it could not be made.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, Error>> {
        self.chunks.next().await
    }

    /// The digest and size of the content, once it was read to its end (`None` before).
    pub fn computed(&self) -> Option<(Digest, u64)> {
        self.computed.get().cloned()
    }

    /// The content as a stream of chunks, and where its digest and size appear at its end.
    pub(crate) fn into_parts(self) -> (BoxStream<'static, Result<Bytes, Error>>, Computed) {
        (self.chunks, Computed(self.computed))
    }
}

/// Where a [`ComputedBlob`] taken apart leaves its digest and size at its end.
#[derive(Debug, Clone)]
pub(crate) struct Computed(Arc<OnceLock<(Digest, u64)>>);

impl Computed {
    /// The digest and size, once the content was read to its end.
    pub(crate) fn get(&self) -> Option<(Digest, u64)> {
        self.0.get().cloned()
    }
}

/// Chunks of a layout blob read ahead of the one being sent.
const QUEUED_CHUNKS: usize = 1;

/// How much of a layout blob is read (and then hashed) at a time: what the kernel
/// copies in is still in the core's cache when it is hashed (see `oci_digest`'s stream
/// buffer). Several reads fill one chunk.
const HASHED_READ: usize = 64 * 1024;

/// Reads `file` to its end in chunks of [`READ_CHUNK`], hashing each piece right after
/// it is read, and sends them; after the last, the verdict, when the content is not the
/// digest's (or the read failed). Stops when nobody is receiving any more.
fn read_verified(
    mut file: std::fs::File,
    mut verifier: Verifier,
    chunks: &tokio::sync::mpsc::Sender<Result<Bytes, Error>>,
) {
    use std::io::Read as _;

    loop {
        let mut chunk = Vec::with_capacity(READ_CHUNK);
        while chunk.len() < READ_CHUNK {
            let start = chunk.len();
            // Into the chunk's spare capacity, which is not zeroed first.
            match (&mut file).take(HASHED_READ as u64).read_to_end(&mut chunk) {
                Ok(0) => break,
                Ok(_) => verifier.update(&chunk[start..]),
                Err(error) => {
                    let _ = chunks.blocking_send(Err(Error::Source(error)));
                    return;
                }
            }
        }
        if chunk.is_empty() {
            if let Err(error) = verifier.finish() {
                let _ = chunks.blocking_send(Err(Error::from(error)));
            }
            return;
        }
        if chunks.blocking_send(Ok(Bytes::from(chunk))).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashing_source_fails_at_its_end_on_the_wrong_content_or_length() {
        let content = b"the content".to_vec();
        let digest = Digest::sha256(&content);
        let size = content.len() as u64;
        let good = VerifiedBlob::hashing(io::Cursor::new(content.clone()), &digest, size).unwrap();
        assert_eq!(good.into_bytes().await.unwrap(), content);

        let other = VerifiedBlob::hashing(io::Cursor::new(b"the c0ntent".to_vec()), &digest, size).unwrap();
        assert!(other.into_bytes().await.unwrap_err().is_digest_mismatch());

        let short = VerifiedBlob::hashing(io::Cursor::new(b"the".to_vec()), &digest, size).unwrap();
        let err = short.into_bytes().await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::SourceSize {
                    expected: 11,
                    actual: 3,
                    ..
                }
            ),
            "{err}"
        );

        let long = VerifiedBlob::hashing(io::Cursor::new(vec![0u8; 20]), &digest, size).unwrap();
        let err = long.into_bytes().await.unwrap_err();
        assert!(matches!(err, Error::SourceSize { expected: 11, .. }), "{err}");
    }
}
