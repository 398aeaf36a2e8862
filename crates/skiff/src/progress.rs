//! Progress of pull, push and copy on stderr: a bar per blob and a total when stderr is a
//! terminal, one plain line per finished blob otherwise, nothing with `-q`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use oci_digest::Digest;
use registry_client::image::{BlobOutcome, NoProgress, Progress};

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
