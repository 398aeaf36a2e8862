//! `skiff artifact push|pull`: OCI 1.1 artifacts as oras writes and reads them — an image
//! manifest with an `artifactType`, the empty config unless one is given, and one layer per
//! file titled with `org.opencontainers.image.title`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use oci_manifest::{Descriptor, Manifest, MediaType, OciManifest};
use registry_client::{Client, ReferrerListing, RepositoryRef};

use registry_client::image::ImageName;

use super::Invocation;
use crate::cli::{ArtifactPullArgs, ArtifactPushArgs};
use crate::failure::Failure;

/// The annotation naming the file a layer holds.
pub(crate) const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";
/// The media type of a file layer when none is given (oras' default).
const DEFAULT_FILE_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
/// The empty config's media type and content (image-spec 1.1).
const EMPTY_CONFIG_TYPE: &str = "application/vnd.oci.empty.v1+json";
const EMPTY_CONFIG: &[u8] = b"{}";
/// The artifact type of an artifact with the empty config when none is given (oras' default:
/// the spec requires one then).
const DEFAULT_ARTIFACT_TYPE: &str = "application/vnd.unknown.artifact.v1";

/// A file to push and the media type of its layer.
struct FileArg {
    path: PathBuf,
    media_type: MediaType,
}

/// `FILE[:MEDIATYPE]`: a path that exists is a path, whatever colons it holds; otherwise the
/// media type is what follows the last `:`.
fn parse_file(input: &str, default_type: &str) -> Result<FileArg, Failure> {
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
    Ok(FileArg {
        path: PathBuf::from(path),
        media_type: MediaType::from(media_type),
    })
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
    let what = || format!("pushing artifact {reference}");
    let files = args
        .files
        .iter()
        .map(|f| parse_file(f, DEFAULT_FILE_TYPE))
        .collect::<Result<Vec<_>, _>>()?;
    let config = args
        .config
        .as_deref()
        .map(|c| parse_file(c, "application/vnd.oci.image.config.v1+json"))
        .transpose()?;
    let annotations = parse_annotations(&args.annotations)?;
    let repository = RepositoryRef::from(reference);
    let subject = match &args.subject {
        None => None,
        Some(ImageName::Registry(subject)) if RepositoryRef::from(subject) == repository => {
            Some(subject.clone())
        }
        Some(other) => {
            return Err(Failure::usage(
                format!("--subject {other}"),
                format!("the subject must be in the artifact's repository, {repository}"),
            ))
        }
    };
    let client = invocation.client_for(&repository)?;

    let mut layers = Vec::with_capacity(files.len());
    for file in &files {
        let descriptor = upload_file(&client, &repository, file).await?;
        let title = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        layers.push(descriptor.with_annotations(BTreeMap::from([(TITLE_ANNOTATION.to_owned(), title)])));
    }
    let (config, artifact_type) = match &config {
        Some(file) => (upload_file(&client, &repository, file).await?, None),
        None => {
            client
                .push_blob_bytes(&repository, EMPTY_CONFIG)
                .await
                .map_err(|e| Failure::new(what(), e))?;
            let empty = Descriptor::from_data(MediaType::from(EMPTY_CONFIG_TYPE), EMPTY_CONFIG.to_vec());
            (empty, Some(DEFAULT_ARTIFACT_TYPE))
        }
    };
    let mut manifest = OciManifest::new(config, layers).map_err(|e| Failure::new(what(), e))?;
    if let Some(artifact_type) = args.artifact_type.as_deref().or(artifact_type) {
        manifest = manifest
            .with_artifact_type(MediaType::from(artifact_type))
            .map_err(|e| Failure::new(what(), e))?;
    }
    if !annotations.is_empty() {
        manifest = manifest
            .with_annotations(annotations)
            .map_err(|e| Failure::new(what(), e))?;
    }
    let media_type = MediaType::OciManifest;
    let digest = match subject {
        None => client
            .put_manifest(reference, &media_type, manifest.as_bytes().to_vec())
            .await
            .map_err(|e| Failure::new(what(), e))?,
        Some(subject) => {
            let found = client
                .get_manifest(&subject)
                .await
                .map_err(|e| Failure::new(format!("reading subject {subject}"), e))?;
            let descriptor = Descriptor::new(
                found.media_type().clone(),
                found.digest().clone(),
                found.bytes().len() as u64,
            );
            let manifest = manifest
                .with_subject(descriptor)
                .map_err(|e| Failure::new(what(), e))?;
            let (digest, listing) = client
                .put_referrer(reference, &media_type, manifest.as_bytes().to_vec())
                .await
                .map_err(|e| Failure::new(what(), e))?;
            match listing {
                ReferrerListing::FallbackTag { tag, index } => {
                    tracing::info!("listed in the referrers fallback tag {tag} ({index})")
                }
                _ => tracing::info!("the registry lists referrers itself"),
            }
            digest
        }
    };
    super::print_line(digest)
}

