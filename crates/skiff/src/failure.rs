//! A failed command: what failed, why, and the exit status it maps to.

use std::fmt;

/// What the user sees on stderr after `skiff: `.
#[derive(Debug)]
pub(crate) struct Failure {
    what: String,
    why: Box<dyn std::error::Error + Send + Sync>,
}

impl Failure {
    /// `what` names the operation ("digest of layer.tar"), `why` is the cause.
    pub(crate) fn new(
        what: impl Into<String>,
        why: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Failure {
        Failure {
            what: what.into(),
            why: why.into(),
        }
    }

    /// 1: the operation failed. Usage errors (2) are clap's.
    pub(crate) fn exit_code(&self) -> u8 {
        1
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.why)
    }
}
