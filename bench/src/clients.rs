//! The Rust clients under test and the workloads they run.
//!
//! Each client process runs exactly one workload with one client on one tokio
//! runtime flavour and prints one JSON line ([`Outcome`]) on stdout, so that the
//! orchestrator can measure the peak RSS of that run alone.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// The credentials every client sends, in every language.
pub const CLIENT_ID: &str = "bench-client-id";
/// See [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "bench-client-secret";
/// See [`CLIENT_ID`].
pub const REDIRECT_URI: &str = "http://127.0.0.1/callback";
/// What the stand-in answers as `access_token`; every client checks it.
pub const ACCESS_TOKEN: &str = "bench-access-token";
/// Requests in flight in the concurrent workload.
pub const IN_FLIGHT: usize = 64;

/// One workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// N sequential token exchanges.
    TokenSeq,
    /// N sequential logouts.
    LogoutSeq,
    /// N token exchanges, [`IN_FLIGHT`] at a time.
    Token64,
}

impl Workload {
    /// All workloads, in report order.
    pub const ALL: [Workload; 3] = [Workload::TokenSeq, Workload::LogoutSeq, Workload::Token64];

    /// The name used on the command line and in results (same in every driver).
    pub fn name(self) -> &'static str {
        match self {
            Workload::TokenSeq => "token_seq",
            Workload::LogoutSeq => "logout_seq",
            Workload::Token64 => "token_64",
        }
    }

    /// Parses [`Workload::name`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.name() == s)
    }
}

/// What one client process reports (one JSON line; the Python and Node drivers
/// print the same shape).
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Outcome {
    /// `sdk`, `reqwest`, `python-sdk`, `node-sdk`.
    pub client: String,
    /// `current_thread`, `multi_thread`, or the other language's model.
    pub runtime: String,
    /// [`Workload::name`].
    pub workload: String,
    /// Timed calls attempted.
    pub n: u64,
    /// Calls that succeeded and decoded the expected answer.
    pub ok: u64,
    /// Calls that failed in any way.
    pub failed: u64,
    /// The first failure, if any.
    pub first_error: Option<String>,
    /// Wall time of the timed calls, in seconds.
    pub elapsed_s: f64,
    /// Median latency of one call, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency of one call, microseconds.
    pub p99_us: f64,
    /// CPU time (user + system, all threads) the process spent during the
    /// timed calls, seconds.
    #[serde(default)]
    pub cpu_s: Option<f64>,
}

/// User + system CPU time of this process so far (all threads), seconds.
pub fn process_cpu_seconds() -> Option<f64> {
    cpu_seconds(libc::RUSAGE_SELF)
}

/// User + system CPU time of `who` (`RUSAGE_SELF`, `RUSAGE_CHILDREN`), seconds.
pub fn cpu_seconds(who: libc::c_int) -> Option<f64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a full `rusage` into the pointer on success.
    let rc = unsafe { libc::getrusage(who, usage.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: initialised by the successful call above (and zeroed before).
    let usage = unsafe { usage.assume_init() };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some(secs(usage.ru_utime) + secs(usage.ru_stime))
}

/// The two calls every client can make.
pub trait BenchClient: Clone + Send + Sync + 'static {
    /// Exchanges `code` and checks that [`ACCESS_TOKEN`] came back.
    fn token(&self, code: String) -> impl Future<Output = Result<(), String>> + Send;
    /// Logs out [`ACCESS_TOKEN`] and checks `{"status":"success","data":true}`.
    fn logout(&self) -> impl Future<Output = Result<(), String>> + Send;
}

/// Raw reqwest, the baseline: the identical request, the JSON decoded by serde.
pub mod raw {
    use super::*;

