//! The Markdown report: machine, command, results and targets, written
//! between two markers in `docs/PERFORMANCE.md` so the prose around it stays.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::driver::Outcome;
use super::scenario::{Target, Tool};

pub(crate) const START_MARKER: &str = "<!-- bench:start -->";
pub(crate) const END_MARKER: &str = "<!-- bench:end -->";

/// What the numbers were measured on.
#[derive(Debug)]
pub(crate) struct Machine {
    pub(crate) cpus: usize,
    pub(crate) cpu_model: String,
    pub(crate) memory: String,
    pub(crate) load_before: String,
    pub(crate) versions: Vec<String>,
}

impl Machine {
    /// Reads the machine's description; `skiff` is the binary measured.
    pub(crate) fn describe(skiff: &Path) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let versions = [
            (skiff.display().to_string(), vec!["--version"]),
            ("skopeo".to_owned(), vec!["--version"]),
            ("docker-registry".to_owned(), vec!["--version"]),
            ("curl".to_owned(), vec!["--version"]),
            ("openssl".to_owned(), vec!["version"]),
        ]
        .into_iter()
        .filter_map(|(program, args)| first_line_of(&program, &args))
        .collect();
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model: proc_field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".to_owned()),
            memory: proc_field(&meminfo, "MemTotal").unwrap_or_else(|| "unknown".to_owned()),
            load_before: load_average(),
            versions,
        }
    }
}

/// The 1, 5 and 15 minute load averages.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn first_line_of(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

/// The value of `key` in a `/proc` file of `key : value` lines.
fn proc_field(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == key).then(|| value.trim().to_owned())
    })
}

/// The whole generated section.
pub(crate) fn render(
    machine: &Machine,
    command: &str,
    rounds: usize,
    load_after: &str,
    outcomes: &[Outcome],
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Command: `{command}` ({rounds} rounds, contenders alternating within each round).\n"
    );
    let _ = writeln!(
        out,
        "Machine: {} CPUs ({}), {} memory; load average {} before, {} after.  ",
        machine.cpus, machine.cpu_model, machine.memory, machine.load_before, load_after
    );
    let _ = writeln!(out, "Versions: {}.\n", machine.versions.join("; "));
    out.push_str(&results_table(outcomes));
    out.push('\n');
    out.push_str(&targets_table(outcomes));
    // The exact commands hold temp-dir paths and, for curl, hundreds of URLs:
    // the scenario table above the markers gives their shape instead.
    out
}

fn results_table(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "| scenario | tool | runs | median | min | max | skiff's speed-up (median) | throughput (median / best) | peak RSS | CPU (user+sys, median) | HTTP requests |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
    );
    for outcome in outcomes {
        let skiff = outcome.result(Tool::Skiff);
        for result in &outcome.results {
            let s = &result.summary;
            let throughput = outcome.bytes.map_or_else(
                || "-".to_owned(),
                |bytes| format!("{} / {}", mib_per_s(bytes, s.median), mib_per_s(bytes, s.min)),
            );
            let speed_up = match skiff {
                Some(skiff) if result.tool != Tool::Skiff => {
                    format!("{:.2}x", ratio(s.median, skiff.summary.median))
                }
                _ => "-".to_owned(),
            };
            let requests = result.requests.map_or_else(|| "-".to_owned(), |r| r.to_string());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {speed_up} | {throughput} | {} MiB | {} | {requests} |",
                outcome.scenario,
                result.tool,
                s.runs,
                seconds(s.median),
                seconds(s.min),
                seconds(s.max),
                s.peak_rss_kib >> 10,
                seconds(s.cpu),
            );
        }
    }
    out
}

fn targets_table(outcomes: &[Outcome]) -> String {
    let mut out = String::from("| scenario | target | measured | verdict |\n| --- | --- | --- | --- |\n");
    for outcome in outcomes {
        for target in &outcome.targets {
            let (measured, verdict) = judge(outcome, target, outcomes)
                .unwrap_or_else(|| ("not measured".to_owned(), "-".to_owned()));
            let _ = writeln!(
                out,
                "| {} | {target} | {measured} | {verdict} |",
                outcome.scenario
            );
        }
    }
    out
}

