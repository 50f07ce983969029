//! The hostile-response battery: every way a server (or whatever sits in
//! front of it) can answer badly, against local servers on 127.0.0.1.
//!
//! Each case asserts the exact `Error` variant (and its status, content type
//! or excerpt where that matters), that nothing panicked (the call returned
//! and the server task ended cleanly), and that neither the error's `Display`
//! nor its `Debug` shows a secret of the call.
//!
//! Ordinary answers come from httpmock; broken framing, resets, silence and
//! slowness come from a tiny raw server ([`serve`]) whose loop is bounded in
//! connections and time and stops by itself.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use httpmock::prelude::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use upstox_login_sdk::error::{ApiError, BodyKind, InvalidResponse, EXCERPT_BYTES};
use upstox_login_sdk::{
    AccessToken, AuthorizationCode, Error, ErrorCode, IndieTokenOptions, LoginClient,
};
use upstox_login_tests::raw::{drain, read_request};
use upstox_login_tests::*;

// ---------------------------------------------------------------------------
// The three calls
// ---------------------------------------------------------------------------

/// The operations that read a response body.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Token,
    Logout,
    Indie,
}

const OPS: [Op; 3] = [Op::Token, Op::Logout, Op::Indie];

impl Op {
    fn method(self) -> httpmock::Method {
        match self {
            Op::Token | Op::Indie => POST,
            Op::Logout => DELETE,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Op::Token => "/v2/login/authorization/token",
            Op::Logout => "/v2/logout",
            Op::Indie => "/v3/login/auth/token/request/a1b2-c3%20d4",
        }
    }

    /// The operation name errors carry.
    fn name(self) -> &'static str {
        match self {
            Op::Token => "token",
            Op::Logout => "logout",
            Op::Indie => "init_token_request_for_indie_user",
        }
    }

    /// A well-formed success body for this operation.
    fn success_body(self) -> serde_json::Value {
        match self {
            Op::Token => token_response(),
            Op::Logout => json!({"status": "success", "data": true}),
            Op::Indie => json!({"status": "success", "data": {
                "authorization_expiry": "1795851000000", "notifier_url": "https://example.com/hook"}}),
        }
    }

    /// Makes the call; `Ok` carries a short description of what came back.
    async fn call(self, client: &LoginClient) -> Result<String, Error> {
        match self {
            Op::Token => client
                .exchange_code(&app(), AuthorizationCode::new(CODE))
                .await
                .map(|s| format!("session for {:?}", s.user_id())),
            Op::Logout => client
                .logout(&AccessToken::new(ACCESS_TOKEN))
                .await
                .map(|o| format!("{o:?}")),
            Op::Indie => client
                .request_indie_token(&app(), IndieTokenOptions::default())
                .await
                .map(|r| format!("{r:?}")),
        }
    }
}

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

/// Fails if the error's text (Display, Debug, source chain) shows a secret
/// of the call, raw or form-encoded, or a token from the answer.
#[track_caller]
fn assert_no_secret(err: &Error) {
    let mut shown = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        shown.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    for secret in [
        CLIENT_SECRET.to_string(),
        url_encode(CLIENT_SECRET),
        CODE.to_string(),
        url_encode(CODE),
        ACCESS_TOKEN.to_string(),
        EXTENDED_TOKEN.to_string(),
    ] {
        assert!(
            !shown.contains(&secret),
            "the error shows the secret {secret:?}:\n{shown}"
        );
    }
}

#[track_caller]
fn expect_api(result: Result<String, Error>, status: u16, op: Op) -> ApiError {
    match result {
        Err(err) => {
            assert_no_secret(&err);
            assert_eq!(err.status(), Some(status), "{err:?}");
            match err {
                Error::Api(e) => {
                    assert_eq!(e.status, status, "{e:?}");
                    assert_eq!(e.operation, op.name(), "{e:?}");
                    assert!(e.to_string().contains(&status.to_string()), "{e}");
                    e
                }
                other => panic!("{op:?}: expected Error::Api({status}), got {other:?}"),
            }
        }
        Ok(v) => panic!("{op:?}: expected Error::Api({status}), got Ok({v})"),
    }
}

#[track_caller]
fn expect_invalid(result: Result<String, Error>, status: u16, op: Op) -> InvalidResponse {
    match result {
        Err(err) => {
            assert_no_secret(&err);
            assert_eq!(err.status(), Some(status), "{err:?}");
            match err {
                Error::InvalidResponse(e) => {
                    assert_eq!(e.status, status, "{e:?}");
                    assert_eq!(e.operation, op.name(), "{e:?}");
                    assert!(e.excerpt.len() <= EXCERPT_BYTES + 40, "{e:?}");
                    e
                }
                other => panic!("{op:?}: expected Error::InvalidResponse({status}), got {other:?}"),
            }
        }
        Ok(v) => panic!("{op:?}: expected Error::InvalidResponse({status}), got Ok({v})"),
    }
}

#[track_caller]
fn expect_transport(result: Result<String, Error>, what: &str) -> Error {
    match result {
        Err(err @ Error::Transport(_)) => {
            assert_no_secret(&err);
            assert_eq!(err.status(), None);
            assert!(
                err.to_string().starts_with("could not reach Upstox"),
                "{err}"
            );
            err
        }
        Err(other) => panic!("{what}: expected Error::Transport, got {other:?}"),
        Ok(v) => panic!("{what}: expected Error::Transport, got Ok({v})"),
    }
}