    /// `TokenResponse` as a hand-written serde struct; every field optional,
    /// as the contract says.
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)] // decoded for the work, only access_token is read
    pub struct TokenResponse {
        pub email: Option<String>,
        pub exchanges: Option<Vec<String>>,
        pub products: Option<Vec<String>>,
        pub broker: Option<String>,
        pub user_id: Option<String>,
        pub user_name: Option<String>,
        pub order_types: Option<Vec<String>>,
        pub user_type: Option<String>,
        pub poa: Option<bool>,
        pub ddpi: Option<bool>,
        pub is_active: Option<bool>,
        pub access_token: Option<String>,
        pub extended_token: Option<String>,
        pub expires_in: Option<i64>,
        pub token_type: Option<String>,
        pub refresh_token: Option<String>,
        pub refresh_token_expires_in: Option<i64>,
    }

    /// `LogoutResponse`.
    #[derive(Deserialize, Debug)]
    pub struct LogoutResponse {
        pub status: Option<String>,
        pub data: Option<bool>,
    }

    /// One shared `reqwest::Client`, and the two URLs parsed once (as the
    /// SDK does): a URL given as a string would be parsed again on every
    /// call, a cost a tuned program does not pay.
    #[derive(Clone)]
    pub struct Raw {
        client: reqwest::Client,
        token_url: reqwest::Url,
        logout_url: reqwest::Url,
    }

    impl Raw {
        /// `reqwest` with the SDK's own settings
        /// ([`LoginClientBuilder::http_client_builder`]: the same timeouts,
        /// redirect and retry policy, user agent), so that the comparison
        /// isolates the SDK's generated and hand-written layers.
        ///
        /// [`LoginClientBuilder::http_client_builder`]: upstox_login_sdk::LoginClientBuilder::http_client_builder
        pub fn with_sdk_settings(base_url: &str) -> Result<Self, String> {
            let client = upstox_login_sdk::LoginClient::builder()
                .http_client_builder()
                .and_then(|b| {
                    b.build()
                        .map_err(|e| upstox_login_sdk::Error::InvalidInput(e.to_string()))
                })
                .map_err(|e| e.to_string())?;
            Self::new(base_url, client)
        }

        /// `reqwest::Client::new()`: what a program that reaches for reqwest
        /// without tuning it gets.
        pub fn default_client(base_url: &str) -> Result<Self, String> {
            Self::new(base_url, reqwest::Client::new())
        }

        /// `reqwest::Client::new()` with exactly one of the SDK's settings
        /// added, to find out which of them cost or save time per call.
        pub fn default_plus(base_url: &str, setting: Setting) -> Result<Self, String> {
            let builder = reqwest::Client::builder();
            let builder = match setting {
                Setting::Timeout => builder.timeout(upstox_login_sdk::DEFAULT_TIMEOUT),
                Setting::NoRetries => {
                    builder.retry(reqwest::retry::never().max_retries_per_request(0))
                }
            };
            let client = builder.build().map_err(|e| e.to_string())?;
            Self::new(base_url, client)
        }

        fn new(base_url: &str, client: reqwest::Client) -> Result<Self, String> {
            let url = |path: &str| {
                reqwest::Url::parse(&format!("{base_url}{path}"))
                    .map_err(|e| format!("{base_url}{path}: {e}"))
            };
            Ok(Raw {
                client,
                token_url: url("/v2/login/authorization/token")?,
                logout_url: url("/v2/logout")?,
            })
        }
    }

    impl BenchClient for Raw {
        async fn token(&self, code: String) -> Result<(), String> {
            let response = self
                .client
                .post(self.token_url.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .header("api-version", "2.0")
                .form(&[
                    ("code", code.as_str()),
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                    ("redirect_uri", REDIRECT_URI),
                    ("grant_type", "authorization_code"),
                ])
                .send()
                .await
                .map_err(|e| format!("token: {e}"))?;
            if response.status() != reqwest::StatusCode::OK {
                return Err(format!("token: HTTP {}", response.status()));
            }
            let body: TokenResponse = response.json().await.map_err(|e| format!("token: {e}"))?;
            match body.access_token.as_deref() {
                Some(ACCESS_TOKEN) => Ok(()),
                other => Err(format!("token: unexpected access_token {other:?}")),
            }
        }

        async fn logout(&self) -> Result<(), String> {
            let response = self
                .client
                .delete(self.logout_url.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .header("api-version", "2.0")
                .bearer_auth(ACCESS_TOKEN)
                .send()
                .await
                .map_err(|e| format!("logout: {e}"))?;
            if response.status() != reqwest::StatusCode::OK {
                return Err(format!("logout: HTTP {}", response.status()));
            }
            let body: LogoutResponse = response.json().await.map_err(|e| format!("logout: {e}"))?;
            if body.status.as_deref() == Some("success") && body.data == Some(true) {
                Ok(())
            } else {
                Err(format!("logout: unexpected answer {body:?}"))
            }
        }
    }
}

/// One of the SDK's `reqwest` settings, added alone to `Client::new()`.
///
/// Only the two with a cost per call are here: the total timeout (reqwest
/// arms a timer for every call) and the retry policy (reqwest's default
/// keeps a copy of every request in case it retries it). The others (connect
/// timeout, no redirects, user agent, `TCP_NODELAY`, reqwest's default too)
/// act only when connecting, on a redirect, or add one header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// `.timeout(DEFAULT_TIMEOUT)`.
    Timeout,
    /// `.retry(never().max_retries_per_request(0))`.
    NoRetries,
}

