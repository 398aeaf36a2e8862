//! Locating the peer programs the tests drive.

use std::path::PathBuf;

/// The path of `program`, or a panic that says how to install it.
///
/// Tests use this instead of skipping: a missing peer is a failed test.
pub fn require(program: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "`{program}` is not installed. Run `cargo xtask test` (it installs the test peers \
             with apt-get), or `sudo apt-get install -y docker-registry skopeo openssl squid`."
        )
    })
}
