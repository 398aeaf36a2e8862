//! Every deadline of a client, in one place: no wait on a registry, CDN or token service is
//! without one.
//!
//! - `stall`: the longest wait for a response head or for the next chunk of any body.
//! - `read`: the total time a bounded read (manifest, config, token answer, error body, tag or
//!   catalog page) may take, however steadily its bytes trickle in.
//! - `min_rate` over `rate_window`: a blob stream, which may be long, fails when it averages
//!   fewer bytes per second than this over a window.
//! - `reach`: the total time to reach a registry the first time (scheme discovery, with every
//!   retry of an attempt that got no answer).

use std::future::Future;
use std::time::Duration;

use crate::error::Error;

/// The deadlines a client works under; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    stall: Duration,
    read: Duration,
    min_rate: u64,
    rate_window: Duration,
    reach: Duration,
}

impl Default for Timeouts {
    /// Stall 60 s, bounded reads 60 s in total, blob streams at least 1 KiB/s averaged over
    /// 60 s, reaching a registry 30 s.
    fn default() -> Timeouts {
        Timeouts {
            stall: Duration::from_secs(60),
            read: Duration::from_secs(60),
            min_rate: 1024,
            rate_window: Duration::from_secs(60),
            reach: Duration::from_secs(30),
        }
    }
}

impl Timeouts {
    /// The longest wait for a response head or the next chunk of a body.
    pub fn with_stall(mut self, stall: Duration) -> Timeouts {
        self.stall = stall;
        self
    }

    /// The total time a bounded read may take.
    pub fn with_read(mut self, read: Duration) -> Timeouts {
        self.read = read;
        self
    }

    /// The lowest rate, in bytes per second averaged over `window`, a body may arrive at
    /// (0: no minimum).
    pub fn with_min_rate(mut self, bytes_per_second: u64, window: Duration) -> Timeouts {
        self.min_rate = bytes_per_second;
        self.rate_window = window.max(Duration::from_millis(1));
        self
    }

    /// The total time to reach a registry the first time.
    pub fn with_reach(mut self, reach: Duration) -> Timeouts {
        self.reach = reach;
        self
    }

    /// See [`Timeouts::with_stall`].
    pub fn stall(&self) -> Duration {
        self.stall
    }

    /// See [`Timeouts::with_read`].
    pub fn read(&self) -> Duration {
        self.read
    }

    /// See [`Timeouts::with_min_rate`]: bytes per second, and the window.
    pub fn min_rate(&self) -> (u64, Duration) {
        (self.min_rate, self.rate_window)
    }

    /// See [`Timeouts::with_reach`].
    pub fn reach(&self) -> Duration {
        self.reach
    }
}

/// `read`, a bounded read of the response from `url`, failing with [`Error::ReadDeadline`]
/// when it has not completed within `deadline`.
pub(crate) async fn bounded_read<T>(
    deadline: Duration,
    url: String,
    read: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::time::timeout(deadline, read)
        .await
        .map_err(|_| Error::ReadDeadline { url, after: deadline })?
}
