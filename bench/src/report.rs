//! `BENCHMARKS.md`: one table of every client, the target, the machine, the
//! versions, `upstox-login token`/`status` against `cat`, and the cold
//! builds.

use std::fmt::Write as _;
use std::process::Command;

use crate::cli::{Medians, COMMANDS};
use crate::cold_build::ColdBuild;
use crate::rounds::{Runs, Sample, CLIENTS, PAIR};

/// The SDK's sequential token-exchange rate must be at least this fraction
/// of raw reqwest's, on each runtime.
const TARGET: f64 = 0.9;
/// `upstox-login token` and `status` may take at most this many times `cat`.
const CLI_TARGET: f64 = 3.0;
/// The cold `cargo install` may take at most this many times the cold build
/// of the minimal application.
const INSTALL_TARGET: f64 = 1.3;

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

/// Renders the report of `runs` (one per client of [`CLIENTS`]), of the
/// commands against `cat`, and of the cold builds (the minimal application,
/// `cargo install`).
pub fn render(
    runs: &[Runs],
    rounds: usize,
    commands: &Result<Medians, String>,
    builds: &[Result<ColdBuild, String>; 2],
    secs: f64,
) -> String {
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
                    format!("{m:.2}x (Q1–Q3 {q1:.2}–{q3:.2}): {}", met(m >= TARGET))
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
    let _ = match &builds[0] {
        Ok(c) => writeln!(
            out,
            "- Cold build of a minimal application depending only on upstox-login-sdk (default \
             features, `cargo build`, debug, its own target directory, sources already downloaded): \
             **{:.0} s**, {} crates compiled.",
            c.seconds, c.crates
        ),
        Err(e) => writeln!(out, "- Cold build: {e}."),
    };
    let _ = match &builds[1] {
        Ok(c) => writeln!(
            out,
            "- Cold `cargo install --path upstox-login-cli --locked --offline` (the \
             workspace's release profile, opt-level 1 without LTO; TLS by ring; its own target directory, sources already downloaded): **{:.0} s**, {} crates compiled.",
            c.seconds, c.crates
        ),
        Err(e) => writeln!(out, "- Cold `cargo install` of upstox-login: {e}."),
    };
    let verdict = match builds {
        [Ok(app), Ok(install)] => {
            let ratio = install.seconds / app.seconds;
            format!("{ratio:.2}x: {}", met(ratio <= INSTALL_TARGET))
        }
        _ => "not measured".into(),
    };
    let _ = writeln!(
        out,
        "- Target, the cold `cargo install` ≤ {INSTALL_TARGET:.1}x the minimal application's \
         cold build: {verdict}."
    );
    let _ = writeln!(out, "- Whole run: {secs:.0} s.");
    out.push_str(&render_commands(commands));
    out
}

const COMMANDS_HOW_TO_READ: &str = "Each command reads the same session file (of a simulated \
account, written by `upstox-login login`; release build, as `cargo install` makes it) and is spawned anew each time, the three \
taking turns; wall time from spawn to exit. Shown: the median over the rounds of each round's \
median, and the per-round ratio to `cat` (median, Q1–Q3).";

/// The table of `upstox-login token`/`status` against `cat`, and the target.
fn render_commands(commands: &Result<Medians, String>) -> String {
    let medians = match commands {
        Ok(medians) => medians,
        Err(e) => return format!("\n## The command against `cat`\n\n**FAILED**: {e}\n"),
    };
    let mut out = format!(
        "\n## The command against `cat`\n\n{COMMANDS_HOW_TO_READ}\n\n\
         | command | µs per spawn | ÷ `cat` (Q1–Q3) |\n|---|---:|---:|\n"
    );
    let mut targets = String::new();
    for (i, name) in COMMANDS.iter().enumerate() {
        let micros = quartiles(medians[i].clone()).1;
        let ratios = medians[i].iter().zip(&medians[0]).map(|(c, cat)| c / cat);
        let (q1, m, q3) = quartiles(ratios.collect());
        let ratio = match i {
            0 => "—".to_string(),
            _ => format!("{m:.2}x ({q1:.2}–{q3:.2})"),
        };
        let _ = writeln!(out, "| `{name}` | {micros:.0} | {ratio} |");
        if i > 0 {
            let _ = writeln!(
                targets,
                "- Target, `{name}` ≤ {CLI_TARGET:.0}x `cat`: {m:.2}x (Q1–Q3 {q1:.2}–{q3:.2}): {}.",
                met(m <= CLI_TARGET)
            );
        }
    }
    format!("{out}\n{targets}")
}

fn met(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "**MISSED**"
    }
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
pub fn quartiles(mut v: Vec<f64>) -> (f64, f64, f64) {
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
        format!(
            "{} (git {git}, release build at opt-level 3)",
            locked("upstox-login-sdk")
        ),
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
