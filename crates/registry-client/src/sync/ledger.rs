//! Blobs shared between the images of one sync: each moves once per
//! destination, and within a registry once at all, mounted into every other
//! repository that needs it.
//!
//! [`LedgerDestination`] wraps the engine's destination for one image. Before
//! the copier checks a blob it claims the blob for the destination (the
//! registry, or the layout); an image wanting a blob another image is moving
//! waits until that transfer ends, then finds it in its own repository or
//! mounts it from the one that received it. The copier itself is untouched:
//! the ledger only answers its questions (`has_blob`, `start_blob`) from what
//! the run has learnt.
//!
//! In a repository that held nothing before the run (see
//! [`super::repositories`]) the ledger's own record is the whole truth, and a
//! blob it does not list is missing without a `HEAD`.
//!
//! A claim ends when the blob is known present (checked, mounted, or written),
//! when checking or starting it fails, or when the image's destination is
//! dropped (its copy ended, one way or another); a waiter then looks again, so
//! no wait outlives the transfer it waits for, and each transfer is bounded by
//! the client's deadlines.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use oci_digest::Digest;
use oci_manifest::{MediaType, Repository};
use tokio::sync::watch;

use crate::image::{
    BlobSink, BlobStart, ComputedBlob, ImageDestination, LayerCompression, ManifestData, ManifestRole,
    VerifiedBlob,
};
use crate::{Error, RepositoryRef};

/// What the run knows of every blob, per destination scope.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    blobs: Mutex<HashMap<(String, Digest), Entry>>,
}

#[derive(Debug, Default)]
struct Entry {
    /// Repositories of the scope known to hold the blob.
    present: HashSet<String>,
    /// The transfer in progress, if any: closed when it ends.
    busy: Option<watch::Receiver<()>>,
}

impl Ledger {
    fn lock(&self) -> MutexGuard<'_, HashMap<(String, Digest), Entry>> {
        self.blobs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where one image's blobs go, as the ledger sees it.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    /// Blobs are shared within a scope: a registry host, or one layout.
    pub(crate) scope: String,
    /// The repository within the scope.
    pub(crate) repository: String,
    /// The registry to mount from, for registry destinations.
    pub(crate) registry: Option<String>,
    /// The repository held nothing when the run began: a blob is there only when the run
    /// put it there, so nothing else is asked of the destination.
    pub(crate) empty: bool,
}

/// The claims one image's destination holds.
#[derive(Debug, Default)]
struct Claims {
    held: Mutex<HashMap<Digest, watch::Sender<()>>>,
    mount_tried: Mutex<HashSet<Digest>>,
}

/// An image's destination with the run's ledger in front of it.
pub(crate) struct LedgerDestination {
    inner: Box<dyn ImageDestination>,
    ledger: Arc<Ledger>,
    place: Place,
    claims: Arc<Claims>,
}

impl LedgerDestination {
    pub(crate) fn new(
        inner: Box<dyn ImageDestination>,
        ledger: Arc<Ledger>,
        place: Place,
    ) -> LedgerDestination {
        LedgerDestination {
            inner,
            ledger,
            place,
            claims: Arc::default(),
        }
    }

    /// The mount the ledger adds to a start that brings none of its own (`from`): a repository
    /// this run gave `digest` to, that the destination can mount from, on the blob's first
    /// start only (a registry that declined will decline again).
    fn ledger_mount(
        &self,
        digest: &Digest,
        from: Option<&RepositoryRef>,
        first_try: bool,
    ) -> Option<RepositoryRef> {
        match from {
            None if first_try => self
                .mount_source(digest)
                .filter(|holder| self.inner.can_mount_from(holder)),
            _ => None,
        }
    }

    /// Another repository of this scope that holds `digest`, to mount from.
    fn mount_source(&self, digest: &Digest) -> Option<RepositoryRef> {
        let registry = self.place.registry.as_deref()?;
        let blobs = self.ledger.lock();
        let entry = blobs.get(&(self.place.scope.clone(), digest.clone()))?;
        let holder = entry
            .present
            .iter()
            .find(|repository| **repository != self.place.repository)?;
        let repository: Repository = holder.parse().ok()?;
        Some(RepositoryRef::new(registry, repository))
    }
}

/// Ends this destination's claim on `digest`, recording the blob present in
/// its repository when it is.
fn settle(ledger: &Ledger, claims: &Claims, place: &Place, digest: &Digest, present: bool) {
    let sender = claims
        .held
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(digest);
    let mut blobs = ledger.lock();
    if let Some(entry) = blobs.get_mut(&(place.scope.clone(), digest.clone())) {
        if present {
            entry.present.insert(place.repository.clone());
        }
        if sender.is_some() {
            entry.busy = None;
        }
    }
    // Dropping the sender closes the channel: every waiter looks again.
    drop(sender);
}

impl fmt::Display for LedgerDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl Drop for LedgerDestination {
    fn drop(&mut self) {
        // Claims still held belong to blobs whose copy did not finish.
        let held: Vec<Digest> = self
            .claims
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        for digest in held {
            settle(&self.ledger, &self.claims, &self.place, &digest, false);
        }
    }
}

