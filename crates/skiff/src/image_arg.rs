//! What the command line names besides images: layout directories (`DIR[:TAG]`) and
//! registry hosts. Images (`[docker://]HOST/NAME[:TAG][@DIGEST]`, `oci:DIR[:TAG]`) are the
//! library's [`ImageName`], parsed by the library's one grammar.
//!
//! They parse in `FromStr` (or a `value_parser`), so clap reports a malformed one as a usage
//! error (exit 2).

use std::fmt;
use std::str::FromStr;

use registry_client::image::ImageName;
use registry_client::layout::LayoutRef;

/// Why an argument is not a host.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ArgError {
    /// Something that cannot be a registry host.
    #[error("{input:?} is not a registry host (HOST or HOST:PORT): {reason}")]
    Host { input: String, reason: &'static str },
}

/// A plain layout argument, `DIR[:TAG]` (`push` and `pull` take one), in the library's one
/// grammar. Users who write the transport prefix there, as they do for `copy`, mean the same
/// layout, so `oci:` is dropped first.
pub(crate) fn parse_layout(input: &str) -> Result<LayoutRef, registry_client::Error> {
    input
        .strip_prefix(ImageName::LAYOUT_PREFIX)
        .unwrap_or(input)
        .parse()
}

/// A registry host as users name it: `HOST` or `HOST:PORT` (an optional `docker://` prefix
/// is dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistryHost(String);

impl RegistryHost {
    /// The host, with its port when given.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RegistryHost {
    type Err = ArgError;

    fn from_str(input: &str) -> Result<RegistryHost, ArgError> {
        let host = input.strip_prefix("docker://").unwrap_or(input);
        let fail = |reason| ArgError::Host {
            input: input.to_owned(),
            reason,
        };
        if host.is_empty() {
            return Err(fail("it is empty"));
        }
        if host.contains('/') {
            return Err(fail("it contains `/`; give the host without a repository"));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
        if !host.chars().all(allowed) {
            return Err(fail(
                "only letters, digits, `.`, `-`, `:` and IPv6 brackets are allowed",
            ));
        }
        Ok(RegistryHost(host.to_owned()))
    }
}

impl fmt::Display for RegistryHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn layout_arguments_accept_the_transport_prefix() {
        for input in ["./dir:1.0", "oci:./dir:1.0"] {
            let layout = parse_layout(input).unwrap();
            assert_eq!(layout.dir(), Path::new("./dir"), "{input}");
            assert_eq!(layout.tag().map(|t| t.as_str()), Some("1.0"), "{input}");
        }
        // The prefix goes once: what follows is `DIR[:TAG]` as `oci:` reads it.
        let layout = parse_layout("oci:oci:tag").unwrap();
        assert_eq!(layout.dir(), Path::new("oci"));
        for (input, message) in [
            ("oci:", "\"\" names no directory"),
            (":tag", "\":tag\" names no directory"),
            (
                "dir:bad tag",
                "\"dir:bad tag\": \"bad tag\" is not a valid tag in an OCI layout: ",
            ),
        ] {
            let error = parse_layout(input).unwrap_err().to_string();
            assert!(error.starts_with(message), "{input:?}: {error}");
        }
    }

    #[test]
    fn hosts_are_host_and_port_only() {
        for valid in [
            "localhost",
            "127.0.0.1:5000",
            "registry.example.com",
            "[::1]:5000",
            "docker://h:1",
        ] {
            assert!(valid.parse::<RegistryHost>().is_ok(), "{valid}");
        }
        assert_eq!("docker://h:1".parse::<RegistryHost>().unwrap().as_str(), "h:1");
        for invalid in ["", "host/repo", "host name", "user@host"] {
            assert!(invalid.parse::<RegistryHost>().is_err(), "{invalid}");
        }
    }
}
