//! No secret value appears in any `Debug` or `Display` output, any error, or
//! any log line at any level, TRACE included: every operation, success and
//! failure, runs under a subscriber that captures everything (and `log`
//! records, through tracing-log), every value and error is formatted both
//! ways, and all of it is searched for the secrets in every spelling.

use httpmock::prelude::*;
use serde_json::json;
use upstox_login_sdk::loopback::CallbackServer;
use upstox_login_sdk::{
    AccessToken, AuthorizationCode, ClientSecret, ExtendedToken, IndieTokenOptions,
    NotifierPayload, RefreshToken, State,
};
use upstox_login_tests::*;

const REFRESH_TOKEN: &str = "refresh-Zq8+/=";
const WEBHOOK_TOKEN: &str = "webhook-token-XYZ987";

/// Every spelling a secret could leak in.
fn spellings(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string(), url_encode(secret)];
    out.push(
        serde_json::to_string(secret)
            .unwrap()
            .trim_matches('"')
            .to_string(),
    );
    out.push(format!("{secret:?}").trim_matches('"').to_string());
    out.dedup();
    out
}

fn assert_clean(what: &str, text: &str) {
    for secret in [
        CLIENT_SECRET,
        CODE,
        ACCESS_TOKEN,
        EXTENDED_TOKEN,
        REFRESH_TOKEN,
        WEBHOOK_TOKEN,
    ] {
        for s in spellings(secret) {
            assert!(!text.contains(&s), "{what} leaks {s:?}:\n{text}");
        }
    }
}

const TOKEN: &str = "/v2/login/authorization/token";
const LOGOUT: &str = "/v2/logout";
const INDIE: &str = "/v3/login/auth/token/request/";
const JSON: &str = "application/json";

/// A mock answering calls under `path` with `status` and `body`.
async fn answer<'a>(
    server: &'a MockServer,
    method: httpmock::Method,
    path: &str,
    status: u16,
    content_type: &str,
    body: String,
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(method).path_prefix(path);
            then.status(status)
                .header("content-type", content_type)
                .body(body);
        })
        .await
}

