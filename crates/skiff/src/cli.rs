//! The command line, as clap derives it.

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
    /// Print a digest: of a blob file (`--blob`).
    ///
    /// Examples:
    ///   skiff digest --blob layer.tar.gz
    ///   skiff digest --blob layer.tar.gz --algorithm sha512
    Digest(DigestArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct DigestArgs {
    /// The content digest of any file, streamed in constant memory.
    #[arg(long, value_name = "PATH")]
    pub(crate) blob: PathBuf,
    /// The hash algorithm for `--blob`.
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Sha256)]
    pub(crate) algorithm: AlgorithmArg,
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
