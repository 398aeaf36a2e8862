//! One module per subcommand; `run` dispatches, and the functions here turn command-line
//! images into what the library works on.

mod artifact;
mod blob;
mod catalog;
mod completions;
mod convert;
mod delete;
mod digest;
mod index;
mod inspect;
mod login;
mod referrers;
mod save;
mod sync;
mod tag;
mod tags;
mod transfer;
mod verify;

use registry_client::image::{ImageLocation, LayerCompression, Recompress};
use registry_client::layout::OciLayout;
use registry_client::{Client, RepositoryRef};

use crate::cli::{ArtifactCommand, BlobCommand, Command, CompressArg, GlobalArgs, IndexCommand, LayerArgs};
use crate::connect::{self, ExplicitCredentials};
use crate::failure::Failure;
use registry_client::image::ImageName;
use registry_client::layout::LayoutRef;

/// The global flags of one run, with the credentials they name read once.
pub(crate) struct Invocation {
    global: GlobalArgs,
    explicit: ExplicitCredentials,
}

impl Invocation {
    /// Reads the credentials the flags name (stdin for `--password-stdin`).
    pub(crate) fn new(global: GlobalArgs) -> Result<Invocation, Failure> {
        let explicit = ExplicitCredentials::from_flags(&global)?;
        Ok(Invocation { global, explicit })
    }

    /// A client for one repository.
    fn client_for(&self, repository: &RepositoryRef) -> Result<Client, Failure> {
        connect::client_for(&self.global, &self.explicit, repository)
    }

    /// A client for the registries among `images` (layouts need none, but the library takes
    /// a client anyway).
    fn client_for_images(&self, images: &[&ImageName]) -> Result<Client, Failure> {
        let repositories: Vec<RepositoryRef> = images
            .iter()
            .filter_map(|image| match image {
                ImageName::Registry(reference) => Some(RepositoryRef::from(reference)),
                ImageName::Layout(_) | ImageName::DockerArchive(_) | ImageName::OciArchive(_) => None,
            })
            .collect();
        let registries: Vec<(&str, Option<&str>)> = repositories
            .iter()
            .map(|r| (r.registry(), Some(r.repository().as_str())))
            .collect();
        connect::client(&self.global, &self.explicit, &registries)
    }
}

/// Runs the parsed command.
pub(crate) async fn run(invocation: &Invocation, command: Command) -> Result<(), Failure> {
    if invocation.global.platforms.len() > 1 && !command.allows_platform_subset() {
        return Err(Failure::usage(
            "--platform",
            "this command works on one image: give --platform once (copy, pull, push and sync take several)",
        ));
    }
    match command {
        Command::Inspect(args) => inspect::run(invocation, &args).await,
        Command::Digest(args) => digest::run(invocation, &args).await,
        Command::Verify(args) => verify::run(&args),
        Command::Tags(args) => tags::run(invocation, &args).await,
        Command::Tag(args) => tag::run(invocation, &args).await,
        Command::Referrers(args) => referrers::run(invocation, &args).await,
        Command::Catalog(args) => catalog::run(invocation, &args).await,
        Command::Pull(args) => transfer::pull(invocation, &args).await,
        Command::Push(args) => transfer::push(invocation, &args).await,
        Command::Copy(args) => transfer::copy(invocation, &args).await,
        Command::Sync(args) => sync::run(invocation, &args).await,
        Command::Convert(args) => convert::run(invocation, &args).await,
        Command::Save(args) => save::run(invocation, &args).await,
        Command::Delete(args) => delete::run(invocation, &args).await,
        Command::Artifact(ArtifactCommand::Push(args)) => artifact::push(invocation, &args).await,
        Command::Artifact(ArtifactCommand::Pull(args)) => artifact::pull(invocation, &args).await,
        Command::Index(IndexCommand::Create(args)) => index::create(invocation, &args).await,
        Command::Blob(BlobCommand::Get(args)) => blob::get(invocation, &args).await,
        Command::Blob(BlobCommand::Put(args)) => blob::put(invocation, &args).await,
        Command::Login(args) => login::login(invocation, &args),
        Command::Logout(args) => login::logout(invocation, &args),
        Command::Completions(args) => completions::run(&args),
    }
}

/// Where an image is, for reading: a registry reference, or an existing layout.
async fn source_location(image: &ImageName) -> Result<ImageLocation, Failure> {
    ImageLocation::open(image)
        .await
        .map_err(|e| Failure::new(format!("opening {}", place(image)), e))
}