/// Uploads one file and returns its layer (or config) descriptor.
async fn upload_file(
    client: &Client,
    repository: &RepositoryRef,
    file: &FileArg,
) -> Result<Descriptor, Failure> {
    let (digest, size) = super::blob::upload_file(client, repository, &file.path).await?;
    Ok(Descriptor::new(file.media_type.clone(), digest, size))
}

/// Where a layer titled `title` goes under `dir`, or why it may not: titles are relative
/// paths that stay inside DIR (no root, no `..`, no empty or `.`-only name).
fn title_path(dir: &Path, title: &str) -> Result<PathBuf, String> {
    let path = Path::new(title);
    if title.is_empty() || title.contains('\0') {
        return Err("an empty title or one with a NUL byte".to_owned());
    }
    let mut normal = 0;
    for component in path.components() {
        match component {
            Component::Normal(_) => normal += 1,
            Component::CurDir => {}
            Component::ParentDir => return Err("it contains `..`".to_owned()),
            Component::RootDir | Component::Prefix(_) => return Err("it is an absolute path".to_owned()),
        }
    }
    if normal == 0 {
        return Err("it names no file".to_owned());
    }
    Ok(dir.join(path))
}

/// Makes the directories between `dir` and `target`, refusing any that is a symlink (it could
/// lead out of `dir`).
fn make_parents(dir: &Path, target: &Path) -> Result<(), String> {
    let Ok(relative) = target.strip_prefix(dir) else {
        return Err("outside the directory".to_owned());
    };
    let mut at = dir.to_path_buf();
    let parents: Vec<_> = relative.components().collect();
    for component in &parents[..parents.len().saturating_sub(1)] {
        at.push(component);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!("{} is a symlink", at.display()))
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(format!("{} is not a directory", at.display())),
            Err(_) => std::fs::create_dir(&at).map_err(|e| format!("creating {}: {e}", at.display()))?,
        }
    }
    Ok(())
}

pub(crate) async fn pull(invocation: &Invocation, args: &ArtifactPullArgs) -> Result<(), Failure> {
    let reference = super::registry_only("artifact pull", &args.image)?;
    let what = || format!("pulling artifact {reference}");
    let repository = RepositoryRef::from(reference);
    let client = invocation.client_for(&repository)?;
    let fetched = client
        .get_manifest(reference)
        .await
        .map_err(|e| Failure::new(what(), e))?;
    let manifest = fetched.parse().map_err(|e| Failure::new(what(), e))?;
    let layers = match &manifest {
        Manifest::OciManifest(m) => m.layers(),
        Manifest::Schema2(m) => m.layers(),
        _ => {
            return Err(Failure::new(
                what(),
                format!(
                    "a {} is not an artifact (it has no file layers)",
                    fetched.media_type()
                ),
            ))
        }
    };
    // Every title is checked before anything is written.
    let mut planned = Vec::new();
    let mut seen = BTreeSet::new();
    for layer in layers {
        let Some(title) = layer.annotations().get(TITLE_ANNOTATION) else {
            continue;
        };
        let path = title_path(&args.dir, title).map_err(|why| {
            Failure::new(
                what(),
                format!("refusing layer title {}: {why}", title.escape_debug()),
            )
        })?;
        if !seen.insert(path.clone()) {
            return Err(Failure::new(
                what(),
                format!("two layers are titled {}", title.escape_debug()),
            ));
        }
        planned.push((layer.digest().clone(), path));
    }
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| Failure::new(format!("creating {}", args.dir.display()), e))?;
    for (digest, path) in planned {
        make_parents(&args.dir, &path).map_err(|why| Failure::new(what(), why))?;
        super::blob::download_to_file(&client, &repository, &digest, &path).await?;
        super::print_line(path.display())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_that_leave_the_directory_are_refused() {
        let dir = Path::new("/out");
        let valid = [
            ("a.txt", "/out/a.txt"),
            ("sub/b.json", "/out/sub/b.json"),
            ("./c", "/out/./c"),
        ];
        for (title, expected) in valid {
            assert_eq!(title_path(dir, title).unwrap(), Path::new(expected), "{title}");
        }
        let invalid = ["", "/etc/passwd", "../x", "a/../../x", "a/..", ".", "./", "x\0y"];
        for title in invalid {
            assert!(title_path(dir, title).is_err(), "{title:?}");
        }
    }

    #[test]
    fn annotations_need_a_key() {
        let ok = parse_annotations(&["a=1".into(), "b=x=y".into(), "a=2".into()]).unwrap();
        assert_eq!(ok["a"], "2");
        assert_eq!(ok["b"], "x=y");
        assert!(parse_annotations(&["=v".into()]).is_err());
        assert!(parse_annotations(&["novalue".into()]).is_err());
    }
}
