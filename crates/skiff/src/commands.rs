//! One function per subcommand.

use std::fs::File;

use crate::cli::{Cli, Command, DigestArgs};
use crate::failure::Failure;

pub(crate) fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Digest(args) => digest(&args),
    }
}

fn digest(args: &DigestArgs) -> Result<(), Failure> {
    let what = || format!("digest of {}", args.blob.display());
    let file = File::open(&args.blob).map_err(|e| Failure::new(what(), e))?;
    let (digest, _len) =
        oci_digest::digest_reader(args.algorithm.into(), file).map_err(|e| Failure::new(what(), e))?;
    println!("{digest}");
    Ok(())
}
