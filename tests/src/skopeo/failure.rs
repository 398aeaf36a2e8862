//! A failed skopeo run, reported with everything needed to see why (passwords masked).

use std::ffi::OsString;
use std::path::Path;

/// A skopeo run that failed: the command line (passwords masked), exit status and everything
/// it printed.
pub type SkopeoFailure = crate::tools::PeerFailure;

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
