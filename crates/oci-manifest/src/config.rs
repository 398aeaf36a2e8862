//! The image configuration blob (Docker `container.image.v1` and OCI
//! `image.config.v1`): platform, run-time defaults, layer diffIDs and history.
//!
//! These are plain records with public fields rather than validated newtypes:
//! nothing in them has an invariant to protect. Members this crate does not
//! model (Docker's `container_config`, `docker_version`, ...) are kept in
//! `extra`.
//!
//! Configs are read as Go reads them (Docker, containers/image and skopeo are
//! Go programs, so what they accept is what is out there): `null` where a
//! string, list, number or boolean is expected is that type's zero value,
//! `null` elements of a string list or values of a string map are empty
//! strings, and a command (`Cmd`, `Entrypoint`) may be one string, as
//! Docker's `strslice` allows.

use std::collections::BTreeMap;

use oci_digest::Digest;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::{json, Error};

/// An image configuration, as Docker and OCI both write it.
///
/// ```
/// use oci_manifest::ImageConfig;
///
/// let config = ImageConfig::from_slice(br#"{"architecture":"amd64","os":"linux",
///     "config":{"Env":["PATH=/bin"],"Cmd":["sh"]},
///     "rootfs":{"type":"layers","diff_ids":[]},"docker_version":"24.0.5"}"#)?;
/// assert_eq!(config.os, "linux");
/// assert_eq!(config.config.as_ref().unwrap().env.as_deref(), Some(&["PATH=/bin".to_owned()][..]));
/// assert_eq!(config.docker_version(), Some("24.0.5"));
/// # Ok::<(), oci_manifest::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImageConfig {
    /// When the image was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Who created the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The CPU architecture, such as `amd64`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub architecture: String,
    /// The operating system, such as `linux`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub os: String,
    /// The OS version (Windows).
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Required OS features.
    #[serde(
        rename = "os.features",
        default,
        deserialize_with = "go_strings",
        skip_serializing_if = "Option::is_none"
    )]
    pub os_features: Option<Vec<String>>,
    /// The CPU variant, such as `v8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Defaults for containers run from the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
    /// The uncompressed layers, by diffID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rootfs: Option<RootFs>,
    /// How each layer was made, base first; `empty_layer` entries have no layer.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub history: Vec<History>,
    /// Members not modelled above, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ImageConfig {
    /// Parses a configuration blob.
    pub fn from_slice(bytes: &[u8]) -> Result<ImageConfig, Error> {
        serde_json::from_slice(bytes).map_err(|source| Error::Json {
            format: "image configuration",
            source,
        })
    }

    /// Serialises compactly with Go's escaping, members in the order of the
    /// OCI Go type (`created`, `author`, the platform, `config`, `rootfs`,
    /// `history`), then the unmodelled ones. Docker orders its own configs
    /// otherwise: a config that must keep its digest is kept as bytes.
    pub fn to_vec(&self) -> Result<Vec<u8>, Error> {
        json::to_canonical("image configuration", self)
    }

    /// The Docker version that built the image (Docker configs only).
    pub fn docker_version(&self) -> Option<&str> {
        self.extra.get("docker_version").and_then(Value::as_str)
    }

    /// The platform the configuration describes.
    pub fn platform(&self) -> crate::Platform {
        let mut platform = crate::Platform::new(&self.os, &self.architecture);
        if let Some(variant) = &self.variant {
            platform = platform.with_variant(variant);
        }
        if let Some(os_version) = &self.os_version {
            platform = platform.with_os_version(os_version);
        }
        platform
    }

    /// The layer diffIDs, base first (empty when there is no `rootfs`).
    pub fn diff_ids(&self) -> &[Digest] {
        self.rootfs.as_ref().map_or(&[], |rootfs| &rootfs.diff_ids)
    }

    /// The container labels, if the configuration has any.
    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        self.config.as_ref().and_then(|config| config.labels.as_ref())
    }
}

