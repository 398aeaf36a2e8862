//! Working out a manifest's format: from what the server said it was
//! (`Content-Type`, with its quirks) and from the bytes themselves.

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::MediaType;

/// The manifest type a `Content-Type` header names, or `None` when the header
/// tells nothing reliable and the bytes must decide.
///
/// Parameters (`; charset=utf-8`) and case are ignored. `None` comes back for a
/// missing header and for the values servers send when they do not know:
/// `application/json` (which the schema1 spec allows for signed schema1),
/// `text/plain`, `application/octet-stream` (CDNs guessing from a tag that looks
/// like a file name), and any non-manifest type. Guessing from the bytes with
/// [`guess_media_type`] recognises schema1 in all of these, and unlike mapping
/// every unknown header to schema1 it also reads other formats served with a
/// wrong header.
///
/// ```
/// use oci_manifest::{normalize_media_type, MediaType};
///
/// assert_eq!(
///     normalize_media_type(Some("application/vnd.docker.distribution.manifest.v2+json; charset=utf-8")),
///     Some(MediaType::DockerSchema2)
/// );
/// assert_eq!(normalize_media_type(Some("text/plain")), None);
/// assert_eq!(normalize_media_type(None), None);
/// ```
pub fn normalize_media_type(content_type: Option<&str>) -> Option<MediaType> {
    let essence = content_type?.split(';').next().unwrap_or_default().trim();
    let media_type = MediaType::from(essence.to_ascii_lowercase());
    media_type.is_manifest().then_some(media_type)
}

/// The fields that tell manifest formats apart; everything else is ignored,
/// and a field of an unexpected JSON type makes the guess fail.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Shape {
    schema_version: Option<i64>,
    media_type: Option<String>,
    signatures: Option<IgnoredAny>,
    config: Option<ConfigShape>,
    layers: Option<IgnoredAny>,
    manifests: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigShape {
    media_type: Option<String>,
}

/// Guesses a manifest's type from its bytes, or `None` if they are not a
/// manifest this crate recognises.
///
/// A `mediaType` field naming a manifest type wins (schema1 is refined by
/// whether `signatures` is present). Without one, `schemaVersion` 1 is schema1,
/// signed when it has `signatures`; `schemaVersion` 2 with `manifests` is an OCI
/// index, and with `config` it is a Docker schema2 manifest if the config is a
/// Docker config and an OCI manifest otherwise (OCI makes `mediaType` optional).
///
/// ```
/// use oci_manifest::{guess_media_type, MediaType};
///
/// let nomime = br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
/// assert_eq!(guess_media_type(nomime), Some(MediaType::OciManifest));
/// assert_eq!(guess_media_type(b"not json"), None);
/// ```
pub fn guess_media_type(bytes: &[u8]) -> Option<MediaType> {
    let shape: Shape = serde_json::from_slice(bytes).ok()?;
    let schema1 = || {
        Some(if shape.signatures.is_some() {
            MediaType::DockerSchema1Signed
        } else {
            MediaType::DockerSchema1
        })
    };
    if let Some(declared) = shape.media_type.as_deref().map(MediaType::from) {
        return if declared.is_schema1() {
            schema1()
        } else {
            declared.is_manifest().then_some(declared)
        };
    }
    match shape.schema_version? {
        1 => schema1(),
        2 if shape.manifests.is_some() => Some(MediaType::OciIndex),
        2 => {
            let config_type = shape.config?.media_type.map(MediaType::from);
            if config_type == Some(MediaType::DockerContainerConfig) {
                Some(MediaType::DockerSchema2)
            } else if shape.layers.is_some() {
                Some(MediaType::OciManifest)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str =
        r#""digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2"#;

    #[test]
    fn normalize_table() {
        let table = [
            (None, None),
            (Some(""), None),
            (Some("application/json"), None),
            (Some("text/plain"), None),
            (Some("text/plain; charset=utf-8"), None),
            (Some("application/octet-stream"), None),
            (Some("application/vnd.oci.image.config.v1+json"), None),
            (
                Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
                Some(MediaType::DockerSchema1Signed),
            ),
            (
                Some("application/vnd.docker.distribution.manifest.v1+json"),
                Some(MediaType::DockerSchema1),
            ),
            (
                Some("Application/Vnd.Oci.Image.Index.v1+json ; charset=utf-8"),
                Some(MediaType::OciIndex),
            ),
            (
                Some(" application/vnd.docker.distribution.manifest.list.v2+json"),
                Some(MediaType::DockerManifestList),
            ),
        ];
        for (header, expected) in table {
            assert_eq!(normalize_media_type(header), expected, "{header:?}");
        }
    }

    #[test]
    fn guess_table() {
        let docker_config = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.docker.container.image.v1+json",{CONFIG}}},"layers":[]}}"#
        );
        let oci_config = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json",{CONFIG}}},"layers":[]}}"#
        );
        let artifact = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.example+json",{CONFIG}}},"layers":[]}}"#
        );
        let table: Vec<(String, Option<MediaType>)> = vec![
            // Declared types win.
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#.into(),
                Some(MediaType::DockerSchema2),
            ),
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}"#.into(),
                Some(MediaType::DockerManifestList),
            ),
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.into(),
                Some(MediaType::OciIndex),
            ),
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#.into(),
                Some(MediaType::OciManifest),
            ),
            // Schema1, signed or not, with or without mediaType.
            (r#"{"schemaVersion":1,"name":"a","fsLayers":[]}"#.into(), Some(MediaType::DockerSchema1)),
            (r#"{"schemaVersion":1,"signatures":[]}"#.into(), Some(MediaType::DockerSchema1Signed)),
            (
                r#"{"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+json","signatures":[{}]}"#.into(),
                Some(MediaType::DockerSchema1Signed),
            ),
            // "nomime" manifests: no mediaType field.
            (docker_config, Some(MediaType::DockerSchema2)),
            (oci_config, Some(MediaType::OciManifest)),
            (artifact, Some(MediaType::OciManifest)),
            (r#"{"schemaVersion":2,"manifests":[]}"#.into(), Some(MediaType::OciIndex)),
            // Not manifests we recognise.
            (r#"{"schemaVersion":2}"#.into(), None),
            (r#"{"schemaVersion":3,"layers":[]}"#.into(), None),
            (r#"{"schemaVersion":"2"}"#.into(), None),
            (r#"{"schemaVersion":2,"mediaType":"application/vnd.example+json","layers":[]}"#.into(), None),
            (r#"{"mediaType":"application/vnd.example+json"}"#.into(), None),
            (r#"{"config":{}}"#.into(), None),
            ("[]".into(), None),
            ("".into(), None),
            ("not json".into(), None),
        ];
        for (bytes, expected) in table {
            assert_eq!(guess_media_type(bytes.as_bytes()), expected, "{bytes}");
        }
    }
}