#[track_caller]
fn expect_timeout(result: Result<String, Error>, what: &str) {
    match result {
        Err(err @ Error::Timeout(_)) => {
            assert_no_secret(&err);
            assert!(err.to_string().contains("in time"), "{err}");
        }
        Err(other) => panic!("{what}: expected Error::Timeout, got {other:?}"),
        Ok(v) => panic!("{what}: expected Error::Timeout, got Ok({v})"),
    }
}

#[track_caller]
fn expect_too_large(result: Result<String, Error>, status: u16, limit: usize) {
    match result {
        Err(err @ Error::BodyTooLarge { .. }) => {
            assert_no_secret(&err);
            let Error::BodyTooLarge {
                status: s,
                limit: l,
                ..
            } = err
            else {
                unreachable!()
            };
            assert_eq!((s, l), (status, limit));
        }
        Err(other) => panic!("expected Error::BodyTooLarge, got {other:?}"),
        Ok(v) => panic!("expected Error::BodyTooLarge, got Ok({v})"),
    }
}

#[track_caller]
fn expect_redirect(result: Result<String, Error>, status: u16, location: Option<&str>) {
    match result {
        Err(err @ Error::Redirect { .. }) => {
            assert_no_secret(&err);
            assert_eq!(err.status(), Some(status));
            let Error::Redirect {
                status: s,
                location: l,
                ..
            } = err
            else {
                unreachable!()
            };
            assert_eq!((s, l.as_deref()), (status, location));
        }
        Err(other) => panic!("expected Error::Redirect({status}), got {other:?}"),
        Ok(v) => panic!("expected Error::Redirect({status}), got Ok({v})"),
    }
}

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

/// One canned answer from httpmock for `op`; returns the server.
async fn mock_answer(
    op: Op,
    status: u16,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
) -> MockServer {
    let server = MockServer::start_async().await;
    let body: Vec<u8> = body.into();
    server
        .mock_async(|when, then| {
            when.method(op.method()).path(op.path());
            let mut then = then.status(status);
            for (k, v) in headers {
                then = then.header(*k, *v);
            }
            then.body(body);
        })
        .await;
    server
}

/// Calls `op` against one canned httpmock answer.
async fn against(
    op: Op,
    status: u16,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
) -> Result<String, Error> {
    let server = mock_answer(op, status, headers, body).await;
    op.call(&client(&server.base_url())).await
}

const JSON: (&str, &str) = ("content-type", "application/json");
const HTML: (&str, &str) = ("content-type", "text/html; charset=UTF-8");

/// How long a raw server lives at most, whatever happens.
const SERVER_LIFETIME: Duration = Duration::from_secs(15);

/// A raw TCP server on 127.0.0.1:0 that hands at most `connections`
/// connections to a handler, one after the other, then stops; it also stops
/// after [`SERVER_LIFETIME`].
struct Raw {
    base_url: String,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

async fn serve<F, Fut>(connections: usize, handler: F) -> Raw
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let task = tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + SERVER_LIFETIME;
        for _ in 0..connections {
            let Ok(Ok((sock, _))) = tokio::time::timeout_at(deadline, listener.accept()).await
            else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            let _ = sock.set_nodelay(true);
            let _ = tokio::time::timeout_at(deadline, handler(sock)).await;
        }
    });
    Raw {
        base_url,
        accepted,
        task,
    }
}

impl Raw {
    /// Waits for the server to stop by itself and checks it did not panic.
    async fn finish(self) -> usize {
        tokio::time::timeout(SERVER_LIFETIME + Duration::from_secs(1), self.task)
            .await
            .expect("the server stops by itself")
            .expect("the server did not panic");
        self.accepted.load(Ordering::SeqCst)
    }

    /// Stops a server that was allowed more connections than it should get,
    /// after a grace period, and says how many it accepted.
    async fn stop(self) -> usize {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let n = self.accepted.load(Ordering::SeqCst);
        if self.task.is_finished() {
            self.task.await.expect("the server did not panic");
        } else {
            self.task.abort();
        }
        n
    }
}

/// An HTTP/1.1 response head and body; adds `Content-Length` unless a
/// framing header is given, and always `Connection: close`.
fn http(status_line: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status_line}\r\n").into_bytes();
    let framed = headers.iter().any(|(k, _)| {
        k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding")
    });
    for (k, v) in headers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    if !framed {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"connection: close\r\n\r\n");
    out.extend_from_slice(body);
    out
}

/// A raw server that reads the request, writes `bytes` and closes.
async fn raw_reply(bytes: Vec<u8>) -> Raw {
    serve(1, move |mut sock| {
        let bytes = bytes.clone();
        async move {
            read_request(&mut sock).await;
            let _ = sock.write_all(&bytes).await;
            let _ = sock.shutdown().await;
            drain(&mut sock).await;
        }
    })
    .await
}

fn short_timeout_client(base_url: &str, timeout: Duration) -> LoginClient {
    LoginClient::builder()
        .base_url(base_url)
        .timeout(timeout)
        .build()
        .expect("client builds")
}

fn capped_client(base_url: &str, max: usize) -> LoginClient {
    LoginClient::builder()
        .base_url(base_url)
        .timeout(Duration::from_secs(5))
        .max_body_bytes(max)
        .build()
        .expect("client builds")
}

