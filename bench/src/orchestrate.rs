//! Runs wrk and every client against the stand-in server, measures, and writes
//! `BENCHMARKS.md`. `bench/run.sh` installs the tools and starts/stops nginx;
//! this module does the measuring and the reporting.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::clients::{
    Outcome, PairedOutcome, Workload, IN_FLIGHT, PAIRED_CLIENTS, PAIRED_ROUNDS, RUST_CLIENTS,
};
use crate::Flags;

const HELP: &str =
    "upstox-login-bench orchestrate: run the whole benchmark against a running stand-in.

  --base-url URL       the stand-in (required), e.g. http://127.0.0.1:18787
  --root DIR           the workspace root (default: current directory)
  --python PATH        python of the venv holding upstox-python-sdk (required)
  --node PATH          node binary (default: node)
  --nginx-pid PID      nginx master pid, to measure the server's CPU per call
  --n N                timed calls per Rust run (default 20000)
  --n-official N       timed calls per Python/Node run (default 5000)
  --warmup W           untimed calls before each run (default 500)
  --rounds R           repeat every run R times, report the median (default 3)
  --paired-rounds R    rounds of the one-process Rust comparison (default 40)
  --paired-block B     calls per client per round in it (default 1000)
  --wrk-secs S         duration of each wrk run (default 5)
  --out FILE           where to write the report (default ROOT/BENCHMARKS.md)
  --skip-cold-build    do not measure the cold build of a minimal application
  --skip-callgrind     do not count instructions per call with valgrind
  --wait-quiet S       first wait up to S seconds for the machine to be idle (default 600)
  --smoke              tiny N, 1 round, no cold build, report to target/bench/";

/// Other work on the machine (in cores) above which a run counts as disturbed.
const DISTURBED: f64 = 0.15;
/// Extra attempts of a disturbed run.
const MAX_RETRIES: usize = 2;

/// Bounded wall time for any one child process.
const CHILD_TIMEOUT_S: u64 = 300;

struct Config {
    root: PathBuf,
    base_url: String,
    python: String,
    node: String,
    nginx_pid: Option<u32>,
    n: usize,
    n_official: usize,
    warmup: usize,
    rounds: usize,
    paired_rounds: usize,
    paired_block: usize,
    wrk_secs: usize,
    out: PathBuf,
    smoke: bool,
    skip_cold_build: bool,
    skip_callgrind: bool,
    wait_quiet_s: usize,
}

/// One client process to run.
#[derive(Clone)]
struct Spec {
    client: &'static str,
    runtime: &'static str,
    workload: Workload,
    n: usize,
    cmd: Vec<String>,
}

/// What one run of a [`Spec`] gave.
#[derive(Clone)]
struct Measured {
    outcome: Option<Outcome>,
    rss_kib: Option<u64>,
    server_cpu_s: Option<f64>,
    /// CPU (in cores, averaged over the run) used by anything other than the
    /// client process and nginx: other work disturbing the measurement.
    other_load: Option<f64>,
    error: Option<String>,
}

impl Measured {
    fn rate(&self) -> Option<f64> {
        let o = self.outcome.as_ref()?;
        if self.error.is_some() || o.failed > 0 || o.ok != o.n || o.elapsed_s <= 0.0 {
            return None;
        }
        Some(o.n as f64 / o.elapsed_s)
    }
}

/// The row of the report for one (client, runtime, workload).
struct Row {
    spec: Spec,
    /// The run with the median rate, or the first failure.
    pick: Measured,
    /// Rates of every round (for the spread).
    rates: Vec<f64>,
    calls_per_run: usize,
}

#[derive(Clone)]
struct Wrk {
    label: String,
    connections: usize,
    rate: Option<f64>,
    note: String,
    /// Rates of every round, sorted (filled in by [`median_wrk`]).
    rates: Vec<f64>,
}

/// The median of the rounds' wrk runs; any failure fails it.
fn median_wrk(mut runs: Vec<Wrk>) -> Wrk {
    if let Some(bad) = runs.iter().find(|w| w.rate.is_none()) {
        return bad.clone();
    }
    runs.sort_by(|a, b| {
        a.rate
            .partial_cmp(&b.rate)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let rates: Vec<f64> = runs.iter().filter_map(|w| w.rate).collect();
    let mut pick = runs[runs.len() / 2].clone();
    pick.rates = rates;
    pick
}

pub fn main(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(
        args,
        &["smoke", "help", "skip-cold-build", "skip-callgrind"],
    )?;
    if flags.has("help") {
        println!("{HELP}");
        return Ok(());
    }
    let smoke = flags.has("smoke");
    let root = match flags.get("root") {
        Some(r) => PathBuf::from(r),
        None => std::env::current_dir().map_err(|e| e.to_string())?,
    };
    let n = flags.num("n", if smoke { 200 } else { 20_000 })?;
    let cfg = Config {
        base_url: flags.req("base-url")?.trim_end_matches('/').to_string(),
        python: flags.req("python")?.to_string(),
        node: flags.get("node").unwrap_or("node").to_string(),
        nginx_pid: flags.get("nginx-pid").and_then(|p| p.parse().ok()),
        n,
        n_official: flags.num("n-official", if smoke { 100 } else { 5_000 })?,
        warmup: flags.num("warmup", if smoke { 20 } else { 500 })?,
        rounds: flags.num("rounds", if smoke { 1 } else { 3 })?.max(1),
        paired_rounds: flags
            .num("paired-rounds", if smoke { 10 } else { PAIRED_ROUNDS })?
            .max(1),
        paired_block: flags
            .num("paired-block", if smoke { 50 } else { 1000 })?
            .max(1),
        wrk_secs: flags.num("wrk-secs", if smoke { 1 } else { 5 })?.max(1),
        out: match flags.get("out") {
            Some(o) => PathBuf::from(o),
            None if smoke => root.join("target/bench/BENCHMARKS.smoke.md"),
            None => root.join("BENCHMARKS.md"),
        },
        skip_cold_build: smoke || flags.has("skip-cold-build"),
        skip_callgrind: smoke || flags.has("skip-callgrind"),
        wait_quiet_s: flags.num("wait-quiet", if smoke { 0 } else { 600 })?,
        smoke,
        root,
    };
    run(&cfg)
}

fn run(cfg: &Config) -> Result<(), String> {
    let started = Instant::now();
    let quiet_before = wait_quiet(cfg.wait_quiet_s);
    let load_before = format!("{} (CPU busy {:.0}%)", loadavg(), quiet_before * 100.0);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let exe = exe.to_string_lossy().to_string();
    let worker_pid = cfg.nginx_pid.and_then(nginx_worker);

    // 1. The server alone, driven by wrk (one keep-alive connection, and
    //    IN_FLIGHT), and 2. every client, every workload; all of it `rounds`
    //    times, interleaved, so that drift hits every client alike.
    let wrk_configs: [(&str, &str, &str, usize); 3] = [
        (
            "token exchange (POST form)",
            "token.lua",
            "/v2/login/authorization/token",
            1,
        ),
        ("logout (DELETE)", "logout.lua", "/v2/logout", 1),
        (
            "token exchange (POST form)",
            "token.lua",
            "/v2/login/authorization/token",
            IN_FLIGHT,
        ),
    ];
    let mut wrk_runs: Vec<Vec<Wrk>> = vec![Vec::new(); wrk_configs.len()];
    let specs = specs(cfg, &exe);
    let mut runs: Vec<Vec<Measured>> = vec![Vec::new(); specs.len()];
    for round in 1..=cfg.rounds {
        eprintln!("== round {round}/{}: wrk against the stand-in", cfg.rounds);
        for (i, (label, script, path, connections)) in wrk_configs.iter().enumerate() {
            wrk_runs[i].push(run_wrk(cfg, label, script, path, *connections));
        }
        for (i, spec) in specs.iter().enumerate() {
            eprintln!(
                "== round {round}/{}: {} {} {} (n = {})",
                cfg.rounds,
                spec.client,
                spec.runtime,
                spec.workload.name(),
                spec.n
            );
            // A run disturbed by other work on the machine is repeated (at
            // most twice); the least disturbed attempt is kept.
            let mut m = run_client(cfg, spec, worker_pid);
            for _ in 0..MAX_RETRIES {
                match m.other_load {
                    Some(load) if load > DISTURBED && m.error.is_none() => {
                        eprintln!("   disturbed ({load:.2} cores of other work): again");
                        let again = run_client(cfg, spec, worker_pid);
                        if again.error.is_some() || again.other_load < m.other_load {
                            m = again;
                        }
                    }
                    _ => break,
                }
            }
            match (&m.error, m.rate()) {
                (Some(e), _) => eprintln!("   FAILED: {e}"),
                (None, Some(r)) => eprintln!(
                    "   {:.0} calls/s, p50 {:.0} us, p99 {:.0} us, peak RSS {} KiB, other load {:.2}",
                    r,
                    m.outcome.as_ref().map_or(0.0, |o| o.p50_us),
                    m.outcome.as_ref().map_or(0.0, |o| o.p99_us),
                    m.rss_kib.unwrap_or(0),
                    m.other_load.unwrap_or(0.0)
                ),
                (None, None) => eprintln!("   FAILED"),
            }
            runs[i].push(m);
        }
    }
    let wrk: Vec<Wrk> = wrk_runs.into_iter().map(median_wrk).collect();
    let rows: Vec<Row> = specs
        .into_iter()
        .zip(runs)
        .map(|(spec, measured)| pick_median(spec, measured))
        .collect();

    // 3. The Rust clients taking turns in one process, for their ratios.
    let paired = run_paired(cfg, &exe);

    // 4. Build cost of a minimal application, and the example's size.
    let cold = if cfg.skip_cold_build {
        None
    } else {
        eprintln!("== cold build of a minimal application depending on upstox-login-sdk");
        Some(
            COLD_VARIANTS
                .iter()
                .map(|&v| cold_build(cfg, v))
                .collect::<Vec<_>>(),
        )
    };
    let example = if cfg.smoke {
        None
    } else {
        eprintln!("== release size of the login example");
        Some(example_size(cfg))
    };
    let callgrind = if cfg.skip_callgrind {
        Vec::new()
    } else {
        eprintln!("== instructions per call under callgrind");
        callgrind_per_call(cfg, &exe)
    };

    let load_after = format!(
        "{} (CPU busy {:.0}%)",
        loadavg(),
        busy_fraction(Duration::from_secs(2)) * 100.0
    );
    let report = render(
        cfg,
        &wrk,
        &rows,
        &paired,
        cold.as_deref(),
        example.as_ref(),
        &callgrind,
        &load_before,
        &load_after,
        started.elapsed(),
    );
    if let Some(dir) = cfg.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&cfg.out, &report).map_err(|e| format!("{}: {e}", cfg.out.display()))?;
    println!("{report}");
    eprintln!("wrote {}", cfg.out.display());
    let failed_paired = paired
        .iter()
        .filter(|p| p.error.is_some())
        .map(|p| format!("paired {} {}", p.runtime, p.workload.name()));
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r.pick.rate().is_none())
        .map(|r| {
            format!(
                "{} {} {}",
                r.spec.client,
                r.spec.runtime,
                r.spec.workload.name()
            )
        })
        .chain(failed_paired)
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("runs FAILED: {}", failed.join(", ")))
    }
}