/// Defaults for containers run from an image: the `config` member.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContainerConfig {
    /// `user`, `uid`, `user:group` or `uid:gid` to run as.
    #[serde(rename = "User", default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Ports to expose, such as `80/tcp`, each mapped to an empty object.
    #[serde(rename = "ExposedPorts", default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    /// Environment, `NAME=value`.
    #[serde(
        rename = "Env",
        default,
        deserialize_with = "go_strings",
        skip_serializing_if = "Option::is_none"
    )]
    pub env: Option<Vec<String>>,
    /// The program to run.
    #[serde(
        rename = "Entrypoint",
        default,
        deserialize_with = "go_command",
        skip_serializing_if = "Option::is_none"
    )]
    pub entrypoint: Option<Vec<String>>,
    /// Default arguments (or command, without an entrypoint).
    #[serde(
        rename = "Cmd",
        default,
        deserialize_with = "go_command",
        skip_serializing_if = "Option::is_none"
    )]
    pub cmd: Option<Vec<String>>,
    /// Paths that are volumes, each mapped to an empty object.
    #[serde(rename = "Volumes", default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, Value>>,
    /// The working directory.
    #[serde(rename = "WorkingDir", default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Labels.
    #[serde(
        rename = "Labels",
        default,
        deserialize_with = "go_string_map",
        skip_serializing_if = "Option::is_none"
    )]
    pub labels: Option<BTreeMap<String, String>>,
    /// The signal that stops the container.
    #[serde(rename = "StopSignal", default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// Members not modelled above (Docker's `Hostname`, `Healthcheck`, ...), kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The image's filesystem: its layers by diffID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub kind: String,
    /// The uncompressed layers' digests, base first.
    #[serde(default, deserialize_with = "null_as_default")]
    pub diff_ids: Vec<Digest>,
    /// The base layer of a Windows image, which is no layer of the image
    /// (Docker's `base_layer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_layer: Option<String>,
}

impl RootFs {
    /// A `layers` root filesystem with these diffIDs.
    pub fn layers(diff_ids: Vec<Digest>) -> RootFs {
        RootFs {
            kind: "layers".to_owned(),
            diff_ids,
            base_layer: None,
        }
    }
}

impl Default for RootFs {
    fn default() -> RootFs {
        RootFs::layers(Vec::new())
    }
}

/// How one layer of an image was made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct History {
    /// When (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The command that made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Who made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// A comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Whether this step made no layer.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub empty_layer: bool,
}

/// A value as Go reads it into a field that is not a pointer: `null` leaves
/// the zero value.
fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An optional list of strings as Go reads a `[]string`: a `null` element is "".
fn go_strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<String>>, D::Error> {
    let list: Option<Vec<Option<String>>> = Option::deserialize(deserializer)?;
    Ok(list.map(|items| items.into_iter().map(Option::unwrap_or_default).collect()))
}

/// An optional string map as Go reads a `map[string]string`: a `null` value is "".
fn go_string_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    let map: Option<BTreeMap<String, Option<String>>> = Option::deserialize(deserializer)?;
    Ok(map.map(|entries| {
        entries
            .into_iter()
            .map(|(key, value)| (key, value.unwrap_or_default()))
            .collect()
    }))
}