const CLOUDFLARE_1010: &str = "<!DOCTYPE html>\n<html><head><title>Access denied | api.upstox.com used Cloudflare to restrict access</title></head>\n<body><h1>Error 1010</h1><p>The owner of this website (api.upstox.com) has banned your access based on your browser's signature.</p></body></html>";

// ---------------------------------------------------------------------------
// Bodies that are not what they should be
// ---------------------------------------------------------------------------

#[tokio::test]
async fn empty_body_on_200_is_an_invalid_response() {
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[JSON], "").await, 200, op);
        assert_eq!(e.body_len, 0);
        assert_eq!(e.excerpt, "");
        assert_eq!(e.content_type.as_deref(), Some("application/json"));
        assert!(e.reason.contains("EOF"), "{}", e.reason);
    }
}

#[tokio::test]
async fn whitespace_only_body_on_200_is_an_invalid_response() {
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[JSON], " \r\n\t ").await, 200, op);
        assert_eq!(e.body_len, 5);
    }
}

#[tokio::test]
async fn truncated_json_on_200_is_an_invalid_response_without_the_token() {
    // Cut inside the access token: what was received of it must not be kept.
    let full = token_response().to_string();
    let cut = full.find(ACCESS_TOKEN).expect("token in body") + ACCESS_TOKEN.len() - 3;
    let body = full[..cut].to_string();
    let e = expect_invalid(
        against(Op::Token, 200, &[JSON], body.clone()).await,
        200,
        Op::Token,
    );
    assert_eq!(e.body_len, body.len());
    assert!(e.reason.contains("EOF"), "{}", e.reason);
    assert!(e.excerpt.starts_with("{\"access_token\":"), "{}", e.excerpt);
    assert!(e.excerpt.contains("[redacted]"), "{}", e.excerpt);
    assert!(
        !e.excerpt.contains(&ACCESS_TOKEN[..ACCESS_TOKEN.len() - 3]),
        "{}",
        e.excerpt
    );

    // Cut after the extended token's value, before the closing brace.
    let cut = full.rfind('}').expect("closing brace");
    let e = expect_invalid(
        against(Op::Token, 200, &[JSON], full[..cut].to_string()).await,
        200,
        Op::Token,
    );
    assert!(e.excerpt.contains("[redacted]"), "{}", e.excerpt);

    for op in [Op::Logout, Op::Indie] {
        let body = op.success_body().to_string();
        let body = &body[..body.len() / 2];
        expect_invalid(against(op, 200, &[JSON], body.to_string()).await, 200, op);
    }
}

#[tokio::test]
async fn truncated_json_on_an_error_status_is_an_api_error_with_the_raw_body() {
    let body = envelope("UDAPI100069", "Invalid Auth code").to_string();
    let body = &body[..body.len() - 10];
    for op in OPS {
        let e = expect_api(against(op, 401, &[JSON], body.to_string()).await, 401, op);
        assert!(e.errors.is_empty());
        assert_eq!(
            e.body_kind,
            BodyKind::Other {
                content_type: Some("application/json".into())
            }
        );
        assert_eq!(e.body, body);
    }
}

#[tokio::test]
async fn json_of_the_wrong_shape_on_200_is_an_invalid_response() {
    let cases: &[(Op, serde_json::Value)] = &[
        (Op::Token, json!([])),
        (Op::Token, json!("a string")),
        (Op::Token, json!(42)),
        (Op::Token, json!(true)),
        (Op::Token, json!({"access_token": 5})),
        (
            Op::Token,
            json!({"access_token": ACCESS_TOKEN, "exchanges": "NSE"}),
        ),
        (
            Op::Token,
            json!({"access_token": ACCESS_TOKEN, "poa": "yes"}),
        ),
        (
            Op::Token,
            json!({"access_token": ACCESS_TOKEN, "expires_in": "soon"}),
        ),
        (Op::Logout, json!([])),
        (Op::Logout, json!({"status": "success", "data": "yes"})),
        (Op::Logout, json!({"status": 1, "data": true})),
        (Op::Indie, json!({"status": "success", "data": []})),
        (
            Op::Indie,
            json!({"status": "success", "data": {"notifier_url": 7}}),
        ),
    ];
    for (op, body) in cases {
        let e = expect_invalid(against(*op, 200, &[JSON], body.to_string()).await, 200, *op);
        assert!(
            e.reason.contains("invalid type") || e.reason.contains("invalid length"),
            "{body}: {}",
            e.reason
        );
        assert_eq!(e.body_len, body.to_string().len());
    }
}

#[tokio::test]
async fn json_of_the_wrong_shape_on_an_error_status_is_an_api_error_of_other_kind() {
    for body in [
        json!({"errors": "oops"}),
        json!({"status": "error", "errors": [1, 2]}),
        json!({"status": "error", "errors": {"error_code": "UDAPI100069"}}),
        json!(["UDAPI100069"]),
        json!({"message": "no stack trace, not a Java exception"}),
    ] {
        for op in OPS {
            let e = expect_api(against(op, 400, &[JSON], body.to_string()).await, 400, op);
            assert!(e.errors.is_empty(), "{body}");
            assert_eq!(
                e.body_kind,
                BodyKind::Other {
                    content_type: Some("application/json".into())
                },
                "{body}"
            );
            assert_eq!(e.body, body.to_string());
        }
    }
}

