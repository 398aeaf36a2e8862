//! One module per subcommand; `run` dispatches.

mod digest;
mod verify;

use crate::cli::{Cli, Command};
use crate::failure::Failure;

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Digest(args) => digest::run(&args),
        Command::Verify(args) => verify::run(&args),
    }
}

/// Reads a whole manifest file, refusing files above the manifest size cap
/// before reading them.
pub(crate) fn read_manifest_file(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    let what = || format!("reading {}", path.display());
    let metadata = std::fs::metadata(path).map_err(|e| Failure::new(what(), e))?;
    let cap = oci_manifest::DEFAULT_MAX_MANIFEST_SIZE;
    if metadata.len() > cap as u64 {
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
