//! The background tokio runtime that every in-process server of the harness runs on.
//!
//! Tests are mostly plain `#[test]` functions; the token service, the fault proxy and
//! [`HttpRequest`](crate::HttpRequest) still need async I/O. One runtime with its own worker
//! threads serves them all, so a sync test can start a server and an async test (on its own
//! runtime) can talk to it.

use std::sync::OnceLock;

use tokio::runtime::Runtime;

/// The runtime shared by the harness's servers for the whole test binary.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("harness-server")
            .enable_all()
            .build()
            .expect("start the harness's tokio runtime")
    })
}