#[tokio::test]
async fn a_token_response_without_a_usable_token_is_an_invalid_response() {
    for body in [
        json!({"user_id": "AB1234"}),
        json!({"access_token": null, "user_id": "AB1234"}),
        json!({"access_token": "", "user_id": "AB1234"}),
        json!({}),
    ] {
        let e = expect_invalid(
            against(Op::Token, 200, &[JSON], body.to_string()).await,
            200,
            Op::Token,
        );
        assert!(e.reason.contains("access_token"), "{body}: {}", e.reason);
    }
}

#[tokio::test]
async fn an_unknown_error_code_echoing_a_secret_does_not_show_it() {
    let body = json!({"status": "error", "errors": [
        {"error_code": CLIENT_SECRET, "message": format!("bad code {CODE}")}]});
    let e = expect_api(
        against(Op::Token, 400, &[JSON], body.to_string()).await,
        400,
        Op::Token,
    );
    assert_eq!(e.code(), Some(&ErrorCode::Other("[redacted]".into())));
    assert_eq!(e.errors[0].message.as_deref(), Some("bad code [redacted]"));
}

#[tokio::test]
async fn an_envelope_with_an_empty_entry_keeps_the_entry() {
    let e = expect_api(
        against(
            Op::Token,
            400,
            &[JSON],
            r#"{"status":"error","errors":[{}]}"#,
        )
        .await,
        400,
        Op::Token,
    );
    assert_eq!(e.body_kind, BodyKind::Envelope);
    assert_eq!(e.errors.len(), 1);
    assert_eq!(e.code(), None);
}

#[tokio::test]
async fn json_null_is_an_invalid_response_on_200_and_an_api_error_otherwise() {
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[JSON], "null").await, 200, op);
        assert_eq!(e.excerpt, "null");
        assert!(e.reason.contains("null"), "{}", e.reason);
        let e = expect_api(against(op, 500, &[JSON], "null").await, 500, op);
        assert!(e.errors.is_empty());
        assert!(matches!(e.body_kind, BodyKind::Other { .. }), "{e:?}");
        assert_eq!(e.body, "null");
    }
}

#[tokio::test]
async fn html_page_with_200_is_an_invalid_response_with_its_content_type() {
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[HTML], CLOUDFLARE_1010).await, 200, op);
        assert_eq!(e.content_type.as_deref(), Some("text/html; charset=UTF-8"));
        assert!(e.excerpt.starts_with("<!DOCTYPE html>"), "{}", e.excerpt);
        assert_eq!(e.body_len, CLOUDFLARE_1010.len());
        let text = Error::InvalidResponse(e).to_string();
        assert!(
            text.contains("text/html") && text.contains("Error 1010"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn html_page_with_403_is_an_api_error_with_the_page() {
    for op in OPS {
        let e = expect_api(against(op, 403, &[HTML], CLOUDFLARE_1010).await, 403, op);
        assert!(e.errors.is_empty());
        assert_eq!(
            e.body_kind,
            BodyKind::Other {
                content_type: Some("text/html; charset=UTF-8".into())
            }
        );
        assert_eq!(e.body, CLOUDFLARE_1010);
        assert!(e.to_string().contains("text/html"), "{e}");
    }
}

#[tokio::test]
async fn html_page_with_502_is_an_api_error_with_the_page() {
    let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>";
    for op in OPS {
        let e = expect_api(against(op, 502, &[HTML], page).await, 502, op);
        assert_eq!(
            e.body_kind,
            BodyKind::Other {
                content_type: Some("text/html; charset=UTF-8".into())
            }
        );
        assert_eq!(e.body, page);
        // A failed token exchange may have spent the code: never "try again".
        let advice = e.advice().unwrap_or_default();
        if e.operation == "token" {
            assert!(advice.contains("start a new login"), "{advice}");
        } else {
            assert_eq!(advice, "Upstox had a problem: try again later");
        }
    }
}

#[tokio::test]
async fn missing_or_wrong_content_type_on_valid_json_is_decoded_by_its_body() {
    // The decoders go by the body, as the contract asks (parse leniently):
    // a JSON success under a missing or wrong Content-Type still succeeds.
    for headers in [
        &[][..],
        &[("content-type", "text/html")][..],
        &[("content-type", "text/plain; charset=iso-8859-1")][..],
        &[("content-type", "application/octet-stream")][..],
        &[("content-type", "")][..],
    ] {
        for op in OPS {
            let result = against(op, 200, headers, op.success_body().to_string()).await;
            assert!(result.is_ok(), "{op:?} {headers:?}: {result:?}");
        }
    }
}

#[tokio::test]
async fn missing_content_type_on_a_bad_body_is_reported_as_none() {
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[], "not json").await, 200, op);
        assert_eq!(e.content_type, None);
        assert!(Error::InvalidResponse(e)
            .to_string()
            .contains("no content type"));
        let e = expect_api(against(op, 400, &[], "Bad Request").await, 400, op);
        assert_eq!(e.body_kind, BodyKind::Other { content_type: None });
        assert!(e.to_string().contains("untyped"), "{e}");
    }
}

#[tokio::test]
async fn an_envelope_under_a_wrong_content_type_is_still_read() {
    for op in OPS {
        let e = expect_api(
            against(
                op,
                401,
                &[("content-type", "text/plain")],
                envelope("UDAPI100050", "Invalid token used to access API").to_string(),
            )
            .await,
            401,
            op,
        );
        assert_eq!(e.body_kind, BodyKind::Envelope);
        assert_eq!(e.code(), Some(&ErrorCode::InvalidToken));
    }
}

