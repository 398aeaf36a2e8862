//! A response body sent one byte at a time with a pause between bytes: a transfer that never
//! stalls long enough for an idle timeout, yet never ends in useful time.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use crate::serve::BodyError;

pub(crate) struct TrickleBody {
    rest: Bytes,
    every: Duration,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl TrickleBody {
    pub(crate) fn new(bytes: Bytes, every: Duration) -> TrickleBody {
        TrickleBody {
            rest: bytes,
            every,
            pause: None,
        }
    }
}

impl Body for TrickleBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        let every = self.every;
        // The first byte goes at once; each later one waits its pause.
        if let Some(pause) = self.pause.as_mut() {
            ready!(pause.as_mut().poll(cx));
        }
        self.pause = Some(Box::pin(tokio::time::sleep(every)));
        let byte = self.rest.split_to(1);
        Poll::Ready(Some(Ok(Frame::data(byte))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len() as u64)
    }
}
