//! The platform this program runs on, as registries name platforms.

use oci_manifest::Platform;

/// The platform of the running host (`linux/amd64` on x86-64 Linux),
/// normalised: Rust's architecture names are mapped to the Go names that
/// manifest lists and indexes use, and implied variants are filled in.
///
/// ```
/// let host = registry_client::image::host_platform();
/// assert_eq!(host, host.normalized());
/// ```
pub fn host_platform() -> Platform {
    let architecture = match std::env::consts::ARCH {
        "x86" => "386",
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        "mips64" => "mips64",
        other => other,
    };
    let architecture = if architecture == "ppc64" && cfg!(target_endian = "little") {
        "ppc64le"
    } else {
        architecture
    };
    Platform::new(std::env::consts::OS, architecture).normalized()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    fn linux_x86_64_is_linux_amd64() {
        assert_eq!(host_platform().to_string(), "linux/amd64");
    }

    #[test]
    fn the_host_platform_round_trips_through_its_text() {
        let host = host_platform();
        let parsed: Platform = host.to_string().parse().unwrap();
        assert!(parsed.matches(&host) && host.matches(&parsed));
    }
}