#[tokio::test]
async fn content_type_header_that_is_not_utf8_is_kept_lossily() {
    let mut response = b"HTTP/1.1 403 Forbidden\r\ncontent-type: text/html; charset=\xff\xfe\r\ncontent-length: 6\r\nconnection: close\r\n\r\n".to_vec();
    response.extend_from_slice(b"denied");
    let server = raw_reply(response).await;
    let e = expect_api(
        Op::Logout.call(&client(&server.base_url)).await,
        403,
        Op::Logout,
    );
    assert_eq!(
        e.body_kind,
        BodyKind::Other {
            content_type: Some("text/html; charset=\u{fffd}\u{fffd}".into())
        }
    );
    assert_eq!(e.body, "denied");
    assert_eq!(server.finish().await, 1);
}

#[tokio::test]
async fn invalid_utf8_body_on_200_is_an_invalid_response() {
    let body: &[u8] = b"\xff\xfe\x00garbage\xc3\x28";
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[JSON], body).await, 200, op);
        assert_eq!(e.body_len, body.len());
        assert!(e.excerpt.contains('\u{fffd}'), "{}", e.excerpt);
    }
}

#[tokio::test]
async fn invalid_utf8_inside_a_json_string_is_an_invalid_response() {
    let body: &[u8] = b"{\"access_token\":\"tok\xff\xfeen\",\"user_id\":\"AB\xc3\x28\"}";
    let e = expect_invalid(against(Op::Token, 200, &[JSON], body).await, 200, Op::Token);
    assert!(e.reason.contains("invalid unicode"), "{}", e.reason);
    assert!(
        !e.excerpt.contains("tok\u{fffd}") && e.excerpt.contains("[redacted]"),
        "the token is not kept: {}",
        e.excerpt
    );
    let body: &[u8] = b"{\"status\":\"succ\xffess\",\"data\":true}";
    expect_invalid(
        against(Op::Logout, 200, &[JSON], body).await,
        200,
        Op::Logout,
    );
}

#[tokio::test]
async fn invalid_utf8_on_an_error_status_is_an_api_error_with_a_lossy_body() {
    let body: &[u8] = b"<html>\xff\xfe upstream error</html>";
    for op in OPS {
        let e = expect_api(against(op, 401, &[HTML], body).await, 401, op);
        assert_eq!(e.body, "<html>\u{fffd}\u{fffd} upstream error</html>");
        assert!(matches!(e.body_kind, BodyKind::Other { .. }));
    }
}

#[tokio::test]
async fn a_huge_undecodable_body_keeps_only_an_excerpt() {
    // Words: a long run of letters could be a token, and would be blanked.
    let page = format!("<html>{}</html>", "a word ".repeat(15_000));
    let e = expect_invalid(
        against(Op::Token, 200, &[HTML], page.clone()).await,
        200,
        Op::Token,
    );
    assert_eq!(e.body_len, page.len());
    assert!(e.excerpt.len() < EXCERPT_BYTES + 40, "{}", e.excerpt.len());
    assert!(e.excerpt.ends_with("more bytes)"), "{}", e.excerpt);
}

// ---------------------------------------------------------------------------
// Bodies over the cap
// ---------------------------------------------------------------------------

#[tokio::test]
async fn content_length_over_the_default_cap_is_refused_without_reading() {
    // The head announces 1 MiB + 1 and the body never comes: the client must
    // refuse on the header alone, not wait for (or buffer) the body.
    let server = serve(1, |mut sock| async move {
        read_request(&mut sock).await;
        let head = http(
            "200 OK",
            &[JSON, ("content-length", &(1024 * 1024 + 1).to_string())],
            b"",
        );
        let _ = sock.write_all(&head).await;
        drain(&mut sock).await;
    })
    .await;
    let started = Instant::now();
    let result = Op::Token.call(&client(&server.base_url)).await;
    expect_too_large(result, 200, 1024 * 1024);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.finish().await, 1);
}

/// A raw server that sends `total` bytes of `fill` as a chunked body.
async fn chunked_server(status_line: &'static str, total: usize) -> Raw {
    serve(1, move |mut sock| async move {
        read_request(&mut sock).await;
        let head = http(status_line, &[JSON, ("transfer-encoding", "chunked")], b"");
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
        drain(&mut sock).await;
    })
    .await
}

