//! Scanning a layer while the engine streams it: the chunks go through a
//! bounded channel to [`scan_layer`] on a blocking thread, so the copy waits
//! for a slow scan instead of buffering, and the layer is read only once.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use bytes::{Buf, Bytes};
use futures_util::future::BoxFuture;
use oci_digest::Digest;
use registry_client::image::LayerScan;
use tokio::sync::mpsc;

use crate::{scan_layer, Error, LayerSummary};

/// Chunks in flight between the copy and the scan.
const IN_FLIGHT: usize = 8;

/// What the scans found, by layer digest.
pub(super) type Summaries = Arc<Mutex<HashMap<Digest, LayerSummary>>>;

/// One layer's scan, fed by the engine.
pub(super) struct ChannelScan {
    digest: Digest,
    sender: Mutex<Option<mpsc::Sender<Bytes>>>,
    scanning: Mutex<Option<tokio::task::JoinHandle<Result<LayerSummary, Error>>>>,
    summaries: Summaries,
}

impl ChannelScan {
    /// Starts scanning layer `digest`; the result lands in `summaries`.
    pub(super) fn start(digest: &Digest, summaries: &Summaries) -> ChannelScan {
        let (sender, receiver) = mpsc::channel(IN_FLIGHT);
        let expected = digest.clone();
        let scanning = tokio::task::spawn_blocking(move || {
            let reader = ChannelReader {
                receiver,
                chunk: Bytes::new(),
            };
            scan_layer(io::BufReader::new(reader), &expected)
        });
        ChannelScan {
            digest: digest.clone(),
            sender: Mutex::new(Some(sender)),
            scanning: Mutex::new(Some(scanning)),
            summaries: Arc::clone(summaries),
        }
    }
}

impl LayerScan for ChannelScan {
    fn feed(&self, chunk: Bytes) -> BoxFuture<'static, ()> {
        let sender = lock(&self.sender).clone();
        Box::pin(async move {
            if let Some(sender) = sender {
                // A scan that stopped early (a bad tar) reports at `finish`.
                let _ = sender.send(chunk).await;
            }
        })
    }

    fn finish(&self) -> BoxFuture<'static, Result<(), registry_client::Error>> {
        // The end of the content is the end of the channel.
        drop(lock(&self.sender).take());
        let scanning = lock(&self.scanning).take();
        let digest = self.digest.clone();
        let summaries = Arc::clone(&self.summaries);
        Box::pin(async move {
            let Some(scanning) = scanning else {
                return Ok(());
            };
            let summary = scanning
                .await
                .map_err(|join| Error::Staging {
                    blob: digest.clone(),
                    source: io::Error::other(join),
                })
                .and_then(|scanned| scanned)
                .map_err(|error| registry_client::Error::Rewrite(Box::new(error)))?;
            lock(&summaries).insert(digest, summary);
            Ok(())
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The scan's side of the channel, as a blocking reader.
struct ChannelReader {
    receiver: mpsc::Receiver<Bytes>,
    chunk: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.receiver.blocking_recv() {
                Some(chunk) => self.chunk = chunk,
                None => return Ok(0),
            }
        }
        let n = self.chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk.advance(n);
        Ok(n)
    }
}
