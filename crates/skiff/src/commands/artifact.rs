//! `skiff artifact push|pull`: OCI 1.1 artifacts as oras writes and reads them — an image
//! manifest with an `artifactType`, the empty config unless one is given, and one layer per
//! file titled with `org.opencontainers.image.title`. The engine moves them
//! ([`image::push_artifact`], [`image::ArtifactPull`]); this module reads the arguments.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use oci_manifest::MediaType;
use registry_client::image::{
    self, Artifact, ArtifactFile, ArtifactPull, ImageName, ImageSource, NoProgress, RegistrySource,
};
use registry_client::RepositoryRef;

use super::Invocation;
use crate::cli::{ArtifactPullArgs, ArtifactPushArgs};
use crate::failure::Failure;

/// `FILE[:MEDIATYPE]`: a path that exists is a path, whatever colons it holds; otherwise the
/// media type is what follows the last `:`.
fn parse_file(input: &str, default_type: &str) -> Result<ArtifactFile, Failure> {
    let (path, media_type) = match input.rsplit_once(':') {
        Some((path, media_type)) if !Path::new(input).exists() && media_type.contains('/') => {
            (path, media_type)
        }
        _ => (input, default_type),
    };
    let metadata = std::fs::metadata(path).map_err(|e| Failure::usage(format!("artifact file {path}"), e))?;
    if !metadata.is_file() {
        return Err(Failure::usage(
            format!("artifact file {path}"),
            "not a regular file",
        ));
    }
    Ok(ArtifactFile::new(path, MediaType::from(media_type)))
}

/// `K=V` annotations, in order, the last of a repeated key winning.
fn parse_annotations(pairs: &[String]) -> Result<BTreeMap<String, String>, Failure> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
            _ => Err(Failure::usage(
                format!("--annotation {pair:?}"),
                "expected KEY=VALUE",
            )),
        })
        .collect()
}

pub(crate) async fn push(invocation: &Invocation, args: &ArtifactPushArgs) -> Result<(), Failure> {
    let reference = super::registry_only("artifact push", &args.image)?;
    let files = args
        .files
        .iter()
        .map(|f| parse_file(f, image::DEFAULT_FILE_TYPE))
        .collect::<Result<Vec<_>, _>>()?;
    let mut artifact = Artifact::new(files).annotations(parse_annotations(&args.annotations)?);
    if let Some(config) = &args.config {
        artifact = artifact.config(parse_file(config, image::DEFAULT_CONFIG_TYPE)?);
    }
    if let Some(artifact_type) = &args.artifact_type {
        artifact = artifact.artifact_type(MediaType::from(artifact_type.as_str()));
    }
    let repository = RepositoryRef::from(reference);
    let subject = match &args.subject {
        None => None,
        Some(ImageName::Registry(subject)) if RepositoryRef::from(subject) == repository => Some(subject),
        Some(other) => {
            return Err(Failure::usage(
                format!("--subject {other}"),
                format!("the subject must be in the artifact's repository, {repository}"),
            ))
        }
    };
    let client = invocation.client_for(&repository)?;
    let subject = match subject {
        None => None,
        Some(subject) => {
            let found = RegistrySource::new(&client, subject)
                .top_manifest()
                .await
                .map_err(|e| Failure::new(format!("reading subject {subject}"), e))?;
            Some(found.descriptor())
        }
    };
    let digest = image::push_artifact(&client, reference, &artifact, subject, Arc::new(NoProgress))
        .await
        .map_err(|e| Failure::new(format!("pushing artifact {reference}"), e))?;
    super::print_line(digest)
}

pub(crate) async fn pull(invocation: &Invocation, args: &ArtifactPullArgs) -> Result<(), Failure> {
    let reference = super::registry_only("artifact pull", &args.image)?;
    let repository = RepositoryRef::from(reference);
    let client = invocation.client_for(&repository)?;
    let source = RegistrySource::new(&client, reference);
    // Every title is checked before anything is written.
    let pull = ArtifactPull::prepare(&source, &args.dir)
        .await
        .map_err(|e| Failure::new(format!("pulling artifact {reference}"), e))?;
    for file in pull.files() {
        pull.write(file).await.map_err(|e| {
            let path = file.path().display();
            Failure::new(
                format!("downloading blob {} from {repository} to {path}", file.digest()),
                e,
            )
        })?;
        super::print_line(file.path().display())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_need_a_key() {
        let ok = parse_annotations(&["a=1".into(), "b=x=y".into(), "a=2".into()]).unwrap();
        assert_eq!(ok["a"], "2");
        assert_eq!(ok["b"], "x=y");
        assert!(parse_annotations(&["=v".into()]).is_err());
        assert!(parse_annotations(&["novalue".into()]).is_err());
    }
}
