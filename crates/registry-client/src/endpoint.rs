//! Which scheme and TLS mode to use for a registry host, and in what order to try them.
//!
//! https with verified certificates is the default. Plain http is used without asking for
//! hosts that cannot be reached from elsewhere (`localhost`, loopback addresses, `*.local`).
//! Hosts the user marks insecure are tried as https without certificate verification first and
//! as plain http second, so a registry that does have TLS keeps it.

use std::fmt;
use std::net::IpAddr;

/// The Docker Hub name users write; its API is served from [`DOCKER_HUB_API_HOST`].
pub const DOCKER_HUB: &str = "docker.io";
/// The host that serves Docker Hub's registry API.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";

/// How a connection to a registry is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// TLS with certificate verification.
    Https,
    /// TLS without certificate verification (user-marked insecure hosts only).
    HttpsUnverified,
    /// Plain http.
    Http,
}

impl Scheme {
    /// The URL scheme.
    pub fn as_str(&self) -> &'static str {
        match self {
            Scheme::Https | Scheme::HttpsUnverified => "https",
            Scheme::Http => "http",
        }
    }

    /// Whether certificates are checked on this scheme.
    pub(crate) fn verifies_tls(&self) -> bool {
        !matches!(self, Scheme::HttpsUnverified)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Https => "https",
            Scheme::HttpsUnverified => "https (unverified)",
            Scheme::Http => "http",
        })
    }
}

/// The host (with port) that serves the API for a registry name: `docker.io` and its aliases
/// map to Docker Hub's API host, everything else is itself.
pub fn api_host(registry: &str) -> &str {
    match registry {
        "docker.io" | "index.docker.io" | "registry.hub.docker.com" => DOCKER_HUB_API_HOST,
        other => other,
    }
}

/// The schemes to try for `host`, in order; `insecure` says whether the user marked it.
///
/// A local host the user marks insecure is tried with unverified https first too: marking says
/// "this host may have TLS I cannot verify", which is how a test registry with a self-made
/// certificate on a loopback address is reached.
pub fn candidate_schemes(host: &str, insecure: bool) -> &'static [Scheme] {
    if insecure {
        &[Scheme::HttpsUnverified, Scheme::Http]
    } else if is_local(host) {
        &[Scheme::Http]
    } else {
        &[Scheme::Https]
    }
}

/// Whether `host` (`name[:port]`, `[v6]:port` or a bare address) only exists on this machine
/// or network: localhost, loopback addresses and mDNS `*.local` names.
pub fn is_local(host: &str) -> bool {
    let name = strip_port(host);
    if name.eq_ignore_ascii_case("localhost") || has_suffix_ignore_case(name, ".localhost") {
        return true;
    }
    if has_suffix_ignore_case(name, ".local") {
        return true;
    }
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn has_suffix_ignore_case(name: &str, suffix: &str) -> bool {
    name.len() > suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// `host` without a trailing `:port`; bracketed IPv6 keeps its brackets, a bare IPv6 address
/// (several colons, no brackets) is returned whole.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Whether two hosts are the same registry for matching the user's insecure list: exact match
/// of `host[:port]`, or of the name alone when the list entry has no port.
pub(crate) fn host_matches(entry: &str, host: &str) -> bool {
    entry.eq_ignore_ascii_case(host)
        || (strip_port(entry) == entry && strip_port(host).eq_ignore_ascii_case(entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_choice() {
        use Scheme::*;
        let cases: &[(&str, bool, &[Scheme])] = &[
            ("localhost", false, &[Http]),
            ("localhost:5000", false, &[Http]),
            ("LocalHost:5000", false, &[Http]),
            ("127.0.0.1:5000", false, &[Http]),
            ("127.3.2.1", false, &[Http]),
            ("[::1]:5000", false, &[Http]),
            ("::1", false, &[Http]),
            ("myregistry.local:443", false, &[Http]),
            ("box.localhost", false, &[Http]),
            ("quay.io", false, &[Https]),
            ("registry-1.docker.io", false, &[Https]),
            ("10.0.0.5:5000", false, &[Https]),
            ("local", false, &[Https]),
            ("notlocal.example", false, &[Https]),
            ("[2001:db8::1]:5000", false, &[Https]),
            ("internal.corp:5000", true, &[HttpsUnverified, Http]),
            ("127.0.0.1:5000", true, &[HttpsUnverified, Http]),
        ];
        for (host, insecure, expected) in cases {
            assert_eq!(
                candidate_schemes(host, *insecure),
                *expected,
                "{host} insecure={insecure}"
            );
        }
    }

    #[test]
    fn docker_hub_maps_to_its_api_host() {
        assert_eq!(api_host("docker.io"), "registry-1.docker.io");
        assert_eq!(api_host("index.docker.io"), "registry-1.docker.io");
        assert_eq!(api_host("quay.io"), "quay.io");
        assert_eq!(api_host("localhost:5000"), "localhost:5000");
    }

    #[test]
    fn insecure_entries_match_with_or_without_port() {
        let cases = [
            ("reg.corp", "reg.corp:5000", true),
            ("reg.corp", "reg.corp", true),
            ("reg.corp:5000", "reg.corp:5000", true),
            ("reg.corp:5000", "reg.corp:6000", false),
            ("reg.corp:5000", "reg.corp", false),
            ("other.corp", "reg.corp", false),
        ];
        for (entry, host, expected) in cases {
            assert_eq!(host_matches(entry, host), expected, "{entry} vs {host}");
        }
    }
}
