//! The command line, as clap derives it. Usage errors exit 2 (clap's default).

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use oci_manifest::Platform;
use registry_client::RepositoryRef;

use registry_client::image::ImageName;
use registry_client::layout::LayoutRef;

use crate::image_arg::{parse_layout, RegistryHost};

/// A fast, correct client for container registries.
///
/// IMAGE is `[docker://]HOST[:PORT]/NAME[:TAG][@DIGEST]` (an image on a registry),
/// `oci:DIR[:TAG]` (an OCI image layout on disk), `oci-archive:FILE[:TAG]` (a tar of an OCI
/// image layout) or `docker-archive:FILE[:NAME:TAG|:@N]` (a `docker save` tarball).
#[derive(Debug, Parser)]
#[command(name = "skiff", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every command takes, before or after its name.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// The username for every registry the command talks to.
    #[arg(long, global = true, value_name = "U")]
    pub(crate) username: Option<String>,
    /// The password for `--username` (visible to other users in the process list; prefer
    /// `--password-stdin`).
    #[arg(long, global = true, value_name = "P", conflicts_with = "password_stdin")]
    pub(crate) password: Option<String>,
    /// Read the password for `--username` from the first line of standard input.
    #[arg(long, global = true)]
    pub(crate) password_stdin: bool,
    /// An auth file (containers `auth.json` format) read before any other, and the one
    /// `login` and `logout` change.
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) authfile: Option<PathBuf>,
    /// Allow plain http and unverified TLS for this registry (`HOST` or `HOST:PORT`);
    /// repeatable.
    #[arg(long, global = true, value_name = "HOST")]
    pub(crate) insecure: Vec<String>,
    /// Trust the CA certificates in this PEM file besides the system roots; repeatable.
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) ca_file: Vec<PathBuf>,
    /// Use the certificates in DIR for every registry instead of the per-registry directories
    /// (`~/.config/containers/certs.d/HOST[:PORT]/`, `/etc/containers/certs.d/HOST[:PORT]/`,
    /// `/etc/docker/certs.d/HOST[:PORT]/`): `*.crt` are CAs, `NAME.cert` + `NAME.key` the client
    /// certificate.
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) cert_dir: Option<PathBuf>,
    /// Read this registries.conf (containers-registries.conf(5) version 2) instead of
    /// `CONTAINERS_REGISTRIES_CONF`, `~/.config/containers/registries.conf` or
    /// `/etc/containers/registries.conf`: prefix rewriting, insecure and blocked registries, mirrors.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) registries_conf: Option<PathBuf>,
    /// The platform to pick out of a manifest list or image index (default for inspect: this
    /// machine's; for copy, pull and push: every platform). `copy`, `pull` and `push` take it
    /// more than once: that subset of the list, written as a new list.
    #[arg(long = "platform", global = true, value_name = "OS/ARCH[/VARIANT]")]
    pub(crate) platforms: Vec<Platform>,
    /// How many large blobs to transfer at once (small ones get up to 4x more; 1: one blob at a time).
    #[arg(long, global = true, value_name = "N", default_value_t = default_jobs())]
    pub(crate) jobs: NonZeroUsize,
    /// Seconds a request may wait for a response head or for the next bytes of any body.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 60)]
    pub(crate) stall_timeout: u64,
    /// Seconds a bounded read (manifest, config, token answer, error body, tag or catalog
    /// page) may take in all.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 60)]
    pub(crate) read_timeout: u64,
    /// The lowest rate, in bytes per second averaged over `--rate-window`, a blob may
    /// download at (0: no minimum).
    #[arg(long, global = true, value_name = "BYTES", default_value_t = 1024)]
    pub(crate) min_rate: u64,
    /// The window `--min-rate` is averaged over, in seconds.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 60)]
    pub(crate) rate_window: u64,
    /// Seconds to reach a registry the first time: every scheme tried and every retry of an
    /// attempt that got no answer.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 30)]
    pub(crate) reach_timeout: u64,
    /// Log what happens on stderr: `-v` for debug, `-vv` for every request (secrets redacted).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub(crate) verbose: u8,
    /// Print no progress.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
}

impl GlobalArgs {
    /// The one `--platform` given, if any (commands that pick one image; a second `--platform`
    /// is refused for them before they run, see [`Command::allows_platform_subset`]).
    pub(crate) fn platform(&self) -> Option<&Platform> {
        self.platforms.first()
    }
}

