//! OCI 1.1 artifacts as oras writes and reads them: an image manifest with an
//! `artifactType`, the empty config unless one is given, and one layer per file titled with
//! `org.opencontainers.image.title`.
//!
//! Pushing moves each file through the one blob copier ([`put_file`]); pulling writes each
//! titled layer as a file ([`get_file`]) after every title was checked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use oci_digest::Digest;
use oci_manifest::{Descriptor, Flavour, ImageManifest, Manifest, MediaType, Reference};

use super::files::{get_file, put_bytes, put_file};
use super::{ImageDestination, ImageSource, ManifestData, ManifestRole, Progress, RegistryDestination};
use crate::{Client, Error, ReferrerListing};

/// The annotation naming the file a layer holds.
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";

/// The media type of a file layer when none is given (oras' default).
pub const DEFAULT_FILE_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";

/// The media type of a config file when none is given.
pub const DEFAULT_CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";

/// The artifact type of an artifact with the empty config when none is given (oras'
/// default: the image specification requires one then).
pub const DEFAULT_ARTIFACT_TYPE: &str = "application/vnd.unknown.artifact.v1";

/// The empty config's content (image-spec 1.1), of type `application/vnd.oci.empty.v1+json`.
const EMPTY_CONFIG: &[u8] = b"{}";

/// A file an artifact carries: where it is, and the media type of its layer (or config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactFile {
    path: PathBuf,
    media_type: MediaType,
}

