//! Runs scenarios: contenders alternate within each round (A B A B ...), so
//! load that comes and goes on the machine hits every contender alike; then
//! one extra, untimed run per registry client behind a counting proxy.

use std::path::Path;

use skiff_integration::{FaultProxy, Registry};

use super::measure::{Sample, Summary};
use super::requests::RequestCount;
use super::scenario::{Run, Scenario, Target, Tool};

/// How one contender did in one scenario.
#[derive(Debug)]
pub(crate) struct ContenderResult {
    pub(crate) tool: Tool,
    pub(crate) summary: Summary,
    /// Requests of the counting run, for registry clients.
    pub(crate) requests: Option<RequestCount>,
}

/// How one scenario went.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) scenario: String,
    pub(crate) bytes: Option<u64>,
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
            let fresh = scenario.fresh_registry.then(Registry::anonymous);
            let destination = fresh.as_ref().unwrap_or(registry).addr().to_owned();
            let id = format!("r{round}-{}", contender.tool.slug());
            let run = Run {
                source: registry.addr(),
                destination: &destination,
                scratch: scratch.path(),
                id: &id,
            };
            let invocation = contender.command(&run);
            if round == 1 {
                eprintln!("  $ {invocation}");
            }
            let sample = invocation.measure(work)?;
            eprintln!(
                "  {} | round {round}/{rounds} | {:<16} {:>9.3} s {:>7} MiB",
                scenario.name,
                contender.tool.to_string(),
                sample.wall.as_secs_f64(),
                sample.peak_rss_kib >> 10
            );
            samples[index].push(sample);
        }
    }

    let mut results = Vec::new();
    for (contender, samples) in scenario.contenders.iter().zip(&samples) {
        let summary = Summary::of(samples).ok_or_else(|| format!("{}: no runs", scenario.name))?;
        let requests = if contender.tool.is_registry_client() {
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
            requests,
        });
    }
    Ok(Outcome {
        scenario: scenario.name.clone(),
        bytes: scenario.bytes,
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

/// Runs contender `index` once more, untimed, with a proxy counting its
/// requests in front of the registry it talks to.
fn count_requests(
    scenario: &Scenario,
    index: usize,
    registry: &Registry,
    work: &Path,
) -> Result<RequestCount, String> {
    let contender = &scenario.contenders[index];
    let scratch = scratch_dir(work)?;
    let fresh = scenario.fresh_registry.then(Registry::anonymous);
    let proxy = FaultProxy::start(fresh.as_ref().unwrap_or(registry));
    let proxied = proxy.addr();
    // With a fresh destination the source registry gets a proxy of its own, so both sides
    // are counted (a pushed image comes from a layout: its source proxy sees nothing).
    let source_proxy = fresh.is_some().then(|| FaultProxy::start(registry));
    let source = source_proxy
        .as_ref()
        .map_or_else(|| proxied.clone(), FaultProxy::addr);
    let id = format!("count-{}", contender.tool.slug());
    let run = Run {
        source: &source,
        destination: &proxied,
        scratch: scratch.path(),
        id: &id,
    };
    contender.command(&run).run()?;
    let mut seen = proxy.requests();
    if let Some(source_proxy) = &source_proxy {
        seen.extend(source_proxy.requests());
    }
    Ok(RequestCount::of(&seen))
}

fn scratch_dir(work: &Path) -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(work)
        .map_err(|e| format!("creating a scratch dir in {}: {e}", work.display()))
}
