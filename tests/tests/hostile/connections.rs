//! Silence, slowness and broken connections: timeouts, resets, broken
//! framing and answers that are not HTTP.

use super::*;

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = RawServer::serve(1, |mut sock| async move {
        sock.read_request().await;
        sock.drain().await; // holds the connection until the client leaves
    })
    .await;
    let client = short_timeout_client(server.base_url(), Duration::from_millis(300));
    let started = Instant::now();
    expect_timeout(Op::Token.call(&client).await, "never answers");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert_eq!(server.finish().await, 1, "the code is sent once");
}

#[tokio::test]
async fn a_server_that_stalls_mid_body_times_out() {
    let server = RawServer::serve(1, |mut sock| async move {
        sock.read_request().await;
        let head = response(
            "200 OK",
            &[JSON, ("content-length", "100")],
            b"{\"status\":",
        );
        let _ = sock.write_all(&head).await;
        sock.drain().await;
    })
    .await;
    let client = short_timeout_client(server.base_url(), Duration::from_millis(300));
    expect_timeout(Op::Logout.call(&client).await, "stalls mid-body");
    assert_eq!(server.finish().await, 1);
}

/// A raw server that writes `answer` one byte at a time, `gap` apart.
async fn byte_by_byte(answer: Vec<u8>, gap: Duration) -> RawServer {
    RawServer::serve(1, move |mut sock| {
        let answer = answer.clone();
        async move {
            sock.read_request().await;
            for b in answer {
                if sock.write_all(&[b]).await.is_err() {
                    return; // the client gave up
                }
                tokio::time::sleep(gap).await;
            }
            let _ = sock.shutdown().await;
            sock.drain().await;
        }
    })
    .await
}

#[tokio::test]
async fn a_slow_byte_by_byte_answer_within_the_timeout_is_decoded() {
    let body = json!({"access_token": ACCESS_TOKEN, "user_id": "AB1234"}).to_string();
    let server = byte_by_byte(
        response("200 OK", &[JSON], body.as_bytes()),
        Duration::from_millis(4),
    )
    .await;
    let client = short_timeout_client(server.base_url(), Duration::from_secs(10));
    let out = Op::Token.call(&client).await.expect("slow but complete");
    let Outcome::Session(session) = out else {
        panic!("{out:?}")
    };
    assert_eq!(session.user_id(), Some("AB1234"));
    assert_eq!(server.finish().await, 1);
}

#[tokio::test]
async fn a_slow_byte_by_byte_answer_past_the_timeout_times_out() {
    let body = token_response().to_string();
    let server = byte_by_byte(
        response("200 OK", &[JSON], body.as_bytes()),
        Duration::from_millis(20),
    )
    .await;
    let client = short_timeout_client(server.base_url(), Duration::from_millis(400));
    let started = Instant::now();
    expect_timeout(Op::Token.call(&client).await, "byte by byte");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.finish().await, 1);
}

#[tokio::test]
async fn connection_reset_mid_body_is_a_transport_error() {
    let server = RawServer::serve(1, |mut sock| async move {
        sock.read_request().await;
        let head = response(
            "200 OK",
            &[JSON, ("content-length", "1000")],
            br#"{"email":"trader@example.com","access_token":"eyJ0eXAiOiJKV1Q"#,
        );
        let _ = sock.write_all(&head).await;
        let _ = sock.flush().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = sock.set_zero_linger(); // close with RST
    })
    .await;
    expect_transport(
        Op::Token.call(&client(server.base_url())).await,
        "reset mid-body",
    );
    assert_eq!(server.finish().await, 1);
}

#[tokio::test]
async fn connection_reset_before_any_answer_is_a_transport_error_and_not_retried() {
    let server = RawServer::serve(2, |mut sock| async move {
        sock.read_request().await;
        let _ = sock.set_zero_linger();
    })
    .await;
    expect_transport(Op::Token.call(&client(server.base_url())).await, "reset");
    assert_eq!(server.stop().await, 1, "a single-use code is sent once");
}

#[tokio::test]
async fn connection_closed_without_an_answer_is_a_transport_error_and_not_retried() {
    let server = RawServer::serve(2, |mut sock| async move {
        sock.read_request().await;
        let _ = sock.shutdown().await;
    })
    .await;
    expect_transport(Op::Token.call(&client(server.base_url())).await, "closed");
    assert_eq!(server.stop().await, 1, "a single-use code is sent once");
}

#[tokio::test]
async fn connection_refused_is_a_transport_connect_error() {
    // Bind, learn the port, close: nothing listens there any more.
    let base_url = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let err = expect_transport(Op::Logout.call(&client(&base_url)).await, "refused");
    let Error::Transport(t) = &err else {
        unreachable!()
    };
    assert!(t.is_connect(), "{err:?}");
}

/// A logout answered once with `headers` and `body` under a 200 is a
/// transport error: the framing is broken.
async fn broken_framing(headers: &[(&str, &str)], body: &[u8], what: &str) {
    let server = RawServer::reply(response("200 OK", headers, body)).await;
    expect_transport(Op::Logout.call(&client(server.base_url())).await, what);
    assert_eq!(server.finish().await, 1);
}

#[tokio::test]
async fn body_shorter_than_its_content_length_is_a_transport_error() {
    broken_framing(
        &[JSON, ("content-length", "200")],
        br#"{"status":"success","data":true}"#,
        "short body",
    )
    .await;
}

#[tokio::test]
async fn invalid_chunked_framing_is_a_transport_error() {
    broken_framing(
        &[JSON, ("transfer-encoding", "chunked")],
        b"zz\r\n{\"status\":\"success\"}\r\n0\r\n\r\n",
        "bad chunk",
    )
    .await;
}

#[tokio::test]
async fn conflicting_content_lengths_are_a_transport_error() {
    broken_framing(
        &[JSON, ("content-length", "5"), ("content-length", "32")],
        br#"{"status":"success","data":true}"#,
        "two lengths",
    )
    .await;
}

#[tokio::test]
async fn a_response_that_is_not_http_is_a_transport_error() {
    for garbage in [
        &b"SSH-2.0-OpenSSH_9.6\r\n"[..],
        &b"HTTP/1.1 OK\r\n\r\n"[..],
        &b"HTTP/1.1 2000 OK\r\ncontent-length: 0\r\n\r\n"[..],
        &b"\x00\x01\x02\x03\xff\xfe\r\n\r\n"[..],
    ] {
        let server = RawServer::reply(garbage.to_vec()).await;
        expect_transport(
            Op::Token.call(&client(server.base_url())).await,
            &String::from_utf8_lossy(garbage),
        );
        assert_eq!(server.finish().await, 1);
    }
}

#[tokio::test]
async fn too_many_headers_are_a_transport_error() {
    let names: Vec<String> = (0..200).map(|i| format!("x-junk-{i}")).collect();
    let headers: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let server = RawServer::reply(response("200 OK", &headers, b"{}")).await;
    expect_transport(Op::Logout.call(&client(server.base_url())).await, "headers");
    assert_eq!(server.finish().await, 1);
}
