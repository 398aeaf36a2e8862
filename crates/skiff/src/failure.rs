//! A failed command: what failed, why, and the exit status it maps to.

use std::fmt;

/// What the user sees on stderr after `skiff: `.
#[derive(Debug)]
pub(crate) struct Failure {
    what: String,
    why: Box<dyn std::error::Error + Send + Sync>,
    exit_code: u8,
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
        }
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
}

impl fmt::Display for Failure {
    /// One line: messages from below may hold line breaks (a registry's `detail`), which
    /// would break scripts that read the first line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = format!("{}: {}", self.what, self.why);
        let mut words = line
            .split(['\n', '\r'])
            .map(str::trim)
            .filter(|part| !part.is_empty());
        if let Some(first) = words.next() {
            f.write_str(first)?;
        }
        for rest in words {
            write!(f, " {rest}")?;
        }
        Ok(())
    }
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
                Failure::usage("login h", "no username"),
                "login h: no username",
                2,
            ),
        ];
        for (failure, text, code) in cases {
            assert_eq!(failure.to_string(), text);
            assert_eq!(failure.exit_code(), code);
        }
    }
}
