//! `upstox-login-bench`: the benchmark harness behind `cargo xtask bench`
//! (`USAGE` below). `run` starts the stand-in, runs every client in rounds,
//! times `upstox-login token`/`status` against `cat`, builds a minimal
//! application and installs the command cold, and writes `BENCHMARKS.md`
//! under ROOT;
//! `serve` is the stand-in server (it prints its port, then serves until its
//! stdin closes); `client` is one run of a Rust client, printing one JSON
//! line as the Python and Node drivers do.

mod cli;
mod clients;
mod cold_build;
mod report;
mod rounds;
mod sdk;
mod server;

use std::process::ExitCode;

/// The credentials every client sends, in every language.
pub const CLIENT_ID: &str = "bench-client-id";
/// See [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "bench-client-secret";
/// See [`CLIENT_ID`].
pub const REDIRECT_URI: &str = "http://127.0.0.1/callback";
/// What the stand-in answers as `access_token`.
pub const ACCESS_TOKEN: &str = "bench-access-token";

const USAGE: &str = "usage: upstox-login-bench run ROOT [--smoke] [--rounds R]
       upstox-login-bench serve
       upstox-login-bench client sdk|reqwest current_thread|multi_thread N WARMUP BASE_URL";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["run", root, options @ ..] => rounds::run(root.as_ref(), options),
        ["serve"] => server::serve(),
        ["client", args @ ..] => clients::run(args),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("upstox-login-bench: {message}");
            ExitCode::FAILURE
        }
    }
}
