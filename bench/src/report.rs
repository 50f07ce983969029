//! `BENCHMARKS.md`: one table of every client, the target, the machine, the
//! versions and the cold build.

use std::fmt::Write as _;
use std::process::Command;

use crate::cold_build::ColdBuild;
use crate::rounds::{Runs, Sample, CLIENTS, PAIR};

/// The SDK's sequential token-exchange rate must be at least this fraction
/// of raw reqwest's, on each runtime.
const TARGET: f64 = 0.9;

const HOW_TO_READ: &str = "Sequential token exchanges against one stand-in server on \
127.0.0.1 (the contract's answer; any other request fails the run). Each run of a client is a \
process of its own: untimed warm-up calls, then timed ones; each round runs every client once. \
Shown: medians over the rounds of calls/s and of each run's p50/p99 latency; the highest peak RSS \
of the whole process (interpreter included). \"SDK ÷ this\" compares upstox-login-sdk on the row's \
runtime (`current_thread` for Python and Node) with the row's client: the median of the per-round \
ratios, and their quartiles. Against raw reqwest, the SDK's floor (the same request by hand on the \
same reqwest build, with the SDK's per-call settings), the ratio comes from one more process per \
round in which the two take turns of 500 calls, so that whatever else the machine does (it is \
shared) slows both alike; absolute figures move from run to run far more.";

/// Renders the report of `runs` (one per client of [`CLIENTS`]).
pub fn render(runs: &[Runs], rounds: usize, cold: &Result<ColdBuild, String>, secs: f64) -> String {
    let mut out = format!(
        "# Benchmarks\n\nWritten by `cargo xtask bench` (see `bench/README.md`); do not edit by \
         hand. {rounds} rounds.\n\n{HOW_TO_READ}\n\n\
         | client | runtime | calls/s | p50 µs | p99 µs | peak RSS MiB \
         | SDK ÷ this: calls/s (Q1–Q3) | SDK ÷ this: peak RSS |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n"
    );
    let mut targets = String::new();
    for (i, (name, runtime, _)) in CLIENTS.iter().enumerate() {
        if *name == PAIR {
            continue;
        }
        let cells = row(runs, i).unwrap_or_else(|e| format!("**FAILED**: {e} | | | | |"));
        let _ = writeln!(out, "| {name} | {runtime} | {} |", cells.replace('\n', " "));
        if *name == "raw reqwest" {
            let verdict = match speed(runs, i) {
                Ok((q1, m, q3)) => {
                    let met = if m >= TARGET { "met" } else { "**MISSED**" };
                    format!("{m:.2}x (Q1–Q3 {q1:.2}–{q3:.2}): {met}")
                }
                Err(_) => "not measured (a run failed)".into(),
            };
            let _ = writeln!(
                targets,
                "- Target, the SDK's calls/s ≥ {TARGET:.2}x raw reqwest's on `{runtime}`: {verdict}."
            );
        }
    }
    let _ = write!(out, "\n{targets}- Machine: {}.\n", machine());
    let _ = writeln!(out, "- Versions: {}.", versions(runs));
    let _ = match cold {
        Ok(c) => writeln!(
            out,
            "- Cold build of a minimal application depending only on upstox-login-sdk (default \
             features, `cargo build`, debug, its own target directory, sources already downloaded): \
             **{:.0} s**, {} crates compiled.",
            c.seconds, c.crates
        ),
        Err(e) => writeln!(out, "- Cold build: {e}."),
    };
    let _ = writeln!(out, "- Whole run: {secs:.0} s.");
    out
}

