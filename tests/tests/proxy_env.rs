//! Proxy variables in the environment, set by whoever started the process.
//!
//! A proxy sees a plain-http call whole: the token form, client secret and
//! code included. So a loopback base URL never goes through one, whatever
//! the environment says; an `https://` base URL elsewhere may (the proxy is
//! asked to CONNECT and sees the host and port only; TLS is end to end),
//! and `NO_PROXY` is honoured for it.
//!
//! The attacker is a local "proxy" that records whatever reaches it. The
//! variables are process-wide, so this binary has them to itself and its
//! tests take turns.

use std::time::Duration;

use httpmock::prelude::*;
use upstox_login_sdk::{AuthorizationCode, LoginClient};
use upstox_login_tests::raw_server::RawServer;
use upstox_login_tests::*;

/// Every variable reqwest reads (upper- and lower-case).
const PROXY_VARS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// The variables that name a proxy.
const PROXY_SETTERS: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// One test at a time: the environment is the process's.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Sets exactly `vars` among the proxy variables (the others removed).
fn proxy_env(vars: &[(&str, &str)]) {
    for name in PROXY_VARS {
        std::env::remove_var(name);
    }
    for (name, value) in vars {
        std::env::set_var(name, value);
    }
}

/// A listener on 127.0.0.1 (the shared raw server) that keeps the first
/// bytes of every connection (until 300 ms of silence), then closes it
/// without answering.
async fn recorder() -> RawServer {
    RawServer::serve_for(usize::MAX, Duration::from_secs(60), |mut conn| async move {
        conn.read_until_quiet(Duration::from_millis(300)).await;
    })
    .await
}

/// What each connection to `recorder` sent, as text.
async fn connections(recorder: &RawServer) -> Vec<String> {
    // Let a connection being read finish.
    tokio::time::sleep(Duration::from_millis(400)).await;
    recorder
        .received()
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect()
}

/// The stand-in for Upstox answers the token exchange.
async fn token_mock(upstox: &MockServer) -> httpmock::Mock<'_> {
    upstox
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/login/authorization/token")
                .is_true(is_the_token_form(None));
            then.status(200).json_body(token_response());
        })
        .await
}

async fn exchange(client: &LoginClient) -> Result<(), upstox_login_sdk::Error> {
    client
        .exchange_code(&app(), AuthorizationCode::new(CODE))
        .await
        .map(|_| ())
}

/// Whatever proxy variable is set, a loopback base URL (`127.0.0.1` and
/// `localhost`) is called directly, and the proxy sees nothing at all.
#[tokio::test]
async fn a_loopback_base_url_never_goes_through_a_proxy() {
    let _turn = TURN.lock().await;
    let proxy = recorder().await;
    let upstox = MockServer::start_async().await;
    let mock = token_mock(&upstox).await;
    let port = upstox.address().port();
    let mut outcomes = Vec::new();
    for var in PROXY_SETTERS {
        for base in [
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ] {
            // NO_PROXY naming something else changes nothing.
            proxy_env(&[(var, proxy.base_url()), ("NO_PROXY", "example.com")]);
            let client = client(&base);
            proxy_env(&[]);
            outcomes.push((var, base, exchange(&client).await));
        }
    }
    let reached = connections(&proxy).await;
    assert!(
        reached.is_empty(),
        "the proxy received {} connection(s), the first: {:?}",
        reached.len(),
        reached.first()
    );
    for (var, base, result) in &outcomes {
        assert!(result.is_ok(), "{var} with {base}: {result:?}");
    }
    assert_eq!(mock.calls_async().await, outcomes.len());
}

/// The same with the client's own `generated()` client, which shares its
/// HTTP client.
#[tokio::test]
async fn the_generated_client_of_a_loopback_client_goes_direct_too() {
    let _turn = TURN.lock().await;
    let proxy = recorder().await;
    let upstox = MockServer::start_async().await;
    let mock = token_mock(&upstox).await;
    proxy_env(&[
        ("http_proxy", proxy.base_url()),
        ("ALL_PROXY", proxy.base_url()),
    ]);
    let client = client(&upstox.base_url());
    proxy_env(&[]);
    let answer = client
        .generated()
        .token()
        .body(token_request())
        .send()
        .await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(mock.calls_async().await, 1);
    assert!(connections(&proxy).await.is_empty());
}

/// An `https://` base URL off loopback, its host resolved to a local
/// listener by the test (nothing leaves this machine), so that a direct
/// connection is seen as a TLS hello there.
fn https_client(direct: &RawServer) -> LoginClient {
    let base = format!("https://upstox.test:{}", direct.address().port());
    let builder = LoginClient::builder()
        .base_url(base)
        .timeout(Duration::from_secs(3));
    let http = builder
        .http_client_builder()
        .unwrap()
        .resolve(
            "upstox.test",
            std::net::SocketAddr::from(([127, 0, 0, 1], direct.address().port())),
        )
        .build()
        .unwrap();
    builder.build_with_http_client(http).unwrap()
}

/// Off loopback over https, `HTTPS_PROXY` and `ALL_PROXY` are used, as a
/// user behind a proxy needs: the proxy is asked to CONNECT and sees the
/// host and port, never the form. `HTTP_PROXY` is for plain-http URLs
/// only, and `NO_PROXY` naming the host sends the call direct.
#[tokio::test]
async fn an_https_base_url_may_go_through_a_proxy_by_connect_only() {
    let _turn = TURN.lock().await;
    for var in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        let proxy = recorder().await;
        let direct = recorder().await;
        proxy_env(&[(var, proxy.base_url())]);
        let client = https_client(&direct);
        proxy_env(&[]);
        assert!(exchange(&client).await.is_err(), "the proxy never answers");
        let reached = connections(&proxy).await;
        assert_eq!(reached.len(), 1, "{var}: {reached:?}");
        assert!(
            reached[0].starts_with(&format!(
                "CONNECT upstox.test:{} HTTP/1.1\r\n",
                direct.address().port()
            )),
            "{var}: {:?}",
            reached[0]
        );
        for secret in [CLIENT_SECRET, CODE] {
            for spelling in [secret.to_string(), url_encode(secret)] {
                assert!(!reached[0].contains(&spelling), "{var}: {:?}", reached[0]);
            }
        }
        assert!(connections(&direct).await.is_empty(), "{var}");
    }

    for env in [
        &[("HTTP_PROXY", "")][..],
        &[("http_proxy", "")],
        &[("HTTPS_PROXY", ""), ("NO_PROXY", "upstox.test")],
        &[("ALL_PROXY", ""), ("no_proxy", "upstox.test")],
    ] {
        let proxy = recorder().await;
        let direct = recorder().await;
        let url = proxy.base_url().to_string();
        let env: Vec<(&str, &str)> = env
            .iter()
            .map(|&(k, v)| (k, if v.is_empty() { url.as_str() } else { v }))
            .collect();
        proxy_env(&env);
        let client = https_client(&direct);
        proxy_env(&[]);
        assert!(
            exchange(&client).await.is_err(),
            "the listener speaks no TLS"
        );
        assert!(connections(&proxy).await.is_empty(), "{env:?}");
        let reached = connections(&direct).await;
        assert_eq!(reached.len(), 1, "{env:?}");
        // A TLS handshake record.
        assert_eq!(reached[0].as_bytes().first(), Some(&0x16), "{env:?}");
    }
}