impl Command {
    /// Whether the command copies a subset of a list when given several `--platform`s.
    pub(crate) fn allows_platform_subset(&self) -> bool {
        matches!(
            self,
            Command::Copy(_) | Command::Pull(_) | Command::Push(_) | Command::Sync(_)
        )
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show one image: a JSON summary with `skopeo inspect`'s keys, the raw manifest, or the
    /// image config.
    ///
    /// A manifest list or index resolves to the image for `--platform` (default: this machine's).
    #[command(after_help = "Examples:\n  \
        skiff inspect localhost:5000/team/app:1.0\n  \
        skiff inspect --raw docker://localhost:5000/team/app@sha256:...\n  \
        skiff inspect --config --platform linux/arm64 localhost:5000/team/app:1.0\n  \
        skiff inspect oci:./app-layout:1.0")]
    Inspect(InspectArgs),
    /// Print a digest: of an image's manifest (IMAGE), of a manifest file (`--file`; schema1:
    /// of its signed payload) or of any file (`--blob`).
    #[command(after_help = "Examples:\n  \
        skiff digest localhost:5000/team/app:1.0\n  \
        skiff digest --file manifest.json\n  \
        skiff digest --blob layer.tar.gz\n  \
        skiff digest --blob layer.tar.gz --algorithm sha512")]
    Digest(DigestArgs),
    /// Check every JWS signature of a schema1 manifest file.
    ///
    /// Prints one line per signature (algorithm and key ID) and exits 1 if any
    /// signature fails.
    #[command(after_help = "Example:\n  skiff verify --file manifest.json")]
    Verify(VerifyArgs),
    /// List every tag of a repository, one per line, following pagination.
    #[command(after_help = "Example:\n  skiff tags localhost:5000/team/app")]
    Tags(TagsArgs),
    /// List every repository of a registry, one per line, following pagination.
    #[command(after_help = "Example:\n  skiff catalog localhost:5000")]
    Catalog(CatalogArgs),
    /// Pull an image (every platform of a list, unless `--platform`) into an OCI image layout.
    ///
    /// DIR is created when missing; the image is named TAG in it (default: the image's tag).
    /// Every blob is verified before it gets its name. Prints the manifest digest.
    #[command(after_help = "Examples:\n  \
        skiff pull localhost:5000/team/app:1.0 ./app-layout\n  \
        skiff pull --platform linux/amd64 localhost:5000/team/app:1.0 ./app-layout:amd64")]
    Pull(PullArgs),
    /// Push the image TAG (or the only image) of an OCI image layout to a registry.
    ///
    /// Blobs the registry has are skipped. Prints the pushed manifest digest.
    #[command(after_help = "Example:\n  skiff push ./app-layout:1.0 localhost:5000/team/app:1.0")]
    Push(PushArgs),
    /// Copy an image from anywhere to anywhere: registry or OCI layout.
    ///
    /// A list or index is copied with all its platforms unless `--platform` picks one. Within
    /// one registry blobs are mounted, not re-uploaded; blobs the destination has are skipped.
    /// Prints the destination's manifest digest.
    #[command(after_help = "Examples:\n  \
        skiff copy localhost:5000/team/app:1.0 localhost:5000/team/app:stable\n  \
        skiff copy docker://localhost:5000/team/app:1.0 oci:./app-layout:1.0\n  \
        skiff copy --platform linux/arm64 oci:./app-layout:1.0 other.example:5000/app:arm64\n  \
        skiff copy --dest-compress zstd --dest-compress-level 19 oci:./app-layout:1.0 oci:./small:1.0")]
    Copy(CopyArgs),
    /// Mirror many images: every tag of a repository, or what a `skopeo sync` YAML file names.
    ///
    /// SOURCE is `HOST/NAME` (every tag), `HOST/NAME:TAG` or `HOST/NAME@DIGEST` with `--src
    /// docker`, or a `skopeo sync` YAML file with `--src yaml`. DESTINATION is a registry prefix
    /// `HOST[/PATH]` (`--dest docker`) or a directory of OCI layouts, one per repository (`--dest
    /// oci`). Images are named there as `skopeo sync` names them (`--scoped` keeps the source
    /// registry and path). An image the destination holds by the same digest is `unchanged` at
    /// the cost of one manifest HEAD on each side. Prints `STATUS<TAB>SOURCE<TAB>DESTINATION<TAB>DIGEST`
    /// per image and ends with `sync: N copied, M unchanged, K failed` on stderr; exits 1 if any
    /// image failed, 2 on bad input (nothing is then written).
    #[command(after_help = "Examples:
          skiff sync registry.example.com/team/app mirror.internal:5000/upstream
          skiff sync --src yaml --dest docker sync.yml mirror.internal:5000/upstream
          skiff sync --src yaml --dest oci --tags-exclude '-rc' sync.yml /srv/layouts
          skiff sync --src yaml --shard \"$JOB_COMPLETION_INDEX/4\" --report report.json sync.yml mirror:5000")]
    Sync(SyncArgs),
    /// Copy one image while rewriting its manifest: Docker schema1 (`v2s1`), Docker schema2
    /// (`v2s2`) or OCI (`oci`).
    ///
    /// A list or index resolves to the image for `--platform` (default: this machine's).
    /// Schema1 images get an image config built from their v1 history (each layer is read
    /// once for its diffID); images converted to schema1 are signed with a throwaway key, as
    /// Docker does. Prints the destination's manifest digest.
    #[command(after_help = "Examples:\n  \
        skiff convert --to oci localhost:5000/legacy/app:1.0 localhost:5000/app:1.0-oci\n  \
        skiff convert --to v2s1 localhost:5000/app:1.0 old-registry.internal:5000/app:1.0\n  \
        skiff convert --to v2s2 localhost:5000/legacy/app:1.0 oci:./app-layout:1.0\n  \
        skiff convert --to oci --dest-compress zstd localhost:5000/app:1.0 localhost:5000/app:1.0-zstd")]
    Convert(ConvertArgs),
    /// Save images into one archive: a `docker load`-able tarball (`--format docker`, the
    /// default) or a tar of an OCI image layout (`--format oci`).
    ///
    /// Each image is named by its registry tag (`RepoTags`, or the `index.json` ref name);
    /// blobs shared between images are stored once. A docker-archive holds single images: a
    /// list resolves to `--platform` (default: this machine's); an OCI archive keeps whole
    /// lists unless `--platform` picks one. Nothing is at FILE until every image is in.
    /// Prints each image's digest in the archive, one per line.
    #[command(after_help = "Examples:
  \
        skiff save --output images.tar localhost:5000/team/app:1.0 localhost:5000/team/db:2\n  \
        skiff save --output app-oci.tar --format oci localhost:5000/team/app:1.0\n  \
        docker load < images.tar")]
    Save(SaveArgs),
    /// Give an image more tags in its own repository (or layout); no blob moves.
    ///
    /// Every tag is checked before any is written. Prints the manifest digest.
    #[command(after_help = "Examples:\n  \
        skiff tag localhost:5000/team/app:1.0 1 latest\n  \
        skiff tag oci:./app-layout:1.0 stable")]
    Tag(TagArgs),
    /// List the manifests that refer to an image (signatures, SBOMs, attestations).
    ///
    /// Uses the OCI 1.1 referrers API where the registry has it, else the `ALG-HEX` fallback
    /// tag. Prints `DIGEST<TAB>ARTIFACT-TYPE` per referrer, or with `--json` the OCI index.
    #[command(after_help = "Examples:\n  \
        skiff referrers localhost:5000/team/app:1.0\n  \
        skiff referrers --artifact-type application/spdx+json --json localhost:5000/team/app@sha256:...")]
    Referrers(ReferrersArgs),
    /// Push or pull an OCI 1.1 artifact: files as titled layers, as oras does.
    #[command(subcommand)]
    Artifact(ArtifactCommand),
    /// Build a manifest list or image index out of images in one repository.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Delete a manifest from a registry (a tag is resolved to its digest first).
    #[command(after_help = "Examples:\n  \
        skiff delete localhost:5000/team/app@sha256:...\n  \
        skiff delete localhost:5000/team/app:old")]
    Delete(DeleteArgs),
    /// Download or upload one blob, verified against its digest.
    #[command(subcommand)]
    Blob(BlobCommand),
    /// Store credentials for a registry in the auth file.
    ///
    /// The file is `--authfile`, else `REGISTRY_AUTH_FILE`, else the containers auth file.
    #[command(after_help = "Example:\n  \
        printf '%s\\n' \"$TOKEN\" | skiff login localhost:5000 --username ci --password-stdin")]
    Login(LoginArgs),
    /// Remove the credentials for a registry from the auth file.
    #[command(after_help = "Example:\n  skiff logout localhost:5000")]
    Logout(LogoutArgs),
    /// Print a shell completion script.
    #[command(after_help = "Examples:\n  \
        skiff completions bash > /etc/bash_completion.d/skiff\n  \
        skiff completions zsh > \"${fpath[1]}/_skiff\"\n  \
        skiff completions fish > ~/.config/fish/completions/skiff.fish")]
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The image.
    pub(crate) image: ImageName,
    /// Print the manifest exactly as stored, byte for byte.
    #[arg(long, conflicts_with = "config")]
    pub(crate) raw: bool,
    /// Print the image config.
    #[arg(long)]
    pub(crate) config: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["image", "file", "blob"])))]
