//! `skiff verify`: check every schema1 signature of a manifest file.

use oci_manifest::jws;

use crate::cli::VerifyArgs;
use crate::failure::Failure;

pub(crate) fn run(args: &VerifyArgs) -> Result<(), Failure> {
    let bytes = super::read_manifest_file(&args.file)?;
    let what = || format!("verifying {}", args.file.display());
    let verified = jws::verify(&bytes).map_err(|e| Failure::new(what(), e))?;
    for signature in &verified {
        super::print_line(format_args!("{} {}", signature.algorithm(), signature.key_id()))?;
    }
    Ok(())
}
