//! The simulator's notifier POST carries an access token: with proxy
//! variables in the environment (set by whoever started the process), it
//! still goes straight to the webhook on loopback, never to the "proxy", a
//! local listener that records whatever reaches it. The variables are
//! process-wide, so this binary has them to itself.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use upstox_login_sdk::simulator::Simulator;
use upstox_login_sdk::IndieTokenOptions;
use upstox_login_tests::raw::read_request;
use upstox_login_tests::*;

#[tokio::test]
async fn the_notifier_post_never_goes_through_a_proxy_from_the_environment() {
    let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        std::env::set_var(name, &proxy_url);
    }
    for name in ["NO_PROXY", "no_proxy"] {
        std::env::remove_var(name);
    }
    let sim = Simulator::start(&app()).await.unwrap();
    let hook = TcpListener::bind("127.0.0.1:0").await.unwrap();
    sim.set_notifier_url(format!("http://{}/hook", hook.local_addr().unwrap()));
    client(sim.base_url())
        .request_indie_token(&app(), IndieTokenOptions::default())
        .await
        .expect("the request is taken");

    let first = tokio::time::timeout(Duration::from_secs(5), async {
        tokio::select! {
            hooked = hook.accept() => Ok(hooked.unwrap().0),
            proxied = proxy.accept() => Err(proxied.unwrap().0),
        }
    })
    .await
    .expect("the notifier POST goes somewhere");
    let mut sock = match first {
        Ok(sock) => sock,
        Err(mut sock) => {
            let seen = String::from_utf8_lossy(&read_request(&mut sock).await).to_string();
            panic!("the notifier POST went to the proxy:\n{seen}");
        }
    };
    let sent = read_request(&mut sock).await;
    sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
    assert!(sent.starts_with(b"POST /hook HTTP/1.1\r\n"));
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
}
