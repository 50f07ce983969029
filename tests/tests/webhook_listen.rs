//! The notifier receiver on `localhost` listens on every address the name
//! stands for (`127.0.0.1` and `[::1]`), so that a forwarder resolving
//! `localhost` to `::1` cannot hand Upstox's POST to another program; if
//! one is taken, binding fails naming it.

use std::time::Duration;

use upstox_login_sdk::webhook::NotifierServer;
use upstox_login_tests::*;

const PATH: &str = "/upstox/notify/s3cret-path";

fn payload() -> String {
    notifier::payload(CLIENT_ID, "AB1234", "webhook-access-token-0123").to_string()
}

/// The attacker holds `[::1]:PORT`: the receiver refuses to start, naming
/// that address, and leaves nothing listening on the IPv4 side.
#[tokio::test]
async fn localhost_with_its_ipv6_side_taken_is_refused_naming_it() {
    let Some((port, _attacker)) = port_taken_on_ipv6_only() else {
        eprintln!("skipped: this machine has no IPv6 loopback, so nothing can listen there");
        return;
    };
    let err = NotifierServer::bind_host("localhost", port, PATH)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!("[::1]:{port}")),
        "the taken address is named: {text}"
    );
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
}

/// On `localhost` (port 0: one free on both), a POST to either loopback
/// address reaches the receiver, and its URL says `localhost`.
#[tokio::test]
async fn localhost_is_both_loopback_addresses() {
    let server = NotifierServer::bind_host("localhost", 0, PATH)
        .await
        .unwrap();
    let port = server.local_addr().unwrap().port();
    assert_eq!(
        server.url().unwrap(),
        format!("http://localhost:{port}{PATH}")
    );
    let v6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    let profile = httpmock::MockServer::start_async().await;
    notifier::vouching_profile(&profile, "AB1234").await;
    let verifier = notifier::verifier(&profile.base_url(), "AB1234");
    let waiting = tokio::spawn(async move {
        let mut events = Vec::new();
        let result = server
            .wait_for_session_with(&verifier, Duration::from_secs(10), |e| events.push(e))
            .await;
        (result, events)
    });
    let http = reqwest::Client::new();
    if v6 {
        // A stray request on the IPv6 side is this receiver's to answer.
        let url = format!("http://[::1]:{port}/elsewhere");
        assert_eq!(http.post(url).send().await.unwrap().status(), 404);
    }
    let url = format!("http://127.0.0.1:{port}{PATH}");
    let answer = http.post(url).body(payload()).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let (result, events) = waiting.await.unwrap();
    result.expect("a session");
    assert_eq!(events.len(), usize::from(v6), "{events:?}");
}

/// Neither `localhost` nor an IP address: refused before listening.
#[tokio::test]
async fn another_host_name_is_refused() {
    assert!(NotifierServer::bind_host("example.com", 0, PATH)
        .await
        .is_err());
    assert!(
        NotifierServer::bind_host("[::1]", 0, PATH).await.is_ok() || {
            // No IPv6 loopback on this machine.
            std::net::TcpListener::bind("[::1]:0").is_err()
        }
    );
}
