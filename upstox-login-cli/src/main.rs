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
    log_to_stderr();
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

/// `RUST_LOG` (e.g. `RUST_LOG=upstox_login_sdk=debug`) turns on the SDK's
/// log lines, on stderr; without it nothing is logged, so `token`'s stdout
/// stays the token alone (log lines never go to stdout). Directives are
/// `target=level` or a bare `level`, comma-separated.
fn log_to_stderr() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let Some(directives) = std::env::var_os("RUST_LOG") else {
        return;
    };
    match directives
        .to_string_lossy()
        .parse::<tracing_subscriber::filter::Targets>()
    {
        Ok(filter) => {
            // Fails only when a subscriber is already set: keep that one.
            // Every level to the writer: `filter` alone decides.
            let _ = tracing_subscriber::fmt()
                .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
                .with_writer(std::io::stderr)
                .finish()
                .with(filter)
                .try_init();
        }
        Err(e) => eprintln!("upstox-login: RUST_LOG ignored: {e}"),
    }
}