fn specs(cfg: &Config, exe: &str) -> Vec<Spec> {
    let mut specs = Vec::new();
    for workload in Workload::ALL {
        for runtime in ["current_thread", "multi_thread"] {
            for client in RUST_CLIENTS {
                specs.push(Spec {
                    client,
                    runtime,
                    workload,
                    n: cfg.n,
                    cmd: strings(&[
                        exe,
                        "client",
                        "--client",
                        client,
                        "--runtime",
                        runtime,
                        "--workload",
                        workload.name(),
                        "--n",
                        &cfg.n.to_string(),
                        "--warmup",
                        &cfg.warmup.to_string(),
                        "--base-url",
                        &cfg.base_url,
                    ]),
                });
            }
        }
        let common = |program: &str, script: &str, extra: &[&str]| {
            let script = cfg.root.join(script).to_string_lossy().to_string();
            let mut cmd = strings(&[
                program,
                &script,
                "--workload",
                workload.name(),
                "--n",
                &cfg.n_official.to_string(),
                "--warmup",
                &cfg.warmup.to_string(),
                "--base-url",
                &cfg.base_url,
            ]);
            cmd.extend(strings(extra));
            cmd
        };
        specs.push(Spec {
            client: "python-sdk",
            runtime: "threads",
            workload,
            n: cfg.n_official,
            cmd: common(&cfg.python, "bench/python/driver.py", &[]),
        });
        specs.push(Spec {
            client: "node-sdk",
            runtime: "event loop",
            workload,
            n: cfg.n_official,
            cmd: common(&cfg.node, "bench/node/driver.js", &[]),
        });
        specs.push(Spec {
            client: "node-sdk-keepalive",
            runtime: "event loop",
            workload,
            n: cfg.n_official,
            cmd: common(&cfg.node, "bench/node/driver.js", &["--keep-alive", "yes"]),
        });
    }
    specs
}

/// One paired run: the Rust clients ([`PAIRED_CLIENTS`]) taking turns in one
/// process.
struct Paired {
    runtime: &'static str,
    workload: Workload,
    outcome: Option<PairedOutcome>,
    error: Option<String>,
}

impl Paired {
    /// The median of the per-round ratios `rates[a][r] / rates[b][r]`, with
    /// the first and third quartiles.
    fn ratio(&self, a: usize, b: usize) -> Option<(f64, f64, f64)> {
        let o = self.outcome.as_ref().filter(|_| self.error.is_none())?;
        let mut q: Vec<f64> = o
            .rates
            .get(a)?
            .iter()
            .zip(o.rates.get(b)?)
            .filter(|(_, y)| **y > 0.0)
            .map(|(x, y)| x / y)
            .collect();
        quartiles(&mut q)
    }

    /// The median calls/s of client `c` over the rounds.
    fn rate(&self, c: usize) -> Option<f64> {
        let o = self.outcome.as_ref().filter(|_| self.error.is_none())?;
        let mut v = o.rates.get(c)?.clone();
        quartiles(&mut v).map(|(_, m, _)| m)
    }

    /// The median CPU µs per call of client `c` over the rounds.
    fn cpu_us(&self, c: usize) -> Option<f64> {
        let o = self.outcome.as_ref().filter(|_| self.error.is_none())?;
        let mut v = o.cpu_us.get(c)?.clone();
        quartiles(&mut v).map(|(_, m, _)| m)
    }

    /// [`ratio`](Self::ratio) as a table cell: `0.97x (0.94–1.01)`.
    fn ratio_cell(&self, a: usize, b: usize) -> String {
        self.ratio(a, b).map_or_else(
            || "FAILED".to_string(),
            |(q1, m, q3)| format!("{m:.2}x ({q1:.2}–{q3:.2})"),
        )
    }

    /// [`cpu_us`](Self::cpu_us) as a table cell.
    fn cpu_cell(&self, c: usize) -> String {
        self.cpu_us(c).map_or("?".into(), |r| format!("{r:.1}"))
    }
}

/// Where `name` is in [`PAIRED_CLIENTS`] (out of range if it is not there,
/// which a test rules out for the names used).
/// The smallest and largest spread, in percent, between the fastest and
/// the slowest run of one Rust client's row (`max / min - 1`), over the rows
/// that have more than one run; `None` when none has.
fn rust_spread_percent(rows: &[Row]) -> Option<(f64, f64)> {
    let spreads: Vec<f64> = rows
        .iter()
        .filter(|r| RUST_CLIENTS.contains(&r.spec.client) && r.rates.len() > 1)
        .filter_map(|r| {
            let min = r.rates.iter().copied().fold(f64::INFINITY, f64::min);
            let max = r.rates.iter().copied().fold(0.0, f64::max);
            (min > 0.0).then(|| (max / min - 1.0) * 100.0)
        })
        .collect();
    let lo = spreads.iter().copied().reduce(f64::min)?;
    let hi = spreads.iter().copied().reduce(f64::max)?;
    Some((lo, hi))
}

fn at(name: &str) -> usize {
    PAIRED_CLIENTS
        .iter()
        .position(|c| *c == name)
        .unwrap_or(usize::MAX)
}

/// (first quartile, median, third quartile), interpolated between the
/// closest ranks (so the median of an even count is the mean of the two
/// middle values).
fn quartiles(v: &mut [f64]) -> Option<(f64, f64, f64)> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let at = |p: f64| {
        let x = p * (v.len() - 1) as f64;
        let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (x - lo as f64)
    };
    Some((at(0.25), at(0.5), at(0.75)))
}

/// The one-process comparison of the Rust clients, for both sequential
/// workloads on both runtimes.
fn run_paired(cfg: &Config, exe: &str) -> Vec<Paired> {
    let mut out = Vec::new();
    for workload in [Workload::TokenSeq, Workload::LogoutSeq] {
        for runtime in ["current_thread", "multi_thread"] {
            eprintln!(
                "== paired: {} taking turns, {runtime} {} ({} rounds of {} calls each)",
                PAIRED_CLIENTS.join(", "),
                workload.name(),
                cfg.paired_rounds,
                cfg.paired_block
            );
            let output = Command::new("timeout")
                .args(["-k", "5", &CHILD_TIMEOUT_S.to_string(), exe, "paired"])
                .args(["--runtime", runtime, "--workload", workload.name()])
                .args(["--rounds", &cfg.paired_rounds.to_string()])
                .args(["--block", &cfg.paired_block.to_string()])
                .args(["--warmup", &cfg.warmup.to_string()])
                .args(["--base-url", &cfg.base_url])
                .current_dir(&cfg.root)
                .stdin(Stdio::null())
                .output();
            let (outcome, error) = match output {
                Err(e) => (None, Some(format!("could not start: {e}"))),
                Ok(o) => {
                    let outcome = String::from_utf8_lossy(&o.stdout)
                        .lines()
                        .rev()
                        .find_map(|l| serde_json::from_str::<PairedOutcome>(l.trim()).ok());
                    let error = if !o.status.success() {
                        let stderr = String::from_utf8_lossy(&o.stderr);
                        Some(format!(
                            "exit {}: {}",
                            o.status,
                            stderr.lines().last().unwrap_or("")
                        ))
                    } else if outcome.is_none() {
                        Some("no result line on stdout".into())
                    } else {
                        None
                    };
                    (outcome, error)
                }
            };
            let p = Paired {
                runtime,
                workload,
                outcome,
                error,
            };
            match (&p.error, p.ratio(0, 1), p.ratio(0, 2)) {
                (Some(e), _, _) => eprintln!("   FAILED: {e}"),
                (None, Some((_, a, _)), Some((_, b, _))) => {
                    eprintln!("   SDK / reqwest {a:.3}x, SDK / reqwest::Client::new() {b:.3}x")
                }
                _ => eprintln!("   no rounds"),
            }
            out.push(p);
        }
    }
    out
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Runs one client process under `/usr/bin/time` (peak RSS) and `timeout`.
fn run_client(cfg: &Config, spec: &Spec, worker_pid: Option<u32>) -> Measured {
    let rss_file = cfg.root.join("target/bench/rss.txt");
    let _ = std::fs::remove_file(&rss_file);
    let cpu_before = worker_pid.and_then(proc_cpu_seconds);
    let stat_before = cpu_stat();
    let output = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M %e %U %S")
        .arg("-o")
        .arg(&rss_file)
        .arg("timeout")
        .arg("-k")
        .arg("5")
        .arg(CHILD_TIMEOUT_S.to_string())
        .args(&spec.cmd)
        .current_dir(&cfg.root)
        .stdin(Stdio::null())
        .output();
    let cpu_after = worker_pid.and_then(proc_cpu_seconds);
    let stat_after = cpu_stat();
    let server_cpu_s = match (cpu_before, cpu_after) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    // `time -o` writes "Command exited with non-zero status N" before the numbers.
    let times: Option<Vec<f64>> = std::fs::read_to_string(&rss_file).ok().and_then(|s| {
        s.lines().rev().find_map(|l| {
            let v: Vec<f64> = l
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            (v.len() == 4).then_some(v)
        })
    });
    let rss_kib = times.as_ref().map(|v| v[0] as u64);
    let other_load = match (&times, stat_before, stat_after) {
        (Some(v), Some((busy0, _)), Some((busy1, _))) if v[1] > 0.0 => {
            let busy = (busy1 - busy0) as f64 / clock_ticks();
            let other = busy - v[2] - v[3] - server_cpu_s.unwrap_or(0.0);
            Some((other / v[1]).max(0.0))
        }
        _ => None,
    };
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            return Measured {
                outcome: None,
                rss_kib: None,
                server_cpu_s,
                other_load,
                error: Some(format!("could not start /usr/bin/time: {e}")),
            }
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let outcome = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Outcome>(l.trim()).ok());
    let mut error = None;
    if !output.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        error = Some(format!("exit {}: {}", output.status, tail.join(" | ")));
    } else if let Some(o) = &outcome {
        if o.failed > 0 || o.ok != o.n {
            error = Some(format!(
                "{} of {} calls failed; first: {}",
                o.failed,
                o.n,
                o.first_error.as_deref().unwrap_or("?")
            ));
        }
    } else {
        error = Some("no result line on stdout".into());
    }
    Measured {
        outcome,
        rss_kib,
        server_cpu_s,
        other_load,
        error,
    }
}