impl ImageDestination for LedgerDestination {
    fn accepts(&self, media_type: &MediaType) -> Result<(), Error> {
        self.inner.accepts(media_type)
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), Error>> {
        self.inner.prepare()
    }

    fn has_blob<'a>(&'a self, digest: &'a Digest) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            let key = (self.place.scope.clone(), digest.clone());
            loop {
                let waiting = {
                    let mut blobs = self.ledger.lock();
                    let entry = blobs.entry(key.clone()).or_default();
                    if entry.present.contains(&self.place.repository) {
                        return Ok(true);
                    }
                    match &entry.busy {
                        Some(busy) if busy.has_changed().is_ok() => Some(busy.clone()),
                        _ => {
                            let (sender, receiver) = watch::channel(());
                            entry.busy = Some(receiver);
                            self.claims
                                .held
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .insert(digest.clone(), sender);
                            None
                        }
                    }
                };
                match waiting {
                    // Returns when the transfer ends (the channel closes).
                    Some(mut busy) => while busy.changed().await.is_ok() {},
                    None => break,
                }
            }
            if self.place.empty {
                // As a missing blob: the claim stays, and the copier mounts or uploads it.
                return Ok(false);
            }
            match self.inner.has_blob(digest).await {
                Ok(true) => {
                    settle(&self.ledger, &self.claims, &self.place, digest, true);
                    Ok(true)
                }
                Ok(false) => Ok(false),
                Err(error) => {
                    settle(&self.ledger, &self.claims, &self.place, digest, false);
                    Err(error)
                }
            }
        })
    }

    fn can_mount_from(&self, repository: &RepositoryRef) -> bool {
        self.inner.can_mount_from(repository)
    }

    /// Also when [`start_blob`](ImageDestination::start_blob) will add a mount of its own
    /// (see `ledger_mount`).
    fn may_mount(&self, digest: &Digest, from: Option<&RepositoryRef>) -> bool {
        let first_try = !self
            .claims
            .mount_tried
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(digest);
        self.inner.may_mount(digest, from) || self.ledger_mount(digest, from, first_try).is_some()
    }

    fn start_blob<'a>(
        &'a self,
        digest: &'a Digest,
        mount_from: Option<&'a RepositoryRef>,
    ) -> BoxFuture<'a, Result<BlobStart, Error>> {
        Box::pin(async move {
            // A repository this run gave the blob, when the copy has no mount of its own;
            // asked once: a registry that declined will decline again.
            let first_try = self
                .claims
                .mount_tried
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(digest.clone());
            let known = self.ledger_mount(digest, mount_from, first_try);
            let mount_from = mount_from.or(known.as_ref());
            match self.inner.start_blob(digest, mount_from).await {
                Ok(BlobStart::Mounted) => {
                    settle(&self.ledger, &self.claims, &self.place, digest, true);
                    Ok(BlobStart::Mounted)
                }
                Ok(BlobStart::Open(sink)) => Ok(BlobStart::Open(Box::new(LedgerSink {
                    inner: sink,
                    ledger: Arc::clone(&self.ledger),
                    claims: Arc::clone(&self.claims),
                    place: self.place.clone(),
                    digest: digest.clone(),
                }))),
                Err(error) => {
                    settle(&self.ledger, &self.claims, &self.place, digest, false);
                    Err(error)
                }
            }
        })
    }

    fn max_restarts(&self) -> u32 {
        self.inner.max_restarts()
    }

    fn restart_delay(&self, attempt: u32) -> Duration {
        self.inner.restart_delay(attempt)
    }

    fn put_manifest<'a>(
        &'a self,
        manifest: &'a ManifestData,
        role: ManifestRole<'a>,
    ) -> BoxFuture<'a, Result<Digest, Error>> {
        self.inner.put_manifest(manifest, role)
    }

    // The packing a destination imposes (a docker-archive's plain tars) is the
    // destination's, whatever the ledger in front of it says.
    fn layer_packing(&self) -> Option<LayerCompression> {
        self.inner.layer_packing()
    }

    // A blob whose digest comes at its end cannot be claimed by digest: it goes
    // straight to the destination, which writes it its own way.
    fn put_computed_blob(&self, blob: ComputedBlob) -> BoxFuture<'_, Result<(Digest, u64), Error>> {
        self.inner.put_computed_blob(blob)
    }
}

/// An open blob whose commit the ledger hears of.
struct LedgerSink {
    inner: Box<dyn BlobSink>,
    ledger: Arc<Ledger>,
    claims: Arc<Claims>,
    place: Place,
    digest: Digest,
}

impl BlobSink for LedgerSink {
    fn write(self: Box<Self>, blob: VerifiedBlob) -> BoxFuture<'static, Result<(), Error>> {
        Box::pin(async move {
            let LedgerSink {
                inner,
                ledger,
                claims,
                place,
                digest,
            } = *self;
            let written = inner.write(blob).await;
            // A failed write keeps the claim: the copier may start the blob again, and
            // the claim ends with the destination otherwise.
            if written.is_ok() {
                settle(&ledger, &claims, &place, &digest, true);
            }
            written
        })
    }

    fn cancel(self: Box<Self>) -> BoxFuture<'static, ()> {
        self.inner.cancel()
    }
}
