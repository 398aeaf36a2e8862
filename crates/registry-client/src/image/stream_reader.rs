//! A blob download seen as an [`AsyncRead`], so it can feed an upload or a
//! layout write directly.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use futures_util::Stream;
use tokio::io::{AsyncRead, ReadBuf};

use crate::blobs::BlobStream;

/// Reads a [`BlobStream`] chunk by chunk. A stream error (including the
/// digest mismatch the stream reports at its end) becomes an `io::Error`
/// that carries the client error, so the consumer aborts before committing.
pub(crate) struct BlobStreamReader {
    stream: BlobStream,
    chunk: Bytes,
}

impl BlobStreamReader {
    pub(crate) fn new(stream: BlobStream) -> BlobStreamReader {
        BlobStreamReader {
            stream,
            chunk: Bytes::new(),
        }
    }
}

impl AsyncRead for BlobStreamReader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.chunk.is_empty() {
            match ready!(Pin::new(&mut this.stream).poll_next(cx)) {
                Some(Ok(chunk)) => this.chunk = chunk,
                Some(Err(error)) => return Poll::Ready(Err(io::Error::other(error))),
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = this.chunk.len().min(buf.remaining());
        buf.put_slice(&this.chunk[..n]);
        this.chunk.advance(n);
        Poll::Ready(Ok(()))
    }
}
