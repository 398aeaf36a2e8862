//! `skiff`: a command-line client for container registries.
//!
//! Exit status: 0 success, 1 operation failed, 2 usage error. Errors are one
//! line on stderr: `skiff: <what failed>: <why>`.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod failure;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("skiff: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}