pub(crate) struct DigestArgs {
    /// An image: prints its manifest digest (a list's or index's own digest for a list).
    pub(crate) image: Option<ImageName>,
    /// A manifest file: prints the manifest digest (schema1: of the signed payload).
    #[arg(long, value_name = "PATH")]
    pub(crate) file: Option<PathBuf>,
    /// Any file: prints its content digest, streamed in constant memory.
    #[arg(long, value_name = "PATH")]
    pub(crate) blob: Option<PathBuf>,
    /// The hash algorithm for `--blob`.
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Sha256, requires = "blob")]
    pub(crate) algorithm: AlgorithmArg,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A signed schema1 manifest file.
    #[arg(long, value_name = "PATH")]
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct TagsArgs {
    /// The repository: `HOST[:PORT]/NAME`.
    #[arg(value_name = "HOST/NAME", value_parser = parse_repository)]
    pub(crate) repository: RepositoryRef,
}

#[derive(Debug, Args)]
pub(crate) struct CatalogArgs {
    /// The registry: `HOST[:PORT]`.
    #[arg(value_name = "HOST")]
    pub(crate) registry: RegistryHost,
}

#[derive(Debug, Args)]
pub(crate) struct PullArgs {
    /// The image on a registry.
    pub(crate) image: ImageName,
    /// The OCI image layout directory, optionally with the tag to give the image there.
    #[arg(value_name = "DIR[:TAG]", value_parser = parse_layout)]
    pub(crate) layout: LayoutRef,
    #[command(flatten)]
    pub(crate) layers: LayerArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PushArgs {
    /// The OCI image layout directory, optionally with the tag of the image to push.
    #[arg(value_name = "DIR[:TAG]", value_parser = parse_layout)]
    pub(crate) layout: LayoutRef,
    /// The destination on a registry.
    pub(crate) image: ImageName,
    #[command(flatten)]
    pub(crate) layers: LayerArgs,
}

/// How the layers of a copy are written: recompressed or not, digests kept or not.
#[derive(Debug, Clone, Args)]
pub(crate) struct LayerArgs {
    /// Recompress layers on the way: every image layer packed otherwise is unpacked,
    /// checked against its diffID in the image config and packed again, so layer and
    /// manifest digests change. Layers already packed so pass through unchanged. Docker
    /// schema2 has no zstd layers: use `convert --to oci` for zstd.
    #[arg(long, value_enum, value_name = "gzip|zstd|none")]
    pub(crate) dest_compress: Option<CompressArg>,
    /// The level for `--dest-compress`: gzip 1 to 9 (default 6), zstd 1 to 22 (default 3).
    #[arg(
        long,
        value_name = "N",
        requires = "dest_compress",
        allow_negative_numbers = true
    )]
    pub(crate) dest_compress_level: Option<i32>,
    /// Refuse any operation that would change a digest (a recompressed layer, another
    /// manifest format, a subset of a list's platforms): exit 1 before anything is written.
    #[arg(long)]
    pub(crate) preserve_digests: bool,
}

