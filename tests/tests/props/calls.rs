//! The three calls fed arbitrary answers through the raw server: `Ok` only
//! on a 200, otherwise the typed error the status calls for, never a secret.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::test_runner::{TestCaseError, TestRunner};
use upstox_login_sdk::error::BodyKind;
use upstox_login_sdk::{Error, LoginClient};
use upstox_login_tests::op::{Op, Outcome};
use upstox_login_tests::raw_server::RawServer;

use super::*;

/// The shared raw server answering every connection with the response set
/// last, on a runtime of its own (the properties are plain tests). It serves
/// at most `MAX_CONNECTIONS` and lives at most `LIFETIME`.
pub(crate) struct Server {
    _raw: RawServer,
    next: Arc<Mutex<Vec<u8>>>,
    client: LoginClient,
    rt: tokio::runtime::Runtime,
}

const MAX_CONNECTIONS: usize = 65_536;
const LIFETIME: Duration = Duration::from_secs(300);

impl Server {
    pub(crate) fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let next = Arc::new(Mutex::new(Vec::new()));
        let shared = next.clone();
        let raw = rt.block_on(RawServer::serve_for(
            MAX_CONNECTIONS,
            LIFETIME,
            move |mut conn| {
                let answer = shared.lock().map(|r| r.clone()).unwrap_or_default();
                async move {
                    let _ = tokio::time::timeout(Duration::from_secs(5), async {
                        conn.read_request().await;
                        conn.reply(&answer).await;
                    })
                    .await;
                }
            },
        ));
        let client = LoginClient::builder()
            .base_url(raw.base_url())
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client builds");
        Self {
            _raw: raw,
            next,
            client,
            rt,
        }
    }

    pub(crate) fn answer(&self, op: Op, response: Vec<u8>) -> Result<Outcome, Error> {
        *self.next.lock().expect("lock") = response;
        self.rt.block_on(op.call(&self.client))
    }
}

/// What the server sends: a status, maybe a content type, a body framed by
/// `Content-Length` or chunked.
#[derive(Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: Option<&'static str>,
    pub(crate) chunked: bool,
    pub(crate) body: Vec<u8>,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("chunked", &self.chunked)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

impl Answer {
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} Whatever\r\n", self.status).into_bytes();
        if let Some(ct) = self.content_type {
            out.extend_from_slice(format!("content-type: {ct}\r\n").as_bytes());
        }
        if self.chunked {
            out.extend_from_slice(b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n");
            if !self.body.is_empty() {
                out.extend_from_slice(format!("{:x}\r\n", self.body.len()).as_bytes());
                out.extend_from_slice(&self.body);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
        } else {
            out.extend_from_slice(
                format!(
                    "content-length: {}\r\nconnection: close\r\n\r\n",
                    self.body.len()
                )
                .as_bytes(),
            );
            out.extend_from_slice(&self.body);
        }
        out
    }
}

fn status() -> impl Strategy<Value = u16> {
    prop::sample::select(vec![
        200, 200, 200, 200, 201, 204, 301, 302, 307, 400, 401, 403, 404, 405, 406, 410, 418, 422,
        423, 429, 500, 502, 503, 599, 600, 999,
    ])
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop::sample::select(vec![
        None,
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("text/html; charset=UTF-8"),
        Some("text/plain"),
        Some("application/octet-stream"),
    ])
}

fn answer(body: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Answer> {
    (status(), content_type(), any::<bool>(), body).prop_map(
        |(status, content_type, chunked, body)| Answer {
            status,
            content_type,
            chunked,
            body,
        },
    )
}

/// Checks one outcome against what the status calls for.
fn check(op: Op, answer: &Answer, result: &Result<Outcome, Error>) -> Result<(), TestCaseError> {
    let status = answer.status;
    match result {
        Ok(outcome) => {
            prop_assert_eq!(status, 200, "only a 200 succeeds: {:?}", outcome);
            if let Outcome::Session(s) = outcome {
                let token = Some(s.access_token().secret());
                prop_assert!(
                    token.is_some_and(|t| !t.is_empty()),
                    "a session always has an access token"
                );
            }
        }
        Err(err) => {
            let shown = format!("{err}\n{err:?}");
            for secret in op.sent_secrets() {
                prop_assert!(
                    !shown.contains(&secret),
                    "the error shows the sent secret {:?}: {}",
                    secret,
                    shown
                );
            }
            match err {
                Error::InvalidResponse(e) => {
                    prop_assert_eq!(e.status, status);
                    prop_assert!(
                        !(300..600).contains(&status),
                        "an error status is Api or Redirect: {:?}",
                        e
                    );
                    // A 204 has no body, whatever follows its head.
                    let sent = if status == 204 { 0 } else { answer.body.len() };
                    prop_assert_eq!(e.body_len, sent);
                    if status != 200 {
                        prop_assert!(e.reason.contains("not documented"), "{}", e.reason);
                    }
                }
                Error::Api(e) => {
                    prop_assert_eq!(e.status, status);
                    if status == 200 {
                        prop_assert_eq!(&e.body_kind, &BodyKind::Envelope);
                    } else {
                        prop_assert!((400..600).contains(&status), "{:?}", e);
                        prop_assert_eq!(
                            e.body_kind == BodyKind::Envelope,
                            !e.errors.is_empty(),
                            "{:?}",
                            e
                        );
                        if answer.body.iter().all(u8::is_ascii_whitespace) {
                            prop_assert_eq!(&e.body_kind, &BodyKind::Empty);
                        }
                    }
                }
                Error::Redirect { status: s, .. } => {
                    prop_assert_eq!(*s, status);
                    prop_assert!((300..400).contains(&status));
                }
                other => prop_assert!(false, "unexpected error for {:?}: {:?}", answer, other),
            }
        }
    }
    Ok(())
}

pub(crate) fn run_network_property(op: Op, body: impl Strategy<Value = Vec<u8>>) {
    let server = Server::start();
    let mut runner = TestRunner::new(config(NETWORK_CASES));
    let result = runner.run(&answer(body), |a| {
        let result = server.answer(op, a.to_bytes());
        check(op, &a, &result)
    });
    if let Err(e) = result {
        panic!("{op:?}: {e}");
    }
}

#[test]
fn token_decoder_takes_arbitrary_bytes() {
    run_network_property(Op::Token, arbitrary_bytes());
}

#[test]
fn token_decoder_takes_arbitrary_json() {
    run_network_property(Op::Token, json_bytes());
}

#[test]
fn logout_decoder_takes_arbitrary_bytes() {
    run_network_property(Op::Logout, arbitrary_bytes());
}

#[test]
fn logout_decoder_takes_arbitrary_json() {
    run_network_property(Op::Logout, json_bytes());
}

#[test]
fn indie_decoder_takes_arbitrary_bytes() {
    run_network_property(Op::Indie, arbitrary_bytes());
}

#[test]
fn indie_decoder_takes_arbitrary_json() {
    run_network_property(Op::Indie, json_bytes());
}
