//! One run of a Rust client (`upstox-login-bench client ...`): WARMUP untimed,
//! then N timed sequential token exchanges, and one JSON line on stdout, as
//! the Python and Node drivers print.

use std::time::Instant;

use serde::Deserialize;

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

/// `upstox-login-bench client sdk|reqwest RUNTIME N WARMUP BASE_URL`.
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
    let line = match *client {
        "sdk" => rt.block_on(measure(crate::sdk::Sdk::new(url)?, n.max(1), warmup)),
        "reqwest" => rt.block_on(measure(Raw::new(url)?, n.max(1), warmup)),
        other => return Err(format!("unknown client {other:?}")),
    };
    println!("{line}");
    match line["failed"].as_u64() {
        Some(0) => Ok(()),
        _ => Err(format!("calls failed; first: {}", line["first_error"])),
    }
}

/// Makes the calls and returns the JSON line.
async fn measure(client: impl Exchange, n: usize, warmup: usize) -> serde_json::Value {
    let (mut failed, mut first_error) = (0u64, None);
    let mut latencies = Vec::with_capacity(n);
    let mut started = Instant::now();
    for i in 0..warmup + n {
        if i == warmup {
            started = Instant::now();
        }
        let call = Instant::now();
        match client.token(format!("bench-code-{i}")).await {
            Ok(()) if i >= warmup => latencies.push(call.elapsed().as_nanos() as f64 / 1e3),
            Ok(()) => {}
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    // Nearest rank, as the drivers compute it.
    let percentile = |p: f64| {
        let rank = (p / 100.0 * latencies.len() as f64).ceil() as usize;
        latencies.get(rank.max(1) - 1).copied().unwrap_or(0.0)
    };
    serde_json::json!({
        "calls_per_s": n as f64 / seconds,
        "p50_us": percentile(50.0),
        "p99_us": percentile(99.0),
        "failed": failed,
        "first_error": first_error,
    })
}
