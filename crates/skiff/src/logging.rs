//! `-v` and `-vv`: what the libraries log, on stderr.
//!
//! Without `-v` nothing is logged, so stderr holds only progress and the one error line
//! scripts read.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The crates whose logs `-v` shows.
const CRATES: [&str; 4] = ["skiff", "registry_client", "registry_auth", "v1_compat"];

/// Sends logs at the level `verbosity` asks for to stderr.
pub(crate) fn init(verbosity: u8) {
    let level = match verbosity {
        0 => return,
        1 => "debug",
        _ => "trace",
    };
    let directives: Vec<String> = CRATES.iter().map(|name| format!("{name}={level}")).collect();
    let filter = EnvFilter::new(directives.join(","));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| RedactingStderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

/// Stderr, with every secret the process holds redacted from each log line (a line is
/// written whole, so no secret is split between two writes).
struct RedactingStderr;

impl std::io::Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(registry_auth::redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
