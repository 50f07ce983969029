//! Bodies over the cap, announced or chunked, with the default cap and a
//! custom one.

use super::*;

#[tokio::test]
async fn content_length_over_the_default_cap_is_refused_without_reading() {
    // The head announces 1 MiB + 1 and the body never comes: the client must
    // refuse on the header alone, not wait for (or buffer) the body.
    let server = RawServer::serve(1, |mut sock| async move {
        sock.read_request().await;
        let head = response(
            "200 OK",
            &[JSON, ("content-length", &(1024 * 1024 + 1).to_string())],
            b"",
        );
        let _ = sock.write_all(&head).await;
        sock.drain().await;
    })
    .await;
    let started = Instant::now();
    let result = Op::Token.call(&client(server.base_url())).await;
    expect_too_large(result, 200, 1024 * 1024);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.finish().await, 1);
}

/// A raw server that sends `total` bytes of `fill` as a chunked body.
async fn chunked_server(status_line: &'static str, total: usize) -> RawServer {
    RawServer::serve(1, move |mut sock| async move {
        sock.read_request().await;
        let head = response(status_line, &[JSON, ("transfer-encoding", "chunked")], b"");
        if sock.write_all(&head).await.is_err() {
            return;
        }
        let mut sent = 0;
        while sent < total {
            let n = (total - sent).min(16 * 1024);
            let mut chunk = format!("{n:x}\r\n").into_bytes();
            chunk.extend(std::iter::repeat_n(b' ', n));
            chunk.extend_from_slice(b"\r\n");
            if sock.write_all(&chunk).await.is_err() {
                return; // the client gave up, as it should
            }
            sent += n;
        }
        let _ = sock.write_all(b"0\r\n\r\n").await;
        sock.drain().await;
    })
    .await
}

#[tokio::test]
async fn chunked_body_over_the_default_cap_is_refused() {
    let server = chunked_server("200 OK", 1024 * 1024 + 1).await;
    expect_too_large(
        Op::Token.call(&client(server.base_url())).await,
        200,
        1024 * 1024,
    );
    assert_eq!(server.finish().await, 1);
}

#[tokio::test]
async fn chunked_body_at_the_default_cap_is_read() {
    // Exactly 1 MiB of whitespace is read in full: an (undecodable) answer,
    // not BodyTooLarge.
    let server = chunked_server("200 OK", 1024 * 1024).await;
    let e = expect_invalid(
        Op::Logout.call(&client(server.base_url())).await,
        200,
        Op::Logout,
    );
    assert_eq!(e.body_len, 1024 * 1024);
    assert_eq!(server.finish().await, 1);
}

#[tokio::test]
async fn custom_cap_with_content_length_refuses_one_byte_over_and_reads_the_cap() {
    let body = json!({"status": "success", "data": true}).to_string();
    let n = body.len();
    let server = mock_answer(Op::Logout, 200, &[JSON], body).await;
    expect_too_large(
        Op::Logout
            .call(&capped_client(&server.base_url(), n - 1))
            .await,
        200,
        n - 1,
    );
    let outcome = Op::Logout
        .call(&capped_client(&server.base_url(), n))
        .await
        .expect("a body of exactly the cap is read");
    assert!(
        matches!(outcome, Outcome::Logout(ref o) if o.revoked),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn custom_cap_with_a_chunked_error_body_is_refused() {
    let server = chunked_server("400 Bad Request", 65).await;
    expect_too_large(
        Op::Indie.call(&capped_client(server.base_url(), 64)).await,
        400,
        64,
    );
    assert_eq!(server.finish().await, 1);
}
