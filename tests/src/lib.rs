//! Shared fixtures for the integration tests: the contract's payloads (the
//! token answer in [`token_response`], served by [`token_endpoint`]), an app
//! with odd characters in every field, clients pointed at mocks, the token
//! form as a set of fields, the three calls ([`op::Op`]) and the one raw
//! server ([`raw_server::RawServer`]) for what a mock cannot answer or see.

#![warn(missing_docs)]

pub mod log_capture;
pub mod notifier;
pub mod op;
pub mod raw_server;

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

/// A session file in a fresh folder of its own under the temp dir, named
/// after `test` (e.g. `morning-indie-two`).
pub fn session_file(test: &str) -> upstox_login_sdk::store::SessionFile {
    let dir = std::env::temp_dir().join(format!(
        "{test}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("a folder");
    upstox_login_sdk::store::SessionFile::new(dir.join("session.json"))
}

/// A port free on 127.0.0.1 whose IPv6 side, `[::1]`, another program
/// (the test) holds; `None` where the machine has no IPv6 loopback.
pub fn port_taken_on_ipv6_only() -> Option<(u16, std::net::TcpListener)> {
    std::net::TcpListener::bind("[::1]:0").ok()?;
    for _ in 0..20 {
        let v4 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = v4.local_addr().unwrap().port();
        if let Ok(other) = std::net::TcpListener::bind(("::1", port)) {
            return Some((port, other));
        }
    }
    panic!("no port free on both loopback addresses");
}

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

/// A form body of the token exchange for [`app`] and [`CODE`] (`extra`
/// appended as is): what a server that echoes the request shows.
pub fn token_form_body(extra: &str) -> String {
    let mut fields = token_form_fields(None);
    fields.sort();
    format!("{}{extra}", fields.join("&"))
}

/// The fields of the token exchange's form for [`app`] and [`CODE`], each
/// `name=value` exactly as encoded on the wire, sorted: the form as a set
/// (as [`form_fields`] takes a body apart), whatever order a release of the
/// generated client sends them in.
pub fn token_form_fields(refresh_extended_token: Option<bool>) -> Vec<String> {
    let mut fields = vec![
        format!("client_id={}", url_encode(CLIENT_ID)),
        format!("client_secret={}", url_encode(CLIENT_SECRET)),
        format!("code={}", url_encode(CODE)),
        "grant_type=authorization_code".to_string(),
        format!("redirect_uri={}", url_encode(REDIRECT_URI)),
    ];
    if let Some(flag) = refresh_extended_token {
        fields.push(format!("refresh_extended_token={flag}"));
    }
    fields.sort();
    fields
}

/// A form body's `name=value` fields as sent (not decoded), sorted.
pub fn form_fields(body: &[u8]) -> Vec<String> {
    let mut fields: Vec<String> = String::from_utf8_lossy(body)
        .split('&')
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect();
    fields.sort();
    fields
}

/// A mock matcher (`when.is_true(..)`) for a token-exchange form with
/// exactly [`token_form_fields`]`(refresh_extended_token)`, in any order.
pub fn is_the_token_form(
    refresh_extended_token: Option<bool>,
) -> impl Fn(&httpmock::HttpMockRequest) -> bool + Send + Sync + 'static {
    let expected = token_form_fields(refresh_extended_token);
    move |req| form_fields(&req.body().to_vec()) == expected
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

/// Makes `server`'s token endpoint answer `status` with the JSON `body`
/// (usually [`token_response`]): the token-answer fixture.
pub async fn token_endpoint(
    server: &httpmock::MockServer,
    status: u16,
    body: serde_json::Value,
) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(httpmock::Method::POST)
                .path("/v2/login/authorization/token");
            then.status(status)
                .header("content-type", "application/json")
                .json_body(body);
        })
        .await
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

/// The raw server's readers, by their former path.
pub mod raw {
    pub use crate::raw_server::{drain, read_request};
}