/// The layer packings `--dest-compress` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CompressArg {
    /// gzip.
    Gzip,
    /// Zstandard (OCI manifests only).
    Zstd,
    /// A plain tar.
    None,
}

#[derive(Debug, Args)]
pub(crate) struct CopyArgs {
    /// Where the image is.
    #[arg(value_name = "SRC")]
    pub(crate) source: ImageName,
    /// Where it goes.
    #[arg(value_name = "DST")]
    pub(crate) destination: ImageName,
    /// Copy the image's referrers too (OCI 1.1 API, else the fallback tag; recursively) and
    /// its cosign tags (`sha256-HEX.sig`, `.att`, `.sbom`), keeping the destination's
    /// fallback index current. Registry to registry.
    #[arg(long)]
    pub(crate) referrers: bool,
    #[command(flatten)]
    pub(crate) layers: LayerArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// What SOURCE is.
    #[arg(long = "src", value_enum, default_value_t = SyncSourceArg::Docker)]
    pub(crate) src: SyncSourceArg,
    /// What DESTINATION is.
    #[arg(long = "dest", value_enum, default_value_t = SyncDestArg::Docker)]
    pub(crate) dest: SyncDestArg,
    /// `HOST/NAME[:TAG|@DIGEST]` (`--src docker`) or a YAML file (`--src yaml`).
    #[arg(value_name = "SOURCE")]
    pub(crate) source: String,
    /// `HOST[/PATH]` (`--dest docker`), a directory (`--dest oci`), or the archive file
    /// (`--dest docker-archive|oci-archive`).
    #[arg(value_name = "DESTINATION")]
    pub(crate) destination: String,
    /// Keep the source registry and whole path in destination names, as `skopeo sync --scoped`.
    #[arg(long)]
    pub(crate) scoped: bool,
    /// Show the plan (`planned` or `unchanged` per image); send no write request at all.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Go on past failed images; exit 1 at the end if any failed.
    #[arg(long)]
    pub(crate) keep_going: bool,
    /// Images to copy at once, each with `--jobs` blob transfers (into an archive: one at a
    /// time, N checked at once).
    #[arg(long, value_name = "N", default_value_t = default_parallel())]
    pub(crate) parallel: NonZeroUsize,
    /// Only the source repositories whose stable hash falls in shard I of N (0 <= I < N): N
    /// processes cover everything exactly once.
    #[arg(long, value_name = "I/N")]
    pub(crate) shard: Option<String>,
    /// Only tags matching this regex (unanchored, as skopeo's `images-by-tag-regex`).
    #[arg(long, value_name = "RE", allow_hyphen_values = true)]
    pub(crate) tags_regex: Option<String>,
    /// No tags matching this regex.
    #[arg(long, value_name = "RE", allow_hyphen_values = true)]
    pub(crate) tags_exclude: Option<String>,
    /// Only tags that are versions in this range (`skopeo sync`'s syntax: `>= 1.2, < 2`).
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    pub(crate) semver: Option<String>,
    /// Copy each image's referrers (OCI 1.1 API, else the fallback tag) and cosign tags
    /// (`sha256-HEX.sig`, `.att`, `.sbom`) along. `--dest docker` only.
    #[arg(long)]
    pub(crate) referrers: bool,
    /// Write a JSON report of every image (source, destination, digest, status, bytes,
    /// seconds, error) to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) layers: LayerArgs,
}

