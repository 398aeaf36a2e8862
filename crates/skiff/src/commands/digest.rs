//! `skiff digest`: manifest digests and blob digests.

use std::fs::File;

use oci_manifest::Manifest;

use crate::cli::DigestArgs;
use crate::failure::Failure;

pub(crate) fn run(args: &DigestArgs) -> Result<(), Failure> {
    if let Some(path) = &args.blob {
        let what = || format!("digest of {}", path.display());
        let file = File::open(path).map_err(|e| Failure::new(what(), e))?;
        let (digest, _len) =
            oci_digest::digest_reader(args.algorithm.into(), file).map_err(|e| Failure::new(what(), e))?;
        println!("{digest}");
    } else if let Some(path) = &args.file {
        let bytes = super::read_manifest_file(path)?;
        let manifest = Manifest::parse(&bytes, None)
            .map_err(|e| Failure::new(format!("digest of {}", path.display()), e))?;
        println!("{}", manifest.digest());
    }
    Ok(())
}
