//! Tokens kept per registry and scope set, with one exchange shared by every
//! caller that needs the same token at the same time.
//!
//! The cache is a plain `Mutex`-guarded map, so it works under any async
//! runtime or none. Sharing an exchange works like this: [`TokenCache::lookup`]
//! answers `Cached` with a fresh token, or hands the first caller a [`Ticket`]
//! to fetch one, and every later caller a [`Waiter`], a future that resolves
//! once that ticket is settled, after which they look up again. A ticket that
//! is dropped without a token (the exchange failed) wakes the waiters too, and
//! the next lookup begins a new exchange.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::SystemTime;

use crate::{Challenge, ScopeSet, Token};

/// What a token is cached under: the registry host (with port, lowercase) and
/// the scopes it grants.
///
/// A cache belongs to one set of credentials: tokens obtained with different
/// credentials for the same registry must not share a cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    registry: String,
    scopes: ScopeSet,
}

impl CacheKey {
    /// A key for `registry` (`host[:port]`, compared without ASCII case) and `scopes`.
    pub fn new(registry: &str, scopes: ScopeSet) -> Self {
        Self {
            registry: registry.to_ascii_lowercase(),
            scopes,
        }
    }

    /// The registry host.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The scopes.
    pub fn scopes(&self) -> &ScopeSet {
        &self.scopes
    }
}

/// The answer of [`TokenCache::lookup`].
#[derive(Debug)]
#[must_use = "a Ticket must be completed, or dropped to let another caller try"]
pub enum Lookup {
    /// A token fresh enough to use now.
    Cached(Token),
    /// No token and nobody fetching one: this caller fetches it and settles the ticket.
    Begin(Ticket),
    /// Another caller is fetching the token: await this, then look up again.
    Wait(Waiter),
}

/// Shared token cache. Cloning gives another handle to the same cache.
///
/// One exchange serves every concurrent caller that needs the same token:
///
/// ```
/// # use std::time::{Duration, SystemTime};
/// # use registry_auth::{CacheKey, Lookup, Scope, ScopeSet, Secret, Token, TokenCache};
/// # async fn fetch() -> Result<Token, registry_auth::Error> {
/// #     Token::new(Secret::new("t"), Duration::from_secs(300), SystemTime::now())
/// # }
/// # async fn bearer(cache: &TokenCache) -> Result<Token, registry_auth::Error> {
/// let key = CacheKey::new("registry.example.com", ScopeSet::from(Scope::pull("app")?));
/// loop {
///     match cache.lookup(&key, SystemTime::now()) {
///         Lookup::Cached(token) => return Ok(token),
///         Lookup::Begin(ticket) => {
///             // On error the ticket is dropped and the next caller tries.
///             let token = fetch().await?;
///             ticket.complete(token.clone());
///             return Ok(token);
///         }
///         Lookup::Wait(waiter) => waiter.await,
///     }
/// }
/// # }
/// ```
///
/// After a 401, [`TokenCache::invalidate`] the key and look it up again.
#[derive(Debug, Clone, Default)]
pub struct TokenCache {
    shared: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    slots: HashMap<CacheKey, Slot>,
    challenges: HashMap<String, Vec<Challenge>>,
    next_exchange: u64,
}

#[derive(Debug)]
enum Slot {
    Ready(Token),
    Fetching { exchange: u64, waiters: Vec<Waker> },
}