fn pick_median(spec: Spec, measured: Vec<Measured>) -> Row {
    let calls_per_run = spec.n;
    if let Some(bad) = measured.iter().find(|m| m.rate().is_none()) {
        return Row {
            pick: bad.clone(),
            rates: Vec::new(),
            spec,
            calls_per_run,
        };
    }
    let mut order: Vec<usize> = (0..measured.len()).collect();
    order.sort_by(|&a, &b| {
        measured[a]
            .rate()
            .partial_cmp(&measured[b].rate())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let rates = order.iter().filter_map(|&i| measured[i].rate()).collect();
    let mut pick = measured[order[order.len() / 2]].clone();
    // Peak memory: the highest of all rounds, not the median one.
    pick.rss_kib = measured.iter().filter_map(|m| m.rss_kib).max();
    Row {
        spec,
        pick,
        rates,
        calls_per_run,
    }
}

fn run_wrk(cfg: &Config, label: &str, script: &str, path: &str, connections: usize) -> Wrk {
    let script = cfg.root.join("bench/wrk").join(script);
    let out = Command::new("timeout")
        .arg(format!("{}", cfg.wrk_secs + 30))
        .arg("wrk")
        .arg("-t1")
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", cfg.wrk_secs))
        .arg("-s")
        .arg(&script)
        .arg(format!("{}{path}", cfg.base_url))
        .stdin(Stdio::null())
        .output();
    let (rate, note) = match out {
        Err(e) => (None, format!("wrk did not run: {e}")),
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout).to_string();
            let rate = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
                .and_then(|v| v.trim().parse::<f64>().ok());
            let bad: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
                .map(str::trim)
                .collect();
            if !o.status.success() || rate.is_none() {
                (
                    None,
                    format!(
                        "wrk failed: {} {}",
                        o.status,
                        String::from_utf8_lossy(&o.stderr).trim()
                    ),
                )
            } else if !bad.is_empty() {
                (None, format!("FAILED: {}", bad.join("; ")))
            } else {
                (rate, String::new())
            }
        }
    };
    eprintln!(
        "   wrk -t1 -c{connections} {label}: {}",
        rate.map_or(note.clone(), |r| format!("{r:.0} req/s"))
    );
    Wrk {
        label: label.to_string(),
        connections,
        rate,
        note,
        rates: Vec::new(),
    }
}

/// The nginx worker (the master's only child, with `worker_processes 1`).
fn nginx_worker(master: u32) -> Option<u32> {
    let children =
        std::fs::read_to_string(format!("/proc/{master}/task/{master}/children")).ok()?;
    children.split_whitespace().next()?.parse().ok()
}

/// utime + stime of a process, in seconds.
fn proc_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks())
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        command_stdout("getconf", &["CLK_TCK"])
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// User + system CPU time of all waited-for children of this process, seconds.
fn children_cpu_seconds() -> Option<f64> {
    crate::clients::cpu_seconds(libc::RUSAGE_CHILDREN)
}

