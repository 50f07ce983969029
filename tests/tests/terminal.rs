//! What the SDK prints never carries a terminal control character that came
//! from the network: an ESC sequence from a hostile server or a local
//! process would clear the screen, retitle the window or fake output in the
//! person's terminal. Control characters (C0, DEL, C1) and bidirectional
//! overrides are shown escaped (`\x1b`, `\u{9b}`).

use std::time::Duration;

use httpmock::prelude::*;
use tokio::io::AsyncWriteExt;
use upstox_login_sdk::loopback::{CallbackServer, LoopbackEvent};
use upstox_login_sdk::{AccessToken, App, AuthorizationCode, ClientId, ClientSecret, RedirectUri};
use upstox_login_tests::raw_server::RawServer;
use upstox_login_tests::*;

/// Clear screen, bell, an 8-bit CSI (C1), a right-to-left override.
const HOSTILE: &str = "\u{1b}[2J\u{7}\u{9b}31m\u{202e}";

/// `text` (a `Display` output) holds no control character and no
/// bidirectional override, and shows the ESC it was sent escaped.
fn assert_terminal_safe(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| {
            c.is_control()
                || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(bad.is_empty(), "{what} prints {bad:?}: {text:?}");
    assert!(text.contains("\\x1b"), "{what} shows the escape: {text:?}");
}

async fn exchange(base: &str) -> upstox_login_sdk::Error {
    client(base)
        .exchange_code(&app(), AuthorizationCode::new(CODE))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn an_error_envelope_is_printed_escaped() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(400).json_body(serde_json::json!({
                "status": "error",
                "errors": [{"error_code": format!("UDAPI{HOSTILE}"), "message": format!("bad {HOSTILE} code")}]
            }));
        })
        .await;
    let err = exchange(&server.base_url()).await;
    assert_terminal_safe("an envelope", &err.to_string());
}

#[tokio::test]
async fn a_java_exception_is_printed_escaped() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(401).json_body(serde_json::json!({
                "message": format!("token {HOSTILE} rejected"),
                "localizedMessage": "x",
                "stackTrace": []
            }));
        })
        .await;
    let err = client(&server.base_url())
        .logout(&AccessToken::new(ACCESS_TOKEN))
        .await
        .unwrap_err();
    assert_terminal_safe("a Java exception", &err.to_string());
}

#[tokio::test]
async fn an_undecodable_answer_is_printed_escaped() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200)
                .header("content-type", "text/plain")
                .body(format!("{{\"user_id\": 1 {HOSTILE}"));
        })
        .await;
    let err = exchange(&server.base_url()).await;
    assert_terminal_safe("an undecodable answer", &err.to_string());
}

/// Header values cannot carry C0 controls, but can carry UTF-8 C1 ones.
async fn raw_answer(head: &'static [u8]) -> RawServer {
    RawServer::reply(head.to_vec()).await
}

#[tokio::test]
async fn a_redirect_and_a_content_type_are_printed_escaped() {
    let server = raw_answer(
        b"HTTP/1.1 302 Found\r\nLocation: https://x.test/\xc2\x9b2J\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    let err = exchange(server.base_url()).await;
    let text = err.to_string();
    assert!(!text.contains('\u{9b}'), "a Location prints C1: {text:?}");
    assert!(text.contains("\\u{9b}"), "{text:?}");

    let server = raw_answer(
        b"HTTP/1.1 500 Oops\r\nContent-Type: text/\xc2\x9b2J\r\nContent-Length: 1\r\n\r\nx",
    )
    .await;
    let text = exchange(server.base_url()).await.to_string();
    assert!(
        !text.contains('\u{9b}'),
        "a Content-Type prints C1: {text:?}"
    );
}

/// A local process sends the listener a request with escapes in its method
/// and path; the example prints each ignored request.
#[tokio::test]
async fn a_stray_request_is_printed_escaped() {
    let server = CallbackServer::bind(&RedirectUri::new("http://127.0.0.1:0/cb").unwrap())
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let app = App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        server.redirect_uri().clone(),
    );
    let login = client("http://127.0.0.1:9").start_login(&app).unwrap();
    let state = login.state().to_string();
    let waiting = tokio::spawn(async move {
        let mut events = Vec::new();
        let result = server
            .wait_for_code_with(&login, Duration::from_secs(10), |e| events.push(e))
            .await;
        (result, events)
    });
    let mut hostile = tokio::net::TcpStream::connect(addr).await.unwrap();
    hostile
        .write_all(format!("G\u{1b}]0;pwned\u{7}ET /x{HOSTILE} HTTP/1.1\r\n\r\n").as_bytes())
        .await
        .unwrap();
    raw::drain(&mut hostile).await;
    // The login then ends with a refusal carrying escapes.
    let mut denied = tokio::net::TcpStream::connect(addr).await.unwrap();
    denied
        .write_all(
            format!(
                "GET /cb?error=x%1B%5B2J&error_description=%1B%5D0%3Bpwned%07&state={state} HTTP/1.1\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    raw::drain(&mut denied).await;

    let (result, events) = waiting.await.unwrap();
    assert!(
        matches!(events.as_slice(), [LoopbackEvent::Ignored { .. }]),
        "{events:?}"
    );
    assert_terminal_safe("a stray request", &events[0].to_string());
    assert_terminal_safe("a refused login", &result.unwrap_err().to_string());
}