#[tokio::test]
async fn chunked_body_over_the_default_cap_is_refused() {
    let server = chunked_server("200 OK", 1024 * 1024 + 1).await;
    expect_too_large(
        Op::Token.call(&client(&server.base_url)).await,
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
        Op::Logout.call(&client(&server.base_url)).await,
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
    assert!(outcome.contains("revoked: true"), "{outcome}");
}

#[tokio::test]
async fn custom_cap_with_a_chunked_error_body_is_refused() {
    let server = chunked_server("400 Bad Request", 65).await;
    expect_too_large(
        Op::Indie.call(&capped_client(&server.base_url, 64)).await,
        400,
        64,
    );
    assert_eq!(server.finish().await, 1);
}

// ---------------------------------------------------------------------------
// Encodings that were not asked for
// ---------------------------------------------------------------------------

/// `{"status":"success","data":true}`, gzipped.
const GZIPPED_LOGOUT: &[u8] = &[
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0x56, 0x2a, 0x2e, 0x49, 0x2c,
    0x29, 0x2d, 0x56, 0xb2, 0x52, 0x2a, 0x2e, 0x4d, 0x4e, 0x4e, 0x2d, 0x2e, 0x56, 0xd2, 0x51, 0x4a,
    0x49, 0x2c, 0x49, 0x54, 0xb2, 0x2a, 0x29, 0x2a, 0x4d, 0xad, 0x05, 0x00, 0x2b, 0x2e, 0x1c, 0x24,
    0x20, 0x00, 0x00, 0x00,
];

#[tokio::test]
async fn gzip_claimed_but_not_sent_is_an_invalid_response() {
    // The client never asks for gzip; a body labelled gzip is not what it
    // asked for, and the label says the bytes are not the JSON they look like.
    for op in OPS {
        let e = expect_invalid(
            against(
                op,
                200,
                &[JSON, ("content-encoding", "gzip")],
                op.success_body().to_string(),
            )
            .await,
            200,
            op,
        );
        assert!(e.reason.contains("gzip"), "{}", e.reason);
    }
}

#[tokio::test]
async fn gzip_sent_unasked_is_an_invalid_response() {
    let e = expect_invalid(
        against(
            Op::Logout,
            200,
            &[JSON, ("content-encoding", "gzip")],
            GZIPPED_LOGOUT,
        )
        .await,
        200,
        Op::Logout,
    );
    assert!(e.reason.contains("gzip"), "{}", e.reason);
    assert_eq!(e.body_len, GZIPPED_LOGOUT.len());
}

#[tokio::test]
async fn identity_content_encoding_is_fine() {
    for op in OPS {
        let result = against(
            op,
            200,
            &[JSON, ("content-encoding", "identity")],
            op.success_body().to_string(),
        )
        .await;
        assert!(result.is_ok(), "{op:?}: {result:?}");
    }
}

// ---------------------------------------------------------------------------
// Silence, slowness and broken connections
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = serve(1, |mut sock| async move {
        read_request(&mut sock).await;
        drain(&mut sock).await; // holds the connection until the client leaves
    })
    .await;
    let client = short_timeout_client(&server.base_url, Duration::from_millis(300));
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
    let server = serve(1, |mut sock| async move {
        read_request(&mut sock).await;
        let head = http(
            "200 OK",
            &[JSON, ("content-length", "100")],
            b"{\"status\":",
        );
        let _ = sock.write_all(&head).await;
        drain(&mut sock).await;
    })
    .await;
    let client = short_timeout_client(&server.base_url, Duration::from_millis(300));
    expect_timeout(Op::Logout.call(&client).await, "stalls mid-body");
    assert_eq!(server.finish().await, 1);
}

/// A raw server that writes `response` one byte at a time, `gap` apart.
async fn byte_by_byte(response: Vec<u8>, gap: Duration) -> Raw {
    serve(1, move |mut sock| {
        let response = response.clone();
        async move {
            read_request(&mut sock).await;
            for b in response {
                if sock.write_all(&[b]).await.is_err() {
                    return; // the client gave up
                }
                tokio::time::sleep(gap).await;
            }
            let _ = sock.shutdown().await;
            drain(&mut sock).await;
        }
    })
    .await
}

#[tokio::test]
async fn a_slow_byte_by_byte_answer_within_the_timeout_is_decoded() {
    let body = json!({"access_token": ACCESS_TOKEN, "user_id": "AB1234"}).to_string();
    let server = byte_by_byte(
        http("200 OK", &[JSON], body.as_bytes()),
        Duration::from_millis(4),
    )
    .await;
    let client = short_timeout_client(&server.base_url, Duration::from_secs(10));
    let out = Op::Token.call(&client).await.expect("slow but complete");
    assert_eq!(out, "session for Some(\"AB1234\")");
    assert_eq!(server.finish().await, 1);
}

