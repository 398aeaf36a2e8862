//! A blob's verified chunks carried from the async side to a blocking thread
//! that writes them into a tar member, and the decompression a docker-archive
//! applies to layers on the way.
//!
//! The channel between the two is small, so memory stays bounded whatever
//! the blob's size: the reader waits while the writer is behind. The writer
//! learns that the content ended verified only from an explicit end mark; a
//! channel closed without it (the source failed, the copy was cancelled)
//! means the member is abandoned and cut off the archive.

use std::io::Write;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use oci_digest::{Digest, Digester};
use tokio::sync::mpsc;

use super::tar_index::compression_of;
use crate::Error;

/// Chunks in flight between the reader and the writer.
const IN_FLIGHT: usize = 4;

enum Message {
    Chunk(Bytes),
    End,
}

/// The content of one blob, as the blocking writer receives it.
pub(crate) struct Chunks {
    receiver: mpsc::Receiver<Message>,
}

impl Chunks {
    /// The next chunk; `None` at the verified end; an error when the content was abandoned.
    pub(crate) fn next(&mut self) -> Result<Option<Bytes>, Error> {
        match self.receiver.blocking_recv() {
            Some(Message::Chunk(chunk)) => Ok(Some(chunk)),
            Some(Message::End) => Ok(None),
            None => Err(Error::Source(std::io::Error::other("the content was abandoned"))),
        }
    }

    /// Writes every chunk to `out`.
    pub(crate) fn copy_to(&mut self, out: &mut impl Write) -> Result<(), Error> {
        while let Some(chunk) = self.next()? {
            out.write_all(&chunk).map_err(write_error)?;
        }
        Ok(())
    }
}

fn write_error(source: std::io::Error) -> Error {
    Error::Source(source)
}

/// Runs `write` on the blocking pool with the content of `chunks` (a verified or a
/// computed blob's), read here; the source's failure wins over the writer's (which then
/// only saw the content stop).
pub(crate) async fn write_blocking<T, F>(
    mut chunks: BoxStream<'static, Result<Bytes, Error>>,
    write: F,
) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce(Chunks) -> Result<T, Error> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel(IN_FLIGHT);
    let writer = tokio::task::spawn_blocking(move || write(Chunks { receiver }));
    let pump = async move {
        while let Some(chunk) = chunks.next().await {
            if sender.send(Message::Chunk(chunk?)).await.is_err() {
                // The writer stopped; its error says why.
                return Ok(());
            }
        }
        let _ = sender.send(Message::End).await;
        Ok::<(), Error>(())
    };
    let (pumped, written) = tokio::join!(pump, writer);
    pumped?;
    written.map_err(|e| Error::Source(std::io::Error::other(e)))?
}

/// What a layer became in a docker-archive.
#[derive(Debug, Clone)]
pub(crate) struct Unpacked {
    /// The compression it arrived in, if any.
    pub(crate) compression: Option<&'static str>,
    /// The digest of what was stored (the diffID): computed when it was
    /// decompressed, else `None` (the stored bytes are the verified blob).
    pub(crate) stored_digest: Option<Digest>,
}

/// Copies `chunks` to `out`, decompressing gzip or zstd content (told by its
/// first bytes) and hashing what it stores then.
pub(crate) fn copy_decompressing(
    chunks: &mut Chunks,
    out: &mut impl Write,
    digest: &Digest,
    unsupported: impl FnOnce(&'static str) -> Error,
) -> Result<Unpacked, Error> {
    let mut head = Vec::new();
    while head.len() < 6 {
        match chunks.next()? {
            Some(chunk) => head.extend_from_slice(&chunk),
            None => break,
        }
    }
    let compression = compression_of(&head);
    let mut hashed = Hashing {
        inner: out,
        digester: Digester::sha256(),
        failed: false,
    };
    let compression = match compression {
        None => {
            out_write(&mut hashed.inner, &head)?;
            chunks.copy_to(&mut hashed.inner)?;
            return Ok(Unpacked {
                compression,
                stored_digest: None,
            });
        }
        Some(name @ ("gzip" | "zstd")) => name,
        Some(other) => return Err(unsupported(other)),
    };
    // The source's failures are told apart from the decoder's by where they came from.
    let mut source_error = None;
    let decoded = (|| -> std::io::Result<()> {
        let mut next = || match chunks.next() {
            Ok(chunk) => Ok(chunk),
            Err(error) => {
                source_error = Some(error);
                Err(std::io::Error::other("the content stopped"))
            }
        };
        if compression == "gzip" {
            let mut decoder = flate2::write::MultiGzDecoder::new(&mut hashed);
            decoder.write_all(&head)?;
            while let Some(chunk) = next()? {
                decoder.write_all(&chunk)?;
            }
            decoder.try_finish()
        } else {
            let mut decoder = zstd::stream::write::Decoder::new(&mut hashed)?;
            decoder.write_all(&head)?;
            while let Some(chunk) = next()? {
                decoder.write_all(&chunk)?;
            }
            decoder.flush()
        }
    })();
    if let Some(error) = source_error {
        return Err(error);
    }
    match decoded {
        Ok(()) => Ok(Unpacked {
            compression: Some(compression),
            stored_digest: Some(hashed.digester.finish()),
        }),
        Err(error) if hashed.failed => Err(write_error(error)),
        Err(source) => Err(Error::CorruptLayer {
            digest: digest.clone(),
            compression,
            source,
        }),
    }
}

fn out_write(out: &mut impl Write, data: &[u8]) -> Result<(), Error> {
    out.write_all(data).map_err(write_error)
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    digester: Digester,
    /// Whether writing to `inner` failed (as opposed to the decoder).
    failed: bool,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(data).inspect_err(|_| self.failed = true)?;
        self.digester.update(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
