//! `skiff login` and `skiff logout`: credentials in the auth file.

use super::Invocation;
use crate::cli::{LoginArgs, LogoutArgs};
use crate::connect;
use crate::failure::Failure;

pub(crate) fn login(invocation: &Invocation, args: &LoginArgs) -> Result<(), Failure> {
    let registry = args.registry.as_str();
    let what = || format!("login to {registry}");
    let Some((username, password)) = invocation.explicit.basic() else {
        return Err(Failure::usage(
            what(),
            "give --username and --password-stdin (or --password)",
        ));
    };
    let store = connect::credential_store(&invocation.global, &invocation.explicit);
    let path = store
        .login(registry, username, password)
        .map_err(|e| Failure::new(what(), e))?;
    if !invocation.global.quiet {
        eprintln!("credentials for {registry} stored in {}", path.display());
    }
    Ok(())
}

pub(crate) fn logout(invocation: &Invocation, args: &LogoutArgs) -> Result<(), Failure> {
    let registry = args.registry.as_str();
    let store = connect::credential_store(&invocation.global, &invocation.explicit);
    let removed = store
        .logout(registry)
        .map_err(|e| Failure::new(format!("logout from {registry}"), e))?;
    if !invocation.global.quiet {
        match removed {
            true => eprintln!("credentials for {registry} removed"),
            false => eprintln!("no credentials for {registry} were stored"),
        }
    }
    Ok(())
}
