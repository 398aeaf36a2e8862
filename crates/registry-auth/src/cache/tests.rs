//! Cache freshness, invalidation, shared exchanges and remembered challenges.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Wake;
use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::{Scope, Secret};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn key(repository: &str) -> CacheKey {
    CacheKey::new(
        "Registry.Example.com:5000",
        ScopeSet::from(Scope::pull(repository).expect("valid")),
    )
}

fn token(value: &str) -> Token {
    Token::new(Secret::new(value), Duration::from_secs(300), now()).expect("valid")
}

/// Counts wake-ups, standing in for an async runtime.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn poll(waiter: &mut Waiter, waker: &Arc<CountingWaker>) -> Poll<()> {
    let waker = Waker::from(Arc::clone(waker));
    Pin::new(waiter).poll(&mut Context::from_waker(&waker))
}

fn begin(cache: &TokenCache, key: &CacheKey) -> Ticket {
    match cache.lookup(key, now()) {
        Lookup::Begin(ticket) => ticket,
        other => panic!("expected to begin an exchange, got {other:?}"),
    }
}

fn wait(cache: &TokenCache, key: &CacheKey) -> Waiter {
    match cache.lookup(key, now()) {
        Lookup::Wait(waiter) => waiter,
        other => panic!("expected to wait, got {other:?}"),
    }
}

fn cached(cache: &TokenCache, key: &CacheKey, at: SystemTime) -> Option<Token> {
    match cache.lookup(key, at) {
        Lookup::Cached(token) => Some(token),
        Lookup::Begin(_) | Lookup::Wait(_) => None,
    }
}

#[test]
fn keys_ignore_registry_case() {
    let key = key("a");
    assert_eq!(key.registry(), "registry.example.com:5000");
    assert_eq!(key.scopes().to_string(), "repository:a:pull");
    assert_eq!(
        key,
        CacheKey::new("registry.example.com:5000", key.scopes().clone())
    );
}

#[test]
fn a_completed_exchange_serves_until_renewal_time() {
    let cache = TokenCache::new();
    let key = key("a");
    begin(&cache, &key).complete(token("first"));
    let hit = cached(&cache, &key, now()).expect("fresh");
    assert_eq!(hit.value().expose(), "first");
    assert!(cached(&cache, &key, now() + Duration::from_secs(269)).is_some());
    // 300 s token, renewed 30 s early: the next lookup begins a new exchange.
    let ticket = begin_at(&cache, &key, now() + Duration::from_secs(270));
    drop(ticket);
    // Other keys are unaffected.
    assert!(matches!(cache.lookup(&self::key("b"), now()), Lookup::Begin(_)));
}

fn begin_at(cache: &TokenCache, key: &CacheKey, at: SystemTime) -> Ticket {
    match cache.lookup(key, at) {
        Lookup::Begin(ticket) => ticket,
        other => panic!("expected to begin an exchange, got {other:?}"),
    }
}

#[test]
fn concurrent_callers_share_one_exchange() {
    let cache = TokenCache::new();
    let key = key("a");
    let ticket = begin(&cache, &key);
    assert_eq!(ticket.key(), &key);
    let mut first = wait(&cache, &key);
    let mut second = wait(&cache.clone(), &key);
    let (waker_one, waker_two) = (
        Arc::new(CountingWaker::default()),
        Arc::new(CountingWaker::default()),
    );
    assert!(poll(&mut first, &waker_one).is_pending());
    assert!(poll(&mut second, &waker_two).is_pending());
    assert!(
        poll(&mut first, &waker_one).is_pending(),
        "polling twice registers once"
    );

    ticket.complete(token("shared"));
    assert_eq!(waker_one.0.load(Ordering::SeqCst), 1);
    assert_eq!(waker_two.0.load(Ordering::SeqCst), 1);
    assert!(poll(&mut first, &waker_one).is_ready());
    assert!(poll(&mut second, &waker_two).is_ready());
    assert_eq!(
        cached(&cache, &key, now()).expect("stored").value().expose(),
        "shared"
    );
}

