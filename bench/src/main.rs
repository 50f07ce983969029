//! `upstox-login-bench`: the benchmark harness behind `cargo xtask bench`.
//!
//! ```text
//! upstox-login-bench client --client sdk|reqwest|reqwest-default|reqwest-default+timeout|reqwest-default+no-retries
//!                           --runtime current_thread|multi_thread
//!                           --workload token_seq|logout_seq|token_64
//!                           --n N [--warmup W] --base-url http://127.0.0.1:PORT
//! upstox-login-bench paired --runtime current_thread|multi_thread
//!                           --workload token_seq|logout_seq
//!                           --rounds R --block B [--warmup W] --base-url URL
//! upstox-login-bench orchestrate [options]   (see `orchestrate --help`)
//! ```
//!
//! `client` runs one workload with one Rust client and prints one JSON line;
//! `paired` runs the Rust clients taking turns in one process (see
//! [`clients::paired`]) and prints one JSON line;
//! `orchestrate` runs wrk and every client (Rust, Python, Node) against the
//! stand-in server that `bench/run.sh` started, and writes `BENCHMARKS.md`.

mod clients;
mod orchestrate;
mod sdk;

use std::process::ExitCode;

use clients::{Outcome, Workload};

const USAGE: &str = "usage: upstox-login-bench client \
--client sdk|reqwest|reqwest-default|reqwest-default+timeout|reqwest-default+no-retries \
--runtime current_thread|multi_thread --workload token_seq|logout_seq|token_64 \
--n N [--warmup W] --base-url URL\n       upstox-login-bench paired \
--runtime current_thread|multi_thread --workload token_seq|logout_seq --rounds R --block B \
[--warmup W] --base-url URL\n       upstox-login-bench orchestrate --help";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("client") => client_main(&args[1..]),
        Some("paired") => paired_main(&args[1..]),
        Some("orchestrate") => orchestrate::main(&args[1..]),
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

/// Minimal `--flag value` parser shared by both subcommands.
pub struct Flags {
    pairs: Vec<(String, Option<String>)>,
}

impl Flags {
    /// Parses `--name value` pairs and bare `--switch`es.
    pub fn parse(args: &[String], switches: &[&str]) -> Result<Self, String> {
        let mut pairs = Vec::new();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            let name = arg
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {arg:?}"))?;
            if switches.contains(&name) {
                pairs.push((name.to_string(), None));
            } else {
                let value = iter
                    .next()
                    .ok_or_else(|| format!("--{name} needs a value"))?;
                pairs.push((name.to_string(), Some(value.clone())));
            }
        }
        Ok(Flags { pairs })
    }

    /// The value of `--name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// The value of `--name`, required.
    pub fn req(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("--{name} is required"))
    }

    /// Whether the switch `--name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// `--name` parsed as a number, or `default`.
    pub fn num(&self, name: &str, default: usize) -> Result<usize, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: not a number: {v:?}")),
        }
    }
}

fn client_main(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(args, &[])?;
    let client = flags.req("client")?;
    let runtime = flags.req("runtime")?;
    let workload_name = flags.req("workload")?;
    let workload = Workload::parse(workload_name)
        .ok_or_else(|| format!("unknown workload {workload_name:?}"))?;
    let n = flags.num("n", 1000)?;
    let warmup = flags.num("warmup", 100)?;
    let base_url = flags.req("base-url")?.trim_end_matches('/').to_string();

    let rt = runtime_of(runtime)?;

    let names = (client, runtime);
    // Each client runs as its own type, not through the `Rust` enum, so
    // that its calls' futures are its own size.
    let outcome: Outcome = rt.block_on(async {
        Ok::<_, String>(match clients::Rust::by_name(client, &base_url)? {
            clients::Rust::Sdk(c) => clients::run(c, names, workload, n, warmup).await,
            clients::Rust::Raw(c) => clients::run(c, names, workload, n, warmup).await,
        })
    })?;
    let failed = format!("{} of {}", outcome.failed, outcome.n);
    report(
        &outcome,
        outcome.failed,
        &failed,
        outcome.first_error.as_deref(),
    )
}

/// Prints the JSON line; an error (exit code 1) when any call failed.
fn report<T: serde::Serialize>(
    outcome: &T,
    failed: u64,
    how_many: &str,
    first_error: Option<&str>,
) -> Result<(), String> {
    let line = serde_json::to_string(outcome).map_err(|e| e.to_string())?;
    println!("{line}");
    if failed > 0 {
        return Err(format!(
            "{how_many} calls failed; first: {}",
            first_error.unwrap_or("?")
        ));
    }
    Ok(())
}

fn runtime_of(name: &str) -> Result<tokio::runtime::Runtime, String> {
    match name {
        "current_thread" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        "multi_thread" => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        other => return Err(format!("unknown runtime {other:?}")),
    }
    .map_err(|e| format!("tokio runtime: {e}"))
}

fn paired_main(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(args, &[])?;
    let runtime = flags.req("runtime")?;
    let workload_name = flags.req("workload")?;
    let workload = match Workload::parse(workload_name) {
        Some(w @ (Workload::TokenSeq | Workload::LogoutSeq)) => w,
        _ => {
            return Err(format!(
                "paired runs a sequential workload, not {workload_name:?}"
            ))
        }
    };
    let rounds = flags.num("rounds", clients::PAIRED_ROUNDS)?.max(1);
    let block = flags.num("block", 1000)?.max(1);
    let warmup = flags.num("warmup", 500)?;
    let base_url = flags.req("base-url")?.trim_end_matches('/').to_string();
    let rt = runtime_of(runtime)?;
    let outcome = rt.block_on(async {
        let clients = clients::PAIRED_CLIENTS
            .iter()
            .map(|name| clients::Rust::by_name(name, &base_url))
            .collect::<Result<Vec<_>, String>>()?;
        Ok::<_, String>(clients::paired(&clients, (runtime, workload), rounds, block, warmup).await)
    })?;
    let failed = outcome.failed.to_string();
    report(
        &outcome,
        outcome.failed,
        &failed,
        outcome.first_error.as_deref(),
    )
}