/// What was measured for `target`, and whether it is met.
fn judge(outcome: &Outcome, target: &Target, all: &[Outcome]) -> Option<(String, String)> {
    let skiff = outcome.result(Tool::Skiff)?;
    match target {
        Target::Speed { versus, factor } => {
            let other = outcome.result(*versus)?;
            let by_median = ratio(other.summary.median, skiff.summary.median);
            let by_min = ratio(other.summary.min, skiff.summary.min);
            let measured = format!("{by_median:.2}x by median, {by_min:.2}x by min");
            Some((measured, speed_verdict(by_median, by_min, *factor)))
        }
        Target::UnderMillis(limit) => {
            let min = skiff.summary.min.as_secs_f64() * 1e3;
            let median = skiff.summary.median.as_secs_f64() * 1e3;
            let measured =
                format!("{median:.1} ms median, {min:.1} ms min (includes fork/exec of /usr/bin/time)");
            Some((measured, met_or_missed(min < *limit as f64, min / *limit as f64)))
        }
        Target::RssNotAbove(versus) => {
            let other = outcome.result(*versus)?;
            let (mine, theirs) = (skiff.summary.peak_rss_kib, other.summary.peak_rss_kib);
            let measured = format!("{} MiB vs {} MiB", mine >> 10, theirs >> 10);
            Some((
                measured,
                met_or_missed(mine <= theirs, mine as f64 / theirs.max(1) as f64),
            ))
        }
        Target::WarmCopy { max_heads } => {
            let r = skiff.requests?;
            let met = r.heads <= *max_heads && r.blob_gets == 0 && r.uploads == 0;
            Some((
                format!("skiff {r}"),
                met_or_missed(met, r.heads as f64 / *max_heads as f64),
            ))
        }
        Target::MountsAll { blobs } => {
            let r = skiff.requests?;
            let met = r.mounts == *blobs && r.uploads == r.mounts && r.blob_gets == 0;
            Some((
                format!("skiff {r}"),
                if met {
                    "met".to_owned()
                } else {
                    "missed".to_owned()
                },
            ))
        }
        Target::RequestsPerImage { images } => {
            let per_image = |tool: Tool| {
                outcome
                    .result(tool)
                    .and_then(|r| r.requests)
                    .map(|r| format!("{tool} {:.1}", r.total as f64 / (*images).max(1) as f64))
            };
            let measured: Vec<String> = [Tool::Skiff, Tool::Skopeo]
                .into_iter()
                .filter_map(per_image)
                .collect();
            Some((measured.join(", "), "reported".to_owned()))
        }
        Target::NearLowerBound { factor, depth } => {
            let timeline = skiff.timeline.as_ref()?;
            let round_trip = outcome.latency?.round_trip();
            let bound = timeline.lower_bound(round_trip, *depth);
            let over = ratio(skiff.summary.median, bound);
            let path = round_trip * timeline.critical_path.len() as u32;
            let measured = format!(
                "{} median = {over:.2}x of {} ({timeline}; the critical path alone {})",
                seconds(skiff.summary.median),
                seconds(bound),
                seconds(path)
            );
            Some((measured, met_or_missed(over <= *factor, over / factor)))
        }
        Target::NoAvoidableRequests => {
            let mine = skiff.avoidable?;
            let theirs = outcome
                .result(Tool::Skopeo)
                .and_then(|r| r.avoidable)
                .map_or_else(String::new, |a| format!("; skopeo {}", describe_avoidable(&a)));
            let measured = format!("skiff {}{theirs}", describe_avoidable(&mine));
            let verdict = if mine.none() { "met" } else { "missed" };
            Some((measured, verdict.to_owned()))
        }
        Target::TokenOncePerScope => {
            let mine = skiff.token_exchanges?;
            let theirs = outcome
                .result(Tool::Skopeo)
                .and_then(|r| r.token_exchanges)
                .map_or_else(String::new, |t| format!("; skopeo {t}"));
            let verdict = if mine.repeated() == 0 { "met" } else { "missed" };
            Some((format!("skiff {mine}{theirs}"), verdict.to_owned()))
        }
        Target::CpuPerGib { versus, factor } => {
            let gib = outcome.bytes? as f64 / (1u64 << 30) as f64;
            let other = outcome.result(*versus)?;
            let per_gib = |r: &super::driver::ContenderResult| r.summary.cpu.as_secs_f64() / gib;
            let (mine, theirs) = (per_gib(skiff), per_gib(other));
            let share = mine / theirs.max(1e-9);
            let measured = format!("skiff {mine:.2} s/GiB, {versus} {theirs:.2} s/GiB ({share:.2}x)");
            Some((measured, met_or_missed(share <= *factor, share / factor)))
        }
        Target::RssCloseTo { baseline, factor } => {
            let base = all
                .iter()
                .find(|o| &o.scenario == baseline)?
                .result(Tool::Skiff)?;
            let (mine, theirs) = (skiff.summary.peak_rss_kib, base.summary.peak_rss_kib);
            let measured = format!("{} MiB vs {} MiB", mine >> 10, theirs >> 10);
            let ratio = mine as f64 / theirs.max(1) as f64;
            Some((measured, met_or_missed(ratio <= *factor, ratio / factor)))
        }
    }
}

