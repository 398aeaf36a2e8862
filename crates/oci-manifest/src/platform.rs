//! The platform an image runs on (`os`, `architecture`, `variant`, ...), its
//! normalisation, and matching it when choosing from a list or index.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The platform of an entry in a manifest list or OCI index, or of an image config.
///
/// Names are kept as given so that re-serialising is faithful;
/// [`normalized`](Self::normalized) and [`matches`](Self::matches) apply the
/// usual aliases (`x86_64` is `amd64`, `aarch64` is `arm64`, `arm64` defaults
/// to variant `v8`, `arm` to `v7`).
///
/// ```
/// use oci_manifest::Platform;
///
/// let wanted: Platform = "linux/arm64".parse()?;
/// let entry = Platform::new("linux", "aarch64").with_variant("8");
/// assert!(entry.matches(&wanted));
/// assert_eq!(entry.normalized().to_string(), "linux/arm64/v8");
/// # Ok::<(), oci_manifest::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    architecture: String,
    os: String,
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    os_version: Option<String>,
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    os_features: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    variant: Option<String>,
    /// Docker manifest lists' `features` (reserved, never used in practice).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    features: Vec<String>,
}

impl Platform {
    /// A platform with just an operating system and an architecture.
    pub fn new(os: &str, architecture: &str) -> Platform {
        Platform {
            architecture: architecture.to_owned(),
            os: os.to_owned(),
            os_version: None,
            os_features: Vec::new(),
            variant: None,
            features: Vec::new(),
        }
    }

    /// The same platform with a CPU variant such as `v7` or `v8`.
    pub fn with_variant(mut self, variant: &str) -> Platform {
        self.variant = Some(variant.to_owned());
        self
    }

    /// The same platform with an OS version (Windows images use this).
    pub fn with_os_version(mut self, os_version: &str) -> Platform {
        self.os_version = Some(os_version.to_owned());
        self
    }

    /// The same platform with required OS features.
    pub fn with_os_features(mut self, os_features: Vec<String>) -> Platform {
        self.os_features = os_features;
        self
    }

    /// The operating system, such as `linux`.
    pub fn os(&self) -> &str {
        &self.os
    }

    /// The CPU architecture, such as `amd64`.
    pub fn architecture(&self) -> &str {
        &self.architecture
    }

    /// The CPU variant, such as `v8`.
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// The OS version (`os.version`).
    pub fn os_version(&self) -> Option<&str> {
        self.os_version.as_deref()
    }

    /// Required OS features (`os.features`).
    pub fn os_features(&self) -> &[String] {
        &self.os_features
    }

    /// The platform with canonical names: lowercase OS, Go architecture names,
    /// and the variant an architecture implies when none is given.
    pub fn normalized(&self) -> Platform {
        let os = self.os.to_ascii_lowercase();
        let architecture = self.architecture.to_ascii_lowercase();
        let variant = self.variant.as_deref().map(str::to_ascii_lowercase);
        let (architecture, variant) = normalize_architecture(&architecture, variant.as_deref());
        Platform {
            architecture: architecture.to_owned(),
            os,
            variant: variant.map(str::to_owned),
            ..self.clone()
        }
    }

    /// Whether this platform (a list entry) can serve `wanted` (what the user
    /// asked for): [`rank_for`](Self::rank_for) is `Some`.
    pub fn matches(&self, wanted: &Platform) -> bool {
        self.rank_for(wanted).is_some()
    }

    /// How well this platform (a list entry) serves `wanted`: the position of
    /// the first of `wanted`'s [`compatible`](Self::compatible) platforms it
    /// equals after normalisation (0 is an exact match), or `None` when it
    /// cannot run there. The OS version counts only when `wanted` names one.
    pub fn rank_for(&self, wanted: &Platform) -> Option<usize> {
        let have = self.normalized();
        if wanted.os_version.is_some() && have.os_version != wanted.os_version {
            return None;
        }
        wanted.compatible().iter().position(|candidate| {
            have.os == candidate.os
                && have.architecture == candidate.architecture
                && have.variant == candidate.variant
        })
    }