/// The cells of client `i`'s row after its name and runtime.
fn row(runs: &[Runs], i: usize) -> Result<String, String> {
    let samples = runs[i].as_ref().map_err(|e| e.replace('|', "/"))?;
    let median = |f: fn(&Sample) -> f64| quartiles(samples.iter().map(f).collect()).1;
    let rss = peak_mib(samples);
    let mut cells = format!(
        "{:.0} | {:.0} | {:.0} | {rss:.1}",
        median(|s| s.calls_per_s),
        median(|s| s.p50_us),
        median(|s| s.p99_us)
    );
    match (&runs[sdk_for(i)], speed(runs, i)) {
        (Ok(sdk_runs), Ok((q1, m, q3))) if sdk_for(i) != i => {
            let rss_ratio = peak_mib(sdk_runs) / rss;
            let _ = write!(cells, " | {m:.2}x ({q1:.2}–{q3:.2}) | {rss_ratio:.2}x");
        }
        _ => cells.push_str(" | — | —"),
    }
    Ok(cells)
}

/// Quartiles of the SDK's calls/s ÷ client `i`'s: for raw reqwest, of the
/// [`PAIR`] runs on its runtime; for the others, of the per-round ratios.
fn speed(runs: &[Runs], i: usize) -> Result<(f64, f64, f64), &String> {
    let (name, runtime, _) = CLIENTS[i];
    let pair = CLIENTS.iter().position(|c| c.0 == PAIR && c.1 == runtime);
    if let (Some(pair), "raw reqwest") = (pair, name) {
        let pairs = runs[pair].as_ref()?;
        return Ok(quartiles(pairs.iter().map(|s| s.ratio).collect()));
    }
    let (sdk, other) = (runs[sdk_for(i)].as_ref()?, runs[i].as_ref()?);
    let ratio = |(a, b): (&Sample, &Sample)| a.calls_per_s / b.calls_per_s;
    Ok(quartiles(sdk.iter().zip(other).map(ratio).collect()))
}

/// The SDK's row that client `i` is compared with: the SDK on the same
/// runtime, or on `current_thread` for the other languages.
fn sdk_for(i: usize) -> usize {
    let runtime = if CLIENTS[i].1 == "multi_thread" {
        "multi_thread"
    } else {
        "current_thread"
    };
    let sdk = CLIENTS
        .iter()
        .position(|c| c.0 == "upstox-login-sdk" && c.1 == runtime);
    sdk.unwrap_or(0)
}

fn peak_mib(samples: &[Sample]) -> f64 {
    samples.iter().map(|s| s.rss_kib).max().unwrap_or(0) as f64 / 1024.0
}

/// First quartile, median and third quartile (linear interpolation).
fn quartiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let i = p * v.len().saturating_sub(1) as f64;
        match (v.get(i.floor() as usize), v.get(i.ceil() as usize)) {
            (Some(a), Some(b)) => a + (b - a) * i.fract(),
            _ => f64::NAN,
        }
    };
    (at(0.25), at(0.5), at(0.75))
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name\t: "));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} cores, {}, Linux {}",
        model.unwrap_or("?"),
        kernel.trim()
    )
}

fn versions(runs: &[Runs]) -> String {
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let locked = |name: &str| {
        let entry = format!("name = \"{name}\"\nversion = ");
        let version = lock.split_once(&entry).and_then(|(_, v)| v.lines().next());
        format!("{name} {}", version.unwrap_or("?").trim_matches('"'))
    };
    let run = |program: &str, args: &[&str]| {
        let out = Command::new(program).args(args).output();
        out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let mut git = run("git", &["rev-parse", "--short", "HEAD"]);
    if !run("git", &["status", "--porcelain", "--", "upstox-login-sdk"]).is_empty() {
        git.push_str(" + uncommitted changes");
    }
    let mut parts = vec![
        format!("{} (git {git}, release build)", locked("upstox-login-sdk")),
        locked("reqwest"),
        locked("hyper"),
        locked("tokio"),
        run("rustc", &["--version"]),
    ];
    // The Python and Node drivers report their interpreter's and SDK's versions.
    for sample in runs.iter().flatten().flatten() {
        match &sample.version {
            Some(v) if !parts.contains(v) => parts.push(v.clone()),
            _ => {}
        }
    }
    parts.join(", ")
}