fn describe_avoidable(avoidable: &super::requests::Avoidable) -> String {
    if avoidable.none() {
        "none".to_owned()
    } else {
        avoidable.to_string()
    }
}

/// How many times faster skiff was: `theirs / mine`.
fn ratio(theirs: Duration, mine: Duration) -> f64 {
    theirs.as_secs_f64() / mine.as_secs_f64().max(1e-9)
}

fn speed_verdict(by_median: f64, by_min: f64, factor: f64) -> String {
    match (by_median >= factor, by_min >= factor) {
        (true, true) => "met".to_owned(),
        (false, true) => format!(
            "met by min; missed by median ({:.0}% short)",
            shortfall(by_median, factor)
        ),
        (true, false) => format!(
            "met by median; missed by min ({:.0}% short)",
            shortfall(by_min, factor)
        ),
        (false, false) => format!("missed ({:.0}% short by median)", shortfall(by_median, factor)),
    }
}

fn shortfall(achieved: f64, wanted: f64) -> f64 {
    (1.0 - achieved / wanted) * 100.0
}

/// `over` is measured / allowed, for saying by how much a target is missed.
fn met_or_missed(met: bool, over: f64) -> String {
    if met {
        "met".to_owned()
    } else {
        format!("missed ({:.0}% over)", (over - 1.0) * 100.0)
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn mib_per_s(bytes: u64, d: Duration) -> String {
    format!(
        "{:.0} MiB/s",
        bytes as f64 / 1_048_576.0 / d.as_secs_f64().max(1e-9)
    )
}

/// Puts `section` between the `(start, end)` markers of `doc`, adding the
/// markers at the end when the document has none yet.
pub(crate) fn splice(doc: &str, section: &str, (start_marker, end_marker): (&str, &str)) -> String {
    let body = format!("{start_marker}\n{section}{end_marker}");
    match (doc.find(start_marker), doc.find(end_marker)) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{body}{}", &doc[..start], &doc[end + end_marker.len()..])
        }
        _ => format!("{doc}\n## End-to-end results\n\n{body}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_replaces_between_markers_or_appends() {
        let cases = [
            (
                "# P\n<!-- bench:start -->\nold\n<!-- bench:end -->\ntail\n",
                "# P\n<!-- bench:start -->\nnew\n<!-- bench:end -->\ntail\n",
            ),
            (
                "# P\n",
                "# P\n\n## End-to-end results\n\n<!-- bench:start -->\nnew\n<!-- bench:end -->\n",
            ),
        ];
        for (doc, expected) in cases {
            assert_eq!(
                splice(doc, "new\n", (START_MARKER, END_MARKER)),
                expected,
                "{doc:?}"
            );
        }
    }

    #[test]
    fn proc_fields_are_found_by_key() {
        let text = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nMemTotal:       24000000 kB\n";
        let cases = [
            ("model name", Some("AMD EPYC 7B13")),
            ("MemTotal", Some("24000000 kB")),
            ("nope", None),
        ];
        for (key, expected) in cases {
            assert_eq!(proc_field(text, key).as_deref(), expected, "{key}");
        }
    }

    #[test]
    fn speed_verdicts_name_the_shortfall() {
        let cases = [
            (2.0, 2.0, "met"),
            (1.2, 1.6, "met by min; missed by median (20% short)"),
            (0.75, 0.75, "missed (50% short by median)"),
        ];
        for (median, min, expected) in cases {
            assert_eq!(speed_verdict(median, min, 1.5), expected);
        }
    }
}