/// What `sync`'s SOURCE is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SyncSourceArg {
    /// A repository or image on a registry.
    Docker,
    /// A `skopeo sync` YAML file.
    Yaml,
}

/// What `sync`'s DESTINATION is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SyncDestArg {
    /// A registry prefix.
    Docker,
    /// A directory of OCI image layouts.
    Oci,
    /// One docker-archive file holding every image.
    DockerArchive,
    /// One OCI archive file holding every image.
    OciArchive,
}

/// The library's default number of images synced at once.
fn default_parallel() -> NonZeroUsize {
    NonZeroUsize::new(registry_client::sync::DEFAULT_PARALLEL).unwrap_or(NonZeroUsize::MIN)
}

#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The manifest format to write.
    #[arg(long, value_enum)]
    pub(crate) to: FormatArg,
    /// Where the image is.
    #[arg(value_name = "SRC")]
    pub(crate) source: ImageName,
    /// Where the converted image goes.
    #[arg(value_name = "DST")]
    pub(crate) destination: ImageName,
    #[command(flatten)]
    pub(crate) layers: LayerArgs,
}

/// The manifest formats `convert` writes, named as skopeo's `--format` names them.
#[derive(Debug, Args)]
pub(crate) struct SaveArgs {
    /// The archive to write (replaced once every image is in).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// The archive format.
    #[arg(long, value_enum, default_value_t = SaveFormatArg::Docker)]
    pub(crate) format: SaveFormatArg,
    /// The images to save.
    #[arg(value_name = "IMAGE", required = true)]
    pub(crate) images: Vec<ImageName>,
    #[command(flatten)]
    pub(crate) layers: LayerArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SaveFormatArg {
    /// `docker load`'s format: `manifest.json`, configs, uncompressed layers.
    Docker,
    /// A tar of an OCI image layout.
    Oci,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    /// Docker schema1, signed.
    V2s1,
    /// Docker schema2.
    V2s2,
    /// OCI image manifest.
    Oci,
}

impl std::fmt::Display for FormatArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FormatArg::V2s1 => "v2s1",
            FormatArg::V2s2 => "v2s2",
            FormatArg::Oci => "oci",
        })
    }
}