    /// The normalised platforms that can serve a request for this one, best
    /// first, by containerd's rules (`platforms.Only`): the platform itself,
    /// then amd64/vN down to v1 and then 386; arm/vN down to v5; arm64 (v9,
    /// then v8) and then 32-bit arm from v8 down to v5. An arm request without
    /// a variant takes the best arm there is (v8 down to v5), as
    /// containers/image's `WantedPlatforms` does.
    pub fn compatible(&self) -> Vec<Platform> {
        let base = self.normalized();
        let with = |architecture: &str, variant: Option<String>| Platform {
            architecture: architecture.to_owned(),
            variant,
            ..base.clone()
        };
        let version = |variant: Option<&str>| {
            variant
                .and_then(|v| v.strip_prefix('v'))
                .and_then(|n| n.parse::<u32>().ok())
        };
        let arm_down_from = |top: u32| (5..=top.min(8)).rev().map(move |n| Some(format!("v{n}")));
        let arm_requested_bare = self.variant.is_none() && self.architecture.eq_ignore_ascii_case("arm");
        match (base.architecture.as_str(), version(base.variant.as_deref())) {
            ("amd64", level) => {
                let level = level.unwrap_or(1);
                let mut out: Vec<Platform> = (2..=level)
                    .rev()
                    .map(|n| with("amd64", Some(format!("v{n}"))))
                    .collect();
                out.push(with("amd64", None));
                out.push(with("386", None));
                out
            }
            ("arm", _) if arm_requested_bare => arm_down_from(8).map(|v| with("arm", v)).collect(),
            ("arm", Some(n)) if (5..=8).contains(&n) => arm_down_from(n).map(|v| with("arm", v)).collect(),
            ("arm64", Some(n)) if n >= 8 => {
                let mut out: Vec<Platform> = (8..=n.min(9))
                    .rev()
                    .map(|n| with("arm64", Some(format!("v{n}"))))
                    .collect();
                out.extend(arm_down_from(8).map(|v| with("arm", v)));
                out
            }
            _ => vec![base],
        }
    }
}

/// Maps architecture aliases to Go names and fills in implied variants.
fn normalize_architecture<'a>(architecture: &'a str, variant: Option<&'a str>) -> (&'a str, Option<&'a str>) {
    match (architecture, variant) {
        ("i386" | "i686" | "x86", _) => ("386", None),
        ("x86_64" | "x86-64" | "amd64", Some("v1")) => ("amd64", None),
        ("x86_64" | "x86-64" | "amd64", variant) => ("amd64", variant),
        ("aarch64" | "arm64", Some("8" | "v8") | None) => ("arm64", Some("v8")),
        ("aarch64" | "arm64", variant) => ("arm64", variant),
        ("armhf", _) => ("arm", Some("v7")),
        ("armel", _) => ("arm", Some("v6")),
        ("arm", None | Some("7" | "v7")) => ("arm", Some("v7")),
        ("arm", Some("5")) => ("arm", Some("v5")),
        ("arm", Some("6")) => ("arm", Some("v6")),
        ("arm", Some("8")) => ("arm", Some("v8")),
        (architecture, variant) => (architecture, variant),
    }
}

impl FromStr for Platform {
    type Err = Error;

