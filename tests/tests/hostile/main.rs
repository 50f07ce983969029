//! The hostile-response battery: every way a server (or whatever sits in
//! front of it) can answer badly, against local servers on 127.0.0.1.
//!
//! Each case asserts the exact `Error` variant (and its status, content type
//! or excerpt where that matters), that nothing panicked (the call returned
//! and the server task ended cleanly), and that neither the error's `Display`
//! nor its `Debug` shows a secret of the call.
//!
//! Ordinary answers come from httpmock; broken framing, resets, silence and
//! slowness come from the shared raw server ([`RawServer`]), bounded in
//! connections and time. One module per kind of bad answer; one binary.

mod base_url;
mod bodies;
mod caps;
mod connections;
mod content_types;
mod echoes;
mod encodings;
mod redirects;
mod statuses;

use std::time::{Duration, Instant};

use httpmock::prelude::*;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use upstox_login_sdk::error::{ApiError, BodyKind, InvalidResponse, EXCERPT_BYTES};
use upstox_login_sdk::{Error, ErrorCode, LoginClient};
use upstox_login_tests::op::{Op, Outcome};
use upstox_login_tests::raw_server::{response, RawServer};
use upstox_login_tests::*;

/// Every call, for the cases that hold for each.
const OPS: [Op; 3] = Op::ALL;

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
fn expect_api(result: Result<Outcome, Error>, status: u16, op: Op) -> ApiError {
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
        Ok(v) => panic!("{op:?}: expected Error::Api({status}), got Ok({v:?})"),
    }
}

#[track_caller]
fn expect_invalid(result: Result<Outcome, Error>, status: u16, op: Op) -> InvalidResponse {
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
        Ok(v) => panic!("{op:?}: expected Error::InvalidResponse({status}), got Ok({v:?})"),
    }
}

#[track_caller]
fn expect_transport(result: Result<Outcome, Error>, what: &str) -> Error {
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
        Ok(v) => panic!("{what}: expected Error::Transport, got Ok({v:?})"),
    }
}

#[track_caller]
fn expect_timeout(result: Result<Outcome, Error>, what: &str) {
    match result {
        Err(err @ Error::Timeout(_)) => {
            assert_no_secret(&err);
            assert!(err.to_string().contains("in time"), "{err}");
        }
        Err(other) => panic!("{what}: expected Error::Timeout, got {other:?}"),
        Ok(v) => panic!("{what}: expected Error::Timeout, got Ok({v:?})"),
    }
}

#[track_caller]
fn expect_too_large(result: Result<Outcome, Error>, status: u16, limit: usize) {
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
        Ok(v) => panic!("expected Error::BodyTooLarge, got Ok({v:?})"),
    }
}

#[track_caller]
fn expect_redirect(result: Result<Outcome, Error>, status: u16, location: Option<&str>) {
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
        Ok(v) => panic!("expected Error::Redirect({status}), got Ok({v:?})"),
    }
}

// ---------------------------------------------------------------------------
// Servers and clients
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
) -> Result<Outcome, Error> {
    let server = mock_answer(op, status, headers, body).await;
    op.call(&client(&server.base_url())).await
}

const JSON: (&str, &str) = ("content-type", "application/json");
const HTML: (&str, &str) = ("content-type", "text/html; charset=UTF-8");

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
