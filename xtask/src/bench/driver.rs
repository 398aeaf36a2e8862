//! Runs scenarios: contenders alternate within each round (A B A B ...), so
//! load that comes and goes on the machine hits every contender alike; then
//! one extra, untimed run per registry client behind a counting proxy.
//!
//! A scenario with a latency runs every one of its runs, timed or counted,
//! through proxies adding that latency in front of the source and of the
//! destination: two far registries.

use std::path::Path;
use std::time::Instant;

use skiff_integration::{FaultProxy, Latency, Registry, TokenService, TokenUser};

use super::measure::{Sample, Summary};
use super::requests::{Avoidable, RequestCount, TokenExchanges};
use super::scenario::{FreshRegistry, Run, Scenario, Target, Tool};
use super::timeline::{Exchange, Timeline};

/// How one contender did in one scenario.
#[derive(Debug)]
pub(crate) struct ContenderResult {
    pub(crate) tool: Tool,
    pub(crate) summary: Summary,
    /// Requests of the counting run, for registry clients.
    pub(crate) requests: Option<RequestCount>,
    /// Requests it could have done without, when the source and the destination were counted
    /// apart.
    pub(crate) avoidable: Option<Avoidable>,
    /// The counting run's timeline, for scenarios with a latency.
    pub(crate) timeline: Option<Timeline>,
    /// What the counting run asked the token service, for a destination with token auth.
    pub(crate) token_exchanges: Option<TokenExchanges>,
}

/// How one scenario went.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) scenario: String,
    pub(crate) bytes: Option<u64>,
    /// The delays of the far registries, if any.
    pub(crate) latency: Option<Latency>,
    pub(crate) targets: Vec<Target>,
    pub(crate) results: Vec<ContenderResult>,
}

impl Outcome {
    pub(crate) fn result(&self, tool: Tool) -> Option<&ContenderResult> {
        self.results.iter().find(|r| r.tool == tool)
    }
}

/// Runs `scenario` for `rounds` rounds (or its own smaller limit) against
/// `registry`, with scratch directories under `work`.
pub(crate) fn run(
    scenario: &Scenario,
    registry: &Registry,
    rounds: usize,
    work: &Path,
) -> Result<Outcome, String> {
    let rounds = scenario.max_rounds.map_or(rounds, |max| max.min(rounds));
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); scenario.contenders.len()];
    for round in 1..=rounds {
        for (index, contender) in scenario.contenders.iter().enumerate() {
            let scratch = scratch_dir(work)?;
            let endpoints = Endpoints::timed(scenario, registry)?;
            let id = format!("r{round}-{}", contender.tool.slug());
            let run = endpoints.run(scratch.path(), &id);
            let invocation = contender.command(&run);
            if round == 1 {
                eprintln!("  $ {invocation}");
            }
            let sample = invocation.measure(work)?;
            eprintln!(
                "  {} | round {round}/{rounds} | {:<16} {:>9.3} s {:>7} MiB {:>7.3} s CPU",
                scenario.name,
                contender.tool.to_string(),
                sample.wall.as_secs_f64(),
                sample.peak_rss_kib >> 10,
                sample.cpu.as_secs_f64()
            );
            samples[index].push(sample);
        }
    }

    let mut results = Vec::new();
    for (contender, samples) in scenario.contenders.iter().zip(&samples) {
        let summary = Summary::of(samples).ok_or_else(|| format!("{}: no runs", scenario.name))?;
        let counted = if contender.tool.is_registry_client() {
            Some(count_requests(
                scenario,
                index_of(scenario, contender.tool),
                registry,
                work,
            )?)
        } else {
            None
        };
        results.push(ContenderResult {
            tool: contender.tool,
            summary,
            requests: counted.as_ref().map(|c| c.requests),
            avoidable: counted.as_ref().and_then(|c| c.avoidable),
            token_exchanges: counted.as_ref().and_then(|c| c.token_exchanges),
            timeline: counted.and_then(|c| c.timeline),
        });
    }
    Ok(Outcome {
        scenario: scenario.name.clone(),
        bytes: scenario.bytes,
        latency: scenario.latency,
        targets: scenario.targets.clone(),
        results,
    })
}

fn index_of(scenario: &Scenario, tool: Tool) -> usize {
    scenario
        .contenders
        .iter()
        .position(|c| c.tool == tool)
        .unwrap_or_default()
}

/// What the counting run of one contender saw.
struct Counted {
    requests: RequestCount,
    avoidable: Option<Avoidable>,
    timeline: Option<Timeline>,
    token_exchanges: Option<TokenExchanges>,
}

