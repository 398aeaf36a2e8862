//! A failed command: what failed, why, and the exit status it maps to.

use std::fmt;

/// What the user sees on stderr after `skiff: `.
#[derive(Debug)]
pub(crate) struct Failure {
    what: String,
    why: Box<dyn std::error::Error + Send + Sync>,
    exit_code: u8,
    /// Already reported (a sync's summary): exit with the code, print nothing more.
    silent: bool,
}

impl Failure {
    /// `what` names the operation ("digest of layer.tar"), `why` is the cause. The library
    /// errors' messages already carry the registry's diagnostic codes.
    pub(crate) fn new(
        what: impl Into<String>,
        why: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Failure {
        Failure {
            what: what.into(),
            why: why.into(),
            exit_code: 1,
            silent: false,
        }
    }

    /// A failure the command has reported itself (exit `exit_code`, nothing more printed).
    pub(crate) fn silent(exit_code: u8) -> Failure {
        Failure {
            exit_code,
            silent: true,
            ..Failure::new("", "")
        }
    }

    /// Whether the failure was reported already.
    pub(crate) fn is_silent(&self) -> bool {
        self.silent
    }

    /// A command line that parsed but cannot be carried out as given (exit 2).
    pub(crate) fn usage(
        what: impl Into<String>,
        why: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Failure {
        Failure {
            exit_code: 2,
            ..Failure::new(what, why)
        }
    }

    /// 1: the operation failed; 2: the command line was unusable.
    pub(crate) fn exit_code(&self) -> u8 {
        self.exit_code
    }

    /// Whether the failure is stdout's reader going away (`skiff tags R | head -1`): not
    /// an error of skiff's, so it ends the command quietly.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(self.why.as_ref());
        while let Some(error) = cause {
            if let Some(io) = error.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return true;
                }
            }
            cause = error.source();
        }
        false
    }
}

impl fmt::Display for Failure {
    /// One line (see [`one_line`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&one_line(&format!("{}: {}", self.what, self.why)))
    }
}

/// `text` made fit for a terminal or a log as one line: messages from below may hold line
/// breaks (a registry's `detail`), which would break scripts that read the first line, and
/// control characters (terminal escapes a hostile registry put in its message), which are
/// written as their escapes (`\u{1b}`).
pub(crate) fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    let parts = text
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|part| !part.is_empty());
    for (i, part) in parts.enumerate() {
        if i > 0 {
            line.push(' ');
        }
        for c in part.chars() {
            if c.is_control() {
                line.extend(c.escape_default());
            } else {
                line.push(c);
            }
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_print_on_one_line_with_their_exit_code() {
        let cases = [
            (Failure::new("pull a", "gone"), "pull a: gone", 1),
            (
                Failure::new("push b", "line one\nline two\r\n"),
                "push b: line one line two",
                1,
            ),
            (
                Failure::new("pull c", "DENIED: \u{1b}[2J\u{7}gone"),
                r"pull c: DENIED: \u{1b}[2J\u{7}gone",
                1,
            ),
            (
                Failure::usage("login h", "no username"),
                "login h: no username",
                2,
            ),
        ];
        for (failure, text, code) in cases {
            assert_eq!(failure.to_string(), text);
            assert_eq!(failure.exit_code(), code);
            assert!(!failure.is_broken_pipe());
        }
    }

    #[test]
    fn a_closed_stdout_is_recognised_also_when_wrapped() {
        let pipe = || std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(Failure::new("writing to stdout", pipe()).is_broken_pipe());
        let wrapped = registry_client::Error::Source(pipe());
        assert!(Failure::new("blob get", wrapped).is_broken_pipe());
        assert!(!Failure::new("blob get", std::io::Error::other("disk full")).is_broken_pipe());
    }
}
