//! Running one command under `/usr/bin/time` and summarising repeated runs.
//!
//! Wall time is taken around the whole child (so it includes process start,
//! which is what a user waits for); peak RSS and CPU time come from GNU
//! time's `%M`, `%U` and `%S` because only the kernel's accounting of the
//! child sees every thread.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// GNU time, the only place peak RSS and CPU time of a child come from without extra crates.
const GNU_TIME: &str = "/usr/bin/time";

/// A program and its arguments, printable as the shell line that reruns it.
#[derive(Debug, Clone)]
pub(crate) struct Invocation {
    program: PathBuf,
    args: Vec<String>,
}

impl Invocation {
    pub(crate) fn new(
        program: impl Into<PathBuf>,
        args: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Invocation {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// Runs it untimed, failing with its stderr; for setup steps.
    pub(crate) fn run(&self) -> Result<(), String> {
        let output = Command::new(&self.program)
            .args(&self.args)
            .output()
            .map_err(|e| format!("cannot run {self}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`{self}` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }

    /// Runs it under GNU time, output discarded, and measures it.
    pub(crate) fn measure(&self, scratch: &Path) -> Result<Sample, String> {
        let rss_file = scratch.join("peak-rss-and-cpu");
        let started = Instant::now();
        let output = Command::new(GNU_TIME)
            .args(["-f", "%M %U %S", "-o"])
            .arg(&rss_file)
            .arg(&self.program)
            .args(&self.args)
            .output()
            .map_err(|e| format!("cannot run {GNU_TIME} {self}: {e}"))?;
        let wall = started.elapsed();
        if !output.status.success() {
            return Err(format!(
                "`{self}` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let written =
            std::fs::read_to_string(&rss_file).map_err(|e| format!("reading {GNU_TIME}'s output: {e}"))?;
        let (peak_rss_kib, cpu) = parse_time_line(&written)
            .ok_or_else(|| format!("{GNU_TIME} wrote {written:?}, not `KIB USER SYS`"))?;
        Ok(Sample {
            wall,
            peak_rss_kib,
            cpu,
        })
    }
}

/// GNU time's last line, `%M %U %S`: peak RSS in KiB, and user plus system CPU time.
fn parse_time_line(written: &str) -> Option<(u64, Duration)> {
    let mut fields = written.lines().last()?.split_whitespace();
    let rss = fields.next()?.parse().ok()?;
    let mut cpu = Duration::ZERO;
    for _ in 0..2 {
        let seconds: f64 = fields.next()?.parse().ok()?;
        cpu += Duration::try_from_secs_f64(seconds).ok()?;
    }
    Some((rss, cpu))
}

impl fmt::Display for Invocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let program = self.program.display().to_string();
        // Show `skiff`, not the target directory it was built in.
        let short = program.rsplit('/').next().unwrap_or(&program);
        write!(f, "{short}")?;
        for arg in &self.args {
            write!(f, " {arg}")?;
        }
        Ok(())
    }
}

/// One measured run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) wall: Duration,
    pub(crate) peak_rss_kib: u64,
    /// User plus system CPU time of the child and its threads.
    pub(crate) cpu: Duration,
}

/// Median, min and max over the runs of one contender.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Summary {
    pub(crate) median: Duration,
    pub(crate) min: Duration,
    pub(crate) max: Duration,
    /// The largest peak RSS seen: memory use is judged by its worst case.
    pub(crate) peak_rss_kib: u64,
    /// The median of the runs' user plus system CPU time.
    pub(crate) cpu: Duration,
    pub(crate) runs: usize,
}

impl Summary {
    /// `None` for no samples.
    pub(crate) fn of(samples: &[Sample]) -> Option<Summary> {
        let mut walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
        walls.sort();
        let n = walls.len();
        if n == 0 {
            return None;
        }
        let median = median_of_sorted(&walls);
        let mut cpus: Vec<Duration> = samples.iter().map(|s| s.cpu).collect();
        cpus.sort();
        Some(Summary {
            median,
            cpu: median_of_sorted(&cpus),
            min: walls[0],
            max: walls[n - 1],
            peak_rss_kib: samples.iter().map(|s| s.peak_rss_kib).max().unwrap_or(0),
            runs: n,
        })
    }
}

/// The middle value of a sorted, non-empty list (the mean of the two middle ones for an even
/// length).
fn median_of_sorted(sorted: &[Duration]) -> Duration {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ms: u64) -> Sample {
        Sample {
            wall: Duration::from_millis(ms),
            peak_rss_kib: ms,
            cpu: Duration::from_millis(ms) / 2,
        }
    }

    #[test]
    fn summary_takes_middle_values_and_extremes() {
        // Walls in ms, and the expected (median, min, max).
        type Case = (&'static [u64], Option<(u64, u64, u64)>);
        let cases: [Case; 4] = [
            (&[], None),
            (&[7], Some((7, 7, 7))),
            (&[30, 10, 20], Some((20, 10, 30))),
            (&[40, 10, 30, 20], Some((25, 10, 40))),
        ];
        for (walls, expected) in cases {
            let samples: Vec<Sample> = walls.iter().copied().map(sample).collect();
            let got = Summary::of(&samples).map(|s| {
                assert_eq!(s.peak_rss_kib, *walls.iter().max().unwrap());
                assert_eq!(s.runs, walls.len());
                assert_eq!(s.cpu, s.median / 2);
                (
                    s.median.as_millis() as u64,
                    s.min.as_millis() as u64,
                    s.max.as_millis() as u64,
                )
            });
            assert_eq!(got, expected, "{walls:?}");
        }
    }

    #[test]
    fn time_lines_give_rss_and_cpu() {
        let cases = [
            ("12345 0.50 0.25\n", Some((12345, Duration::from_millis(750)))),
            (
                "Command exited with non-zero status 1\n7 1.00 0.00\n",
                Some((7, Duration::from_secs(1))),
            ),
            ("12345\n", None),
            ("", None),
            ("1 x 0.1\n", None),
        ];
        for (written, expected) in cases {
            assert_eq!(parse_time_line(written), expected, "{written:?}");
        }
    }

    #[test]
    fn invocation_prints_short_program_and_args() {
        let inv = Invocation::new("/some/target/release/skiff", ["digest", "--blob", "f"]);
        assert_eq!(inv.to_string(), "skiff digest --blob f");
    }
}
