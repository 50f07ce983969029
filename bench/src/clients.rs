//! One run of a Rust client (`upstox-login-bench client ...`): WARMUP untimed,
//! then N timed sequential token exchanges, and one JSON line on stdout, as
//! the Python and Node drivers print; or (`client pair`) both Rust clients
//! in one process taking turns, for the ratio of their rates.

use std::time::Instant;

use serde::Deserialize;
use serde_json::Value;

use crate::{ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI};

/// A client under test.
pub trait Exchange {
    /// Exchanges `code` and checks that [`ACCESS_TOKEN`] came back.
    async fn token(&self, code: String) -> Result<(), String>;
}

/// Raw reqwest, the floor for the SDK: the same request by hand on the same
/// reqwest build, with the SDK's per-call settings (a total timeout; no
/// redirects; no retry policy, which would copy every request), the URL
/// parsed once and the answer decoded by serde, as the SDK does.
pub struct Raw {
    client: reqwest::Client,
    url: reqwest::Url,
}

/// `TokenResponse`, every field optional as in the contract.
#[derive(Deserialize)]
#[allow(dead_code)] // all decoded, as by the SDK; only access_token is read
struct TokenResponse {
    email: Option<String>,
    exchanges: Option<Vec<String>>,
    products: Option<Vec<String>>,
    broker: Option<String>,
    user_id: Option<String>,
    user_name: Option<String>,
    order_types: Option<Vec<String>>,
    user_type: Option<String>,
    poa: Option<bool>,
    ddpi: Option<bool>,
    is_active: Option<bool>,
    access_token: Option<String>,
    extended_token: Option<String>,
}

impl Raw {
    fn new(base_url: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(upstox_login_sdk::DEFAULT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .build();
        let url = reqwest::Url::parse(&format!("{base_url}/v2/login/authorization/token"));
        Ok(Raw {
            client: client.map_err(|e| e.to_string())?,
            url: url.map_err(|e| e.to_string())?,
        })
    }
}

impl Exchange for Raw {
    async fn token(&self, code: String) -> Result<(), String> {
        let form = [
            ("code", code.as_str()),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("redirect_uri", REDIRECT_URI),
            ("grant_type", "authorization_code"),
        ];
        let response = self
            .client
            .post(self.url.clone())
            .header("accept", "application/json")
            .header("api-version", "2.0")
            .form(&form)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?;
        let body: TokenResponse = response.json().await.map_err(|e| e.to_string())?;
        match body.access_token.as_deref() {
            Some(ACCESS_TOKEN) => Ok(()),
            _ => Err("not the expected access_token".into()),
        }
    }
}

/// Calls per turn in a `pair` run.
const TURN: usize = 500;

/// `upstox-login-bench client sdk|reqwest|pair RUNTIME N WARMUP BASE_URL`;
/// the first failed call fails the run.
pub fn run(args: &[&str]) -> Result<(), String> {
    let [client, runtime, n, warmup, url] = args else {
        return Err(format!("5 arguments expected, not {args:?}"));
    };
    let (Ok(n), Ok(warmup)) = (n.parse::<usize>(), warmup.parse()) else {
        return Err(format!("N and WARMUP: numbers, not {n:?} and {warmup:?}"));
    };
    let mut rt = match *runtime {
        "current_thread" => tokio::runtime::Builder::new_current_thread(),
        "multi_thread" => tokio::runtime::Builder::new_multi_thread(),
        other => return Err(format!("unknown runtime {other:?}")),
    };
    let rt = rt.enable_all().build().map_err(|e| e.to_string())?;
    let (sdk, raw) = (crate::sdk::Sdk::new(url)?, Raw::new(url)?);
    let line = match *client {
        "sdk" => rt.block_on(measure(sdk, n.max(1), warmup))?,
        "reqwest" => rt.block_on(measure(raw, n.max(1), warmup))?,
        "pair" => serde_json::json!({ "ratio": rt.block_on(pair(sdk, raw, n, warmup))? }),
        other => return Err(format!("unknown client {other:?}")),
    };
    println!("{line}");
    Ok(())
}

/// Makes the calls and returns the JSON line.
async fn measure(client: impl Exchange, n: usize, warmup: usize) -> Result<Value, String> {
    turn(&client, warmup).await?;
    let mut latencies = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let call = Instant::now();
        client.token(format!("bench-code-{i}")).await?;
        latencies.push(call.elapsed().as_nanos() as f64 / 1e3);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    // Nearest rank, as the drivers compute it.
    let percentile = |p: f64| latencies[((p / 100.0 * n as f64).ceil() as usize).max(1) - 1];
    Ok(serde_json::json!({
        "calls_per_s": n as f64 / seconds,
        "p50_us": percentile(50.0),
        "p99_us": percentile(99.0),
    }))
}

/// The SDK's rate / raw reqwest's, both in this process taking turns of
/// [`TURN`] calls (the SDK first in every other turn), so that whatever else
/// the machine does meanwhile slows both alike.
async fn pair(sdk: crate::sdk::Sdk, raw: Raw, n: usize, warmup: usize) -> Result<f64, String> {
    let (mut sdk_s, mut raw_s) = (0.0, 0.0);
    for i in 0..=n.div_ceil(TURN) {
        let calls = if i == 0 { warmup } else { TURN };
        let (s, r) = match i % 2 {
            0 => (turn(&sdk, calls).await?, turn(&raw, calls).await?),
            _ => {
                let r = turn(&raw, calls).await?;
                (turn(&sdk, calls).await?, r)
            }
        };
        if i > 0 {
            (sdk_s, raw_s) = (sdk_s + s, raw_s + r);
        }
    }
    Ok(raw_s / sdk_s)
}

/// Seconds for `calls` sequential calls.
async fn turn(client: &impl Exchange, calls: usize) -> Result<f64, String> {
    let started = Instant::now();
    for i in 0..calls {
        client.token(format!("bench-code-{i}")).await?;
    }
    Ok(started.elapsed().as_secs_f64())
}
