//! Progress on stderr. Pull, push and copy: a bar per blob and a total when stderr is a
//! terminal, one plain line per finished blob otherwise. Sync: one bar of images done out of
//! the total with the bytes moved and the rate on a terminal, one plain line per image
//! otherwise. Nothing with `-q`. A sync's lines hold registries' words (error messages), so each
//! is redacted and shown as one line with control characters escaped: the terminal is never
//! handed a registry's escape sequence.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use oci_digest::Digest;
use registry_client::image::{BlobOutcome, NoProgress, Progress};
use registry_client::sync::{ImageResult, SyncProgress};

use crate::failure::one_line;

/// The progress reporter for the flags and for where stderr goes.
pub(crate) fn reporter(quiet: bool) -> Arc<dyn Progress> {
    if quiet {
        Arc::new(NoProgress)
    } else if std::io::stderr().is_terminal() {
        Arc::new(Bars::new())
    } else {
        Arc::new(Lines)
    }
}

/// The first 12 hex digits, as `docker` shows layer IDs.
fn short(digest: &Digest) -> &str {
    let encoded = digest.encoded();
    &encoded[..encoded.len().min(12)]
}

fn outcome_text(outcome: BlobOutcome) -> &'static str {
    match outcome {
        BlobOutcome::Transferred => "copied",
        BlobOutcome::AlreadyPresent => "already there",
        BlobOutcome::Mounted => "mounted",
        _ => "done",
    }
}

/// One line per blob, for logs and pipes.
struct Lines;

impl Progress for Lines {
    fn blob_done(&self, digest: &Digest, outcome: BlobOutcome) {
        eprintln!("blob {}: {}", short(digest), outcome_text(outcome));
    }
}

/// Bars on a terminal: one per blob in flight and a total of bytes.
struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    blobs: Mutex<HashMap<Digest, ProgressBar>>,
}

impl Bars {
    fn new() -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let total = multi.add(ProgressBar::new(0));
        total.set_style(bar_style("total"));
        Bars {
            multi,
            total,
            blobs: Mutex::new(HashMap::new()),
        }
    }
}