/// Runs contender `index` once more, untimed, with a proxy counting its
/// requests in front of the registry it talks to.
fn count_requests(
    scenario: &Scenario,
    index: usize,
    registry: &Registry,
    work: &Path,
) -> Result<Counted, String> {
    let contender = &scenario.contenders[index];
    let scratch = scratch_dir(work)?;
    let endpoints = Endpoints::counted(scenario, registry)?;
    let id = format!("count-{}", contender.tool.slug());
    let started = Instant::now();
    contender.command(&endpoints.run(scratch.path(), &id)).run()?;
    let wall = started.elapsed();
    let destination = endpoints.destination_proxy.as_ref().map(FaultProxy::requests);
    let source = endpoints.source_proxy.as_ref().map(FaultProxy::requests);
    let all: Vec<_> = destination.iter().chain(&source).flatten().cloned().collect();
    // Apart only when each side has a proxy of its own.
    let avoidable = match (&source, &destination) {
        (Some(source), Some(destination)) => Some(Avoidable::of(source, destination)),
        _ => None,
    };
    let timeline = scenario.latency.map(|_| {
        let proxies: Vec<_> = [&endpoints.source_proxy, &endpoints.destination_proxy]
            .into_iter()
            .flatten()
            .map(|proxy| (proxy.started(), proxy.requests()))
            .collect();
        let timeline = Timeline::of(&Exchange::merge(&proxies, started), wall);
        print_critical_path(scenario, contender.tool, &timeline);
        timeline
    });
    let token_exchanges = endpoints
        .fresh
        .as_ref()
        .and_then(Registry::token_service)
        .map(|service| TokenExchanges::of(&service.requests()));
    Ok(Counted {
        requests: RequestCount::of(&all),
        avoidable,
        timeline,
        token_exchanges,
    })
}

/// The critical path on stderr: the evidence for where a far run's time goes.
fn print_critical_path(scenario: &Scenario, tool: Tool, timeline: &Timeline) {
    eprintln!("  {} | {tool}: {timeline}", scenario.name);
    for exchange in &timeline.critical_path {
        eprintln!(
            "    {:>7.3} s .. {:>7.3} s  {}",
            exchange.arrived.as_secs_f64(),
            exchange.answered.as_secs_f64(),
            exchange.what
        );
    }
}

/// The registries one run talks to, and the proxies in front of them.
///
/// A timed run talks to the registries directly, or, with a latency, through a
/// delaying proxy in front of each side. A counting run always has a proxy in
/// front of the destination, and one in front of the source too when the
/// destination is another registry or the scenario has a latency (each side
/// is then counted apart).
struct Endpoints {
    /// A registry of the run's own to write to, for scenarios that want one; held so that it
    /// lives as long as the run.
    fresh: Option<Registry>,
    /// An auth file with the fresh registry's credentials, when it has any; removed with it.
    authfile: Option<tempfile::NamedTempFile>,
    source_proxy: Option<FaultProxy>,
    destination_proxy: Option<FaultProxy>,
    source: String,
    destination: String,
}

impl Endpoints {
    fn timed(scenario: &Scenario, registry: &Registry) -> Result<Endpoints, String> {
        Endpoints::start(scenario, registry, scenario.latency.is_some())
    }

    fn counted(scenario: &Scenario, registry: &Registry) -> Result<Endpoints, String> {
        Endpoints::start(scenario, registry, true)
    }

    fn start(scenario: &Scenario, registry: &Registry, proxied: bool) -> Result<Endpoints, String> {
        let fresh = match scenario.fresh_registry {
            FreshRegistry::None => None,
            FreshRegistry::Anonymous => Some(Registry::anonymous()),
            FreshRegistry::Token => {
                let service = TokenService::builder()
                    .user(TokenUser::admin(BENCH_USER.0, BENCH_USER.1))
                    .start();
                Some(Registry::builder().token(&service).start())
            }
        };
        let written = fresh.as_ref().unwrap_or(registry);
        let proxy = |behind: &Registry| {
            let proxy = FaultProxy::start(behind);
            if let Some(latency) = scenario.latency {
                proxy.set_latency(latency);
            }
            proxy
        };
        let destination_proxy = proxied.then(|| proxy(written));
        let source_proxy =
            (proxied && (fresh.is_some() || scenario.latency.is_some())).then(|| proxy(registry));
        let address = |proxy: &Option<FaultProxy>, direct: &Registry| {
            proxy
                .as_ref()
                .map_or_else(|| direct.addr().to_owned(), FaultProxy::addr)
        };
        let destination = address(&destination_proxy, written);
        // Without a proxy of its own the source is the destination's registry, through its proxy.
        let source = match (&source_proxy, fresh.is_some()) {
            (Some(proxy), _) => proxy.addr(),
            (None, false) => destination.clone(),
            (None, true) => registry.addr().to_owned(),
        };
        // The credentials are filed under the address the tools are given: the proxy's, when
        // the destination is behind one.
        let authfile = match fresh.as_ref().and_then(Registry::credentials) {
            Some(user) => {
                let file =
                    tempfile::NamedTempFile::new().map_err(|e| format!("creating a temp file: {e}"))?;
                std::fs::write(file.path(), user.auth_file(&destination))
                    .map_err(|e| format!("writing {}: {e}", file.path().display()))?;
                Some(file)
            }
            None => None,
        };
        Ok(Endpoints {
            fresh,
            authfile,
            source_proxy,
            destination_proxy,
            source,
            destination,
        })
    }

    fn run<'a>(&'a self, scratch: &'a Path, id: &'a str) -> Run<'a> {
        Run {
            source: &self.source,
            destination: &self.destination,
            scratch,
            id,
            authfile: self.authfile.as_ref().map(tempfile::NamedTempFile::path),
        }
    }
}

/// The user both tools log in as to a fresh registry with token auth.
const BENCH_USER: (&str, &str) = ("bench", "bench-password");

fn scratch_dir(work: &Path) -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(work)
        .map_err(|e| format!("creating a scratch dir in {}: {e}", work.display()))
}
