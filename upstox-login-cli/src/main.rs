//! `upstox-login`: the day's Upstox session for every program.
//!
//! `upstox-login login` once a morning, then `upstox-login token` in every
//! program's start. See `upstox-login --help`.

mod cli;
mod context;
mod credentials;
mod login;
mod logout;
mod place;
mod report;
mod request;
mod simulated;
mod status;
mod token;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match &cli.command {
        cli::Command::Login(args) => login::run(&cli.common, args),
        cli::Command::Request(args) => request::run(&cli.common, args),
        cli::Command::Status(args) => status::run(&cli.common, args),
        cli::Command::Token(args) => token::run(&cli.common, args),
        cli::Command::Logout => logout::run(&cli.common),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("upstox-login: {message}");
            ExitCode::FAILURE
        }
    }
}
