//! `upstox-login-bench run ROOT [--smoke] [--rounds R]`: starts the
//! stand-in, runs every client in rounds, then `upstox-login token`/`status`
//! against `cat` in as many rounds, measures the cold builds and writes the
//! report.
//!
//! Every run of a client is a process of its own under `/usr/bin/time` (for
//! its peak RSS): WARMUP untimed, then N timed sequential token exchanges. A
//! round runs every client once, in the listed order or reversed, so the SDK
//! and raw reqwest on one runtime always run back to back and whatever else
//! the machine does hits both.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::Deserialize;

/// This harness, as `bench/run.sh` builds it; every path is relative to the
/// workspace root, where the harness runs.
const BENCH: &str = "target/bench-harness/upstox-login-bench";

/// The clients in report order: name, runtime, and the command that starts
/// one run (followed by N WARMUP BASE_URL); last, the SDK and raw reqwest
/// taking turns in one process ([`PAIR`], not a row of the table).
pub const CLIENTS: [(&str, &str, &[&str]); 9] = [
    ("upstox-login-sdk", CT, &[BENCH, "client", "sdk", CT]),
    ("raw reqwest", CT, &[BENCH, "client", "reqwest", CT]),
    ("upstox-login-sdk", MT, &[BENCH, "client", "sdk", MT]),
    ("raw reqwest", MT, &[BENCH, "client", "reqwest", MT]),
    ("upstox-python-sdk", "synchronous", &[PYTHON, PY_DRIVER]),
    ("upstox-js-sdk", EVENTS, &["node", NODE, "as-shipped"]),
    (
        "upstox-js-sdk keep-alive",
        EVENTS,
        &["node", NODE, "keep-alive"],
    ),
    (PAIR, CT, &[BENCH, "client", "pair", CT]),
    (PAIR, MT, &[BENCH, "client", "pair", MT]),
];
/// The name of a run of the SDK and raw reqwest taking turns.
pub const PAIR: &str = "pair";
const CT: &str = "current_thread";
const MT: &str = "multi_thread";
const PYTHON: &str = "target/bench/venv/bin/python";
const PY_DRIVER: &str = "bench/python/driver.py";
const NODE: &str = "bench/node/driver.js";
const EVENTS: &str = "event loop";

/// What one run prints (one JSON line: calls/s of the timed calls, their
/// p50/p99 latency in µs, the Python and Node drivers' versions; a pair run:
/// the SDK's rate / raw reqwest's), and the run's peak RSS in KiB.
#[derive(Deserialize, Default)]
#[serde(default)]
#[allow(missing_docs)]
pub struct Sample {
    pub ratio: f64,
    pub calls_per_s: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub version: Option<String>,
    #[serde(skip)]
    pub rss_kib: u64,
}

/// Every round's sample of one client, or why a run failed.
pub type Runs = Result<Vec<Sample>, String>;

/// Runs the whole benchmark.
pub fn run(root: &Path, options: &[&str]) -> Result<(), String> {
    let smoke = options.contains(&"--smoke");
    let rounds = match options {
        [.., "--rounds", r] => r.parse().map_err(|_| format!("--rounds {r:?}"))?,
        _ if smoke => 2,
        _ => 20,
    };
    std::env::set_current_dir(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let started = Instant::now();
    // The stand-in exits when its stdin closes: when `server` is dropped,
    // whichever way this function returns.
    let mut server = Command::new(BENCH)
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the stand-in: {e}"))?;
    let mut port = String::new();
    let mut stdout = BufReader::new(server.stdout.take().ok_or("no stdout")?);
    stdout.read_line(&mut port).map_err(|e| e.to_string())?;
    let url = format!("http://127.0.0.1:{}", port.trim());
    eprintln!("== stand-in on {url}; {rounds} rounds");

    // Calls per run (timed, warm-up): the Rust clients are ten times faster.
    let calls = match smoke {
        true => [(200, 20), (50, 10)],
        false => [(10_000, 500), (1000, 100)],
    };
    let mut runs: Vec<Runs> = CLIENTS.iter().map(|_| Ok(Vec::new())).collect();
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..CLIENTS.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (name, _, command) = CLIENTS[i];
            // A client whose run failed is not run again.
            if let Ok(samples) = &mut runs[i] {
                match run_one(name, command, calls[usize::from(command[0] != BENCH)], &url) {
                    Ok(sample) => samples.push(sample),
                    Err(e) => runs[i] = Err(e),
                }
            }
        }
        eprintln!("== round {}/{rounds} done", round + 1);
    }
    drop(server.stdin.take());
    let _ = server.wait();

    // Spawns per round of each command (`cat`, `token`, `status`).
    let spawns = if smoke { 20 } else { 200 };
    eprintln!("== upstox-login token/status against cat, {spawns} spawns of each per round");
    let commands = crate::cli::measure(rounds, spawns);

    let skipped = || Err("not measured (--smoke)".to_string());
    let (cold, install) = match smoke {
        true => (skipped(), skipped()),
        false => {
            eprintln!("== cold build of a minimal application depending on upstox-login-sdk");
            let cold = crate::cold_build::measure();
            eprintln!("== cold cargo install of upstox-login-cli");
            (cold, crate::cold_build::measure_install())
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let builds = [cold, install];
    let report = crate::report::render(&runs, rounds, &commands, &builds, seconds);
    let out = match smoke {
        true => "target/bench/BENCHMARKS.smoke.md",
        false => "BENCHMARKS.md",
    };
    std::fs::write(out, report).map_err(|e| format!("{out}: {e}"))?;
    eprintln!("== wrote {out}");
    Ok(())
}

/// One run: its JSON line, and its peak RSS from `/usr/bin/time`.
fn run_one(name: &str, cmd: &[&str], calls: (usize, usize), url: &str) -> Result<Sample, String> {
    let rss_file = "target/bench/peak-rss";
    let output = Command::new("timeout")
        .args(["300", "/usr/bin/time", "-f", "%M", "-o", rss_file])
        .args(cmd)
        .args([&calls.0.to_string(), &calls.1.to_string(), url])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{name}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or("");
    let sample = serde_json::from_str::<Sample>(line).ok();
    let Some(mut sample) = sample.filter(|_| output.status.success()) else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.trim_end().lines().collect();
        let tail = lines[lines.len().saturating_sub(3)..].join(" / ");
        return Err(format!("{name} ({}): {tail}", output.status));
    };
    let rss = std::fs::read_to_string(rss_file).unwrap_or_default();
    let last = rss.lines().last().unwrap_or("");
    sample.rss_kib = last.trim().parse().unwrap_or(0);
    Ok(sample)
}
