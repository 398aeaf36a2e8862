//! The v1 image metadata carried in one schema1 `v1Compatibility` string.

use std::collections::BTreeMap;

use crate::ContainerConfig;
use oci_digest::Digest;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Timestamp, V1Id};
use crate::Error;

/// The v1Compatibility JSON as it is written; unmodelled fields land in `other`.
/// A JSON array is refused, as Go refuses to fill a struct from one (the
/// flattened `other` makes this a map-only type).
#[derive(Deserialize)]
struct Fields {
    id: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    author: Option<String>,
    /// The config of the container the layer was built in; Docker's `Cmd`
    /// there is the build step.
    #[serde(default)]
    container_config: Option<ContainerConfig>,
    #[serde(default)]
    config: Option<ContainerConfig>,
    #[serde(default)]
    throwaway: Option<bool>,
    #[serde(rename = "Size", default)]
    size: Option<i64>,
    #[serde(default)]
    docker_version: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// The parsed fields of one layer's `v1Compatibility` JSON.
///
/// An empty string counts as absent, as it does for Docker (`"parent": ""`
/// on a base layer is common).
#[derive(Debug, Clone, PartialEq)]
pub struct V1Metadata {
    id: V1Id,
    parent: Option<V1Id>,
    created: Option<Timestamp>,
    comment: Option<String>,
    author: Option<String>,
    command: Option<Vec<String>>,
    throwaway: bool,
    size: Option<i64>,
    docker_version: Option<String>,
    architecture: Option<String>,
    os: Option<String>,
    variant: Option<String>,
    env: Option<Vec<String>>,
    labels: Option<BTreeMap<String, String>>,
    other: Map<String, Value>,
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.is_empty())
}

impl V1Metadata {
    /// Parses a `v1Compatibility` string; `layer` (base first) names the layer in errors.
    pub fn parse(v1_compatibility: &str, layer: usize) -> Result<V1Metadata, Error> {
        let fields: Fields =
            serde_json::from_str(v1_compatibility).map_err(|source| Error::V1Json { layer, source })?;
        let id = fields.id.parse::<V1Id>().map_err(|e| e.at_layer(layer))?;
        let parent = non_empty(fields.parent)
            .map(|p| p.parse::<V1Id>())
            .transpose()
            .map_err(|e| e.at_layer(layer))?;
        let created = non_empty(fields.created)
            .map(|c| c.parse::<Timestamp>())
            .transpose()
            .map_err(|e| Error::LayerCreated {
                layer,
                source: Box::new(e),
            })?;
        let (env, labels) = match fields.config {
            Some(config) => (config.env, config.labels),
            None => (None, None),
        };
        Ok(V1Metadata {
            id,
            parent,
            created,
            comment: non_empty(fields.comment),
            author: non_empty(fields.author),
            command: fields.container_config.and_then(|c| c.cmd),
            throwaway: fields.throwaway.unwrap_or(false),
            size: fields.size,
            docker_version: non_empty(fields.docker_version),
            architecture: non_empty(fields.architecture),
            os: non_empty(fields.os),
            variant: non_empty(fields.variant),
            env,
            labels,
            other: fields.other,
        })
    }

    /// The v1 image ID (`id`).
    pub fn id(&self) -> &V1Id {
        &self.id
    }

    /// The parent's v1 image ID (`parent`), absent on a base layer.
    pub fn parent(&self) -> Option<&V1Id> {
        self.parent.as_ref()
    }

    /// When the layer was created (`created`).
    pub fn created(&self) -> Option<&Timestamp> {
        self.created.as_ref()
    }

    /// The commit message (`comment`).
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// Who made the layer (`author`).
    pub fn author(&self) -> Option<&str> {
        self.author.as_deref()
    }

    /// The command that built the layer (`container_config.Cmd`).
    pub fn command(&self) -> Option<&[String]> {
        self.command.as_deref()
    }

    /// The command as image-config history spells it: the words joined by spaces.
    pub fn created_by(&self) -> String {
        self.command
            .as_deref()
            .map(|words| words.join(" "))
            .unwrap_or_default()
    }

    /// Whether the layer carries no filesystem change (`throwaway`): its blob is
    /// the gzipped empty tar and it has no diffID.
    pub fn throwaway(&self) -> bool {
        self.throwaway
    }

    /// The layer size Docker recorded (`Size`), if any.
    pub fn size(&self) -> Option<i64> {
        self.size
    }

    /// The Docker version that built the layer (`docker_version`).
    pub fn docker_version(&self) -> Option<&str> {
        self.docker_version.as_deref()
    }

    /// The CPU architecture (`architecture`).
    pub fn architecture(&self) -> Option<&str> {
        self.architecture.as_deref()
    }

    /// The operating system (`os`).
    pub fn os(&self) -> Option<&str> {
        self.os.as_deref()
    }

    /// The CPU variant (`variant`).
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// The environment of the run config (`config.Env`).
    pub fn env(&self) -> Option<&[String]> {
        self.env.as_deref()
    }

    /// The labels of the run config (`config.Labels`).
    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        self.labels.as_ref()
    }

    /// Every top-level field this type does not model, in document order
    /// (`config` and `container_config` are modelled only in part; the raw
    /// string keeps them whole).
    pub fn other_fields(&self) -> &Map<String, Value> {
        &self.other
    }
}

/// One schema1 layer: its blob, the `v1Compatibility` string exactly as it
/// appears in the manifest, and that string's parsed fields.
#[derive(Debug, Clone, PartialEq)]
pub struct V1Layer {
    blob_sum: Digest,
    v1_compatibility: String,
    metadata: V1Metadata,
}