#[tokio::test]
async fn a_slow_byte_by_byte_answer_past_the_timeout_times_out() {
    let body = token_response().to_string();
    let server = byte_by_byte(
        http("200 OK", &[JSON], body.as_bytes()),
        Duration::from_millis(20),
    )
    .await;
    let client = short_timeout_client(&server.base_url, Duration::from_millis(400));
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
    let server = serve(1, |mut sock| async move {
        read_request(&mut sock).await;
        let head = http(
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
        Op::Token.call(&client(&server.base_url)).await,
        "reset mid-body",
    );
    assert_eq!(server.finish().await, 1);
}

#[tokio::test]
async fn connection_reset_before_any_answer_is_a_transport_error_and_not_retried() {
    let server = serve(2, |mut sock| async move {
        read_request(&mut sock).await;
        let _ = sock.set_zero_linger();
    })
    .await;
    expect_transport(Op::Token.call(&client(&server.base_url)).await, "reset");
    assert_eq!(server.stop().await, 1, "a single-use code is sent once");
}

#[tokio::test]
async fn connection_closed_without_an_answer_is_a_transport_error_and_not_retried() {
    let server = serve(2, |mut sock| async move {
        read_request(&mut sock).await;
        let _ = sock.shutdown().await;
    })
    .await;
    expect_transport(Op::Token.call(&client(&server.base_url)).await, "closed");
    assert_eq!(server.stop().await, 1, "a single-use code is sent once");
}

#[tokio::test]
async fn connection_refused_is_a_transport_connect_error() {
    // Bind, learn the port, close: nothing listens there any more.
    let base_url = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
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
    let server = raw_reply(http("200 OK", headers, body)).await;
    expect_transport(Op::Logout.call(&client(&server.base_url)).await, what);
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
        let server = raw_reply(garbage.to_vec()).await;
        expect_transport(
            Op::Token.call(&client(&server.base_url)).await,
            &String::from_utf8_lossy(garbage),
        );
        assert_eq!(server.finish().await, 1);
    }
}

#[tokio::test]
async fn too_many_headers_are_a_transport_error() {
    let names: Vec<String> = (0..200).map(|i| format!("x-junk-{i}")).collect();
    let headers: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let server = raw_reply(http("200 OK", &headers, b"{}")).await;
    expect_transport(Op::Logout.call(&client(&server.base_url)).await, "headers");
    assert_eq!(server.finish().await, 1);
}

// ---------------------------------------------------------------------------
// Statuses
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_200_carrying_the_error_envelope_is_an_api_error() {
    for op in OPS {
        let e = expect_api(
            against(
                op,
                200,
                &[JSON],
                envelope("UDAPI100069", "Invalid Auth code").to_string(),
            )
            .await,
            200,
            op,
        );
        assert_eq!(e.body_kind, BodyKind::Envelope);
        assert_eq!(e.code(), Some(&ErrorCode::InvalidCodeOrCredentials));
        assert_eq!(e.errors[0].message.as_deref(), Some("Invalid Auth code"));
    }
    // `errors` present but empty, with status error: still an error.
    let e = expect_api(
        against(
            Op::Logout,
            200,
            &[JSON],
            r#"{"status":"error","errors":[],"data":true}"#,
        )
        .await,
        200,
        Op::Logout,
    );
    assert!(e.errors.is_empty());
    assert_eq!(e.body_kind, BodyKind::Envelope);
}

#[tokio::test]
async fn undocumented_statuses_are_invalid_responses() {
    for (status, body) in [
        (201, token_response().to_string()),
        (204, String::new()),
        (299, token_response().to_string()),
        (999, String::new()),
    ] {
        let e = expect_invalid(
            against(Op::Token, status, &[JSON], body.clone()).await,
            status,
            Op::Token,
        );
        assert!(
            e.reason.contains("not documented"),
            "{status}: {}",
            e.reason
        );
        assert_eq!(e.body_len, body.len());
    }
}

/// Runs one documented error status against every operation, with the
/// envelope and with no body at all.
async fn documented_status(status: u16, code: &str) {
    let with = MockServer::start_async().await;
    let without = MockServer::start_async().await;
    for op in OPS {
        with.mock_async(|when, then| {
            when.method(op.method()).path(op.path());
            then.status(status)
                .header("content-type", "application/json")
                .json_body(envelope(code, "documented error"));
        })
        .await;
        without
            .mock_async(|when, then| {
                when.method(op.method()).path(op.path());
                then.status(status);
            })
            .await;
    }
    for op in OPS {
        let e = expect_api(op.call(&client(&with.base_url())).await, status, op);
        assert_eq!(e.body_kind, BodyKind::Envelope);
        assert_eq!(e.errors.len(), 1);
        assert_eq!(e.code(), Some(&ErrorCode::parse(code)));
        assert!(e.to_string().contains(code), "{e}");

        let e = expect_api(op.call(&client(&without.base_url())).await, status, op);
        assert_eq!(e.body_kind, BodyKind::Empty);
        assert!(e.errors.is_empty());
        assert_eq!(e.body, "");
        assert!(e.to_string().contains("no body"), "{e}");
    }
}

macro_rules! documented_statuses {
    ($($name:ident: $status:literal $code:literal;)*) => {$(
        #[tokio::test]
        async fn $name() {
            documented_status($status, $code).await;
        }
    )*};
}

documented_statuses! {
    status_400_with_and_without_a_body: 400 "UDAPI1022";
    status_401_with_and_without_a_body: 401 "UDAPI100050";
    status_403_with_and_without_a_body: 403 "UDAPI100067";
    status_404_with_and_without_a_body: 404 "UDAPI100060";
    status_405_with_and_without_a_body: 405 "UDAPI10000";
    status_406_with_and_without_a_body: 406 "UDAPI10000";
    status_410_with_and_without_a_body: 410 "UDAPI100060";
    status_422_with_and_without_a_body: 422 "UDAPI1023";
    status_423_with_and_without_a_body: 423 "UDAPI100073";
    status_429_with_and_without_a_body: 429 "UDAPI10005";
    status_500_with_and_without_a_body: 500 "UDAPI100500";
    status_503_with_and_without_a_body: 503 "UDAPI100500";
}

#[tokio::test]
async fn java_exception_on_logout_401_is_an_api_error_of_that_kind() {
    let body = json!({
        "cause": null,
        "stackTrace": [{"methodName": "validate", "fileName": "OAuthValidator.java",
                        "lineNumber": 88, "className": "com.upstox.oauth.OAuthValidator",
                        "nativeMethod": false}],
        "message": "Invalid token used to access API",
        "localizedMessage": "Invalid token used to access API",
        "suppressed": []
    });
    let server = mock_answer(Op::Logout, 401, &[JSON], body.to_string()).await;
    let e = expect_api(
        Op::Logout.call(&client(&server.base_url())).await,
        401,
        Op::Logout,
    );
    assert_eq!(
        e.body_kind,
        BodyKind::JavaException {
            message: Some("Invalid token used to access API".into())
        }
    );
    assert!(e.errors.is_empty());
    let text = e.to_string();
    assert!(text.contains("Invalid token used to access API"), "{text}");
    assert!(text.contains("log in again"), "{text}");
}

#[tokio::test]
async fn java_exception_echoing_the_token_does_not_show_it() {
    let body = json!({
        "cause": null, "stackTrace": [], "suppressed": [],
        "message": null,
        "localizedMessage": format!("Token {ACCESS_TOKEN} is revoked"),
    });
    let server = mock_answer(Op::Logout, 401, &[JSON], body.to_string()).await;
    let e = expect_api(
        Op::Logout.call(&client(&server.base_url())).await,
        401,
        Op::Logout,
    );
    assert_eq!(
        e.body_kind,
        BodyKind::JavaException {
            message: Some("Token [redacted] is revoked".into())
        }
    );
}

// ---------------------------------------------------------------------------
// Redirects
// ---------------------------------------------------------------------------

#[tokio::test]
async fn redirects_are_reported_and_never_followed() {
    let target = MockServer::start_async().await;
    let stolen = target
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(token_response());
        })
        .await;
    let location = target.url("/stolen");
    for status in [301u16, 302, 303, 307, 308] {
        for op in OPS {
            let result = against(op, status, &[("location", &location)], "").await;
            expect_redirect(result, status, Some(&location));
        }
    }
    assert_eq!(stolen.calls_async().await, 0, "a redirect was followed");
}