/// A command as Docker's `strslice` reads it: a list of words, or one string
/// that stands for a one-word list.
fn go_command<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Command {
        #[serde(deserialize_with = "words")]
        Words(Vec<String>),
        Single(String),
    }
    fn words<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
        let words: Vec<Option<String>> = Vec::deserialize(deserializer)?;
        Ok(words.into_iter().map(Option::unwrap_or_default).collect())
    }
    Ok(
        Option::<Command>::deserialize(deserializer)?.map(|command| match command {
            Command::Words(words) => words,
            Command::Single(word) => vec![word],
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER: &str = r#"{"architecture":"amd64","config":{"Hostname":"","User":"app","ExposedPorts":{"80/tcp":{}},"Env":["PATH=/usr/bin"],"Cmd":["/bin/sh"],"Entrypoint":["/init"],"Volumes":{"/data":{}},"WorkingDir":"/srv","Labels":{"a":"b"},"StopSignal":"SIGTERM","OnBuild":null},"container":"abc","created":"2024-01-02T03:04:05.123456789Z","docker_version":"24.0.5","history":[{"created":"2024-01-02T03:04:05Z","created_by":"/bin/sh -c #(nop) ADD file:x in / "},{"created":"2024-01-02T03:04:06Z","created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"]}}"#;

    #[test]
    fn reads_every_modelled_docker_field() {
        let config = ImageConfig::from_slice(DOCKER.as_bytes()).unwrap();
        assert_eq!(config.architecture, "amd64");
        assert_eq!(config.os, "linux");
        assert_eq!(config.created.as_deref(), Some("2024-01-02T03:04:05.123456789Z"));
        assert_eq!(config.docker_version(), Some("24.0.5"));
        let run = config.config.as_ref().unwrap();
        assert_eq!(run.user.as_deref(), Some("app"));
        assert!(run.exposed_ports.as_ref().unwrap().contains_key("80/tcp"));
        assert_eq!(run.env.as_ref().unwrap(), &["PATH=/usr/bin"]);
        assert_eq!(run.cmd.as_ref().unwrap(), &["/bin/sh"]);
        assert_eq!(run.entrypoint.as_ref().unwrap(), &["/init"]);
        assert!(run.volumes.as_ref().unwrap().contains_key("/data"));
        assert_eq!(run.working_dir.as_deref(), Some("/srv"));
        assert_eq!(config.labels().unwrap()["a"], "b");
        assert_eq!(run.stop_signal.as_deref(), Some("SIGTERM"));
        assert!(run.extra.contains_key("Hostname"));
        assert_eq!(config.diff_ids()[0].as_str(), oci_digest::known::EMPTY_TAR);
        assert_eq!(config.history.len(), 2);
        assert!(config.history[1].empty_layer);
    }

    #[test]
    fn unknown_members_survive_a_round_trip() {
        let config = ImageConfig::from_slice(DOCKER.as_bytes()).unwrap();
        let again = ImageConfig::from_slice(&config.to_vec().unwrap()).unwrap();
        assert_eq!(again, config);
        assert_eq!(again.extra["container"], "abc");
    }

    #[test]
    fn oci_config_with_platform_extras() {
        let json = br#"{"created":"2024-01-01T00:00:00Z","author":"me","architecture":"arm64","os":"linux","os.version":"1","os.features":["f"],"variant":"v8","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let config = ImageConfig::from_slice(json).unwrap();
        assert_eq!(config.variant.as_deref(), Some("v8"));
        assert_eq!(config.os_version.as_deref(), Some("1"));
        assert_eq!(config.platform().to_string(), "linux/arm64/v8");
        assert_eq!(config.to_vec().unwrap(), json);
    }

    #[test]
    fn reads_what_go_reads() {
        let json = br#"{"architecture":null,"os":"linux","os.features":["a",null],
            "config":{"Env":["A=1",null],"Cmd":"sh -c true","Entrypoint":null,"Labels":{"k":null}},
            "rootfs":{"diff_ids":null,"base_layer":"C:\\base"},"history":null}"#;
        let config = ImageConfig::from_slice(json).unwrap();
        assert_eq!(config.architecture, "");
        assert_eq!(
            config.os_features.as_deref(),
            Some(&["a".to_owned(), String::new()][..])
        );
        let run = config.config.as_ref().unwrap();
        assert_eq!(run.env.as_ref().unwrap(), &["A=1", ""]);
        assert_eq!(run.cmd.as_ref().unwrap(), &["sh -c true"]);
        assert_eq!(run.entrypoint, None);
        assert_eq!(config.labels().unwrap()["k"], "");
        let rootfs = config.rootfs.as_ref().unwrap();
        assert_eq!((rootfs.kind.as_str(), rootfs.diff_ids.len()), ("", 0));
        assert_eq!(rootfs.base_layer.as_deref(), Some("C:\\base"));
        assert!(config.history.is_empty());

        let history: History = serde_json::from_str(r#"{"empty_layer":null,"created_by":"x"}"#).unwrap();
        assert!(!history.empty_layer);
        let words: ContainerConfig = serde_json::from_str(r#"{"Cmd":["sh",null]}"#).unwrap();
        assert_eq!(words.cmd.unwrap(), ["sh", ""]);
    }

    #[test]
    fn written_with_go_escaping() {
        let step = History {
            created_by: Some("a && <b>\u{8}\u{c}".to_owned()),
            ..History::default()
        };
        let config = ImageConfig {
            history: vec![step],
            ..ImageConfig::default()
        };
        assert_eq!(
            String::from_utf8(config.to_vec().unwrap()).unwrap(),
            r#"{"architecture":"","os":"","history":[{"created_by":"a \u0026\u0026 \u003cb\u003e\u0008\u000c"}]}"#
        );
    }

    #[test]
    fn malformed_configs_are_typed_errors() {
        for json in [
            &b"[]"[..],
            b"{",
            br#"{"rootfs":{"type":"layers","diff_ids":["nope"]}}"#,
            br#"{"config":{"Env":"A=1"}}"#,
            br#"{"config":{"Cmd":[1]}}"#,
            br#"{"architecture":7}"#,
        ] {
            assert!(matches!(ImageConfig::from_slice(json), Err(Error::Json { .. })));
        }
    }
}