impl V1Layer {
    /// Parses one layer; `layer` (base first) names it in errors.
    pub fn new(blob_sum: Digest, v1_compatibility: String, layer: usize) -> Result<V1Layer, Error> {
        let metadata = V1Metadata::parse(&v1_compatibility, layer)?;
        Ok(V1Layer {
            blob_sum,
            v1_compatibility,
            metadata,
        })
    }

    /// The layer blob's digest (`blobSum`).
    pub fn blob_sum(&self) -> &Digest {
        &self.blob_sum
    }

    /// The `v1Compatibility` string, byte for byte.
    pub fn v1_compatibility(&self) -> &str {
        &self.v1_compatibility
    }

    /// The parsed fields.
    pub fn metadata(&self) -> &V1Metadata {
        &self.metadata
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "d0c4f1eb7dc8f4dae2b45fe5c0cf4cfc70e5be85d933f5f5f4deb59f134fb520";
    const PARENT: &str = "faeaf6fdfdcbb18d68c12db9683a02428bab83962a493de88b4c7b1ec941db8f";

    #[test]
    fn reads_every_modelled_field() {
        let json = format!(
            r#"{{"id":"{ID}","parent":"{PARENT}","created":"2016-09-23T18:08:50.537223822Z",
            "comment":"c","author":"me","container_config":{{"Cmd":["/bin/sh","-c","true"]}},
            "config":{{"Env":["A=1"],"Labels":{{"k":"v"}}}},"throwaway":true,"Size":42,
            "docker_version":"1.12.1","architecture":"amd64","os":"linux","variant":"v8",
            "extra":{{"kept":[1,2]}},"container":"abc"}}"#
        );
        let m = V1Metadata::parse(&json, 3).unwrap();
        assert_eq!(m.id().as_str(), ID);
        assert_eq!(m.parent().unwrap().as_str(), PARENT);
        assert_eq!(m.created().unwrap().to_string(), "2016-09-23T18:08:50.537223822Z");
        assert_eq!(m.comment(), Some("c"));
        assert_eq!(m.author(), Some("me"));
        assert_eq!(m.command().unwrap(), ["/bin/sh", "-c", "true"]);
        assert_eq!(m.created_by(), "/bin/sh -c true");
        assert!(m.throwaway());
        assert_eq!(m.size(), Some(42));
        assert_eq!(m.docker_version(), Some("1.12.1"));
        assert_eq!(m.architecture(), Some("amd64"));
        assert_eq!(m.os(), Some("linux"));
        assert_eq!(m.variant(), Some("v8"));
        assert_eq!(m.env().unwrap(), ["A=1"]);
        assert_eq!(m.labels().unwrap()["k"], "v");
        let other: Vec<&str> = m.other_fields().keys().map(String::as_str).collect();
        assert_eq!(other, ["extra", "container"]);
        assert_eq!(m.other_fields()["extra"]["kept"][1], 2);
    }

    #[test]
    fn minimal_layer_has_defaults() {
        let m = V1Metadata::parse(&format!(r#"{{"id":"{ID}","parent":"","Size":0}}"#), 0).unwrap();
        assert_eq!(m.parent(), None);
        assert_eq!(m.created(), None);
        assert_eq!(m.command(), None);
        assert_eq!(m.created_by(), "");
        assert!(!m.throwaway());
    }

    #[test]
    fn a_command_string_is_one_word() {
        let json = format!(r#"{{"id":"{ID}","container_config":{{"Cmd":"/bin/sh -c true"}}}}"#);
        let m = V1Metadata::parse(&json, 0).unwrap();
        assert_eq!(m.command().unwrap(), ["/bin/sh -c true"]);
        let json = format!(r#"{{"id":"{ID}","container_config":{{"Cmd":null}}}}"#);
        assert_eq!(V1Metadata::parse(&json, 0).unwrap().command(), None);
    }

    #[test]
    fn errors_name_the_layer() {
        let cases: [(String, &str); 7] = [
            ("not json".into(), "layer 7: v1Compatibility is not valid"),
            (format!(r#"["{ID}"]"#), "layer 7: v1Compatibility is not valid"),
            ("{}".into(), "layer 7: v1Compatibility is not valid"),
            (r#"{"id":"abc"}"#.into(), "layer 7: invalid v1 image ID \"abc\""),
            (
                format!(r#"{{"id":"{ID}","parent":"XYZ"}}"#),
                "layer 7: invalid v1 image ID \"XYZ\"",
            ),
            (
                format!(r#"{{"id":"{ID}","created":"yesterday"}}"#),
                "layer 7: invalid timestamp \"yesterday\"",
            ),
            (
                format!(r#"{{"id":"{ID}","throwaway":"yes"}}"#),
                "layer 7: v1Compatibility is not valid",
            ),
        ];
        for (json, message) in cases {
            let err = V1Metadata::parse(&json, 7).unwrap_err();
            assert!(err.to_string().starts_with(message), "{json}: {err}");
        }
    }

    #[test]
    fn layer_keeps_the_string_byte_for_byte() {
        let json = format!("{{ \"id\" : \"{ID}\" }}");
        let layer = V1Layer::new(oci_digest::known::empty_tar_gzip(), json.clone(), 0).unwrap();
        assert_eq!(layer.v1_compatibility(), json);
        assert_eq!(layer.blob_sum().as_str(), oci_digest::known::EMPTY_TAR_GZIP);
        assert_eq!(layer.metadata().id().as_str(), ID);
    }
}
