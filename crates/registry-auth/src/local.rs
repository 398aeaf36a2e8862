//! Which hosts exist only on this machine or the local network.
//!
//! One rule for the whole workspace: a token realm on such a host may be reached over plain
//! http with credentials, and the client tries plain http after https for such a registry.

use std::net::IpAddr;

/// Whether `name` (a host name or address without a port; IPv6 may be bracketed, a trailing
/// dot is allowed) names this machine or the local network: `localhost` and `*.localhost`,
/// mDNS `*.local` names, and loopback addresses.
///
/// ```
/// use registry_auth::is_local_host;
///
/// assert!(is_local_host("localhost"));
/// assert!(is_local_host("[::1]"));
/// assert!(is_local_host("printer.local."));
/// assert!(!is_local_host("registry.example"));
/// assert!(!is_local_host("local"));
/// ```
pub fn is_local_host(name: &str) -> bool {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return ip.is_loopback();
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    name.eq_ignore_ascii_case("localhost")
        || has_suffix_ignore_case(name, ".localhost")
        || has_suffix_ignore_case(name, ".local")
}

/// Whether `name` ends with `suffix` (ASCII case-insensitive) and has something before it.
fn has_suffix_ignore_case(name: &str, suffix: &str) -> bool {
    name.len() > suffix.len()
        && name.is_char_boundary(name.len() - suffix.len())
        && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

#[cfg(test)]
mod tests {
    use super::is_local_host;

    #[test]
    fn local_names_and_loopback_addresses() {
        for name in [
            "localhost",
            "LOCALHOST",
            "a.localhost",
            "box.local",
            "box.local.",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
        ] {
            assert!(is_local_host(name), "{name}");
        }
    }

    #[test]
    fn other_names_are_not_local() {
        for name in [
            "local",
            ".local",
            "localhost.example",
            "10.0.0.1",
            "[2001:db8::1]",
            "registry.example",
            "xn--local",
            "é.loca",
            "ééé",
        ] {
            assert!(!is_local_host(name), "{name}");
        }
    }
}