#[test]
fn a_failed_exchange_wakes_waiters_and_lets_the_next_caller_try() {
    let cache = TokenCache::new();
    let key = key("a");
    let ticket = begin(&cache, &key);
    let mut waiter = wait(&cache, &key);
    let waker = Arc::new(CountingWaker::default());
    assert!(poll(&mut waiter, &waker).is_pending());
    drop(ticket);
    assert_eq!(waker.0.load(Ordering::SeqCst), 1);
    assert!(poll(&mut waiter, &waker).is_ready());
    let retry = begin(&cache, &key);
    retry.complete(token("second-try"));
    assert!(cached(&cache, &key, now()).is_some());
}

#[test]
fn invalidate_forgets_a_token_but_not_an_exchange() {
    let cache = TokenCache::new();
    let key = key("a");
    cache.insert(key.clone(), token("t"));
    assert!(cached(&cache, &key, now()).is_some());
    cache.invalidate(&key);
    let ticket = begin(&cache, &key);
    cache.invalidate(&key);
    let mut waiter = wait(&cache, &key);
    let waker = Arc::new(CountingWaker::default());
    assert!(poll(&mut waiter, &waker).is_pending());
    ticket.complete(token("t2"));
    assert!(poll(&mut waiter, &waker).is_ready());
}

#[test]
fn an_insert_during_an_exchange_wins_and_wakes() {
    let cache = TokenCache::new();
    let key = key("a");
    let ticket = begin(&cache, &key);
    let mut waiter = wait(&cache, &key);
    let waker = Arc::new(CountingWaker::default());
    assert!(poll(&mut waiter, &waker).is_pending());
    cache.insert(key.clone(), token("inserted"));
    assert_eq!(waker.0.load(Ordering::SeqCst), 1);
    assert!(poll(&mut waiter, &waker).is_ready());
    ticket.complete(token("late"));
    assert_eq!(
        cached(&cache, &key, now()).expect("stored").value().expose(),
        "inserted"
    );
}

#[test]
fn a_stale_waiter_follows_the_newest_exchange() {
    let cache = TokenCache::new();
    let key = key("a");
    let first = begin(&cache, &key);
    let mut waiter = wait(&cache, &key);
    drop(first);
    // A new exchange starts before the waiter is polled: it must not wait on it.
    let _second = begin(&cache, &key);
    let waker = Arc::new(CountingWaker::default());
    assert!(poll(&mut waiter, &waker).is_ready());
}

#[test]
fn remembers_ping_challenges_per_registry() {
    let cache = TokenCache::new();
    assert!(cache.challenges("r.example.com").is_none());
    let challenges = Challenge::parse(r#"Bearer realm="https://auth/t",service="r""#).expect("valid");
    cache.remember_challenges("R.example.com", challenges.clone());
    assert_eq!(cache.challenges("r.example.com"), Some(challenges));
    assert!(cache.challenges("other.example.com").is_none());
}

#[test]
fn threads_share_one_cache() {
    let cache = TokenCache::new();
    let key = key("a");
    let ticket = begin(&cache, &key);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let cache = cache.clone();
            let key = key.clone();
            std::thread::spawn(move || matches!(cache.lookup(&key, now()), Lookup::Wait(_)))
        })
        .collect();
    for handle in handles {
        assert!(handle.join().expect("thread finished"));
    }
    ticket.complete(token("t"));
    assert!(cached(&cache, &key, now()).is_some());
}

#[test]
fn debug_shows_no_token() {
    let cache = TokenCache::new();
    cache.insert(key("a"), token("hunter2"));
    let ticket = begin(&cache, &key("b"));
    let debug = format!("{cache:?} {ticket:?} {:?}", cache.lookup(&key("a"), now()));
    assert!(!debug.contains("hunter2"), "{debug}");
}