#[derive(Debug, Args)]
pub(crate) struct TagArgs {
    /// The image to tag.
    pub(crate) image: ImageName,
    /// The new tags.
    #[arg(required = true, value_name = "TAG")]
    pub(crate) tags: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ReferrersArgs {
    /// The subject image on a registry (a tag resolves to its digest).
    pub(crate) image: ImageName,
    /// Only referrers of this artifact type.
    #[arg(long, value_name = "T")]
    pub(crate) artifact_type: Option<String>,
    /// Print the referrers as an OCI image index.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ArtifactCommand {
    /// Push files as an OCI 1.1 artifact and print its manifest digest.
    ///
    /// Each FILE becomes one layer titled with its file name (`org.opencontainers.image.title`)
    /// and typed MEDIATYPE (default `application/vnd.oci.image.layer.v1.tar`). The config is the
    /// empty `application/vnd.oci.empty.v1+json` unless `--config` gives one; the artifact type
    /// then defaults to `application/vnd.unknown.artifact.v1`. With `--subject` the artifact is a
    /// referrer of that image; on a registry without the referrers API the subject's fallback
    /// tag index is updated, keeping what is there.
    #[command(after_help = "Examples:\n  \
        skiff artifact push localhost:5000/team/app:sbom sbom.spdx.json:application/spdx+json \\\n      \
        --artifact-type application/spdx+json --subject localhost:5000/team/app:1.0\n  \
        skiff artifact push localhost:5000/team/notes:1 README.md --annotation org.example.k=v")]
    Push(ArtifactPushArgs),
    /// Pull an artifact: each titled layer as a file in DIR, verified; prints each file.
    ///
    /// Every title is checked before anything is written: one that is absolute, contains `..`
    /// or would otherwise leave DIR is refused. Untitled layers are skipped.
    #[command(after_help = "Example:\n  skiff artifact pull localhost:5000/team/app:sbom ./sbom")]
    Pull(ArtifactPullArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ArtifactPushArgs {
    /// Where the artifact goes.
    pub(crate) image: ImageName,
    /// The files, each optionally with its media type.
    #[arg(required = true, value_name = "FILE[:MEDIATYPE]")]
    pub(crate) files: Vec<String>,
    /// The artifact type (`artifactType`).
    #[arg(long, value_name = "T")]
    pub(crate) artifact_type: Option<String>,
    /// A config blob instead of the empty config.
    #[arg(long, value_name = "FILE[:MEDIATYPE]")]
    pub(crate) config: Option<String>,
    /// The image this artifact is about, in the same repository: the artifact becomes one of
    /// its referrers.
    #[arg(long, value_name = "IMAGE")]
    pub(crate) subject: Option<ImageName>,
    /// A manifest annotation; repeatable.
    #[arg(long = "annotation", value_name = "K=V")]
    pub(crate) annotations: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ArtifactPullArgs {
    /// The artifact.
    pub(crate) image: ImageName,
    /// The directory the files go to (created when missing).
    pub(crate) dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum IndexCommand {
    /// Write an OCI image index (or, with `--format v2s2`, a Docker manifest list) of IMAGEs and
    /// print its digest.
    ///
    /// Each entry's platform is read from the image's config. The images must already be in
    /// DEST's repository (`skiff copy` them there first); all are read before the index is
    /// written.
    #[command(after_help = "Example:\n  \
        skiff index create localhost:5000/team/app:1.0 \\\n      \
        localhost:5000/team/app:1.0-amd64 localhost:5000/team/app:1.0-arm64")]
    Create(IndexCreateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct IndexCreateArgs {
    /// Where the index goes: `HOST/NAME:TAG`.
    #[arg(value_name = "DEST")]
    pub(crate) destination: ImageName,
    /// The images it lists, in order.
    #[arg(required = true, value_name = "IMAGE")]
    pub(crate) images: Vec<ImageName>,
    /// The index format.
    #[arg(long, value_enum, default_value_t = IndexFormatArg::Oci)]
    pub(crate) format: IndexFormatArg,
}

/// What `index create` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum IndexFormatArg {
    /// An OCI image index.
    Oci,
    /// A Docker manifest list.
    V2s2,
}

#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// The image on a registry, by digest or by tag.
    pub(crate) image: ImageName,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BlobCommand {
    /// Download a blob, verified; to FILE or standard output.
    ///
    /// Written to FILE only once verified: a mismatch leaves no file behind.
    #[command(after_help = "Examples:\n  \
        skiff blob get localhost:5000/team/app@sha256:... layer.tar.gz\n  \
        skiff blob get localhost:5000/team/app@sha256:... | tar -tz")]
    Get(BlobGetArgs),
    /// Upload a file as a blob (skipped when the repository has it) and print its digest.
    #[command(after_help = "Example:\n  skiff blob put localhost:5000/team/app layer.tar.gz")]
    Put(BlobPutArgs),
}

#[derive(Debug, Args)]
pub(crate) struct BlobGetArgs {
    /// The blob: `HOST[:PORT]/NAME@DIGEST`.
    #[arg(value_name = "HOST/NAME@DIGEST")]
    pub(crate) blob: ImageName,
    /// Where to write it (default: standard output).
    pub(crate) file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct BlobPutArgs {
    /// The repository: `HOST[:PORT]/NAME`.
    #[arg(value_name = "HOST/NAME", value_parser = parse_repository)]
    pub(crate) repository: RepositoryRef,
    /// The file to upload.
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The registry: `HOST[:PORT]`.
    #[arg(value_name = "HOST")]
    pub(crate) registry: RegistryHost,
}

#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {
    /// The registry: `HOST[:PORT]`.
    #[arg(value_name = "HOST")]
    pub(crate) registry: RegistryHost,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    pub(crate) shell: ShellArg,
}

/// The shells `completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ShellArg {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AlgorithmArg {
    Sha256,
    Sha512,
}

impl From<AlgorithmArg> for oci_digest::Algorithm {
    fn from(value: AlgorithmArg) -> Self {
        match value {
            AlgorithmArg::Sha256 => oci_digest::Algorithm::Sha256,
            AlgorithmArg::Sha512 => oci_digest::Algorithm::Sha512,
        }
    }
}

/// The library's default number of concurrent blob transfers.
fn default_jobs() -> NonZeroUsize {
    NonZeroUsize::new(registry_client::image::DEFAULT_JOBS).unwrap_or(NonZeroUsize::MIN)
}

/// `HOST[:PORT]/NAME`, with an optional `docker://` prefix; a tag or digest is refused
/// rather than silently ignored.
fn parse_repository(input: &str) -> Result<RepositoryRef, String> {
    let bare = input.strip_prefix("docker://").unwrap_or(input);
    let reference = oci_manifest::Reference::parse(bare).map_err(|e| e.to_string())?;
    let last = bare.rsplit('/').next().unwrap_or_default();
    if last.contains(':') || bare.contains('@') {
        return Err(format!(
            "{input:?} names an image; give the repository without a tag or digest"
        ));
    }
    Ok(RepositoryRef::from(&reference))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn repositories_parse_without_tag_or_digest() {
        let valid = [
            ("127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app"),
            ("docker://localhost:5000/app", "localhost:5000/app"),
            ("alpine", "docker.io/library/alpine"),
        ];
        for (input, expected) in valid {
            assert_eq!(parse_repository(input).unwrap().to_string(), expected, "{input}");
        }
        let invalid = [
            "",
            "localhost:5000/app:1.0",
            "localhost:5000/app@sha256:4b",
            "team/Upper",
        ];
        for input in invalid {
            assert!(parse_repository(input).is_err(), "{input}");
        }
    }
}
