//! A run's requests on one clock, as the proxies in front of a far registry saw them: how many
//! were in flight at once, which round trips had to wait for each other, and the lower bound on
//! wall time they imply.

use std::fmt;
use std::time::{Duration, Instant};

use skiff_integration::{Route, SeenRequest};

/// One exchange: when it reached a proxy and when its answer left, on a shared clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exchange {
    /// `METHOD ROUTE` and the path, for printing a critical path.
    pub(crate) what: String,
    pub(crate) arrived: Duration,
    pub(crate) answered: Duration,
}

impl Exchange {
    /// The exchanges proxies saw, each proxy's record with the instant it started, on the clock
    /// of `epoch` (the start of the run). A request without an answer counts as answered when
    /// it arrived.
    pub(crate) fn merge(proxies: &[(Instant, Vec<SeenRequest>)], epoch: Instant) -> Vec<Exchange> {
        let since = |instant: Instant| instant.saturating_duration_since(epoch);
        let mut all: Vec<Exchange> = proxies
            .iter()
            .flat_map(|(started, seen)| {
                seen.iter().map(move |request| {
                    let arrived = *started + request.arrived;
                    let answered = request.answered.map_or(arrived, |a| *started + a);
                    Exchange {
                        what: describe(request),
                        arrived: since(arrived),
                        answered: since(answered),
                    }
                })
            })
            .collect();
        all.sort_by_key(|e| e.arrived);
        all
    }
}

fn describe(request: &SeenRequest) -> String {
    let route = match request.route {
        Route::Ping => "ping",
        Route::Catalog => "catalog",
        Route::Tags => "tags",
        Route::Manifest => "manifest",
        Route::Blob => "blob",
        Route::Upload => "upload",
        Route::Referrers => "referrers",
        _ => "other",
    };
    let path: String = request.path.chars().take(72).collect();
    format!("{} {route} {path}", request.method)
}

/// What a run's timeline says about its round trips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Timeline {
    /// Requests, through every proxy.
    pub(crate) requests: usize,
    /// The most requests in flight at one instant.
    pub(crate) peak_in_flight: usize,
    /// The longest chain of requests each of which arrived after the one before it was
    /// answered: round trips that happened one after another, oldest first.
    pub(crate) critical_path: Vec<Exchange>,
    /// From the start of the run to its first request: start-up and connection set-up.
    pub(crate) before_first: Duration,
    /// From the last answer to the end of the run: what the client did with the last bytes.
    pub(crate) after_last: Duration,
}

impl Timeline {
    /// The timeline of a run of `wall` whose `exchanges` are on the run's clock.
    pub(crate) fn of(exchanges: &[Exchange], wall: Duration) -> Timeline {
        let first = exchanges.iter().map(|e| e.arrived).min().unwrap_or(wall);
        let last = exchanges.iter().map(|e| e.answered).max().unwrap_or(wall);
        Timeline {
            requests: exchanges.len(),
            peak_in_flight: peak_in_flight(exchanges),
            critical_path: critical_path(exchanges),
            before_first: first.min(wall),
            after_last: wall.saturating_sub(last),
        }
    }

    /// The least wall time a run with these requests and this concurrency can take when every
    /// exchange costs `round_trip`: `round_trip x max(depth, requests / peak in flight)`, where
    /// `depth` is the number of round trips the protocol makes wait for each other. With at most
    /// P requests in flight and each lasting a round trip, N requests need N / P round trips;
    /// and no schedule beats the chain of requests that need the answer of the one before.
    pub(crate) fn lower_bound(&self, round_trip: Duration, depth: usize) -> Duration {
        let waves = self.requests as f64 / self.peak_in_flight.max(1) as f64;
        round_trip.mul_f64(waves.max(depth as f64))
    }
}

/// The largest number of exchanges in flight at once (an answer leaving at the instant another
/// request arrives does not overlap it).
fn peak_in_flight(exchanges: &[Exchange]) -> usize {
    // (instant, +1 arrival / -1 answer); answers sort first at equal instants.
    let mut events: Vec<(Duration, i32)> = exchanges
        .iter()
        .flat_map(|e| [(e.arrived, 1), (e.answered, -1)])
        .collect();
    events.sort();
    let (mut now, mut peak) = (0i32, 0i32);
    for (_, change) in events {
        now += change;
        peak = peak.max(now);
    }
    peak as usize
}

/// The most exchanges that happened strictly one after another: the classic earliest-answer-first
/// choice of non-overlapping intervals, which finds a longest such chain.
fn critical_path(exchanges: &[Exchange]) -> Vec<Exchange> {
    let mut by_answer: Vec<&Exchange> = exchanges.iter().collect();
    by_answer.sort_by_key(|e| e.answered);
    let mut chain: Vec<Exchange> = Vec::new();
    for exchange in by_answer {
        if chain.last().is_none_or(|last| exchange.arrived >= last.answered) {
            chain.push(exchange.clone());
        }
    }
    chain
}

impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests, at most {} in flight, critical path {} round trips; first request after {} ms, {} ms after the last answer",
            self.requests,
            self.peak_in_flight,
            self.critical_path.len(),
            self.before_first.as_millis(),
            self.after_last.as_millis()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(arrived: u64, answered: u64) -> Exchange {
        Exchange {
            what: format!("{arrived}-{answered}"),
            arrived: Duration::from_millis(arrived),
            answered: Duration::from_millis(answered),
        }
    }

    #[test]
    fn concurrency_and_critical_path_come_from_the_intervals() {
        // A ping, then three blobs at once, then two more after the first blob, then a manifest.
        let exchanges = [
            exchange(0, 50),
            exchange(50, 100),
            exchange(51, 110),
            exchange(52, 120),
            exchange(100, 150),
            exchange(101, 160),
            exchange(160, 210),
        ];
        let timeline = Timeline::of(&exchanges, Duration::from_millis(230));
        assert_eq!(timeline.requests, 7);
        assert_eq!(timeline.before_first, Duration::ZERO);
        assert_eq!(timeline.after_last, Duration::from_millis(20));
        // 51-110 and 52-120 overlap 100-150 and 101-160: four at once.
        assert_eq!(timeline.peak_in_flight, 4);
        let path: Vec<&str> = timeline.critical_path.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(path, ["0-50", "50-100", "100-150", "160-210"]);
        // 7 requests, 4 at once: 1.75 round trips; a protocol depth of 3 bounds it instead.
        let rtt = Duration::from_millis(50);
        assert_eq!(timeline.lower_bound(rtt, 1), Duration::from_micros(87_500));
        assert_eq!(timeline.lower_bound(rtt, 3), Duration::from_millis(150));
        let empty = Timeline::of(&[], Duration::from_millis(10));
        assert_eq!(empty.lower_bound(rtt, 2), Duration::from_millis(100));
        assert_eq!(
            (empty.before_first, empty.after_last),
            (Duration::from_millis(10), Duration::ZERO)
        );
    }
}
