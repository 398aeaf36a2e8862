//! What a run learns of its destination repositories, so that no image asks a
//! question whose answer is already known.
//!
//! The first image of a destination repository to be checked asks as always
//! (its manifest `HEAD`). When the destination lacks it, one tag listing of
//! that repository (the first page, one tag long) tells whether the repository
//! holds anything: a repository the registry does not know (`NAME_UNKNOWN`) or
//! that lists no tag is [`Contents::Empty`]. Every other image of it then skips
//! the destination manifest `HEAD` (no tag is there), the source manifest
//! `HEAD` (its manifest is read anyway, and the read gives the digest), and the
//! `HEAD` of every blob the run did not put there itself (the ledger knows
//! those). The other images of the repository wait for that first answer; the
//! runner starts the first image of every repository before any second one, so
//! the wait overlaps other repositories' checks.
//!
//! A repository that holds something, or whose listing fails for any other
//! reason, is [`Contents::Unknown`] and checked image by image as before: the
//! listing is a shortcut, never a source of failures. Taking an untagged
//! repository for empty is safe: a blob it did hold is uploaded again, and a
//! manifest is written that the registry would have accepted anyway. A no-op
//! sync never lists a destination: its first image is found there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt;
use oci_manifest::Reference;
use tokio::sync::OnceCell;

use crate::diagnostic::ErrorCode;
use crate::{Client, RepositoryRef};

/// What a destination repository holds, as far as the run needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contents {
    /// Nothing: no tag, no manifest, no blob the run did not put there.
    Empty,
    /// Something, or the run could not tell: every question is asked.
    Unknown,
}

/// Every destination repository of a run, learnt once each.
#[derive(Debug, Default)]
pub(crate) struct Repositories {
    known: Mutex<HashMap<String, Arc<OnceCell<Contents>>>>,
}

impl Repositories {
    /// The cell of the repository `reference` is in: the first image to get it learns,
    /// the others wait.
    pub(crate) fn cell(&self, reference: &Reference) -> Arc<OnceCell<Contents>> {
        let key = format!("{}/{}", reference.registry(), reference.repository());
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(known.entry(key).or_default())
    }
}

/// Whether the repository of `reference` is empty: one listing of at most one tag.
pub(crate) async fn list_contents(client: &Client, reference: &Reference) -> Contents {
    let repository = RepositoryRef::from(reference);
    let mut tags = client.tags(&repository, Some(1));
    let contents = match tags.next().await {
        None => Contents::Empty,
        Some(Err(error))
            if error
                .diagnostics()
                .iter()
                .any(|d| *d.code() == ErrorCode::NameUnknown) =>
        {
            Contents::Empty
        }
        Some(_) => Contents::Unknown,
    };
    tracing::debug!(repository = %repository, ?contents, "destination repository");
    contents
}