/// Any of the Rust clients, chosen by name ([`RUST_CLIENTS`],
/// [`PAIRED_CLIENTS`]).
#[derive(Clone)]
pub enum Rust {
    /// upstox-login-sdk's facade.
    Sdk(crate::sdk::Sdk),
    /// Raw reqwest, with some client settings.
    Raw(raw::Raw),
}

impl Rust {
    /// The client called `name` (`sdk`, `reqwest`, `reqwest-default`,
    /// `reqwest-default+timeout`, `reqwest-default+no-retries`).
    pub fn by_name(name: &str, base_url: &str) -> Result<Self, String> {
        Ok(match name {
            "sdk" => Rust::Sdk(crate::sdk::Sdk::new(base_url)?),
            "reqwest" => Rust::Raw(raw::Raw::with_sdk_settings(base_url)?),
            "reqwest-default" => Rust::Raw(raw::Raw::default_client(base_url)?),
            "reqwest-default+timeout" => {
                Rust::Raw(raw::Raw::default_plus(base_url, Setting::Timeout)?)
            }
            "reqwest-default+no-retries" => {
                Rust::Raw(raw::Raw::default_plus(base_url, Setting::NoRetries)?)
            }
            other => return Err(format!("unknown client {other:?}")),
        })
    }
}

impl BenchClient for Rust {
    async fn token(&self, code: String) -> Result<(), String> {
        match self {
            Rust::Sdk(c) => c.token(code).await,
            Rust::Raw(c) => c.token(code).await,
        }
    }

    async fn logout(&self) -> Result<(), String> {
        match self {
            Rust::Sdk(c) => c.logout().await,
            Rust::Raw(c) => c.logout().await,
        }
    }
}

/// Nearest-rank percentile of sorted nanoseconds, in microseconds.
pub fn percentile_us(sorted_ns: &[u64], p: f64) -> f64 {
    if sorted_ns.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_ns.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted_ns.len()) - 1;
    sorted_ns[index] as f64 / 1000.0
}

struct Tally {
    latencies_ns: Vec<u64>,
    failed: u64,
    first_error: Option<String>,
}

impl Tally {
    fn with_capacity(n: usize) -> Self {
        Tally {
            latencies_ns: Vec::with_capacity(n),
            failed: 0,
            first_error: None,
        }
    }

    fn record(&mut self, started: Instant, result: Result<(), String>) {
        match result {
            Ok(()) => self.latencies_ns.push(started.elapsed().as_nanos() as u64),
            Err(e) => {
                self.failed += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_ns.extend(other.latencies_ns);
        self.failed += other.failed;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

async fn one<C: BenchClient>(client: &C, workload: Workload, i: usize) -> Result<(), String> {
    match workload {
        Workload::TokenSeq | Workload::Token64 => client.token(format!("bench-code-{i}")).await,
        Workload::LogoutSeq => client.logout().await,
    }
}

async fn sequential<C: BenchClient>(
    client: &C,
    workload: Workload,
    from: usize,
    n: usize,
) -> Tally {
    let mut tally = Tally::with_capacity(n);
    for i in from..from + n {
        let started = Instant::now();
        let result = one(client, workload, i).await;
        tally.record(started, result);
    }
    tally
}

/// [`IN_FLIGHT`] tasks, each making calls one after another until `n` calls
/// have been started in all.
async fn concurrent<C: BenchClient>(client: &C, from: usize, n: usize) -> Tally {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(IN_FLIGHT);
    for _ in 0..IN_FLIGHT {
        let client = client.clone();
        let next = Arc::clone(&next);
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::with_capacity(n / IN_FLIGHT + 1);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break tally;
                }
                let started = Instant::now();
                let result = client.token(format!("bench-code-{}", from + i)).await;
                tally.record(started, result);
            }
        }));
    }
    let mut all = Tally::with_capacity(n);
    for task in tasks {
        match task.await {
            Ok(tally) => all.merge(tally),
            Err(e) => {
                all.failed += 1;
                all.first_error.get_or_insert(format!("task: {e}"));
            }
        }
    }
    all
}