/// (busy, total) jiffies over all CPUs, from the first line of /proc/stat.
fn cpu_stat() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// Share of all CPUs busy over `window`.
fn busy_fraction(window: Duration) -> f64 {
    let a = cpu_stat();
    std::thread::sleep(window);
    match (a, cpu_stat()) {
        (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => (b1 - b0) as f64 / (t1 - t0) as f64,
        _ => 0.0,
    }
}

/// Waits (at most `max_s` seconds) until less than 10% of the CPUs are busy
/// over 5 s, so other work on a shared machine does not skew the numbers.
/// Returns the last busy share seen.
fn wait_quiet(max_s: usize) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(max_s as u64);
    loop {
        let busy = busy_fraction(Duration::from_secs(if max_s == 0 { 1 } else { 5 }));
        if busy < 0.10 || Instant::now() >= deadline {
            if busy >= 0.10 && max_s > 0 {
                eprintln!(
                    "   the machine is still {:.0}% busy; measuring anyway",
                    busy * 100.0
                );
            }
            return busy;
        }
        eprintln!(
            "   waiting for the machine to be idle ({:.0}% busy)",
            busy * 100.0
        );
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn command_stdout(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let mut text = String::from_utf8_lossy(&out.stdout).to_string();
    if text.trim().is_empty() {
        text = String::from_utf8_lossy(&out.stderr).to_string();
    }
    Some(text.trim().to_string())
}

struct ColdBuild {
    /// Which feature set of the SDK the application asked for.
    label: &'static str,
    seconds: Option<f64>,
    /// CPU time of cargo and the compilers it ran, seconds.
    cpu_s: Option<f64>,
    /// Other work on the machine during the build, in cores.
    other_load: Option<f64>,
    compiled: usize,
    tree_crates: Option<usize>,
    note: String,
}

/// One cold build of a fresh application depending only on upstox-login-sdk
/// by path, built with its own target dir (so nothing is reused), after an
/// untimed `cargo fetch`: (label, extra dependency keys, whether to move
/// `idna_adapter` off the workspace lock's 1.1 (unicode-rs) to its newest
/// 1.x (ICU4X), as an application that does not pin it gets).
type ColdVariant = (&'static str, &'static str, bool);

/// The SDK feature sets whose cold build is measured: the default (with
/// `idna_adapter` as locked here and as Cargo picks it), the quicker-building
/// ring TLS provider, and no TLS at all.
const COLD_VARIANTS: &[ColdVariant] = &[
    (
        "default features (rustls with aws-lc-rs), `idna_adapter` 1.1 as in the workspace's lock file",
        "",
        false,
    ),
    (
        "`default-features = false, features = [\"rustls-ring\", \"loopback\"]`, `idna_adapter` 1.1",
        ", default-features = false, features = [\"rustls-ring\", \"loopback\"]",
        false,
    ),
    (
        "default features, `idna_adapter` left to Cargo (1.2, ICU4X): an application that does not pin it",
        "",
        true,
    ),
    (
        "`default-features = false, features = [\"loopback\"]`, `idna_adapter` 1.1: no TLS at all, so no use \
         against Upstox (https only); shown to separate the SDK's own build cost from its TLS stack's \
         (progenitor-client turns reqwest's TLS off, so a generated client builds without TLS unless a TLS \
         feature is added)",
        ", default-features = false, features = [\"loopback\"]",
        false,
    ),
];

fn cold_build(cfg: &Config, (label, features, icu4x): ColdVariant) -> ColdBuild {
    let dir = std::env::temp_dir().join(format!("upstox-login-cold-{}", std::process::id()));
    let result = cold_build_in(cfg, &dir, (label, features, icu4x));
    let _ = std::fs::remove_dir_all(&dir);
    result.unwrap_or_else(|e| ColdBuild {
        label,
        seconds: None,
        cpu_s: None,
        other_load: None,
        compiled: 0,
        tree_crates: None,
        note: e,
    })
}

fn cargo(dir: &Path, target: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    // Nothing of the outer `cargo run` may leak into the cold build.
    for (key, _) in std::env::vars() {
        if (key.starts_with("CARGO_") && key != "CARGO_HOME")
            || key.starts_with("__CARGO")
            || key.starts_with("RUSTC")
        {
            cmd.env_remove(key);
        }
    }
    cmd.env_remove("MAKEFLAGS").env_remove("MFLAGS");
    cmd.current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .stdin(Stdio::null());
    cmd
}

fn cold_build_in(
    cfg: &Config,
    dir: &Path,
    (label, features, icu4x): ColdVariant,
) -> Result<ColdBuild, String> {
    let sdk = cfg.root.join("upstox-login-sdk");
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"cold-app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nupstox-login-sdk = {{ path = {:?}{features} }}\n\n[workspace]\n",
        sdk.to_string_lossy()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("src/main.rs"),
        "use upstox_login_sdk as _;\n\nfn main() {}\n",
    )
    .map_err(|e| e.to_string())?;
    // The workspace's lock file, so the same dependency versions are built.
    let _ = std::fs::copy(cfg.root.join("Cargo.lock"), dir.join("Cargo.lock"));
    let target = dir.join("target");
    let prepare = |args: &[&str]| -> Result<(), String> {
        let out = cargo(dir, &target)
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "cargo {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    if icu4x {
        prepare(&["update", "-p", "idna_adapter"])?;
    }
    prepare(&["fetch"])?;
    wait_quiet(cfg.wait_quiet_s.min(300));
    let children_before = children_cpu_seconds();
    let stat_before = cpu_stat();
    let t0 = Instant::now();
    let build = cargo(dir, &target)
        .args(["build", "--offline"])
        .output()
        .map_err(|e| e.to_string())?;
    let seconds = t0.elapsed().as_secs_f64();
    let cpu_s = match (children_before, children_cpu_seconds()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let other_load = match (stat_before, cpu_stat(), cpu_s) {
        (Some((b0, _)), Some((b1, _)), Some(own)) if seconds > 0.0 => {
            Some((((b1 - b0) as f64 / clock_ticks() - own) / seconds).max(0.0))
        }
        _ => None,
    };
    let stderr = String::from_utf8_lossy(&build.stderr);
    if !build.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        return Err(format!(
            "cold build failed:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    let compiled = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count();
    let tree = cargo(dir, &target)
        .args(["tree", "--offline", "--prefix", "none", "-e", "normal"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| l.trim_end_matches(" (*)").to_string())
                .filter(|l| !l.is_empty())
                .collect::<BTreeSet<_>>()
                .len()
        });
    Ok(ColdBuild {
        label,
        seconds: Some(seconds),
        cpu_s,
        other_load,
        compiled,
        tree_crates: tree,
        note: String::new(),
    })
}

/// Timed calls of the long callgrind run.
const CALLGRIND_CALLS: usize = 2000;

/// (what it is, whether a function of the profile belongs to it).
type Part = (&'static str, fn(&str) -> bool);

/// Parts of a call whose instructions are counted on their own, with
/// everything they call ("inclusive"), by `callgrind_annotate`: (what it is,
/// whether a function of the profile belongs to it). Names are matched as
/// `callgrind_annotate` prints them (`file:function`).
const PARTS: [Part; 7] = [
    (
        "reqwest building the request and handing it to hyper (`Client::execute_request`)",
        |f| f.ends_with("reqwest::async_impl::client::Client::execute_request"),
    ),
    (
        "… of which reqwest's redirect layer re-parsing the request's URL (`TowerRedirectPolicy::on_request`, with `Policy::none()` too)",
        |f| f.contains("reqwest::redirect::TowerRedirectPolicy as ") && f.ends_with(">::on_request"),
    ),
    (
        "URL parsing, all callers (`url::Url::parse`; reqwest parses each request's URL again twice, in its redirect layer and in `PendingRequest::poll`)",
        |f| f.ends_with("url::ParseOptions::parse"),
    ),
    (
        "hyper's HTTP/1 connection task (writing the request, reading and parsing the answer)",
        |f| f.ends_with("hyper::proto::h1::dispatch::Dispatcher<D,Bs,I,T>::poll_catch"),
    ),
    (
        "JSON decoding (`serde_json`, the answer's object)",
        |f| {
            f.ends_with(
                "serde_json::de::Deserializer<R> as serde_core::de::Deserializer>::deserialize_struct",
            )
        },
    ),
    (
        "the memory allocator (glibc `malloc`, `free`, `realloc`, `calloc`)",
        |f| {
            ["malloc.c:malloc", "malloc.c:free", "malloc.c:realloc", "malloc.c:calloc"]
                .iter()
                .any(|n| f.ends_with(n))
        },
    ),
    (
        "copying memory (`memcpy`, `memmove`)",
        |f| f.contains(":__memcpy_") || f.contains(":__memmove_"),
    ),
];

/// Inclusive instructions of each of [`PARTS`], from the output of
/// `callgrind_annotate --inclusive=yes --show=Ir`: lines like
/// `28,473,555 (13.17%)  ???:url::ParseOptions::parse [/path/to/binary]`.
/// `None` when the output is not that (no `PROGRAM TOTALS` line) or a part
/// matched nothing: a changed format or a renamed function must show as not
/// measured, never as 0 instructions.
fn parts_of(annotated: &str) -> Option<[f64; PARTS.len()]> {
    if !annotated.contains("PROGRAM TOTALS") {
        return None;
    }
    let mut sums = [0.0; PARTS.len()];
    for line in annotated.lines() {
        let line = line.trim_start();
        let Some((count, rest)) = line.split_once(' ') else {
            continue;
        };
        let Ok(count) = count.replace(',', "").parse::<f64>() else {
            continue;
        };
        let Some((_, function)) = rest.split_once("%)") else {
            continue;
        };
        let function = function.trim();
        let function = match function.rfind(" [") {
            Some(at) if function.ends_with(']') => &function[..at],
            _ => function,
        };
        for (sum, (_, belongs)) in sums.iter_mut().zip(PARTS.iter()) {
            if belongs(function) {
                *sum += count;
            }
        }
    }
    sums.iter().all(|&v| v > 0.0).then_some(sums)
}

struct Callgrind {
    workload: Workload,
    sdk: Option<Counts>,
    reqwest: Option<Counts>,
    reqwest_default: Option<Counts>,
    note: String,
}

/// Per-call counts from callgrind with its cache and branch simulation.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Counts {
    /// Instructions.
    ir: f64,
    /// L1 data-cache misses (reads + writes), simulated.
    d1_misses: f64,
    /// Last-level cache misses (instructions + data), simulated.
    ll_misses: f64,
    /// Mispredicted branches (conditional + indirect), simulated.
    mispredicts: f64,
    /// Inclusive instructions of each of [`PARTS`], when
    /// `callgrind_annotate` could read the profile.
    parts: Option<[f64; PARTS.len()]>,
}

impl Counts {
    /// From callgrind's `Events :` and `Collected :` summary lines.
    fn parse(stderr: &str) -> Option<Counts> {
        let field = |tag: &str| {
            stderr
                .lines()
                .find_map(|l| l.split(tag).nth(1))
                .map(|v| v.split_whitespace().collect::<Vec<_>>())
        };
        let (names, values) = (field("Events    :")?, field("Collected :")?);
        let get = |name: &str| -> Option<f64> {
            let i = names.iter().position(|n| *n == name)?;
            values.get(i)?.parse().ok()
        };
        let sum = |of: &[&str]| of.iter().map(|n| get(n)).sum::<Option<f64>>();
        Some(Counts {
            ir: get("Ir")?,
            d1_misses: sum(&["D1mr", "D1mw"])?,
            ll_misses: sum(&["ILmr", "DLmr", "DLmw"])?,
            mispredicts: sum(&["Bcm", "Bim"])?,
            parts: None,
        })
    }

    /// `(self - one) / calls`, each count.
    fn per_call(self, one: Counts, calls: f64) -> Counts {
        Counts {
            ir: (self.ir - one.ir) / calls,
            d1_misses: (self.d1_misses - one.d1_misses) / calls,
            ll_misses: (self.ll_misses - one.ll_misses) / calls,
            mispredicts: (self.mispredicts - one.mispredicts) / calls,
            parts: match (self.parts, one.parts) {
                (Some(many), Some(one)) => {
                    Some(std::array::from_fn(|i| (many[i] - one[i]) / calls))
                }
                _ => None,
            },
        }
    }
}

fn callgrind_per_call(cfg: &Config, exe: &str) -> Vec<Callgrind> {
    let out_file = cfg.root.join("target/bench/callgrind.out");
    let instructions = |client: &str, workload: Workload, n: usize| -> Result<Counts, String> {
        let out = Command::new("timeout")
            .arg("600")
            .arg("valgrind")
            .arg("--tool=callgrind")
            .arg("--cache-sim=yes")
            .arg("--branch-sim=yes")
            .arg(format!("--callgrind-out-file={}", out_file.display()))
            .args([
                exe,
                "client",
                "--client",
                client,
                "--runtime",
                "current_thread",
            ])
            .args([
                "--workload",
                workload.name(),
                "--n",
                &n.to_string(),
                "--warmup",
                "0",
            ])
            .args(["--base-url", &cfg.base_url])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("(valgrind did not run: {e})"))?;
        if !out.status.success() {
            return Err(format!("(valgrind run failed: {})", out.status));
        }
        let mut counts = Counts::parse(&String::from_utf8_lossy(&out.stderr))
            .ok_or_else(|| "(no counts in valgrind's output)".to_string())?;
        counts.parts = Command::new("timeout")
            .args(["300", "callgrind_annotate", "--inclusive=yes", "--show=Ir"])
            .args(["--threshold=100", "--auto=no"])
            .arg(&out_file)
            .stdin(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| parts_of(&String::from_utf8_lossy(&o.stdout)));
        Ok(counts)
    };
    let per_call = |client: &str, workload: Workload| -> Result<Counts, String> {
        let one = instructions(client, workload, 1)?;
        let many = instructions(client, workload, CALLGRIND_CALLS + 1)?;
        Ok(many.per_call(one, CALLGRIND_CALLS as f64))
    };
    let result = [Workload::TokenSeq, Workload::LogoutSeq]
        .into_iter()
        .map(|workload| {
            let sdk = per_call("sdk", workload);
            let reqwest = per_call("reqwest", workload);
            let reqwest_default = per_call("reqwest-default", workload);
            let note = [&sdk, &reqwest, &reqwest_default]
                .iter()
                .find_map(|r| r.as_ref().err().cloned())
                .unwrap_or_default();
            eprintln!(
                "   {}: sdk {:?}, reqwest {:?}, reqwest-default {:?} instructions per call",
                workload.name(),
                sdk.as_ref().ok().map(|v| v.ir.round()),
                reqwest.as_ref().ok().map(|v| v.ir.round()),
                reqwest_default.as_ref().ok().map(|v| v.ir.round())
            );
            Callgrind {
                workload,
                sdk: sdk.ok(),
                reqwest: reqwest.ok(),
                reqwest_default: reqwest_default.ok(),
                note,
            }
        })
        .collect();
    let _ = std::fs::remove_file(&out_file);
    result
}

struct ExampleSize {
    bytes: Option<u64>,
    stripped: Option<u64>,
    note: String,
}

fn example_size(cfg: &Config) -> ExampleSize {
    let source = cfg.root.join("upstox-login-sdk/examples/login.rs");
    let dir_form = cfg.root.join("upstox-login-sdk/examples/login/main.rs");
    if !source.exists() && !dir_form.exists() {
        return ExampleSize {
            bytes: None,
            stripped: None,
            note: "skipped: upstox-login-sdk has no `login` example yet".into(),
        };
    }
    let out = Command::new("cargo")
        .args([
            "build",
            "--release",
            "--example",
            "login",
            "-p",
            "upstox-login-sdk",
        ])
        .current_dir(&cfg.root)
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let bin = cfg.root.join("target/release/examples/login");
            match std::fs::metadata(&bin) {
                Ok(m) => {
                    let stripped_path = cfg.root.join("target/bench/login.stripped");
                    let stripped = Command::new("strip")
                        .arg("-o")
                        .arg(&stripped_path)
                        .arg(&bin)
                        .status()
                        .ok()
                        .filter(|s| s.success())
                        .and_then(|_| std::fs::metadata(&stripped_path).ok())
                        .map(|m| m.len());
                    let _ = std::fs::remove_file(&stripped_path);
                    ExampleSize {
                        bytes: Some(m.len()),
                        stripped,
                        note: String::new(),
                    }
                }
                Err(e) => ExampleSize {
                    bytes: None,
                    stripped: None,
                    note: format!("built, but {}: {e}", bin.display()),
                },
            }
        }
        Ok(o) => ExampleSize {
            bytes: None,
            stripped: None,
            note: format!(
                "build failed: {}",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .rev()
                    .take(5)
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
        },
        Err(e) => ExampleSize {
            bytes: None,
            stripped: None,
            note: format!("cargo did not run: {e}"),
        },
    }
}

/// Versions of everything measured, for the report.
fn versions(cfg: &Config) -> Vec<(String, String)> {
    let mut v = Vec::new();
    let lock = std::fs::read_to_string(cfg.root.join("Cargo.lock")).unwrap_or_default();
    let locked = |name: &str| -> String {
        let mut versions: Vec<&str> = Vec::new();
        let mut lines = lock.lines();
        while let Some(l) = lines.next() {
            if l == format!("name = \"{name}\"") {
                if let Some(ver) = lines.next().and_then(|l| l.strip_prefix("version = ")) {
                    versions.push(ver.trim_matches('"'));
                }
            }
        }
        if versions.is_empty() {
            "?".into()
        } else {
            versions.join(", ")
        }
    };
    let sdk_version = std::fs::read_to_string(cfg.root.join("upstox-login-sdk/Cargo.toml"))
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("version = ")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_else(|| "?".into());
    let git = command_stdout(
        "git",
        &[
            "-C",
            &cfg.root.to_string_lossy(),
            "rev-parse",
            "--short",
            "HEAD",
        ],
    )
    .filter(|s| !s.contains("fatal") && !s.is_empty())
    .unwrap_or_else(|| "(no commit yet)".into());
    let dirty = Command::new("git")
        .arg("-C")
        .arg(&cfg.root)
        .args([
            "status",
            "--porcelain",
            "--",
            "upstox-login-sdk",
            "Cargo.lock",
        ])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    let git = if dirty {
        format!("{git} + uncommitted changes")
    } else {
        git
    };
    v.push((
        "upstox-login-sdk".into(),
        format!("{sdk_version} (workspace, git {git}), release profile"),
    ));
    for krate in ["reqwest", "hyper", "tokio", "serde_json", "rustls"] {
        v.push((krate.into(), locked(krate)));
    }
    v.push((
        "rustc".into(),
        command_stdout("rustc", &["--version"]).unwrap_or_default(),
    ));
    let py = |code: &str| command_stdout(&cfg.python, &["-c", code]).unwrap_or_default();
    v.push((
        "python".into(),
        py("import sys; print(sys.version.split()[0])"),
    ));
    for dist in ["upstox-python-sdk", "urllib3"] {
        v.push((
            dist.into(),
            py(&format!(
                "import importlib.metadata as m; print(m.version('{dist}'))"
            )),
        ));
    }
    v.push((
        "node".into(),
        command_stdout(&cfg.node, &["--version"]).unwrap_or_default(),
    ));
    for pkg in ["upstox-js-sdk", "superagent"] {
        let path = cfg
            .root
            .join("bench/node/node_modules")
            .join(pkg)
            .join("package.json");
        let version = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|j| {
                j.get("version")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "?".into());
        v.push((pkg.into(), version));
    }
    v.push((
        "nginx".into(),
        command_stdout("nginx", &["-v"])
            .unwrap_or_default()
            .replace("nginx version: ", ""),
    ));
    v.push((
        "wrk".into(),
        command_stdout("wrk", &["-v"])
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
    ));
    v
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

/// CPU time of the client process per timed call, microseconds.
fn cpu_per_call(m: &Measured) -> Option<f64> {
    let o = m.outcome.as_ref()?;
    m.rate()?;
    o.cpu_s.map(|c| c * 1e6 / o.n as f64)
}

fn fmt_rate(r: Option<f64>) -> String {
    r.map_or("FAILED".into(), |r| format!("{r:.0}"))
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
        _ => "n/a".into(),
    }
}

fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "met",
        Some(false) => "**MISSED**",
        None => "n/a (a run failed)",
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    cfg: &Config,
    wrk: &[Wrk],
    rows: &[Row],
    paired: &[Paired],
    cold: Option<&[ColdBuild]>,
    example: Option<&ExampleSize>,
    callgrind: &[Callgrind],
    load_before: &str,
    load_after: &str,
    took: Duration,
) -> String {
    let find = |client: &str, runtime: Option<&str>, workload: Workload| -> Option<&Row> {
        rows.iter().find(|r| {
            r.spec.client == client
                && r.spec.workload == workload
                && runtime.is_none_or(|rt| r.spec.runtime == rt)
        })
    };
    let rate = |client: &str, runtime: Option<&str>, workload: Workload| {
        find(client, runtime, workload).and_then(|r| r.pick.rate())
    };
    let rss = |client: &str, runtime: Option<&str>, workload: Workload| {
        find(client, runtime, workload)
            .and_then(|r| r.pick.rss_kib)
            .map(|k| k as f64)
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());

    let mut s = String::new();
    let _ = writeln!(s, "# Benchmarks\n");
    let _ = writeln!(
        s,
        "Generated by `cargo xtask bench`{} — do not edit by hand; run it again.\n",
        if cfg.smoke {
            " --smoke (tiny N: these numbers mean nothing)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        s,
        "Machine: {cores} cores ({}), kernel {}, load average before/after: {load_before} / {load_after}. \
         Whole run: {:.0} s.\n",
        cpu_model(),
        command_stdout("uname", &["-r"]).unwrap_or_default(),
        took.as_secs_f64()
    );

    let _ = writeln!(s, "## What is measured\n");
    let _ = writeln!(
        s,
        "- Server: nginx on 127.0.0.1 (`bench/nginx.conf`, one worker process) answering the contract's payloads: \
         `POST /v2/login/authorization/token` → 200 with the docs' example `TokenResponse` (commas fixed), \
         `DELETE /v2/logout` → 200 `{{\"status\":\"success\",\"data\":true}}`. It answers non-200 to a wrong method, \
         a non-form body, a missing `Accept: application/json` or `api-version: 2.0`, or a wrong bearer token, \
         so every client is checked to send the contract's request."
    );
    let _ = writeln!(
        s,
        "- Workloads: `token_seq` = N token exchanges one after another (form POST with code, client_id, \
         client_secret, redirect_uri, grant_type=authorization_code; a new code each call; the JSON decoded and \
         `access_token` checked); `logout_seq` = N logouts one after another (decoded, `data == true` checked); \
         `token_64` = N token exchanges with {IN_FLIGHT} in flight ({IN_FLIGHT} workers each calling in a loop: \
         tokio tasks, Python threads of a `ThreadPoolExecutor` sharing one `ApiClient`, Node async loops under \
         `Promise.all`)."
    );
    let _ = writeln!(
        s,
        "- N = {} timed calls per Rust run, {} per Python/Node run, after {} untimed warm-up calls of the same \
         workload in the same process. Every run is a separate process, repeated {} time(s) interleaved; the table \
         shows the run with the median rate (latencies from that run) and the highest peak RSS of all its runs. \
         A run where any call fails (or the answer is wrong) is FAILED, not a number.",
        cfg.n, cfg.n_official, cfg.warmup, cfg.rounds
    );
    let _ = writeln!(
        s,
        "- One client object per process, shared by all calls. Rust: `sdk` = upstox-login-sdk with its default \
         settings; `reqwest` = raw reqwest sending the identical request (to URLs parsed once, as the SDK does) and \
         decoding the same JSON into a serde struct, built with the SDK's own settings (`LoginClientBuilder::http_client_builder`: the same timeouts, \
         no redirects, no retries, user agent), so that it isolates the SDK's layers; `reqwest-default` = the same \
         raw calls on `reqwest::Client::new()`, what an untuned program gets; all on tokio `current_thread` and \
         `multi_thread` ({cores} workers). Official SDKs: upstox-python-sdk (`LoginApi.token` / `LoginApi.logout`, \
         `connection_pool_maxsize = {IN_FLIGHT}` so the thread pool reuses connections) and upstox-js-sdk \
         (`LoginApi.token` / `LoginApi.logout`): `node-sdk` as it comes, which pools nothing (superagent without \
         an agent: a new connection and `Connection: close` on every call), and `node-sdk-keepalive` with a keep-alive \
         `http.Agent` set through its `ApiClient.requestAgent` hook."
    );
    let _ = writeln!(
        s,
        "- calls/s = N / wall time of the N timed calls. Latency = one call, as seen by the caller. Client CPU \
         µs/call = user + system CPU time of the client process (all threads) during the timed calls / N \
         (`getrusage`, `time.process_time()`, `process.cpuUsage()`). wrk runs once per round, before the \
         clients; its median is shown. A run with more than {DISTURBED} cores of other work is run again (at most \
         {MAX_RETRIES} times) and the least disturbed attempt kept. Peak RSS = \
         `/usr/bin/time` \"Maximum resident set size\" of the whole client process (interpreter included). \
         Server µs/call = nginx worker CPU time (utime+stime) during the client process / calls made: the server's \
         cost per call, so 1e6 / it is what the server could serve on one core. Other load = CPU time used on the \
         machine during the run by anything but the client process and nginx, in cores: near 0 means the run \
         was undisturbed. The run waits first (up to {} s) for the machine to be idle.\n",
        cfg.wait_quiet_s
    );

    let _ = writeln!(s, "## The server is not the bottleneck\n");
    let _ = writeln!(
        s,
        "| wrk (1 thread, {} s per run) | connections | requests/s (median) | over rounds (min–max) |\n|---|---:|---:|---|",
        cfg.wrk_secs
    );
    for w in wrk {
        let _ = writeln!(
            s,
            "| {} | {} | {}{} | {} |",
            w.label,
            w.connections,
            fmt_rate(w.rate),
            if w.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", w.note)
            },
            match (w.rates.first(), w.rates.last()) {
                (Some(a), Some(b)) if w.rates.len() > 1 => format!("{a:.0}–{b:.0}"),
                _ => String::new(),
            }
        );
    }
    let fastest = |workload: Workload| {
        rows.iter()
            .filter(|r| r.spec.workload == workload)
            .filter_map(|r| r.pick.rate().map(|x| (x, r)))
            .max_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal))
    };
    let _ = writeln!(s);
    for (w, workload) in [
        (&wrk[0], Workload::TokenSeq),
        (&wrk[1], Workload::LogoutSeq),
        (&wrk[2], Workload::Token64),
    ] {
        if let (Some(wr), Some((fr, row))) = (w.rate, fastest(workload)) {
            let _ = writeln!(
                s,
                "- `{}`: wrk -c{} {:.0} req/s vs the fastest client ({} {}) {:.0} calls/s: {:.2}x — {}.",
                workload.name(),
                w.connections,
                wr,
                row.spec.client,
                row.spec.runtime,
                fr,
                wr / fr,
                if wr >= 2.0 * fr { "≥ 2x, met" } else { "**below 2x** (see the server CPU column)" }
            );
        }
    }
    let max_server_us = rows
        .iter()
        .filter_map(|r| {
            let o = r.pick.outcome.as_ref()?;
            let calls = (o.n as usize + cfg.warmup) as f64;
            r.pick.server_cpu_s.map(|c| c * 1e6 / calls)
        })
        .fold(0.0_f64, f64::max);
    if max_server_us > 0.0 {
        let _ = writeln!(
            s,
            "- nginx spent at most {max_server_us:.1} µs of CPU per call in any client run, i.e. it could serve \
             ≥ {:.0} calls/s on its one core; on one connection the ceiling is the loopback round trip (wakeups), \
             which wrk measures.",
            1e6 / max_server_us
        );
    }
    let _ = writeln!(s);

    let _ = writeln!(s, "## Results\n");
    let _ = writeln!(
        s,
        "| workload | client | runtime | calls/s | p50 µs | p99 µs | client CPU µs/call | peak RSS MiB | server µs/call | other load (cores) | calls/s over rounds (min–max) |"
    );
    let _ = writeln!(s, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let o = r.pick.outcome.as_ref();
        let ok = r.pick.rate().is_some();
        let server = match (r.pick.server_cpu_s, o) {
            (Some(c), Some(o)) => format!("{:.1}", c * 1e6 / (o.n as usize + cfg.warmup) as f64),
            _ => "?".into(),
        };
        let other = r.pick.other_load.map_or("?".into(), |l| format!("{l:.2}"));
        let spread = if r.rates.len() > 1 {
            format!(
                "{:.0}–{:.0}",
                r.rates.first().copied().unwrap_or(0.0),
                r.rates.last().copied().unwrap_or(0.0)
            )
        } else {
            String::new()
        };
        if ok {
            let o = o.expect("rate implies outcome");
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {} | {} | {} | {} | {} |",
                r.spec.workload.name(),
                r.spec.client,
                r.spec.runtime,
                o.n as f64 / o.elapsed_s,
                o.p50_us,
                o.p99_us,
                cpu_per_call(&r.pick).map_or("?".into(), |c| format!("{c:.1}")),
                r.pick.rss_kib.map_or("?".into(), mib),
                server,
                other,
                spread
            );
        } else {
            let _ = writeln!(
                s,
                "| {} | {} | {} | FAILED | | | | {} | | | {} |",
                r.spec.workload.name(),
                r.spec.client,
                r.spec.runtime,
                r.pick.rss_kib.map_or("?".into(), mib),
                r.pick
                    .error
                    .as_deref()
                    .unwrap_or("failed")
                    .replace('|', "/")
                    .replace('\n', " ")
            );
        }
        let _ = r.calls_per_run;
    }
    let _ = writeln!(s);

    let _ = writeln!(s, "## The Rust clients in one process, taking turns\n");
    let varies = match rust_spread_percent(rows) {
        Some((lo, hi)) => format!(
            "the same Rust client's fastest run was {lo:.0}% to {hi:.0}% faster than its slowest \
             (the min–max column above)"
        ),
        None => "the same client's rate varies from run to run".to_string(),
    };
    let _ = writeln!(
        s,
        "Separate processes minutes apart see different machines: in this run, {varies}, more than the \
         differences being measured. So the \
         Rust clients also run in one process, each with its own connection, taking turns: {} rounds of {} \
         sequential calls per client, after {} untimed calls each. The order of the turns changes from round to \
         round ({} orders, a balanced Latin square): each client goes in each place, and directly after each \
         other client, equally often. Whatever disturbs a round disturbs them all, so the ratio of two clients' \
         rates within a round varies far less than their rates do (compare the quartiles below with the min–max \
         column above). Shown: the median over the rounds of that per-round ratio, with its first and third \
         quartiles, and each client's median CPU time (user + system) per call.\n",
        cfg.paired_rounds,
        cfg.paired_block,
        cfg.warmup,
        crate::clients::orders(PAIRED_CLIENTS.len()).len()
    );
    let _ = writeln!(
        s,
        "| workload | runtime | SDK calls/s | reqwest calls/s | `Client::new()` calls/s | SDK / reqwest (Q1–Q3) | SDK / `Client::new()` (Q1–Q3) | CPU µs/call: SDK | reqwest | `Client::new()` |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for p in paired {
        let rate = |c: usize| p.rate(c).map_or("?".into(), |r| format!("{r:.0}"));
        let (cell, cpu) = (|a, b| p.ratio_cell(a, b), |c| p.cpu_cell(c));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            p.workload.name(),
            p.runtime,
            rate(0),
            rate(1),
            rate(2),
            cell(0, 1),
            cell(0, 2),
            cpu(0),
            cpu(1),
            cpu(2)
        );
        if let Some(e) = &p.error {
            let _ = writeln!(
                s,
                "\nPaired run {} {} FAILED: {}\n",
                p.runtime,
                p.workload.name(),
                e.replace('|', "/")
            );
        }
    }
    let _ = writeln!(s);

    let _ = writeln!(s, "### Which of the SDK's client settings matter\n");
    const DEFAULT: &str = "reqwest-default";
    const TIMEOUT: &str = "reqwest-default+timeout";
    const NO_RETRIES: &str = "reqwest-default+no-retries";
    let _ = writeln!(
        s,
        "The same rounds also ran `reqwest::Client::new()` with one of the SDK's settings added: its total \
         timeout (`.timeout({:?})`: reqwest arms a timer for every call), or its retry policy (`.retry(never())`: \
         reqwest's default keeps a copy of every request in case it retries it). The SDK's other settings act \
         only when connecting (connect timeout; `TCP_NODELAY`, reqwest's default too), on a redirect (none \
         followed) or add one header (user agent). Above 1.00x, the setting makes `Client::new()` faster.\n",
        upstox_login_sdk::DEFAULT_TIMEOUT
    );
    let _ = writeln!(
        s,
        "| workload | runtime | + timeout / `Client::new()` (Q1–Q3) | + no retries / `Client::new()` (Q1–Q3) | all SDK settings / `Client::new()` (Q1–Q3) | SDK / (`Client::new()` + timeout) (Q1–Q3) | CPU µs/call: `Client::new()` | + timeout | + no retries | all SDK settings |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for p in paired {
        let (cell, cpu) = (|a, b| p.ratio_cell(a, b), |c| p.cpu_cell(c));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            p.workload.name(),
            p.runtime,
            cell(at(TIMEOUT), at(DEFAULT)),
            cell(at(NO_RETRIES), at(DEFAULT)),
            cell(at("reqwest"), at(DEFAULT)),
            cell(at("sdk"), at(TIMEOUT)),
            cpu(at(DEFAULT)),
            cpu(at(TIMEOUT)),
            cpu(at(NO_RETRIES)),
            cpu(at("reqwest"))
        );
    }
    let _ = writeln!(s);

    let _ = writeln!(
        s,
        "## Ratios (SDK / other; above 1.00x means the SDK is faster, or uses more memory)\n"
    );
    let others: [(&str, Option<&str>); 5] = [
        ("reqwest", None),
        ("reqwest-default", None),
        ("python-sdk", Some("threads")),
        ("node-sdk", Some("event loop")),
        ("node-sdk-keepalive", Some("event loop")),
    ];
    let _ = writeln!(
        s,
        "| workload | SDK runtime | calls/s vs reqwest (same runtime) | vs `Client::new()` | vs Python SDK | vs Node SDK | vs Node SDK + keep-alive | \
         peak RSS vs reqwest | vs `Client::new()` | vs Python SDK | vs Node SDK | vs Node SDK + keep-alive |"
    );
    let _ = writeln!(
        s,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for workload in Workload::ALL {
        for rt in ["current_thread", "multi_thread"] {
            let sdk = rate("sdk", Some(rt), workload);
            let sdk_rss = rss("sdk", Some(rt), workload);
            let mut line = format!("| {} | {rt} |", workload.name());
            for (client, runtime) in others {
                let _ = write!(
                    line,
                    " {} |",
                    ratio(sdk, rate(client, runtime.or(Some(rt)), workload))
                );
            }
            for (client, runtime) in others {
                let _ = write!(
                    line,
                    " {} |",
                    ratio(sdk_rss, rss(client, runtime.or(Some(rt)), workload))
                );
            }
            let _ = writeln!(s, "{line}");
        }
    }
    let _ = writeln!(s);

    let _ = writeln!(s, "## Targets\n");
    let _ = writeln!(
        s,
        "| target | SDK runtime | measured | verdict |\n|---|---|---:|---|"
    );
    for rt in ["current_thread", "multi_thread"] {
        let w = Workload::TokenSeq;
        let sdk = rate("sdk", Some(rt), w);
        let check = |other: Option<f64>, min: f64| match (sdk, other) {
            (Some(a), Some(b)) => (Some(a / b >= min), format!("{:.2}x", a / b)),
            _ => (None, "n/a".into()),
        };
        // Against raw reqwest: judged on the one-process comparison (the
        // steadier measure of a ratio), the separate processes shown beside.
        let pair = paired.iter().find(|p| p.runtime == rt && p.workload == w);
        let (_, separate) = check(rate("reqwest", Some(rt), w), 0.95);
        // Judged on the median; said so when the middle half of the rounds
        // straddles the line.
        let vs = |other: usize, min: f64| match pair.and_then(|p| p.ratio(0, other)) {
            Some((q1, m, q3)) => {
                let word = verdict(Some(m >= min));
                let word = if q1 < min && min < q3 {
                    format!("{word} (Q1–Q3 straddles {min:.2}x)")
                } else {
                    word.to_string()
                };
                (
                    word,
                    format!("{m:.2}x in one process (Q1–Q3 {q1:.2}–{q3:.2})"),
                )
            }
            None => (verdict(None).to_string(), "n/a".into()),
        };
        let (word, m) = vs(1, 0.95);
        let _ = writeln!(s, "| SDK sequential token exchange ≥ 0.95x raw reqwest (same runtime) | {rt} | {m}; {separate} in separate processes | {word} |");
        let (_, separate) = check(rate("reqwest-default", Some(rt), w), 1.0);
        let (word, m) = vs(2, 1.0);
        let _ = writeln!(s, "| SDK's default settings beat `reqwest::Client::new()` (sequential token exchange) | {rt} | {m}; {separate} in separate processes | {word} |");
        let (ok, m) = check(rate("python-sdk", None, w), 10.0);
        let _ = writeln!(
            s,
            "| SDK sequential token exchange ≥ 10x Python SDK | {rt} | {m} | {} |",
            verdict(ok)
        );
        // Against the faster of the two Node configurations.
        let node = match (
            rate("node-sdk", None, w),
            rate("node-sdk-keepalive", None, w),
        ) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        let (ok, m) = check(node, 10.0);
        let _ = writeln!(
            s,
            "| SDK sequential token exchange ≥ 10x Node SDK (the faster of default and keep-alive) | {rt} | {m} | {} |",
            verdict(ok)
        );
        // Memory: the SDK's highest peak over all workloads vs the Python SDK's highest.
        let peak = |client: &str, runtime: Option<&str>| {
            Workload::ALL
                .into_iter()
                .filter_map(|w| rss(client, runtime, w))
                .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))
        };
        let (ok, m) = match (peak("sdk", Some(rt)), peak("python-sdk", None)) {
            (Some(a), Some(b)) => (
                Some(a <= b / 4.0),
                format!("{:.2}x ({} / {} MiB)", a / b, mib(a as u64), mib(b as u64)),
            ),
            _ => (None, "n/a".into()),
        };
        let _ = writeln!(s, "| SDK peak RSS ≤ 1/4 of the Python SDK's (highest over the workloads) | {rt} | {m} | {} |", verdict(ok));
    }
    let _ = writeln!(s);

    // Context: how far the one-connection round trip lets any client go, and
    // what each client spends on a call in CPU rather than in waiting.
    let cpu = |client: &str, runtime: Option<&str>, workload: Workload| {
        find(client, runtime, workload).and_then(|r| cpu_per_call(&r.pick))
    };
    let _ = writeln!(
        s,
        "Context for the targets, sequential token exchange: a sequential client waits a full loopback round \
         trip per call, which no client can shorten, so calls/s ratios are bounded by it (raw reqwest's own \
         ratios show the bound); CPU time per call shows the clients' own cost.\n"
    );
    let _ = writeln!(
        s,
        "| runtime | raw reqwest calls/s vs Python SDK | vs Node SDK + keep-alive | CPU per call: Python SDK / SDK | Node SDK / SDK | Node SDK + keep-alive / SDK | SDK / raw reqwest |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for rt in ["current_thread", "multi_thread"] {
        let w = Workload::TokenSeq;
        let reqwest = rate("reqwest", Some(rt), w);
        let sdk_cpu = cpu("sdk", Some(rt), w);
        let _ = writeln!(
            s,
            "| {rt} | {} | {} | {} | {} | {} | {} |",
            ratio(reqwest, rate("python-sdk", None, w)),
            ratio(reqwest, rate("node-sdk-keepalive", None, w)),
            ratio(cpu("python-sdk", None, w), sdk_cpu),
            ratio(cpu("node-sdk", None, w), sdk_cpu),
            ratio(cpu("node-sdk-keepalive", None, w), sdk_cpu),
            ratio(sdk_cpu, cpu("reqwest", Some(rt), w)),
        );
    }
    let _ = writeln!(s);

    let _ = writeln!(s, "## CPU instructions per call (callgrind)\n");
    if callgrind.is_empty() {
        let _ = writeln!(s, "Not measured in this run.\n");
    } else {
        let _ = writeln!(
            s,
            "User-space instructions per call of the Rust clients (`current_thread`), counted by \
             `valgrind --tool=callgrind`: (instructions of a run of {CALLGRIND_CALLS} + 1 calls − those of a run of 1 \
             call) / {CALLGRIND_CALLS}, so start-up and connecting cancel out. Unlike the timings above, this does \
             not depend on what else the machine is doing; it leaves out the kernel's share of a call (the \
             loopback TCP round trip), which is the same for both clients.\n"
        );
        let _ = writeln!(
            s,
            "| workload | SDK | raw reqwest (SDK settings) | `reqwest::Client::new()` | SDK / reqwest | SDK / `Client::new()` |\n|---|---:|---:|---:|---:|---:|"
        );
        let ir = |c: Option<Counts>| c.map(|c| c.ir);
        for c in callgrind {
            let fmt =
                |v: Option<f64>| v.map_or_else(|| format!("? {}", c.note), |v| format!("{v:.0}"));
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                c.workload.name(),
                fmt(ir(c.sdk)),
                fmt(ir(c.reqwest)),
                fmt(ir(c.reqwest_default)),
                ratio(ir(c.sdk), ir(c.reqwest)),
                ratio(ir(c.sdk), ir(c.reqwest_default))
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "The same runs, through callgrind's simple models of the caches (L1 and last level) and of branch \
             prediction, per call: not this CPU's counters, but a deterministic view of memory traffic and \
             branching, which cost time that the instruction count does not show.\n"
        );
        let _ = writeln!(
            s,
            "| workload | client | instructions | L1 data-cache misses | last-level misses | mispredicted branches |\n|---|---|---:|---:|---:|---:|"
        );
        for c in callgrind {
            for (name, counts) in [
                ("sdk", c.sdk),
                ("reqwest", c.reqwest),
                ("reqwest-default", c.reqwest_default),
            ] {
                let cell = |f: fn(&Counts) -> f64| {
                    counts
                        .as_ref()
                        .map_or_else(|| "?".to_string(), |c| format!("{:.0}", f(c)))
                };
                let _ = writeln!(
                    s,
                    "| {} | {name} | {} | {} | {} | {} |",
                    c.workload.name(),
                    cell(|c| c.ir),
                    cell(|c| c.d1_misses),
                    cell(|c| c.ll_misses),
                    cell(|c| c.mispredicts)
                );
            }
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Where those instructions go: some parts of a call, each counted with everything it calls \
             (`callgrind_annotate --inclusive=yes` on the same runs, per call as above), so rows overlap. The \
             parts are the same code in both clients: what the SDK adds is the rest (its generated and \
             hand-written layers), and what no client on reqwest can shed is in them.\n"
        );
        for c in callgrind {
            let (Some(sdk), Some(raw)) = (c.sdk, c.reqwest) else {
                continue;
            };
            let (Some(sdk_parts), Some(raw_parts)) = (sdk.parts, raw.parts) else {
                let _ = writeln!(
                    s,
                    "{}: `callgrind_annotate` did not run.\n",
                    c.workload.name()
                );
                continue;
            };
            let _ = writeln!(
                s,
                "| {}: part of a call | SDK | raw reqwest (SDK settings) | share of the SDK's instructions |\n|---|---:|---:|---:|",
                c.workload.name()
            );
            let _ = writeln!(s, "| all | {:.0} | {:.0} | 100% |", sdk.ir, raw.ir);
            for (i, (label, _)) in PARTS.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "| {label} | {:.0} | {:.0} | {:.0}% |",
                    sdk_parts[i],
                    raw_parts[i],
                    100.0 * sdk_parts[i] / sdk.ir.max(1.0)
                );
            }
            let _ = writeln!(s);
        }
    }

    let _ = writeln!(s, "## Build cost\n");
    match cold {
        None => {
            let _ = writeln!(s, "- Cold build: not measured in this run.");
        }
        Some(builds) => {
            for c in builds {
                match c.seconds {
                    Some(secs) => {
                        let _ = writeln!(
                            s,
                            "- Cold `cargo build` (debug, {cores} jobs) of a minimal application depending only on \
                             `upstox-login-sdk` by path with {}, its own `CARGO_TARGET_DIR` and the workspace's \
                             `Cargo.lock`, sources already fetched: **{secs:.1} s** wall ({} s of CPU; other work on \
                             the machine meanwhile: {} cores), {} crates compiled (\"Compiling\" lines, the app \
                             included); `cargo tree --prefix none -e normal | sort -u | wc -l`: {}.",
                            c.label,
                            c.cpu_s.map_or("?".into(), |v| format!("{v:.0}")),
                            c.other_load.map_or("?".into(), |v| format!("{v:.2}")),
                            c.compiled,
                            c.tree_crates.map_or("?".into(), |n| n.to_string())
                        );
                    }
                    None => {
                        let _ = writeln!(
                            s,
                            "- Cold build with {}: FAILED: {}",
                            c.label,
                            c.note.replace('\n', " ")
                        );
                    }
                }
            }
        }
    }
    match example {
        None => {
            let _ = writeln!(s, "- `login` example: not measured in this run.");
        }
        Some(e) => match e.bytes {
            Some(b) => {
                let _ = writeln!(
                    s,
                    "- `cargo build --release --example login -p upstox-login-sdk`: {} bytes ({:.2} MiB) with \
                     the workspace's release profile as configured{}.",
                    b,
                    b as f64 / 1048576.0,
                    e.stripped.map_or(String::new(), |st| format!(
                        "; {} bytes ({:.2} MiB) after `strip`",
                        st,
                        st as f64 / 1048576.0
                    ))
                );
            }
            None => {
                let _ = writeln!(s, "- `login` example: {}", e.note);
            }
        },
    }
    let _ = writeln!(s);

    let _ = writeln!(s, "## Versions\n");
    let _ = writeln!(s, "| component | version |\n|---|---|");
    for (k, v) in versions(cfg) {
        let _ = writeln!(s, "| {k} | {} |", v.replace('|', "/"));
    }
    let _ = writeln!(s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_summed_from_callgrind_annotate_lines() {
        let annotated = "\
--------------------------------------------------------------------------------
Ir                    file:function
--------------------------------------------------------------------------------
216,273,569 (100.0%)  PROGRAM TOTALS
 37,208,963 (17.20%)  ???:reqwest::async_impl::client::Client::execute_request [/x/bench]
 28,473,555 (13.17%)  ???:url::ParseOptions::parse [/x/bench]
 16,832,607 ( 7.78%)  ???:<reqwest::redirect::TowerRedirectPolicy as tower_http::follow_redirect::policy::Policy<reqwest::async_impl::body::Body,reqwest::error::Error>>::on_request [/x/bench]
 28,910,264 (13.37%)  ???:hyper::proto::h1::dispatch::Dispatcher<D,Bs,I,T>::poll_catch [/x/bench]
 30,109,770 (13.92%)  ???:serde_json::de::from_trait [/x/bench]
 29,917,674 (13.83%)  ???:<&mut serde_json::de::Deserializer<R> as serde_core::de::Deserializer>::deserialize_struct [/x/bench]
 15,109,069 ( 6.99%)  ./malloc/./malloc/malloc.c:free [/lib/libc.so.6]
 13,656,118 ( 6.31%)  ./malloc/./malloc/malloc.c:malloc [/lib/libc.so.6]
  2,322,710 ( 1.07%)  ./malloc/./malloc/malloc.c:malloc_consolidate [/lib/libc.so.6]
 16,302,933 ( 7.54%)  ./string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S:__memcpy_avx_unaligned_erms [/lib/libc.so.6]
     30,015 ( 0.01%)  ???:core::ptr::drop_in_place<upstox_login_sdk::client::read_answer::{{closure}}> [/x/bench]
";
        let parts = parts_of(annotated);
        assert_eq!(
            parts,
            Some([
                37_208_963.0,
                16_832_607.0,
                28_473_555.0,
                28_910_264.0,
                // The object's decoding, whichever serde_json entry point led to it.
                29_917_674.0,
                // malloc_consolidate runs inside malloc and free: not added again.
                15_109_069.0 + 13_656_118.0,
                16_302_933.0,
            ])
        );
        // A part that matches nothing (a renamed function), or output of
        // another shape, is not measured rather than 0.
        let no_json = annotated.replace("deserialize_struct", "deserialize_map");
        assert_eq!(parts_of(&no_json), None);
        assert_eq!(parts_of("callgrind_annotate: error"), None);
    }

    #[test]
    fn callgrind_summary_is_read_by_event_name() {
        let stderr = "==1== Events    : Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim\n\
                      ==1== Collected : 1000 0 0 1 20 30 2 3 4 0 50 0 6\n";
        let c = Counts::parse(stderr).unwrap();
        assert_eq!(
            c,
            Counts {
                ir: 1000.0,
                d1_misses: 50.0,
                ll_misses: 9.0,
                mispredicts: 56.0,
                parts: None,
            }
        );
        let one = Counts {
            ir: 100.0,
            d1_misses: 10.0,
            ll_misses: 1.0,
            mispredicts: 6.0,
            parts: None,
        };
        assert_eq!(c.per_call(one, 10.0).ir, 90.0);
        assert_eq!(Counts::parse("==1== Collected : 1000\n"), None);
    }

    #[test]
    fn the_report_finds_every_client_it_names() {
        for name in [
            "sdk",
            "reqwest",
            "reqwest-default",
            "reqwest-default+timeout",
            "reqwest-default+no-retries",
        ] {
            assert!(at(name) < PAIRED_CLIENTS.len(), "{name}");
        }
        assert_eq!(at("sdk"), 0, "the paired table reads the SDK at 0");
        assert_eq!(&PAIRED_CLIENTS[..3], &RUST_CLIENTS[..]);
    }

    #[test]
    fn paired_ratio_is_the_median_of_per_round_ratios() {
        let p = Paired {
            runtime: "current_thread",
            workload: Workload::TokenSeq,
            outcome: Some(PairedOutcome {
                runtime: "current_thread".into(),
                workload: "token_seq".into(),
                block: 10,
                // Round 2 is slow for everyone: the ratio stays 0.9 or 1.0.
                rates: vec![
                    vec![90.0, 45.0, 100.0, 90.0],
                    vec![100.0, 50.0, 100.0, 90.0],
                    vec![100.0, 50.0, 100.0, 100.0],
                ],
                cpu_us: vec![vec![1.0; 4], vec![2.0; 4], vec![3.0; 4]],
                failed: 0,
                first_error: None,
            }),
            error: None,
        };
        // Per-round ratios [0.9, 0.9, 1.0, 1.0]: interpolated quartiles.
        let (q1, m, q3) = p.ratio(0, 1).unwrap();
        assert!((q1 - 0.9).abs() < 1e-9 && (m - 0.95).abs() < 1e-9 && (q3 - 1.0).abs() < 1e-9);
        // [0.9, 0.9, 1.0, 0.9] sorted [0.9, 0.9, 0.9, 1.0]: median 0.9.
        assert!((p.ratio(0, 2).unwrap().1 - 0.9).abs() < 1e-9);
        assert_eq!(p.rate(0), Some(90.0));
        assert_eq!(p.cpu_us(1), Some(2.0));
        let failed = Paired {
            error: Some("exit 1".into()),
            ..p
        };
        assert_eq!(failed.ratio(0, 1), None);
    }

    fn measured(rate_n: u64, secs: f64, rss: u64) -> Measured {
        Measured {
            outcome: Some(Outcome {
                client: "x".into(),
                runtime: "y".into(),
                workload: "token_seq".into(),
                n: rate_n,
                ok: rate_n,
                failed: 0,
                first_error: None,
                elapsed_s: secs,
                p50_us: 1.0,
                p99_us: 2.0,
                cpu_s: None,
            }),
            rss_kib: Some(rss),
            server_cpu_s: None,
            other_load: None,
            error: None,
        }
    }

    fn spec() -> Spec {
        Spec {
            client: "sdk",
            runtime: "current_thread",
            workload: Workload::TokenSeq,
            n: 100,
            cmd: Vec::new(),
        }
    }

    #[test]
    fn median_run_and_highest_rss() {
        let row = pick_median(
            spec(),
            vec![
                measured(100, 1.0, 10),
                measured(100, 0.5, 30),
                measured(100, 2.0, 20),
            ],
        );
        assert_eq!(row.pick.rate(), Some(100.0));
        assert_eq!(row.pick.rss_kib, Some(30));
        assert_eq!(row.rates, vec![50.0, 100.0, 200.0]);
    }

    #[test]
    fn spread_is_over_the_rust_rows_with_several_runs() {
        let row = |client: &'static str, rates: Vec<f64>| Row {
            spec: Spec { client, ..spec() },
            pick: measured(100, 1.0, 10),
            rates,
            calls_per_run: 100,
        };
        let rows = [
            row("sdk", vec![100.0, 110.0, 105.0]),
            row("reqwest", vec![80.0, 120.0]),
            // Not a Rust client, and a single run: neither counts.
            row("python-sdk", vec![10.0, 100.0]),
            row("reqwest-default", vec![50.0]),
        ];
        let (lo, hi) = rust_spread_percent(&rows).unwrap();
        assert!(
            (lo - 10.0).abs() < 1e-9 && (hi - 50.0).abs() < 1e-9,
            "{lo} {hi}"
        );
        assert_eq!(rust_spread_percent(&rows[2..]), None);
    }

    #[test]
    fn one_failed_round_fails_the_row() {
        let mut bad = measured(100, 1.0, 10);
        bad.error = Some("boom".into());
        let row = pick_median(spec(), vec![measured(100, 1.0, 10), bad]);
        assert_eq!(row.pick.rate(), None);
    }
}
