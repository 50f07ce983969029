//! The base URL: plain HTTP only to loopback, and TLS to a server that
//! does not speak it.

use super::*;
use tokio::io::AsyncReadExt;

#[test]
fn plain_http_is_refused_for_a_host_that_is_not_loopback() {
    for url in [
        "http://example.com",
        "http://example.com:80/",
        "http://api.upstox.com",
        "http://10.0.0.1",
        "http://0.0.0.0",
        "http://localhost.example.com",
        "http://127.0.0.1.example.com",
        "http://[::2]",
    ] {
        match LoginClient::builder().base_url(url).build() {
            Err(Error::InvalidInput(m)) => assert!(m.contains("https"), "{url}: {m}"),
            other => panic!("{url}: expected Error::InvalidInput, got {other:?}"),
        }
    }
    for url in [
        "ftp://127.0.0.1",
        "not a url",
        "https://api.upstox.com?x=1",
        "https://api.upstox.com#f",
        // Looks like loopback, is example.com with a user name: refused for
        // the credentials, before the scheme is even looked at.
        "http://127.0.0.1@example.com",
        "https://user:pw@api.upstox.com",
    ] {
        match LoginClient::builder().base_url(url).build() {
            Err(Error::InvalidInput(_)) => {}
            other => panic!("{url}: expected Error::InvalidInput, got {other:?}"),
        }
    }
}

#[test]
fn plain_http_is_allowed_on_loopback_and_https_anywhere() {
    for url in [
        "http://127.0.0.1",
        "http://127.0.0.1:8080/prefix/",
        "http://127.10.20.30",
        "http://localhost",
        "http://LOCALHOST:9000",
        "http://[::1]",
        "http://[::1]:8080",
        "https://example.com",
        "https://api.upstox.com",
    ] {
        let built = LoginClient::builder().base_url(url).build();
        assert!(built.is_ok(), "{url}: {built:?}");
    }
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_transport_error() {
    let server = RawServer::serve(1, |mut sock| async move {
        // Whatever the TLS hello says, answer in plain HTTP.
        let mut hello = [0u8; 512];
        let _ = sock.read(&mut hello).await;
        let _ = sock
            .write_all(&response(
                "400 Bad Request",
                &[HTML],
                b"<html>plain http</html>",
            ))
            .await;
        let _ = sock.shutdown().await;
        sock.drain().await;
    })
    .await;
    let base_url = server.base_url().replace("http://", "https://");
    let started = Instant::now();
    expect_transport(
        Op::Token.call(&client(&base_url)).await,
        "https to plain http",
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.finish().await, 1);
}