/// Warms up with `warmup` untimed calls (connections opened, caches filled),
/// then runs `n` timed calls of `workload`.
pub async fn run<C: BenchClient>(
    client: C,
    names: (&str, &str),
    workload: Workload,
    n: usize,
    warmup: usize,
) -> Outcome {
    let warm = match workload {
        Workload::Token64 => concurrent(&client, 0, warmup).await,
        _ => sequential(&client, workload, 0, warmup).await,
    };
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let mut tally = match workload {
        Workload::Token64 => concurrent(&client, warmup, n).await,
        _ => sequential(&client, workload, warmup, n).await,
    };
    let elapsed = started.elapsed();
    let cpu_s = match (cpu_before, process_cpu_seconds()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    // A failed warm-up call fails the run too.
    if warm.failed > 0 {
        tally.failed += warm.failed;
        tally.first_error = tally.first_error.or(warm.first_error);
    }
    tally.latencies_ns.sort_unstable();
    Outcome {
        client: names.0.to_string(),
        runtime: names.1.to_string(),
        workload: workload.name().to_string(),
        n: n as u64,
        ok: tally.latencies_ns.len() as u64,
        failed: tally.failed,
        first_error: tally.first_error,
        elapsed_s: elapsed.as_secs_f64(),
        p50_us: percentile_us(&tally.latencies_ns, 50.0),
        p99_us: percentile_us(&tally.latencies_ns, 99.0),
        cpu_s,
    }
}

/// The Rust clients run in separate processes, in report order.
pub const RUST_CLIENTS: [&str; 3] = ["sdk", "reqwest", "reqwest-default"];

/// The Rust clients of a paired run, in report order: [`RUST_CLIENTS`], then
/// `Client::new()` with one [`Setting`] of the SDK's each.
pub const PAIRED_CLIENTS: [&str; 5] = [
    "sdk",
    "reqwest",
    "reqwest-default",
    "reqwest-default+timeout",
    "reqwest-default+no-retries",
];

/// Rounds of a paired run by default: a multiple of the [`orders`] of the
/// clients' turns, so each order comes equally often.
pub const PAIRED_ROUNDS: usize = 40;

/// The orders in which `n` clients take their turns, round `r` using
/// `orders(n)[r % len]`: a Williams design (a balanced Latin square; for an
/// odd `n` with each row also reversed), so every client takes every place
/// equally often and, within a round, follows every other client directly
/// equally often (a round's first client also follows the last one of the
/// round before, which the design does not balance).
/// No client's rate then gains or loses from always going first or always
/// coming after the same other one.
pub fn orders(n: usize) -> Vec<Vec<usize>> {
    let first: Vec<usize> = (0..n)
        .map(|j| match j {
            0 => 0,
            j if j % 2 == 1 => j.div_ceil(2),
            j => n - j / 2,
        })
        .collect();
    let mut rows: Vec<Vec<usize>> = (0..n)
        .map(|k| first.iter().map(|c| (c + k) % n).collect())
        .collect();
    if n % 2 == 1 {
        let reversed: Vec<Vec<usize>> = rows
            .iter()
            .map(|r| r.iter().rev().copied().collect())
            .collect();
        rows.extend(reversed);
    }
    rows
}

/// What a paired run reports (one JSON line): every client's rate in every
/// block, blocks of one round back to back in one process.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct PairedOutcome {
    /// `current_thread` or `multi_thread`.
    pub runtime: String,
    /// [`Workload::name`] (a sequential one).
    pub workload: String,
    /// Calls per block.
    pub block: u64,
    /// `rates[c][r]`: calls/s of [`PAIRED_CLIENTS`]`[c]` in round `r`.
    pub rates: Vec<Vec<f64>>,
    /// `cpu_us[c][r]`: CPU time (user + system, all threads) per call of
    /// client `c` in round `r`, microseconds.
    pub cpu_us: Vec<Vec<f64>>,
    /// Calls that failed, all clients together.
    pub failed: u64,
    /// The first failure, if any.
    pub first_error: Option<String>,
}