impl ArtifactFile {
    /// The file at `path`, as a blob of `media_type`.
    pub fn new(path: impl Into<PathBuf>, media_type: MediaType) -> ArtifactFile {
        ArtifactFile {
            path: path.into(),
            media_type,
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The media type its blob gets.
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// The title its layer gets: the file's name.
    fn title(&self) -> String {
        self.path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// An artifact to push: its files, and optionally a config file, an artifact type and
/// manifest annotations.
#[derive(Debug, Clone, Default)]
pub struct Artifact {
    files: Vec<ArtifactFile>,
    config: Option<ArtifactFile>,
    artifact_type: Option<MediaType>,
    annotations: BTreeMap<String, String>,
}

impl Artifact {
    /// An artifact of `files`, one layer each, in order, with the empty config.
    pub fn new(files: Vec<ArtifactFile>) -> Artifact {
        Artifact {
            files,
            ..Artifact::default()
        }
    }

    /// Uses the file `config` as the config instead of the empty one.
    pub fn config(mut self, config: ArtifactFile) -> Artifact {
        self.config = Some(config);
        self
    }

    /// The manifest's `artifactType` (without one, an artifact with the empty config gets
    /// [`DEFAULT_ARTIFACT_TYPE`], one with a config file none).
    pub fn artifact_type(mut self, artifact_type: MediaType) -> Artifact {
        self.artifact_type = Some(artifact_type);
        self
    }

    /// The manifest's annotations.
    pub fn annotations(mut self, annotations: BTreeMap<String, String>) -> Artifact {
        self.annotations = annotations;
        self
    }
}

/// Pushes `artifact` as the manifest `reference` names and returns its digest.
///
/// Each file is uploaded through the one blob copier (skipped when the repository has it,
/// checked while it goes), then the config, then the manifest. With a `subject` (the
/// descriptor of a manifest in the same repository, as
/// [`ManifestData::descriptor`](super::ManifestData::descriptor) gives it) the manifest is a
/// referrer of it: on a registry without the referrers API the subject's fallback tag index
/// gains it, keeping every entry there (see [`Client::put_referrer`]).
pub async fn push_artifact(
    client: &Client,
    reference: &Reference,
    artifact: &Artifact,
    subject: Option<Descriptor>,
    progress: Arc<dyn Progress>,
) -> Result<Digest, Error> {
    let destination = RegistryDestination::new(client, reference);
    let mut layers = Vec::with_capacity(artifact.files.len());
    for file in &artifact.files {
        let put = put_file(&destination, file.path(), Arc::clone(&progress)).await?;
        let title = BTreeMap::from([(TITLE_ANNOTATION.to_owned(), file.title())]);
        layers.push(
            Descriptor::new(file.media_type.clone(), put.digest().clone(), put.size())
                .with_annotations(title),
        );
    }
    let (config, default_type) = match &artifact.config {
        Some(file) => {
            let put = put_file(&destination, file.path(), Arc::clone(&progress)).await?;
            let config = Descriptor::new(file.media_type.clone(), put.digest().clone(), put.size());
            (config, None)
        }
        None => {
            put_bytes(&destination, EMPTY_CONFIG, Arc::clone(&progress)).await?;
            let empty = Descriptor::from_data(MediaType::OciEmpty, EMPTY_CONFIG.to_vec());
            (empty, Some(MediaType::from(DEFAULT_ARTIFACT_TYPE)))
        }
    };
    let built = || -> Result<ImageManifest, oci_manifest::Error> {
        let mut manifest = ImageManifest::new(Flavour::Oci, config, layers)?;
        if let Some(artifact_type) = artifact.artifact_type.clone().or(default_type) {
            manifest = manifest.with_artifact_type(artifact_type)?;
        }
        if !artifact.annotations.is_empty() {
            manifest = manifest.with_annotations(artifact.annotations.clone())?;
        }
        Ok(manifest)
    };
    let manifest = built()?;
    let Some(subject) = subject else {
        let data = ManifestData::new(
            MediaType::OciManifest,
            Digest::sha256(manifest.as_bytes()),
            manifest.as_bytes().to_vec().into(),
        );
        return destination
            .put_manifest(&data, ManifestRole::Top { chosen: None })
            .await;
    };
    let manifest = manifest.with_subject(subject)?;
    let (digest, listing) = client
        .put_referrer(reference, &MediaType::OciManifest, manifest.as_bytes().to_vec())
        .await?;
    match listing {
        ReferrerListing::FallbackTag { tag, index } => {
            tracing::info!("listed in the referrers fallback tag {tag} ({index})")
        }
        _ => tracing::info!("the registry lists referrers itself"),
    }
    Ok(digest)
}

/// One titled layer of an artifact and the file it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledFile {
    digest: Digest,
    size: u64,
    path: PathBuf,
}

impl PulledFile {
    /// The layer's digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Where the file goes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// An artifact being pulled into a directory: every title checked, the directories made,
/// the files written one by one with [`ArtifactPull::write`].
pub struct ArtifactPull<'a> {
    source: &'a dyn ImageSource,
    files: Vec<PulledFile>,
}

impl std::fmt::Debug for ArtifactPull<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtifactPull")
            .field("source", &self.source.to_string())
            .field("files", &self.files)
            .finish()
    }
}

impl<'a> ArtifactPull<'a> {
    /// Reads the manifest `source` names and plans a file under `dir` for each layer with a
    /// title (untitled layers are no files, as for oras). Every title is checked before
    /// anything is written: relative, staying inside `dir` (no root, no `..`), naming a file,
    /// each once. Then `dir` and the directories between it and each file are made, refusing
    /// any that is a symlink, since it could lead out of `dir`.
    pub async fn prepare(source: &'a dyn ImageSource, dir: &Path) -> Result<ArtifactPull<'a>, Error> {
        let top = source.top_manifest().await?;
        let manifest = top.parse()?;
        let layers = match &manifest {
            Manifest::Image(image) => image.layers(),
            _ => {
                return Err(Error::NotAnArtifact {
                    media_type: top.media_type().clone(),
                })
            }
        };
        let mut files = Vec::new();
        let mut seen = BTreeSet::new();
        for layer in layers {
            let Some(title) = layer.annotations().get(TITLE_ANNOTATION) else {
                continue;
            };
            let path = title_path(dir, title).map_err(|reason| Error::UnsafeTitle {
                title: title.clone(),
                reason,
            })?;
            if !seen.insert(path.clone()) {
                return Err(Error::DuplicateTitle { title: title.clone() });
            }
            files.push(PulledFile {
                digest: layer.digest().clone(),
                size: layer.size(),
                path,
            });
        }
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(Error::io("cannot create", dir))?;
        for file in &files {
            make_parents(dir, &file.path).await?;
        }
        Ok(ArtifactPull { source, files })
    }

    /// The files, in the manifest's order.
    pub fn files(&self) -> &[PulledFile] {
        &self.files
    }

    /// Writes `file` (one of [`files`](Self::files)), verified: see [`get_file`].
    pub async fn write(&self, file: &PulledFile) -> Result<(), Error> {
        get_file(self.source, &file.digest, Some(file.size), &file.path).await?;
        Ok(())
    }
}

/// Where a layer titled `title` goes under `dir`, or why it may not: titles are relative
/// paths that stay inside `dir` (no root, no `..`, no empty or `.`-only name).
fn title_path(dir: &Path, title: &str) -> Result<PathBuf, &'static str> {
    if title.is_empty() || title.contains('\0') {
        return Err("an empty title or one with a NUL byte");
    }
    let path = Path::new(title);
    let mut normal = 0;
    for component in path.components() {
        match component {
            Component::Normal(_) => normal += 1,
            Component::CurDir => {}
            Component::ParentDir => return Err("it contains `..`"),
            Component::RootDir | Component::Prefix(_) => return Err("it is an absolute path"),
        }
    }
    if normal == 0 {
        return Err("it names no file");
    }
    Ok(dir.join(path))
}

/// Makes the directories between `dir` and `target`, refusing any that is a symlink (it could
/// lead out of `dir`) or not a directory.
async fn make_parents(dir: &Path, target: &Path) -> Result<(), Error> {
    let Ok(relative) = target.strip_prefix(dir) else {
        return Err(Error::UnsafePath {
            path: target.to_path_buf(),
            reason: "is outside the directory",
        });
    };
    let mut at = dir.to_path_buf();
    let parents: Vec<_> = relative.components().collect();
    for component in &parents[..parents.len().saturating_sub(1)] {
        at.push(component);
        let refuse = |reason| Error::UnsafePath {
            path: at.clone(),
            reason,
        };
        match tokio::fs::symlink_metadata(&at).await {
            Ok(meta) if meta.file_type().is_symlink() => return Err(refuse("is a symlink")),
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(refuse("is not a directory")),
            Err(_) => tokio::fs::create_dir(&at)
                .await
                .map_err(Error::io("cannot create", &at))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::LayoutSource;
    use crate::layout::OciLayout;

    /// A layout holding, under `art`, an artifact with one layer per `(title, content)`.
    async fn layout_with_artifact(dir: &Path, files: &[(&str, &[u8])]) -> OciLayout {
        let layout = OciLayout::create(dir).await.unwrap();
        layout
            .write_blob(&Digest::sha256(EMPTY_CONFIG), EMPTY_CONFIG)
            .await
            .unwrap();
        let mut layers = Vec::new();
        for (title, content) in files {
            let digest = Digest::sha256(content);
            layout.write_blob(&digest, content).await.unwrap();
            let title = BTreeMap::from([(TITLE_ANNOTATION.to_owned(), (*title).to_owned())]);
            layers.push(
                Descriptor::new(MediaType::from(DEFAULT_FILE_TYPE), digest, content.len() as u64)
                    .with_annotations(title),
            );
        }
        let config = Descriptor::from_data(MediaType::OciEmpty, EMPTY_CONFIG.to_vec());
        let manifest = ImageManifest::new(Flavour::Oci, config, layers).unwrap();
        let digest = Digest::sha256(manifest.as_bytes());
        layout.write_blob(&digest, manifest.as_bytes()).await.unwrap();
        let entry = Descriptor::new(MediaType::OciManifest, digest, manifest.as_bytes().len() as u64);
        layout.set_tag(&"art".parse().unwrap(), entry).await.unwrap();
        layout
    }

    #[tokio::test]
    async fn an_artifact_is_pulled_from_any_source_title_by_title() {
        let work = tempfile::tempdir().unwrap();
        let files: [(&str, &[u8]); 2] = [("notes.txt", b"notes\n"), ("sub/data.json", b"{}")];
        let layout = layout_with_artifact(&work.path().join("layout"), &files).await;
        let source = LayoutSource::new(&layout, Some(&"art".parse().unwrap()));
        let out = work.path().join("out");
        let pull = ArtifactPull::prepare(&source, &out).await.unwrap();
        assert_eq!(pull.files().len(), 2);
        for file in pull.files() {
            pull.write(file).await.unwrap();
        }
        for (title, content) in files {
            assert_eq!(std::fs::read(out.join(title)).unwrap(), content, "{title}");
        }
    }

    #[tokio::test]
    async fn nothing_is_written_for_a_title_that_leaves_the_directory_or_comes_twice() {
        let work = tempfile::tempdir().unwrap();
        let cases: [&[(&str, &[u8])]; 2] = [
            &[("ok.txt", b"ok"), ("../up.txt", b"x")],
            &[("a", b"1"), ("./a", b"2")],
        ];
        for (i, files) in cases.into_iter().enumerate() {
            let layout = layout_with_artifact(&work.path().join(format!("layout{i}")), files).await;
            let source = LayoutSource::new(&layout, Some(&"art".parse().unwrap()));
            let out = work.path().join(format!("out{i}"));
            let error = ArtifactPull::prepare(&source, &out).await.unwrap_err();
            assert!(
                matches!(error, Error::UnsafeTitle { .. } | Error::DuplicateTitle { .. }),
                "{error}"
            );
            assert!(!out.exists(), "{error}");
        }
    }

    #[tokio::test]
    async fn a_symlink_on_the_way_is_refused() {
        let work = tempfile::tempdir().unwrap();
        let layout = layout_with_artifact(&work.path().join("layout"), &[("sub/f", b"f")]).await;
        let source = LayoutSource::new(&layout, Some(&"art".parse().unwrap()));
        let out = work.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(work.path(), out.join("sub")).unwrap();
        let error = ArtifactPull::prepare(&source, &out).await.unwrap_err();
        assert!(matches!(error, Error::UnsafePath { .. }), "{error}");
        assert!(!work.path().join("f").exists());
    }

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
}