impl TokenCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh token for `key`, or the right to fetch one, or something to wait on.
    pub fn lookup(&self, key: &CacheKey, now: SystemTime) -> Lookup {
        let mut state = self.lock();
        match state.slots.get(key) {
            Some(Slot::Ready(token)) if token.is_fresh(now) => return Lookup::Cached(token.clone()),
            Some(Slot::Fetching { exchange, .. }) => {
                return Lookup::Wait(Waiter {
                    cache: self.clone(),
                    key: key.clone(),
                    exchange: *exchange,
                });
            }
            Some(Slot::Ready(_)) | None => {}
        }
        let exchange = state.next_exchange;
        state.next_exchange += 1;
        state.slots.insert(
            key.clone(),
            Slot::Fetching {
                exchange,
                waiters: Vec::new(),
            },
        );
        Lookup::Begin(Ticket {
            cache: self.clone(),
            key: key.clone(),
            exchange,
            settled: false,
        })
    }

    /// Stores a token obtained without a ticket, replacing what was there.
    /// Callers waiting on an exchange for the same key are woken.
    pub fn insert(&self, key: CacheKey, token: Token) {
        let previous = self.lock().slots.insert(key, Slot::Ready(token));
        wake(previous);
    }

    /// Forgets the token for `key`, as after the registry answered 401 to it.
    /// An exchange in progress for the key is left alone.
    pub fn invalidate(&self, key: &CacheKey) {
        let mut state = self.lock();
        if matches!(state.slots.get(key), Some(Slot::Ready(_))) {
            state.slots.remove(key);
        }
    }

    /// Remembers the challenges a registry answered its ping (`GET /v2/`) with,
    /// for when a later 401 carries none (some registries omit it).
    pub fn remember_challenges(&self, registry: &str, challenges: Vec<Challenge>) {
        self.lock()
            .challenges
            .insert(registry.to_ascii_lowercase(), challenges);
    }

    /// The challenges remembered for `registry`.
    pub fn challenges(&self, registry: &str) -> Option<Vec<Challenge>> {
        self.lock()
            .challenges
            .get(&registry.to_ascii_lowercase())
            .cloned()
    }

    /// The guarded state. A panic in another thread while it held the lock
    /// cannot leave the map half-updated (every update is one insert or
    /// remove), so a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends exchange `exchange` for `key`, storing `token` if there is one.
    fn settle(&self, key: &CacheKey, exchange: u64, token: Option<Token>) {
        let mut state = self.lock();
        let ours = matches!(state.slots.get(key), Some(Slot::Fetching { exchange: e, .. }) if *e == exchange);
        if !ours {
            // Someone inserted a token meanwhile; theirs stands.
            return;
        }
        let previous = match token {
            Some(token) => state.slots.insert(key.clone(), Slot::Ready(token)),
            None => state.slots.remove(key),
        };
        drop(state);
        wake(previous);
    }

    /// Whether exchange `exchange` for `key` is still running; if so, `waker` is
    /// registered to be woken when it ends.
    fn still_fetching(&self, key: &CacheKey, exchange: u64, waker: &Waker) -> bool {
        let mut state = self.lock();
        match state.slots.get_mut(key) {
            Some(Slot::Fetching { exchange: e, waiters }) if *e == exchange => {
                if !waiters.iter().any(|w| w.will_wake(waker)) {
                    waiters.push(waker.clone());
                }
                true
            }
            _ => false,
        }
    }
}

fn wake(slot: Option<Slot>) {
    if let Some(Slot::Fetching { waiters, .. }) = slot {
        waiters.into_iter().for_each(Waker::wake);
    }
}

/// The right, and the duty, to fetch the token for one key.
///
/// [`Ticket::complete`] stores the token and wakes the waiters; dropping the
/// ticket without completing it (the exchange failed) wakes them so that one
/// of them can try.
#[derive(Debug)]
pub struct Ticket {
    cache: TokenCache,
    key: CacheKey,
    exchange: u64,
    settled: bool,
}

impl Ticket {
    /// The key this ticket fetches for.
    pub fn key(&self) -> &CacheKey {
        &self.key
    }

    /// Stores the fetched token and wakes everyone waiting for it.
    pub fn complete(mut self, token: Token) {
        self.settled = true;
        self.cache.settle(&self.key, self.exchange, Some(token));
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.settled {
            self.cache.settle(&self.key, self.exchange, None);
        }
    }
}

/// A future that resolves when another caller's exchange for a key has ended,
/// successfully or not. Look the key up again afterwards.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Waiter {
    cache: TokenCache,
    key: CacheKey,
    exchange: u64,
}

impl Future for Waiter {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.cache.still_fetching(&self.key, self.exchange, cx.waker()) {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

#[cfg(test)]
mod tests;
