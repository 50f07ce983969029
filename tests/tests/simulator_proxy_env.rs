//! The simulator's notifier POST carries an access token: with proxy
//! variables in the environment (set by whoever started the process), it
//! still goes straight to the webhook on loopback, never to the "proxy", a
//! local listener that records whatever reaches it. The variables are
//! process-wide, so this binary has them to itself.

use std::time::Duration;

use upstox_login_sdk::simulator::Simulator;
use upstox_login_sdk::IndieTokenOptions;
use upstox_login_tests::raw_server::RawServer;
use upstox_login_tests::*;

#[tokio::test]
async fn the_notifier_post_never_goes_through_a_proxy_from_the_environment() {
    // Both the shared raw server: the proxy records and never answers.
    let proxy = RawServer::serve(1, |mut conn| async move {
        conn.read_request().await;
    })
    .await;
    let proxy_url = proxy.base_url().to_string();
    for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        std::env::set_var(name, &proxy_url);
    }
    for name in ["NO_PROXY", "no_proxy"] {
        std::env::remove_var(name);
    }
    let sim = Simulator::start(&app()).await.unwrap();
    let hook = RawServer::reply(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".to_vec()).await;
    sim.set_notifier_url(format!("{}/hook", hook.base_url()));
    client(sim.base_url())
        .request_indie_token(&app(), IndieTokenOptions::default())
        .await
        .expect("the request is taken");

    let within = Duration::from_secs(5);
    let sent = tokio::select! {
        hooked = hook.wait_for_request(within) => hooked.expect("the notifier POST goes somewhere"),
        Some(seen) = proxy.wait_for_request(within) => {
            panic!("the notifier POST went to the proxy:\n{}", String::from_utf8_lossy(&seen))
        }
    };
    assert!(sent.starts_with(b"POST /hook HTTP/1.1\r\n"));
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
}