    /// Parses `OS/ARCH[/VARIANT]`, the form of `--platform`.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason| {
            Err(Error::InvalidPlatform {
                input: input.to_owned(),
                reason,
            })
        };
        let parts: Vec<&str> = input.split('/').collect();
        if parts.iter().any(|part| part.is_empty()) {
            return fail("expected OS/ARCH or OS/ARCH/VARIANT with no empty parts");
        }
        if parts.iter().any(|part| part.contains(char::is_whitespace)) {
            return fail("it must not contain whitespace");
        }
        match parts[..] {
            [os, architecture] => Ok(Platform::new(os, architecture)),
            [os, architecture, variant] => Ok(Platform::new(os, architecture).with_variant(variant)),
            _ => fail("expected OS/ARCH or OS/ARCH/VARIANT"),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_table() {
        let table = [
            ("linux/x86_64", "linux/amd64"),
            ("linux/x86-64", "linux/amd64"),
            ("Linux/AMD64", "linux/amd64"),
            ("linux/amd64/v1", "linux/amd64"),
            ("linux/amd64/v3", "linux/amd64/v3"),
            ("linux/aarch64", "linux/arm64/v8"),
            ("linux/arm64", "linux/arm64/v8"),
            ("linux/arm64/8", "linux/arm64/v8"),
            ("linux/arm64/v9", "linux/arm64/v9"),
            ("linux/arm", "linux/arm/v7"),
            ("linux/arm/7", "linux/arm/v7"),
            ("linux/arm/6", "linux/arm/v6"),
            ("linux/arm/v5", "linux/arm/v5"),
            ("linux/armhf", "linux/arm/v7"),
            ("linux/armel", "linux/arm/v6"),
            ("linux/i386", "linux/386"),
            ("windows/amd64", "windows/amd64"),
            ("linux/s390x", "linux/s390x"),
        ];
        for (input, expected) in table {
            let platform: Platform = input.parse().unwrap();
            assert_eq!(platform.normalized().to_string(), expected, "{input}");
        }
    }

    #[test]
    fn matching_table() {
        let table = [
            // (entry, wanted, matches)
            ("linux/amd64", "linux/amd64", true),
            ("linux/x86_64", "linux/amd64", true),
            ("linux/arm64/v8", "linux/arm64", true),
            ("linux/arm64", "linux/arm64/v8", true),
            ("linux/arm/v6", "linux/arm", true),
            ("linux/arm/v7", "linux/arm", true),
            ("linux/arm/v6", "linux/arm/v6", true),
            ("linux/arm/v7", "linux/arm/v6", false),
            ("linux/amd64/v3", "linux/amd64", false),
            ("linux/amd64", "linux/amd64/v3", true),
            ("linux/386", "linux/amd64", true),
            ("linux/arm/v7", "linux/arm64", true),
            ("linux/arm64", "linux/arm/v7", false),
            ("windows/amd64", "linux/amd64", false),
            ("linux/arm64", "linux/amd64", false),
        ];
        for (entry, wanted, expected) in table {
            let entry: Platform = entry.parse().unwrap();
            let wanted: Platform = wanted.parse().unwrap();
            assert_eq!(entry.matches(&wanted), expected, "{entry} vs {wanted}");
        }
    }

    /// containerd's documented fallbacks (`platforms.Only`), each request's
    /// compatible platforms best first.
    #[test]
    fn fallbacks_follow_containerd() {
        let table: &[(&str, &[&str])] = &[
            ("linux/amd64", &["linux/amd64", "linux/386"]),
            ("linux/x86_64", &["linux/amd64", "linux/386"]),
            (
                "linux/amd64/v3",
                &["linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"],
            ),
            ("linux/arm/v7", &["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"]),
            ("linux/armhf", &["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"]),
            ("linux/armel", &["linux/arm/v6", "linux/arm/v5"]),
            ("linux/arm/6", &["linux/arm/v6", "linux/arm/v5"]),
            ("linux/arm/v5", &["linux/arm/v5"]),
            (
                "linux/arm/v8",
                &["linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"],
            ),
            (
                "linux/arm",
                &["linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"],
            ),
            (
                "linux/arm64",
                &[
                    "linux/arm64/v8",
                    "linux/arm/v8",
                    "linux/arm/v7",
                    "linux/arm/v6",
                    "linux/arm/v5",
                ],
            ),
            (
                "linux/aarch64/8",
                &[
                    "linux/arm64/v8",
                    "linux/arm/v8",
                    "linux/arm/v7",
                    "linux/arm/v6",
                    "linux/arm/v5",
                ],
            ),
            (
                "linux/arm64/v9",
                &[
                    "linux/arm64/v9",
                    "linux/arm64/v8",
                    "linux/arm/v8",
                    "linux/arm/v7",
                    "linux/arm/v6",
                    "linux/arm/v5",
                ],
            ),
            ("Linux/S390X", &["linux/s390x"]),
            (
                "windows/arm64/v8",
                &[
                    "windows/arm64/v8",
                    "windows/arm/v8",
                    "windows/arm/v7",
                    "windows/arm/v6",
                    "windows/arm/v5",
                ],
            ),
        ];
        for (wanted, expected) in table {
            let wanted: Platform = wanted.parse().unwrap();
            let got: Vec<String> = wanted.compatible().iter().map(ToString::to_string).collect();
            assert_eq!(got, *expected, "{wanted}");
        }
    }

    #[test]
    fn os_version_only_counts_when_wanted() {
        let entry = Platform::new("windows", "amd64").with_os_version("10.0.17763.1");
        assert!(entry.matches(&Platform::new("windows", "amd64")));
        assert!(entry.matches(&Platform::new("windows", "amd64").with_os_version("10.0.17763.1")));
        assert!(!entry.matches(&Platform::new("windows", "amd64").with_os_version("10.0.20348.1")));
    }

    #[test]
    fn invalid_platform_strings() {
        for input in [
            "",
            "linux",
            "linux/",
            "/amd64",
            "linux/amd64/v8/x",
            "linux/amd 64",
        ] {
            assert!(
                matches!(input.parse::<Platform>(), Err(Error::InvalidPlatform { .. })),
                "{input:?}"
            );
        }
    }

    #[test]
    fn serde_uses_spec_field_names() {
        let json = r#"{"architecture":"amd64","os":"windows","os.version":"10.0","os.features":["win32k"],"variant":"v2"}"#;
        let platform: Platform = serde_json::from_str(json).unwrap();
        assert_eq!(platform.os_version(), Some("10.0"));
        assert_eq!(platform.os_features(), ["win32k"]);
        assert_eq!(serde_json::to_string(&platform).unwrap(), json);
    }
}
