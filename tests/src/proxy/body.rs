//! A response body passed through with a fault applied on the way: cut after N bytes, or one byte
//! flipped.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, Incoming, SizeHint};

use crate::serve::BodyError;

/// The upstream body with an optional cut and an optional corrupted byte.
pub(crate) struct FaultyBody {
    inner: Incoming,
    /// Bytes passed on so far.
    sent: u64,
    cut_after: Option<u64>,
    stall_after: Option<u64>,
    corrupt_at: Option<u64>,
    /// Started when the cut point is reached: the cut waits for it.
    cut_grace: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// How long a cut body waits before breaking the connection, so that hyper flushes the bytes
/// before the cut to the client (a failing body drops whatever is still buffered).
const CUT_GRACE: Duration = Duration::from_millis(100);

impl FaultyBody {
    /// Passes `inner` on unchanged.
    pub(crate) fn new(inner: Incoming) -> FaultyBody {
        FaultyBody {
            inner,
            sent: 0,
            cut_after: None,
            stall_after: None,
            corrupt_at: None,
            cut_grace: None,
        }
    }

    /// Ends the body with an error (which drops the connection) after `bytes` bytes.
    pub(crate) fn cut_after(mut self, bytes: u64) -> FaultyBody {
        self.cut_after = Some(bytes);
        self
    }

    /// Stops sending after `bytes` bytes, without ending the body.
    pub(crate) fn stall_after(mut self, bytes: u64) -> FaultyBody {
        self.stall_after = Some(bytes);
        self
    }

    /// Flips every bit of the byte at `offset`.
    pub(crate) fn corrupt_at(mut self, offset: u64) -> FaultyBody {
        self.corrupt_at = Some(offset);
        self
    }

    fn alter(&mut self, data: Bytes) -> Bytes {
        let start = self.sent;
        let limit = match (self.cut_after, self.stall_after) {
            (Some(cut), Some(stall)) => Some(cut.min(stall)),
            (cut, stall) => cut.or(stall),
        };
        let mut data = match limit {
            Some(limit) if start + data.len() as u64 > limit => data.slice(..(limit - start) as usize),
            _ => data,
        };
        if let Some(offset) = self
            .corrupt_at
            .filter(|&o| o >= start && o < start + data.len() as u64)
        {
            let mut bytes = BytesMut::from(&data[..]);
            bytes[(offset - start) as usize] ^= 0xff;
            data = bytes.freeze();
        }
        self.sent += data.len() as u64;
        data
    }
}

/// What the client's side of a cut connection is told (it never sees this text on the wire).
#[derive(Debug)]
struct Cut {
    after: u64,
}

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fault proxy cut the body after {} bytes", self.after)
    }
}

impl std::error::Error for Cut {}

impl Body for FaultyBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        if let Some(after) = self.cut_after.filter(|&limit| self.sent >= limit) {
            let grace = self
                .cut_grace
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(CUT_GRACE)));
            ready!(grace.as_mut().poll(cx));
            return Poll::Ready(Some(Err(Box::new(Cut { after }))));
        }
        if self.stall_after.is_some_and(|limit| self.sent >= limit) {
            // Never woken again: the client sees a transfer that stopped moving.
            return Poll::Pending;
        }
        match ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => {
                    let data = self.alter(data);
                    Poll::Ready(Some(Ok(Frame::data(data))))
                }
                Err(trailers) => Poll::Ready(Some(Ok(trailers))),
            },
            Some(Err(error)) => Poll::Ready(Some(Err(Box::new(error)))),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        // The full length stays announced: a cut body must look like a broken transfer.
        self.inner.size_hint()
    }
}

/// A body that never ends: `head`, then `filler` forever. A client that reads an error body
/// without a cap never gets past it.
pub(crate) struct EndlessBody {
    head: Option<Bytes>,
    filler: Bytes,
}

impl EndlessBody {
    pub(crate) fn new(head: impl Into<Bytes>, filler: Bytes) -> EndlessBody {
        EndlessBody {
            head: Some(head.into()),
            filler,
        }
    }
}

impl Body for EndlessBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let data = self.head.take().unwrap_or_else(|| self.filler.clone());
        Poll::Ready(Some(Ok(Frame::data(data))))
    }
}
