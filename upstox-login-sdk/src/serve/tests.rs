//! The serve loop as its callers rely on it: framing headers stay visible,
//! a client that shuts its sending side is still answered, and the limits
//! answer what they refuse.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{Incoming, Limits, Server};

const LIMITS: Limits = Limits {
    head: 16 * 1024,
    body: Some(64),
};

/// A server on a free port, and its address.
async fn server() -> (Server, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    (Server::new(listener, None, LIMITS), address)
}

/// Sends `raw`, shuts the sending side, and reads the answer to its end.
async fn exchange(address: std::net::SocketAddr, raw: &[u8]) -> String {
    let mut sock = TcpStream::connect(address).await.unwrap();
    sock.write_all(raw).await.unwrap();
    sock.shutdown().await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_chunked_request_shows_its_transfer_encoding_and_is_answered_after_a_half_close() {
    let (mut server, address) = server().await;
    let client = tokio::spawn(exchange(
        address,
        b"POST /t?q=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    ));
    let Incoming::Request(request, responder) = server.next().await else {
        panic!("a request");
    };
    assert_eq!(request.header("transfer-encoding"), Some("chunked"));
    assert_eq!(request.header_count("host"), 1);
    assert_eq!((request.method.as_str(), request.path()), ("POST", "/t"));
    assert_eq!(request.body, b"abc");
    responder.send_and_wait(201, &[("x-a", "b")], "done").await;
    let answer = client.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201 "), "{answer}");
    assert!(answer.ends_with("\r\n\r\ndone"), "{answer}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_and_told() {
    let (mut server, address) = server().await;
    let client = tokio::spawn(exchange(
        address,
        b"POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n",
    ));
    let Incoming::Unreadable(why) = server.next().await else {
        panic!("refused");
    };
    assert_eq!(why, "a body over 64 bytes");
    assert!(client.await.unwrap().starts_with("HTTP/1.1 413 "));
}