/// The Rust clients in one process, each with its own connection, taking
/// turns: `rounds` rounds of `block` sequential calls each, in the
/// [`orders`] (so that, within a round, no client always goes first or
/// follows the same other one). Whatever the machine does meanwhile (another process, frequency
/// changes, the host) lands on all of them alike, so the ratio of two
/// clients' rates within a round is far steadier than that of two separate
/// processes minutes apart.
pub async fn paired(
    clients: &[Rust],
    names: (&str, Workload),
    rounds: usize,
    block: usize,
    warmup: usize,
) -> PairedOutcome {
    let (runtime, workload) = names;
    let mut rates = vec![Vec::with_capacity(rounds); clients.len()];
    let mut cpu_us = vec![Vec::with_capacity(rounds); clients.len()];
    let orders = orders(clients.len());
    let mut failures = Tally::with_capacity(0);
    let mut next = 0;
    // Round 0 is the untimed warm-up.
    for round in 0..=rounds {
        let n = if round == 0 { warmup } else { block };
        for &which in &orders[round % orders.len()] {
            let cpu_before = process_cpu_seconds();
            let started = Instant::now();
            let tally = sequential(&clients[which], workload, next, n).await;
            let elapsed = started.elapsed().as_secs_f64();
            let cpu = match (cpu_before, process_cpu_seconds()) {
                (Some(a), Some(b)) => (b - a) * 1e6 / n.max(1) as f64,
                _ => 0.0,
            };
            next += n;
            if round > 0 {
                rates[which].push(if elapsed > 0.0 {
                    n as f64 / elapsed
                } else {
                    0.0
                });
                cpu_us[which].push(cpu);
            }
            failures.merge(Tally {
                latencies_ns: Vec::new(),
                ..tally
            });
        }
    }
    PairedOutcome {
        runtime: runtime.to_string(),
        workload: workload.name().to_string(),
        block: block as u64,
        rates,
        cpu_us,
        failed: failures.failed,
        first_error: failures.first_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=100).map(|x| x * 1000).collect();
        assert_eq!(percentile_us(&v, 50.0), 50.0);
        assert_eq!(percentile_us(&v, 99.0), 99.0);
        assert_eq!(percentile_us(&[7000], 99.0), 7.0);
        assert_eq!(percentile_us(&[], 50.0), 0.0);
    }

    #[test]
    fn paired_orders_are_balanced() {
        for n in 1..=6 {
            let rows = orders(n);
            assert_eq!(rows.len(), if n % 2 == 1 { 2 * n } else { n }, "n={n}");
            // Every row is an order of all n clients.
            for row in &rows {
                let mut sorted = row.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "n={n}: {row:?}");
            }
            // Every client in every place equally often.
            for place in 0..n {
                let mut count = vec![0; n];
                rows.iter().for_each(|r| count[r[place]] += 1);
                assert!(count.iter().all(|&c| c == count[0]), "n={n} place {place}");
            }
            // Every client directly after every other equally often.
            let mut after = vec![vec![0; n]; n];
            for r in &rows {
                r.windows(2).for_each(|w| after[w[0]][w[1]] += 1);
            }
            let pairs: Vec<i32> = (0..n)
                .flat_map(|a| (0..n).filter(move |&b| b != a).map(move |b| (a, b)))
                .map(|(a, b)| after[a][b])
                .collect();
            assert!(pairs.iter().all(|&c| c == pairs[0]), "n={n}: {after:?}");
        }
        assert_eq!(PAIRED_ROUNDS % orders(PAIRED_CLIENTS.len()).len(), 0);
    }

    #[test]
    fn every_client_name_builds() {
        for name in PAIRED_CLIENTS {
            assert!(Rust::by_name(name, "http://127.0.0.1:9").is_ok(), "{name}");
        }
        assert!(Rust::by_name("curl", "http://127.0.0.1:9").is_err());
    }

    #[test]
    fn workload_names_round_trip() {
        for w in Workload::ALL {
            assert_eq!(Workload::parse(w.name()), Some(w));
        }
    }
}
