//! The command line, as clap derives it. Usage errors exit 2 (clap's default).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// A fast, correct client for container registries.
#[derive(Debug, Parser)]
#[command(name = "skiff", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print a digest: of a manifest file (`--file`, schema1: of its signed
    /// payload) or of any blob file (`--blob`).
    #[command(after_help = "Examples:\n  \
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
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["file", "blob"])))]
pub(crate) struct DigestArgs {
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

#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// A signed schema1 manifest file.
    #[arg(long, value_name = "PATH")]
    pub(crate) file: PathBuf,
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
