//! A far registry, modelled: a fixed delay on every request before it is passed on and on every
//! answer before it is sent back.

use std::time::Duration;

/// One-way delays the proxy adds to every request it passes on, whatever rule applies to it.
///
/// Each request waits `request` before it goes to the registry and its answer waits `response`
/// before the client gets the headers (the body then streams behind them), so every exchange
/// costs at least `request + response`: one round trip to a registry that far away. The waits
/// are timers on the proxy's runtime, not held threads or locks, so any number of connections
/// wait at once and a connection stays open (keep-alive) across its requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    /// Added between a request's arrival and its forwarding to the registry.
    pub request: Duration,
    /// Added between the registry's answer and its forwarding to the client.
    pub response: Duration,
}

impl Latency {
    /// The same delay `one_way` in both directions.
    pub fn each_way(one_way: Duration) -> Latency {
        Latency {
            request: one_way,
            response: one_way,
        }
    }

    /// What one exchange costs at least: both delays.
    pub fn round_trip(&self) -> Duration {
        self.request + self.response
    }
}