#[tokio::test]
async fn a_redirect_without_location_is_reported() {
    for op in OPS {
        expect_redirect(against(op, 302, &[], "").await, 302, None);
    }
}

#[tokio::test]
async fn a_redirect_echoing_the_code_does_not_show_it() {
    let location = format!("https://login.example.com/?code={}&x=1", url_encode(CODE));
    let result = against(Op::Token, 302, &[("location", &location)], "").await;
    expect_redirect(
        result,
        302,
        Some("https://login.example.com/?code=[redacted]&x=1"),
    );
}

// ---------------------------------------------------------------------------
// Secrets echoed back
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_error_page_echoing_the_request_does_not_show_its_secrets() {
    // A WAF page that echoes the form it blocked, and the secret again
    // percent-encoded the way a path or a query would be (`%20` for space).
    let pct20 = url_encode(CLIENT_SECRET).replace('+', "%20");
    let page = format!(
        "<html>blocked: {} / secret={pct20}</html>",
        token_form_body("")
    );
    let e = expect_api(against(Op::Token, 403, &[HTML], page).await, 403, Op::Token);
    // The form is a run long enough to hold a token: blanked whole.
    assert_eq!(
        e.body,
        "<html>blocked: [redacted] / secret=[redacted]</html>"
    );
}

#[tokio::test]
async fn an_envelope_echoing_the_secret_in_json_escapes_does_not_show_it() {
    // Gson, say, escapes `&`, `=` and `/`: the raw body hides the secret from
    // a plain search, the decoded one does not.
    let escaped = CLIENT_SECRET
        .replace('&', "\\u0026")
        .replace('=', "\\u003d")
        .replace('/', "\\/");
    let body = format!(
        r#"{{"status":"error","errors":[{{"errorCode":"UDAPI100069","message":"bad","invalidValue":"{escaped}","propertyPath":"secret"}}]}}"#
    );
    let e = expect_api(against(Op::Indie, 401, &[JSON], body).await, 401, Op::Indie);
    assert_eq!(e.errors[0].invalid_value, Some(json!("[redacted]")));
    assert!(!e.body.contains(&escaped), "{}", e.body);
    let decoded: serde_json::Value = serde_json::from_str(&e.body).expect("the body is JSON");
    assert!(!decoded.to_string().contains(CLIENT_SECRET), "{}", e.body);
}

#[tokio::test]
async fn an_undecodable_success_body_does_not_show_the_tokens_it_carries() {
    // A token response with one bad field: valid JSON, wrong shape.
    let mut body = token_response();
    body["poa"] = json!("maybe");
    let e = expect_invalid(
        against(Op::Token, 200, &[JSON], body.to_string()).await,
        200,
        Op::Token,
    );
    assert!(e.excerpt.contains("[redacted]"), "{}", e.excerpt);
    // Not JSON at all, but with the tokens in it.
    let body = format!(
        "<pre>access_token: x\n\"access_token\" : \"{ACCESS_TOKEN}\", \"extended_token\":\"{EXTENDED_TOKEN}\"</pre>"
    );
    let e = expect_invalid(against(Op::Token, 200, &[HTML], body).await, 200, Op::Token);
    assert!(e.excerpt.contains("[redacted]"), "{}", e.excerpt);
}

// ---------------------------------------------------------------------------
// The base URL
// ---------------------------------------------------------------------------

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
    let server = serve(1, |mut sock| async move {
        // Whatever the TLS hello says, answer in plain HTTP.
        let mut hello = [0u8; 512];
        let _ = sock.read(&mut hello).await;
        let _ = sock
            .write_all(&http(
                "400 Bad Request",
                &[HTML],
                b"<html>plain http</html>",
            ))
            .await;
        let _ = sock.shutdown().await;
        drain(&mut sock).await;
    })
    .await;
    let base_url = server.base_url.replace("http://", "https://");
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