/// Formats a value both ways into `out`.
macro_rules! both {
    ($out:expr, $v:expr) => {{
        let v = &$v;
        $out.push_str(&format!("{v:?}\n{v:#?}\n"));
    }};
}
macro_rules! all {
    ($out:expr, $v:expr) => {{
        let v = &$v;
        $out.push_str(&format!("{v}\n{v:?}\n{v:#?}\n"));
    }};
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_reaches_debug_display_errors_or_logs() {
    let (capture, _guard) = log_capture::LogCapture::start();

    let mut out = String::new();
    let server = MockServer::start_async().await;
    let client = client(&server.base_url());
    let app = app();

    // The values themselves.
    both!(out, app);
    both!(out, ClientSecret::new(CLIENT_SECRET));
    both!(out, AuthorizationCode::new(CODE));
    both!(out, AccessToken::new(ACCESS_TOKEN));
    both!(out, ExtendedToken::new(EXTENDED_TOKEN));
    both!(out, RefreshToken::new(REFRESH_TOKEN));
    both!(out, client);

    let exchange = || client.exchange_code(&app, AuthorizationCode::new(CODE));
    let token = AccessToken::new(ACCESS_TOKEN);
    let logout = || client.logout(&token);
    let indie = || client.request_indie_token(&app, IndieTokenOptions::default());

    // Token exchange: success, with every secret field filled.
    let mut body = token_response();
    body["refresh_token"] = json!(REFRESH_TOKEN);
    let mock = answer(&server, POST, TOKEN, 200, JSON, body.to_string()).await;
    let session = exchange().await.unwrap();
    both!(out, session);
    mock.delete_async().await;

    // Token exchange refused, the gateway echoing what it was sent.
    let echo = json!({"status": "error", "errors": [
        {"error_code": "UDAPI100069", "message": format!("Invalid code {CODE} for secret {CLIENT_SECRET}"),
         "property_path": "code", "invalid_value": CODE},
        {"errorCode": "UDAPI1024", "message": "bad secret", "propertyPath": "client_secret",
         "invalidValue": {"client_secret": CLIENT_SECRET, "echo": [CODE]}}]});
    let mock = answer(&server, POST, TOKEN, 401, JSON, echo.to_string()).await;
    all!(out, exchange().await.unwrap_err());
    mock.delete_async().await;

    // A 200 that is not a session but carries tokens.
    let odd =
        json!({"access_token": ACCESS_TOKEN, "extended_token": EXTENDED_TOKEN, "exchanges": "NSE"});
    let mock = answer(&server, POST, TOKEN, 200, JSON, odd.to_string()).await;
    all!(out, exchange().await.unwrap_err());
    mock.delete_async().await;

    // An HTML page echoing the form.
    let page = format!(
        "<html>blocked: code={} secret={}</html>",
        url_encode(CODE),
        url_encode(CLIENT_SECRET)
    );
    let mock = answer(&server, POST, TOKEN, 403, "text/html", page).await;
    all!(out, exchange().await.unwrap_err());
    mock.delete_async().await;

    // Logout: success, then a 401 Java exception quoting the token.
    let done = json!({"status": "success", "data": true});
    let mock = answer(&server, DELETE, LOGOUT, 200, JSON, done.to_string()).await;
    both!(out, logout().await.unwrap());
    mock.delete_async().await;
    let java = json!({
        "cause": null, "stackTrace": [{"methodName": "check"}],
        "message": format!("Invalid token Bearer {ACCESS_TOKEN}"),
        "localizedMessage": format!("Invalid token Bearer {ACCESS_TOKEN}"), "suppressed": []});
    let mock = answer(&server, DELETE, LOGOUT, 401, JSON, java.to_string()).await;
    all!(out, logout().await.unwrap_err());
    mock.delete_async().await;

    // Indie request: success and refusal echoing the secret.
    let sent =
        json!({"status": "success", "data": {"authorization_expiry": "1", "notifier_url": "u"}});
    let mock = answer(&server, POST, INDIE, 200, JSON, sent.to_string()).await;
    both!(out, indie().await.unwrap());
    mock.delete_async().await;
    let refused = json!({"status": "error", "errors": [
        {"error_code": "UDAPI100069", "message": "wrong", "invalid_value": CLIENT_SECRET}]});
    let mock = answer(&server, POST, INDIE, 400, JSON, refused.to_string()).await;
    all!(out, indie().await.unwrap_err());
    mock.delete_async().await;

    // Transport failure and timeout.
    let dead = upstox_login_tests::client("http://127.0.0.1:9");
    all!(
        out,
        dead.exchange_code(&app, AuthorizationCode::new(CODE))
            .await
            .unwrap_err()
    );
    all!(
        out,
        dead.logout(&AccessToken::new(ACCESS_TOKEN))
            .await
            .unwrap_err()
    );

    // The login flow: pending login, callback errors, the notifier webhook.
    let login = client.start_login(&app).unwrap();
    both!(out, login);
    all!(
        out,
        login
            .code_from_callback(&format!("/callback?code={CODE}&state=wrong"))
            .unwrap_err()
    );
    all!(
        out,
        login
            .code_from_callback(&format!(
                "/callback?code={CODE}&code=2&state={}",
                login.state()
            ))
            .unwrap_err()
    );
    both!(
        out,
        login
            .code_from_callback(&format!("/callback?code={CODE}&state={}", login.state()))
            .unwrap()
    );
    let payload = json!({"client_id": CLIENT_ID, "user_id": "AB1234", "access_token": WEBHOOK_TOKEN,
        "token_type": "Bearer", "expires_at": "1795851000000", "issued_at": 1795800000000u64, "message_type": "access_token"});
    let parsed = NotifierPayload::parse(payload.to_string().as_bytes()).unwrap();
    both!(out, parsed);
    all!(
        out,
        parsed
            .verify_client_id(&upstox_login_sdk::ClientId::new("other"))
            .unwrap_err()
    );
    all!(
        out,
        NotifierPayload::parse(format!("{{\"access_token\": \"{WEBHOOK_TOKEN}\"").as_bytes())
            .unwrap_err()
    );
    all!(
        out,
        NotifierPayload::parse(format!("{{\"access_token\": [\"{WEBHOOK_TOKEN}\"]}}").as_bytes())
            .unwrap_err()
    );
    both!(out, State::new("s"));

    // The loopback listener rejecting a forged callback.
    let server_cb = CallbackServer::bind(
        &upstox_login_sdk::RedirectUri::new("http://127.0.0.1:0/callback").unwrap(),
    )
    .await
    .unwrap();
    let cb = server_cb.redirect_uri().as_str().to_string();
    let local_app = upstox_login_sdk::App::new(
        app.client_id().clone(),
        app.client_secret().clone(),
        server_cb.redirect_uri().clone(),
    );
    let login = client.start_login(&local_app).unwrap();
    let waiting = {
        let login = login.clone();
        tokio::spawn(async move {
            let mut events = Vec::new();
            let r = server_cb
                .wait_for_code_with(&login, std::time::Duration::from_secs(5), |e| {
                    events.push(e)
                })
                .await;
            (r, events)
        })
    };
    let browser = reqwest::Client::new();
    browser
        .get(format!("{cb}?code={}&state=forged", url_encode(CODE)))
        .send()
        .await
        .unwrap();
    browser
        .get(format!(
            "{cb}?error=x&error_description=denied&state={}",
            login.state()
        ))
        .send()
        .await
        .unwrap();
    let (result, events) = waiting.await.unwrap();
    all!(out, result.unwrap_err());
    both!(out, events);

    assert_clean("formatted values and errors", &out);
    let logs = capture.text();
    assert!(
        logs.contains("answered"),
        "the subscriber captured the SDK's events:\n{logs}"
    );
    assert!(logs.contains("TRACE"), "TRACE level was captured:\n{logs}");
    assert_clean("logs", &logs);
}