/// The recompression `--dest-compress` and `--dest-compress-level` ask for (a level the
/// compression does not take is a usage error), and whether digests are to be preserved.
fn layer_options(args: &LayerArgs, what: &str) -> Result<(Option<Recompress>, bool), Failure> {
    let recompress = match args.dest_compress {
        None => None,
        Some(compression) => {
            let compression = match compression {
                CompressArg::Gzip => LayerCompression::Gzip,
                CompressArg::Zstd => LayerCompression::Zstd,
                CompressArg::None => LayerCompression::None,
            };
            let recompress = Recompress::new(compression);
            Some(match args.dest_compress_level {
                None => recompress,
                Some(level) => recompress
                    .with_level(level)
                    .map_err(|e| Failure::usage(what, e))?,
            })
        }
    };
    Ok((recompress, args.preserve_digests))
}

/// Where an image goes: a registry reference, a layout created when missing, an archive.
async fn destination_location(image: &ImageName) -> Result<ImageLocation, Failure> {
    if let ImageName::DockerArchive(archive) = image {
        if let Some(registry_client::archive::ArchiveImage::Index(_)) = archive.image() {
            return Err(Failure::usage(
                format!("writing {image}"),
                "@N names an image to read; name the image written with NAME:TAG",
            ));
        }
    }
    ImageLocation::create(image)
        .await
        .map_err(|e| Failure::new(format!("creating {}", place(image)), e))
}

/// What an image's place is called in the message of a failure to open or create it.
fn place(image: &ImageName) -> String {
    match image {
        ImageName::Registry(reference) => reference.to_string(),
        ImageName::Layout(layout) => format!("layout {}", layout.dir().display()),
        ImageName::DockerArchive(_) | ImageName::OciArchive(_) => image.to_string(),
    }
}

/// Opens a layout, creating it (and its directory) when missing.
async fn create_layout(layout: &LayoutRef) -> Result<OciLayout, Failure> {
    OciLayout::create(layout.dir())
        .await
        .map_err(|e| Failure::new(format!("creating layout {}", layout.dir().display()), e))
}

/// The registry reference of `image`, or a usage failure for `command` when it names a layout.
fn registry_only<'a>(command: &str, image: &'a ImageName) -> Result<&'a oci_manifest::Reference, Failure> {
    match image {
        ImageName::Registry(reference) => Ok(reference),
        ImageName::Layout(_) | ImageName::DockerArchive(_) | ImageName::OciArchive(_) => Err(Failure::usage(
            format!("{command} {image}"),
            "this command works on registry images only",
        )),
    }
}

/// The digest `reference` names: its own when pinned, else the tag's manifest's. GET rather
/// than HEAD: a HEAD answer has no body, so a missing tag would come without the registry's
/// diagnostic codes.
async fn manifest_digest_of(
    client: &Client,
    reference: &oci_manifest::Reference,
) -> Result<oci_digest::Digest, registry_client::Error> {
    match reference.digest() {
        Some(digest) => Ok(digest.clone()),
        None => Ok(client.get_manifest(reference).await?.digest().clone()),
    }
}

/// Writes one line to stdout; a closed stdout is an error (see
/// [`Failure::is_broken_pipe`]), never a panic as with `println!`.
pub(crate) fn print_line(line: impl std::fmt::Display) -> Result<(), Failure> {
    use std::io::Write as _;
    let line = line.to_string();
    writeln!(std::io::stdout().lock(), "{}", registry_auth::redact(&line))
        .map_err(|e| Failure::new("writing to stdout", e))
}

/// Writes bytes to stdout exactly, flushing them.
fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::new("writing to stdout", e))
}

/// Reads a whole manifest file, refusing files above the manifest size cap
/// before reading them.
pub(crate) fn read_manifest_file(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    let what = || format!("reading {}", path.display());
    let metadata = std::fs::metadata(path).map_err(|e| Failure::new(what(), e))?;
    let cap = oci_manifest::DEFAULT_MAX_MANIFEST_SIZE;
    if metadata.len() > cap {
        return Err(Failure::new(
            what(),
            format!(
                "{} bytes is more than a manifest may have ({cap} bytes)",
                metadata.len()
            ),
        ));
    }
    std::fs::read(path).map_err(|e| Failure::new(what(), e))
}
