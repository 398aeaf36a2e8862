//! Which scheme and TLS mode to use for a registry host, and in what order to try them.
//!
//! https with verified certificates is the default, and the only scheme for other hosts.
//!
//! Hosts that cannot be reached from elsewhere (`localhost`, loopback addresses, `*.local`) are
//! tried with verified https first and plain http second, so a local plain-http registry works
//! without configuration and a local TLS registry can be verified with a CA file. The fallback
//! is taken only when the https attempt shows the peer does not speak TLS (it answered the
//! handshake with something else, or closed or refused the connection). A peer that does speak
//! TLS but whose certificate fails verification ends discovery with a TLS error: quietly
//! switching to http then would hide the misconfiguration and send credentials in the clear.
//!
//! Hosts the user marks insecure are tried as https without certificate verification first and
//! as plain http second, so a registry that does have TLS keeps it.

use std::fmt;

/// How a connection to a registry is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scheme {
    /// TLS with certificate verification.
    Https,
    /// TLS without certificate verification (user-marked insecure hosts only).
    HttpsUnverified,
    /// Plain http.
    Http,
}

impl Scheme {
    /// The URL scheme.
    pub(crate) fn as_str(&self) -> &'static str {
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
pub(crate) fn api_host(registry: &str) -> &str {
    match registry {
        "docker.io" | "index.docker.io" | "registry.hub.docker.com" => oci_manifest::DOCKER_HUB_ENDPOINT,
        other => other,
    }
}

/// The schemes to try for `host`, in order; `insecure` says whether the user marked it.
///
/// A local host not marked insecure gets verified https and then plain http; see
/// [`peer_speaks_tls`] for when the second is allowed.
///
/// A local host the user marks insecure is tried with unverified https first too: marking says
/// "this host may have TLS I cannot verify", which is how a test registry with a self-made
/// certificate on a loopback address is reached.
pub(crate) fn candidate_schemes(host: &str, insecure: bool) -> &'static [Scheme] {
    if insecure {
        &[Scheme::HttpsUnverified, Scheme::Http]
    } else if is_local(host) {
        &[Scheme::Https, Scheme::Http]
    } else {
        &[Scheme::Https]
    }
}

/// Whether `host` (`name[:port]`, `[v6]:port` or a bare address) only exists on this machine
/// or network: localhost, loopback addresses and mDNS `*.local` names.
pub(crate) fn is_local(host: &str) -> bool {
    registry_auth::is_local_host(strip_port(host))
}

/// Whether a failed connection shows that the peer speaks TLS: a TLS error other than
/// "these bytes are not TLS records" was raised during the handshake (an unknown issuer, a
/// name mismatch, an alert from the server). Such a failure must not lead to a plain-http
/// retry; a refused or closed connection, or an http answer to the handshake, may.
pub(crate) fn peer_speaks_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(current) = cause {
        #[cfg(feature = "tls")]
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return !matches!(tls, rustls::Error::InvalidMessage(_));
        }
        cause = next_cause(current);
    }
    false
}

/// The error below `error`. An `io::Error` wrapping another error reports that error's
/// *source* from `source()`, skipping the wrapped error itself (where the TLS error sits, often
/// inside a second `io::Error`), so its wrapped error is taken instead.
fn next_cause<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a (dyn std::error::Error + 'static)> {
    match error.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
        Some(wrapped) => Some(wrapped),
        None => error.source(),
    }
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

/// The hosts the user marked insecure (by the builder or registries.conf): https without
/// certificate verification, then plain http.
#[derive(Debug, Clone, Default)]
pub(crate) struct InsecureHosts {
    entries: Vec<String>,
}

impl InsecureHosts {
    /// The set of `entries` (`name` or `name:port`, see [`host_matches`]).
    pub(crate) fn new(entries: Vec<String>) -> InsecureHosts {
        InsecureHosts { entries }
    }

    /// Whether `host` is one of them.
    pub(crate) fn contains(&self, host: &str) -> bool {
        self.entries.iter().any(|entry| host_matches(entry, host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_choice() {
        use Scheme::*;
        let cases: &[(&str, bool, &[Scheme])] = &[
            ("localhost", false, &[Https, Http]),
            ("localhost:5000", false, &[Https, Http]),
            ("LocalHost:5000", false, &[Https, Http]),
            ("127.0.0.1:5000", false, &[Https, Http]),
            ("127.3.2.1", false, &[Https, Http]),
            ("[::1]:5000", false, &[Https, Http]),
            ("::1", false, &[Https, Http]),
            ("myregistry.local:443", false, &[Https, Http]),
            ("box.localhost", false, &[Https, Http]),
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

    #[cfg(feature = "tls")]
    #[test]
    fn only_a_tls_speaking_peer_blocks_the_fallback() {
        use rustls::{CertificateError, InvalidMessage};
        #[derive(Debug, thiserror::Error)]
        #[error("client error (Connect)")]
        struct Outer(#[source] std::io::Error);
        let wrapped = |tls: rustls::Error| -> Box<dyn std::error::Error + 'static> {
            Box::new(Outer(std::io::Error::new(std::io::ErrorKind::InvalidData, tls)))
        };
        let cases: Vec<(&str, Box<dyn std::error::Error + 'static>, bool)> = vec![
            (
                "unknown issuer",
                wrapped(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)),
                true,
            ),
            (
                "name mismatch",
                wrapped(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName,
                )),
                true,
            ),
            (
                "alert",
                wrapped(rustls::Error::AlertReceived(
                    rustls::AlertDescription::HandshakeFailure,
                )),
                true,
            ),
            (
                "io error inside an io error",
                Box::new(Outer(std::io::Error::other(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                )))),
                true,
            ),
            (
                "bare TLS error",
                Box::new(rustls::Error::InvalidCertificate(CertificateError::Expired)),
                true,
            ),
            (
                "http answer to a ClientHello",
                wrapped(rustls::Error::InvalidMessage(InvalidMessage::InvalidContentType)),
                false,
            ),
            (
                "refused",
                Box::new(Outer(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))),
                false,
            ),
            (
                "closed",
                Box::new(Outer(std::io::Error::from(std::io::ErrorKind::UnexpectedEof))),
                false,
            ),
        ];
        for (name, error, expected) in cases {
            assert_eq!(peer_speaks_tls(error.as_ref()), expected, "{name}");
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
