//! The one-screen summary of an image that `skopeo inspect` prints.
//!
//! Scripts parse skopeo's output, so the summary keeps its keys, their order
//! and its JSON spelling (four-space indent, Go's HTML escaping), for every
//! manifest format: schema1 values come from the top layer's v1Compatibility,
//! schema2 and OCI values from the image config.

use std::collections::BTreeMap;

use oci_digest::Digest;
use serde::Serialize;

use oci_manifest::{ImageConfig, MediaType, Schema1};

use crate::{go_json, Error, Timestamp, V1History};

/// The summary `skopeo inspect` prints for one image.
///
/// ```
/// use oci_digest::Digest;
/// use oci_manifest::MediaType;
/// use v1_compat::InspectSummary;
///
/// let config = br#"{"architecture":"amd64","os":"linux","created":"2021-05-06T07:08:09Z",
///                  "config":{"Env":["A=1&2"]},"rootfs":{"type":"layers","diff_ids":[]}}"#;
/// let summary = InspectSummary::from_config(
///     "localhost:5000/demo",
///     Digest::sha256(b"manifest"),
///     vec!["latest".to_owned()],
///     &MediaType::OciConfig,
///     config,
///     vec![],
/// )?;
/// let json = summary.to_skopeo_json();
/// assert!(json.contains(r#""Env": [
///         "A=1\u00262"
///     ]"#));
/// # Ok::<(), v1_compat::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectSummary {
    /// skopeo omits the name where there is none (an OCI layout).
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    tag: String,
    digest: Digest,
    repo_tags: Vec<String>,
    /// As printed: `null` for an OCI config without `created` (its field is
    /// optional), Go's zero time for Docker formats (theirs is not).
    #[serde(rename = "Created")]
    created_shown: Option<Timestamp>,
    #[serde(skip)]
    created: Timestamp,
    docker_version: String,
    labels: Option<BTreeMap<String, String>>,
    architecture: String,
    os: String,
    layers: Vec<Digest>,
    env: Option<Vec<String>>,
}

impl InspectSummary {
    /// Summarises a schema2 or OCI image from its config bytes and its
    /// manifest's layer digests (in manifest order).
    ///
    /// `name` is the repository as the user named it (`HOST/NAME`; empty for
    /// a layout), `digest` the manifest's digest, `repo_tags` the
    /// repository's tags and `config_media_type` the config descriptor's
    /// media type (it decides how an unknown creation time is shown).
    pub fn from_config(
        name: &str,
        digest: Digest,
        repo_tags: Vec<String>,
        config_media_type: &MediaType,
        config: &[u8],
        layers: Vec<Digest>,
    ) -> Result<InspectSummary, Error> {
        let parsed: ImageConfig =
            serde_json::from_slice(config).map_err(|source| Error::ConfigJson { source })?;
        let created = parsed
            .created
            .as_deref()
            .map(str::parse::<Timestamp>)
            .transpose()?;
        let created_shown = match created {
            None if *config_media_type == MediaType::OciConfig => None,
            known => Some(known.unwrap_or_default()),
        };
        let created = created.unwrap_or_default();
        let docker_version = parsed.docker_version().unwrap_or_default().to_owned();
        let (env, labels) = parsed.config.map_or((None, None), |c| (c.env, c.labels));
        Ok(InspectSummary {
            name: name.to_owned(),
            tag: String::new(),
            digest,
            repo_tags,
            created_shown,
            created,
            docker_version,
            labels,
            architecture: parsed.architecture,
            os: parsed.os,
            layers,
            env,
        })
    }

    /// Summarises a schema1 image from its manifest: values from the top
    /// layer's v1Compatibility, every layer blob of its v1 history (base
    /// first, empty layers included) and the manifest's tag.
    pub fn from_schema1(
        name: &str,
        digest: Digest,
        repo_tags: Vec<String>,
        manifest: &Schema1,
    ) -> Result<InspectSummary, Error> {
        let history = V1History::from_schema1(manifest)?;
        let top = history.top().metadata();
        let created = top.created().copied().unwrap_or_default();
        Ok(InspectSummary {
            name: name.to_owned(),
            tag: manifest.tag().to_owned(),
            digest,
            repo_tags,
            created_shown: Some(created),
            created,
            docker_version: top.docker_version().unwrap_or_default().to_owned(),
            labels: top.labels().cloned(),
            architecture: top.architecture().unwrap_or_default().to_owned(),
            os: top.os().unwrap_or_default().to_owned(),
            layers: history.layers().iter().map(|l| l.blob_sum().clone()).collect(),
            env: top.env().map(<[String]>::to_vec),
        })
    }

    /// The repository name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tag a schema1 manifest names; empty for other formats.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The manifest digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The repository's tags.
    pub fn repo_tags(&self) -> &[String] {
        &self.repo_tags
    }

    /// When the image was created (Go's zero time when unknown).
    pub fn created(&self) -> &Timestamp {
        &self.created
    }