fn bar_style(prefix: &str) -> ProgressStyle {
    let template =
        format!("{prefix:>12} {{msg:14}} [{{bar:30}}] {{bytes}}/{{total_bytes}} {{bytes_per_sec}}");
    ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Progress for Bars {
    fn blob_started(&self, digest: &Digest, size: Option<u64>) {
        let bar = self
            .multi
            .insert_before(&self.total, ProgressBar::new(size.unwrap_or(0)));
        bar.set_style(bar_style(short(digest)));
        self.total.inc_length(size.unwrap_or(0));
        self.blobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(digest.clone(), bar);
    }

    fn blob_progress(&self, digest: &Digest, bytes: u64) {
        if let Some(bar) = self
            .blobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(digest)
        {
            bar.inc(bytes);
        }
        self.total.inc(bytes);
    }

    fn blob_done(&self, digest: &Digest, outcome: BlobOutcome) {
        let bar = self
            .blobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(digest);
        if let Some(bar) = bar {
            if outcome != BlobOutcome::Transferred {
                // Bytes that did not move still count as done in the total.
                self.total
                    .inc(bar.length().unwrap_or(0).saturating_sub(bar.position()));
            }
            bar.finish_with_message(outcome_text(outcome));
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.total.finish();
    }
}

/// A sync's progress and its stdout lines: `STATUS<TAB>SOURCE<TAB>DESTINATION<TAB>DIGEST` per
/// image as it finishes (a closed stdout is remembered and reported at the end).
pub(crate) struct SyncDisplay {
    display: SyncView,
    total: AtomicUsize,
    done: AtomicUsize,
    bytes: AtomicU64,
    started: Instant,
    stdout_failed: Mutex<Option<std::io::Error>>,
}

/// Where a sync's progress goes.
enum SyncView {
    Quiet,
    Lines,
    Bar(ProgressBar),
}

impl SyncDisplay {
    /// The display for the flags and for where stderr goes.
    pub(crate) fn new(quiet: bool) -> SyncDisplay {
        let display = if quiet {
            SyncView::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("sync [{bar:30}] {pos}/{len} images {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            SyncView::Bar(bar)
        } else {
            SyncView::Lines
        };
        SyncDisplay {
            display,
            total: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            started: Instant::now(),
            stdout_failed: Mutex::new(None),
        }
    }

    /// The first failure writing to stdout, if any.
    pub(crate) fn stdout_error(&self) -> Option<std::io::Error> {
        self.stdout_failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// `12.0 MiB, 3.1 MiB/s`.
    fn rate(&self) -> String {
        let bytes = self.bytes.load(Ordering::Relaxed);
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        format!(
            "{}, {}/s",
            HumanBytes(bytes),
            HumanBytes((bytes as f64 / seconds) as u64)
        )
    }

    /// Prints `fields` to stdout as one line of tab-separated fields.
    fn print(&self, fields: &[&str]) {
        use std::io::Write as _;
        let line: Vec<String> = fields.iter().map(|field| shown(field)).collect();
        let write = || writeln!(std::io::stdout().lock(), "{}", line.join("\t"));
        let written = match &self.display {
            SyncView::Bar(bar) => bar.suspend(write),
            _ => write(),
        };
        if let Err(error) = written {
            let mut failed = self.stdout_failed.lock().unwrap_or_else(PoisonError::into_inner);
            failed.get_or_insert(error);
        }
    }
}

impl SyncProgress for SyncDisplay {
    fn planned(&self, images: usize) {
        self.total.store(images, Ordering::Relaxed);
        if let SyncView::Bar(bar) = &self.display {
            bar.set_length(images as u64);
        }
    }

    fn bytes(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        if let SyncView::Bar(bar) = &self.display {
            bar.set_message(self.rate());
        }
    }

    fn image_done(&self, result: &ImageResult) {
        let digest = result.digest().map(ToString::to_string).unwrap_or_default();
        self.print(&[
            result.status().as_str(),
            result.source(),
            result.destination(),
            &digest,
        ]);
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.load(Ordering::Relaxed);
        match &self.display {
            SyncView::Quiet => {
                if let Some(error) = result.error() {
                    eprintln!("{}", shown(&format!("sync: failed {}: {error}", result.source())));
                }
            }
            SyncView::Lines => {
                let error = result.error().map(|e| format!(": {e}")).unwrap_or_default();
                eprintln!(
                    "{}",
                    shown(&format!(
                        "sync: {done}/{total} images, {}: {} {}{error}",
                        self.rate(),
                        result.status(),
                        result.source()
                    ))
                );
            }
            SyncView::Bar(bar) => {
                if let Some(error) = result.error() {
                    bar.println(shown(&format!("failed {}: {error}", result.source())));
                }
                bar.set_position(done as u64);
                bar.set_message(self.rate());
            }
        }
    }
}

/// `text` as a sync shows it: secrets redacted, one line, control characters escaped.
fn shown(text: &str) -> String {
    one_line(&registry_auth::redact(text))
}

impl Drop for SyncDisplay {
    fn drop(&mut self) {
        if let SyncView::Bar(bar) = &self.display {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_named_by_their_short_digest() {
        let digest = Digest::sha256(b"");
        assert_eq!(short(&digest), "e3b0c44298fc");
        assert_eq!(outcome_text(BlobOutcome::Mounted), "mounted");
    }

    #[test]
    fn bars_count_every_blob_into_the_total() {
        let bars = Bars::new();
        bars.multi.set_draw_target(ProgressDrawTarget::hidden());
        let (a, b) = (Digest::sha256(b"a"), Digest::sha256(b"b"));
        bars.blob_started(&a, Some(10));
        bars.blob_started(&b, Some(5));
        bars.blob_progress(&a, 10);
        bars.blob_done(&a, BlobOutcome::Transferred);
        bars.blob_done(&b, BlobOutcome::AlreadyPresent);
        assert_eq!(bars.total.length(), Some(15));
        assert_eq!(bars.total.position(), 15);
        assert!(bars.blobs.lock().unwrap().is_empty());
    }
}
