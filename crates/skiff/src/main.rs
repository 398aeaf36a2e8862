//! `skiff`: a command-line client for container registries.
//!
//! Exit status: 0 success, 1 operation failed, 2 usage error. Errors are one
//! line on stderr: `skiff: <what failed>: <why>`.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod connect;
mod failure;
mod image_arg;
mod logging;
mod progress;
mod trace;

use std::process::ExitCode;

use clap::Parser;

use crate::failure::Failure;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(cli.global.verbose);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of stdout went away (`| head`): nothing to report, as with SIGPIPE's
        // default, but without being killed mid-write.
        Err(failure) if failure.is_broken_pipe() => ExitCode::SUCCESS,
        Err(failure) if failure.is_silent() => ExitCode::from(failure.exit_code()),
        Err(failure) => {
            // Whoever wrote the message (a registry echoing a password, say), no secret
            // this process holds reaches the terminal.
            eprintln!("skiff: {}", registry_auth::redact(&failure.to_string()));
            ExitCode::from(failure.exit_code())
        }
    }
}

fn run(cli: cli::Cli) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("starting the async runtime", e))?;
    let invocation = commands::Invocation::new(cli.global)?;
    let command = cli.command;
    runtime.block_on(async {
        // On Ctrl-C the command's future is dropped, not the process killed: layout writers
        // and temp files clean up after themselves when dropped.
        tokio::select! {
            result = commands::run(&invocation, command) => result,
            _ = tokio::signal::ctrl_c() => Err(Failure::new("interrupted", "Ctrl-C")),
        }
    })
}