    /// The Docker version that built the image (empty when unknown).
    pub fn docker_version(&self) -> &str {
        &self.docker_version
    }

    /// The image labels, if the config has any.
    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        self.labels.as_ref()
    }

    /// The CPU architecture.
    pub fn architecture(&self) -> &str {
        &self.architecture
    }

    /// The operating system.
    pub fn os(&self) -> &str {
        &self.os
    }

    /// The layer blobs, base first.
    pub fn layers(&self) -> &[Digest] {
        &self.layers
    }

    /// The environment, if the config sets one.
    pub fn env(&self) -> Option<&[String]> {
        self.env.as_deref()
    }

    /// The summary exactly as `skopeo inspect` prints it, without the final newline.
    pub fn to_skopeo_json(&self) -> String {
        go_json::to_string_indented(self, "    ")
    }
}

#[cfg(test)]
mod tests {
    use oci_manifest::Schema1Layout;

    use super::*;

    #[test]
    fn minimal_config_prints_skopeo_defaults() {
        let summary = InspectSummary::from_config(
            "h/n",
            Digest::sha256(b"m"),
            vec![],
            &MediaType::DockerContainerConfig,
            b"{}",
            vec![],
        )
        .unwrap();
        let expected = format!(
            "{{\n    \"Name\": \"h/n\",\n    \"Digest\": \"{}\",\n    \"RepoTags\": [],\n    \
             \"Created\": \"0001-01-01T00:00:00Z\",\n    \"DockerVersion\": \"\",\n    \"Labels\": null,\n    \
             \"Architecture\": \"\",\n    \"Os\": \"\",\n    \"Layers\": [],\n    \"Env\": null\n}}",
            Digest::sha256(b"m")
        );
        assert_eq!(summary.to_skopeo_json(), expected);
    }

    #[test]
    fn an_oci_config_without_created_shows_null_and_a_layout_has_no_name() {
        let summary = InspectSummary::from_config(
            "",
            Digest::sha256(b"m"),
            vec![],
            &MediaType::OciConfig,
            b"{}",
            vec![],
        )
        .unwrap();
        let json = summary.to_skopeo_json();
        assert!(json.starts_with("{\n    \"Digest\": "), "{json}");
        assert!(json.contains("\"Created\": null,"), "{json}");
        assert_eq!(summary.created(), &Timestamp::default());
    }

    #[test]
    fn schema1_values_come_from_the_top_layer() {
        let base = format!("{:064x}", 1);
        let top = format!("{:064x}", 2);
        let layers = [
            (
                Digest::sha256(b"base"),
                format!(r#"{{"id":"{base}","os":"plan9"}}"#),
            ),
            (
                oci_digest::known::empty_tar_gzip(),
                format!(
                    r#"{{"id":"{top}","parent":"{base}","throwaway":true,"os":"linux","architecture":"arm64",
                        "docker_version":"18.09.7","created":"2019-01-02T03:04:05.60Z",
                        "config":{{"Env":["A=<b>"],"Labels":{{"z":"1","a":"2"}}}}}}"#
                ),
            ),
        ];
        let layers = layers.iter().map(|(blob, v1)| (blob.clone(), v1.as_str()));
        let manifest = Schema1::new(Schema1Layout::ContainersImage, "lib/x", "v9", "amd64", layers).unwrap();
        let summary =
            InspectSummary::from_schema1("h/lib/x", Digest::sha256(b"m"), vec!["v9".into()], &manifest)
                .unwrap();
        let expected = format!(
            "{{\n    \"Name\": \"h/lib/x\",\n    \"Tag\": \"v9\",\n    \"Digest\": \"{}\",\n    \
             \"RepoTags\": [\n        \"v9\"\n    ],\n    \"Created\": \"2019-01-02T03:04:05.6Z\",\n    \
             \"DockerVersion\": \"18.09.7\",\n    \"Labels\": {{\n        \"a\": \"2\",\n        \"z\": \"1\"\n    }},\n    \
             \"Architecture\": \"arm64\",\n    \"Os\": \"linux\",\n    \"Layers\": [\n        \"{}\",\n        \"{}\"\n    ],\n    \
             \"Env\": [\n        \"A=\\u003cb\\u003e\"\n    ]\n}}",
            Digest::sha256(b"m"),
            Digest::sha256(b"base"),
            oci_digest::known::EMPTY_TAR_GZIP
        );
        assert_eq!(summary.to_skopeo_json(), expected);
        assert_eq!(summary.tag(), "v9");
        assert_eq!(summary.layers().len(), 2);
    }

    #[test]
    fn bad_config_is_an_error() {
        let cases: [&[u8]; 3] = [
            b"[]",
            b"{\"created\":\"never\"}",
            b"{\"config\":{\"Env\":\"A=1\"}}",
        ];
        for config in cases {
            assert!(InspectSummary::from_config(
                "h/n",
                Digest::sha256(b"m"),
                vec![],
                &MediaType::OciConfig,
                config,
                vec![]
            )
            .is_err());
        }
    }
}
