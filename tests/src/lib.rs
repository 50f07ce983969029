//! Shared fixtures for the integration tests: the contract's payloads, an
//! app with odd characters in every field, and clients pointed at mocks.

#![warn(missing_docs)]

use upstox_login_sdk::{App, ClientId, ClientSecret, LoginClient, RedirectUri};

/// The client id used by the tests.
pub const CLIENT_ID: &str = "a1b2-c3 d4";
/// The client secret used by the tests (with characters that need encoding).
pub const CLIENT_SECRET: &str = "s3cr&t=+/ secret";
/// The redirect URI used by the tests.
pub const REDIRECT_URI: &str = "http://127.0.0.1:5055/callback?x=1";
/// An authorization code.
pub const CODE: &str = "c0de/+&=z";
/// The access token the mocks hand out.
pub const ACCESS_TOKEN: &str = "eyJ0eXAiOiJKV1Q.access.token";
/// The extended token the mocks hand out.
pub const EXTENDED_TOKEN: &str = "ext-token-0123456789";

/// The app every test logs in as.
pub fn app() -> App {
    App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        RedirectUri::new(REDIRECT_URI).expect("valid redirect URI"),
    )
}

/// The generated client's token-exchange body for [`app`] and [`CODE`].
pub fn token_request() -> upstox_login_sdk::generated::types::TokenRequest {
    let app = app();
    upstox_login_sdk::generated::types::TokenRequest {
        code: upstox_login_sdk::AuthorizationCode::new(CODE),
        client_id: app.client_id().clone(),
        client_secret: app.client_secret().clone(),
        redirect_uri: app.redirect_uri().clone(),
        grant_type: upstox_login_sdk::generated::types::GrantType::AuthorizationCode,
        refresh_extended_token: None,
    }
}

/// The generated client made by hand, as a direct user makes it: reqwest
/// configured by the SDK's builder, the default body cap.
pub fn generated_client(base_url: &str) -> upstox_login_sdk::generated::Client {
    let http = LoginClient::builder()
        .http_client_builder()
        .and_then(|b| {
            b.build()
                .map_err(|e| upstox_login_sdk::Error::InvalidInput(e.to_string()))
        })
        .expect("an HTTP client");
    upstox_login_sdk::generated::Client::new_with_client(
        base_url,
        http,
        upstox_login_sdk::CallContext::default(),
    )
}

/// A client pointed at `base_url` with short timeouts.
pub fn client(base_url: &str) -> LoginClient {
    LoginClient::builder()
        .base_url(base_url)
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .expect("client builds")
}

/// `cargo run -q -p upstox-login-sdk --example NAME --`, from the workspace
/// root, without the credentials of the environment the tests run in (add
/// the example's arguments and environment), killed when dropped.
pub fn example(name: &str) -> tokio::process::Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut command = tokio::process::Command::new(cargo);
    command
        .current_dir(root)
        .args([
            "run",
            "-q",
            "-p",
            "upstox-login-sdk",
            "--example",
            name,
            "--",
        ])
        .env_remove("UPSTOX_CLIENT_ID")
        .env_remove("UPSTOX_CLIENT_SECRET")
        .env_remove("UPSTOX_REDIRECT_URI")
        .env_remove("UPSTOX_BASE_URL")
        .kill_on_drop(true);
    command
}

/// Makes `server` answer Upstox's login dialog as Upstox does once the
/// person has logged in: a `302` back to the `redirect_uri` it was given,
/// with [`CODE`] and the `state` it was given.
pub async fn dialog_redirecting_back(server: &httpmock::MockServer) {
    server
        .mock_async(|when, then| {
            when.method(httpmock::Method::GET)
                .path("/v2/login/authorization/dialog")
                .query_param("response_type", "code");
            then.respond_with(|req: &httpmock::HttpMockRequest| {
                let params = req.query_params();
                let get = |k: &str| {
                    params
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                let mut back = url::Url::parse(&get("redirect_uri")).expect("a redirect URI");
                back.query_pairs_mut()
                    .append_pair("code", CODE)
                    .append_pair("state", &get("state"));
                httpmock::HttpMockResponse::builder()
                    .status(302)
                    .header("location", back.as_str())
                    .build()
            });
        })
        .await;
}

/// The exact form body of the token exchange for [`app`] and [`CODE`],
/// fields in the order the generated client sends them.
pub fn token_form_body(extra: &str) -> String {
    let enc = |s: &str| -> String { url_encode(s) };
    format!(
        "client_id={}&client_secret={}&code={}&grant_type=authorization_code&redirect_uri={}{extra}",
        enc(CLIENT_ID),
        enc(CLIENT_SECRET),
        enc(CODE),
        enc(REDIRECT_URI)
    )
}

/// `application/x-www-form-urlencoded` encoding, written out by hand so the
/// test does not share the library's encoder.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The docs' example token response (with the missing comma restored),
/// plus the served spec's extra fields.
pub fn token_response() -> serde_json::Value {
    serde_json::json!({
        "email": "trader@example.com",
        "exchanges": ["NSE", "NFO", "BSE", "CDS", "BFO", "BCD"],
        "products": ["D", "CO", "I"],
        "broker": "UPSTOX",
        "user_id": "AB1234",
        "user_name": "A Trader",
        "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
        "user_type": "individual",
        "poa": false,
        "ddpi": true,
        "is_active": true,
        "access_token": ACCESS_TOKEN,
        "extended_token": EXTENDED_TOKEN,
        "expires_in": 86400,
        "token_type": "Bearer",
    })
}

/// An error envelope with one entry in both spellings.
pub fn envelope(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({
        "status": "error",
        "errors": [{
            "error_code": code, "message": message,
            "property_path": null, "invalid_value": null,
            "errorCode": code, "propertyPath": null, "invalidValue": null
        }]
    })
}

/// Helpers for raw-socket test servers (framing the mocks cannot produce).
pub mod raw {
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpStream;

    /// Reads one request (head and `Content-Length` body), or until the
    /// peer stops sending, and returns what was read.
    pub async fn read_request(sock: &mut TcpStream) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    return buf;
                }
            }
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return buf,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Waits until the peer closes (bounded by the caller's deadline).
    pub async fn drain(sock: &mut TcpStream) {
        let mut chunk = [0u8; 1024];
        while let Ok(n) = sock.read(&mut chunk).await {
            if n == 0 {
                break;
            }
        }
    }
}
