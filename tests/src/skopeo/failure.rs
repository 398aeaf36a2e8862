//! A failed skopeo run, reported with everything needed to see why (passwords masked).

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

/// A skopeo run that failed: the command line, exit status and everything it printed.
pub struct SkopeoFailure {
    pub(super) command: String,
    pub(super) status: String,
    pub(super) stdout: String,
    pub(super) stderr: String,
}

impl SkopeoFailure {
    /// What skopeo printed on stderr (its error message).
    pub fn stderr(&self) -> &str {
        &self.stderr
    }
}

impl fmt::Display for SkopeoFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "skopeo failed ({})\ncommand: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.command, self.stdout, self.stderr
        )
    }
}

impl fmt::Debug for SkopeoFailure {
    // `expect` prints Debug: show the readable report rather than an escaped one-liner.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The command line as text, with passwords masked.
pub(super) fn command_line(program: &Path, args: &[OsString]) -> String {
    let mut line = format!("{} --insecure-policy", program.display());
    let mut mask_next = false;
    for arg in args {
        let arg = arg.to_string_lossy();
        let shown = match (mask_next, arg.split_once(':')) {
            (true, Some((user, _))) => format!("{user}:***"),
            _ => arg.clone().into_owned(),
        };
        mask_next = matches!(arg.as_ref(), "--creds" | "--src-creds" | "--dest-creds");
        line.push(' ');
        line.push_str(&shown);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_mask_passwords() {
        let args: Vec<OsString> = ["copy", "--src-creds", "alice:secret", "--dest-no-creds", "a:b"]
            .iter()
            .map(OsString::from)
            .collect();
        let line = command_line(Path::new("skopeo"), &args);
        assert_eq!(
            line,
            "skopeo --insecure-policy copy --src-creds alice:*** --dest-no-creds a:b"
        );
    }
}
