//! Property tests: arbitrary bytes and arbitrary JSON fed to every response
//! decoder. Never a panic; always `Ok` or the typed error the status calls
//! for; never a secret of the call in the error's text.
//!
//! The three calls are fed through a tiny raw server on 127.0.0.1 (one per
//! property, bounded in connections and lifetime); the error envelope, the
//! notifier payload and the login callback are fed directly.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use upstox_login_sdk::error::BodyKind;
use upstox_login_sdk::{
    parse_callback, AccessToken, ApiErrorEntry, AuthorizationCode, ClientId, Error, ErrorCode,
    ErrorEnvelope, IndieTokenOptions, IndieTokenRequest, LoginClient, LogoutOutcome, NotifierError,
    NotifierPayload, Session, State,
};
use upstox_login_tests::raw::{drain, read_request};
use upstox_login_tests::*;

/// Cases per property that goes over the network.
const NETWORK_CASES: u32 = 96;
/// Cases per property that does not.
const LOCAL_CASES: u32 = 256;

/// `cases` unless `PROPTEST_CASES` asks for another number (a deeper run).
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        max_shrink_iters: 512,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// The calls, through a raw server
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Op {
    Token,
    Logout,
    Indie,
}

#[derive(Debug)]
enum Outcome {
    Session(Box<Session>),
    Logout(LogoutOutcome),
    Indie(IndieTokenRequest),
}

impl Op {
    async fn call(self, client: &LoginClient) -> Result<Outcome, Error> {
        match self {
            Op::Token => client
                .exchange_code(&app(), AuthorizationCode::new(CODE))
                .await
                .map(|s| Outcome::Session(Box::new(s))),
            Op::Logout => client
                .logout(&AccessToken::new(ACCESS_TOKEN))
                .await
                .map(Outcome::Logout),
            Op::Indie => client
                .request_indie_token(&app(), IndieTokenOptions::default())
                .await
                .map(Outcome::Indie),
        }
    }

    /// The secrets this call sends, in every spelling that could come back.
    fn sent_secrets(self) -> Vec<String> {
        let raw: &[&str] = match self {
            Op::Token => &[CLIENT_SECRET, CODE],
            Op::Logout => &[ACCESS_TOKEN],
            Op::Indie => &[CLIENT_SECRET],
        };
        raw.iter()
            .flat_map(|s| [s.to_string(), url_encode(s)])
            .collect()
    }
}

/// A raw HTTP server that answers every connection with the response set
/// last, on its own runtime. It serves at most `MAX_CONNECTIONS` and lives
/// at most `LIFETIME`; dropping it stops it.
struct Server {
    rt: tokio::runtime::Runtime,
    next: Arc<Mutex<Vec<u8>>>,
    client: LoginClient,
    task: tokio::task::JoinHandle<()>,
}

const MAX_CONNECTIONS: usize = 65_536;
const LIFETIME: Duration = Duration::from_secs(300);

impl Server {
    fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let next = Arc::new(Mutex::new(Vec::new()));
        let shared = next.clone();
        let task = rt.spawn(async move {
            let deadline = tokio::time::Instant::now() + LIFETIME;
            for _ in 0..MAX_CONNECTIONS {
                let Ok(Ok((mut sock, _))) =
                    tokio::time::timeout_at(deadline, listener.accept()).await
                else {
                    return;
                };
                let response = shared.lock().map(|r| r.clone()).unwrap_or_default();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(5), async {
                        read_request(&mut sock).await;
                        let _ = sock.write_all(&response).await;
                        let _ = sock.shutdown().await;
                        drain(&mut sock).await;
                    })
                    .await;
                });
            }
        });
        let client = LoginClient::builder()
            .base_url(base_url)
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client builds");
        Self {
            rt,
            next,
            client,
            task,
        }
    }

    fn answer(&self, op: Op, response: Vec<u8>) -> Result<Outcome, Error> {
        *self.next.lock().expect("lock") = response;
        self.rt.block_on(op.call(&self.client))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the server sends: a status, maybe a content type, a body framed by
/// `Content-Length` or chunked.
#[derive(Clone)]
struct Answer {
    status: u16,
    content_type: Option<&'static str>,
    chunked: bool,
    body: Vec<u8>,
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
    fn to_bytes(&self) -> Vec<u8> {
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

fn run_network_property(op: Op, body: impl Strategy<Value = Vec<u8>>) {
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

fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        // Mostly text, so that JSON-ish and HTML-ish bodies come up too.
        "[ -~\\t\\r\\n]{0,512}".prop_map(String::into_bytes),
        prop::collection::vec(
            prop::sample::select(b"{}[]\":,\\ 0aeflnrstu\x00\xff".to_vec()),
            0..256
        ),
    ]
}

// ---------------------------------------------------------------------------
// Arbitrary JSON
// ---------------------------------------------------------------------------

/// Field names the decoders know, so that generated objects hit them.
const KEYS: &[&str] = &[
    "email",
    "exchanges",
    "products",
    "broker",
    "user_id",
    "user_name",
    "order_types",
    "user_type",
    "poa",
    "ddpi",
    "is_active",
    "access_token",
    "extended_token",
    "expires_in",
    "token_type",
    "refresh_token",
    "refresh_token_expires_in",
    "status",
    "data",
    "errors",
    "error_code",
    "errorCode",
    "message",
    "property_path",
    "propertyPath",
    "invalid_value",
    "invalidValue",
    "authorization_expiry",
    "notifier_url",
    "cause",
    "stackTrace",
    "localizedMessage",
    "suppressed",
    "client_id",
    "expires_at",
    "issued_at",
    "message_type",
    "code",
    CLIENT_SECRET,
];

/// Strings that mean something to the decoders, and the secrets of the calls.
const WORDS: &[&str] = &[
    "",
    " ",
    "success",
    "error",
    "partial_success",
    "UDAPI100069",
    "UDAPI1017",
    "UDAPI999999",
    "Bearer",
    "access_token",
    "errors",
    "\"errors\"",
    "1795851000000",
    "NSE",
    "individual",
    CLIENT_ID,
    CLIENT_SECRET,
    CODE,
    ACCESS_TOKEN,
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any::<String>().prop_map(Value::String),
        prop::sample::select(WORDS).prop_map(|w| Value::String(w.to_string())),
    ]
}

/// A leaf that is not the access token (so that it may be shown).
fn leaf_but_the_token() -> impl Strategy<Value = Value> {
    leaf().prop_filter("not the token", |v| v != ACCESS_TOKEN)
}

fn object(values: impl Strategy<Value = Value>, size: usize) -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), values, 0..size)
        .prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect()))
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            object(inner, 8),
        ]
    })
}

/// Top-level bodies: mostly objects of known fields; sometimes an envelope.
fn json_document() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => arbitrary_json(),
        3 => object(arbitrary_json(), 12),
        2 => (
            prop::sample::select(vec![Value::Null, Value::from("error"), Value::from("success")]),
            prop::collection::vec(entry_object().prop_map(Value::Object), 0..3),
        )
            .prop_map(|(status, errors)| serde_json::json!({"status": status, "errors": errors})),
    ]
}

/// A JSON document as sent, sometimes cut short.
fn json_bytes() -> impl Strategy<Value = Vec<u8>> {
    (json_document(), any::<prop::sample::Index>(), any::<bool>()).prop_map(
        |(value, cut, truncate)| {
            let mut bytes = value.to_string().into_bytes();
            if truncate {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            bytes
        },
    )
}

// ---------------------------------------------------------------------------
// The three calls
// ---------------------------------------------------------------------------

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

fn unknown_fields() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("x_[a-z]{1,8}", arbitrary_json(), 0..4)
        .prop_map(|m| m.into_iter().collect())
}

fn ok_answer(body: &Value) -> Vec<u8> {
    Answer {
        status: 200,
        content_type: Some("application/json"),
        chunked: false,
        body: body.to_string().into_bytes(),
    }
    .to_bytes()
}

/// Well-typed success bodies, with values never seen and fields never
/// heard of, always decode, and decode to what was sent.
#[test]
fn well_typed_successes_with_unknown_fields_always_decode() {
    let server = Server::start();
    let mut runner = TestRunner::new(config(NETWORK_CASES));
    let strings = || prop::collection::vec(any::<String>(), 0..4);
    let token = (
        "[A-Za-z0-9._-]{1,64}",
        prop::option::of(any::<String>()),
        strings(),
        strings(),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<i64>()),
        unknown_fields(),
    );
    let result = runner.run(
        &token,
        |(access, user_id, exchanges, order_types, poa, expires_in, extra)| {
            let mut body = extra;
            body.insert("access_token".into(), Value::from(access.clone()));
            body.insert(
                "user_id".into(),
                serde_json::to_value(&user_id).unwrap_or_default(),
            );
            body.insert("exchanges".into(), Value::from(exchanges.clone()));
            body.insert("order_types".into(), Value::from(order_types.clone()));
            body.insert("poa".into(), serde_json::to_value(poa).unwrap_or_default());
            body.insert(
                "expires_in".into(),
                serde_json::to_value(expires_in).unwrap_or_default(),
            );
            let result = server.answer(Op::Token, ok_answer(&Value::Object(body)));
            let Ok(Outcome::Session(s)) = result else {
                return Err(TestCaseError::fail(format!("{result:?}")));
            };
            prop_assert_eq!(Some(s.access_token().secret()), Some(access.as_str()));
            prop_assert_eq!(s.user_id(), user_id.as_deref());
            prop_assert_eq!(s.exchanges(), &exchanges[..]);
            prop_assert_eq!(s.order_types(), &order_types[..]);
            prop_assert_eq!(s.poa(), poa);
            prop_assert_eq!(s.expires_in(), expires_in);
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("token: {e}");
    }

    let logout = (
        "[a-z_]{0,16}".prop_filter("not the error status", |s| s != "error"),
        prop::option::of(any::<bool>()),
        unknown_fields(),
    );
    let result = runner.run(&logout, |(status, data, extra)| {
        let mut body = extra;
        body.insert("status".into(), Value::from(status.clone()));
        body.insert(
            "data".into(),
            serde_json::to_value(data).unwrap_or_default(),
        );
        let result = server.answer(Op::Logout, ok_answer(&Value::Object(body)));
        let Ok(Outcome::Logout(o)) = result else {
            return Err(TestCaseError::fail(format!("{result:?}")));
        };
        prop_assert_eq!(o.status.as_deref(), Some(status.as_str()));
        prop_assert_eq!(o.revoked, data.unwrap_or(false));
        Ok(())
    });
    if let Err(e) = result {
        panic!("logout: {e}");
    }

    let indie = (
        prop::option::of(any::<String>()),
        prop::option::of(any::<String>()),
        unknown_fields(),
    );
    let result = runner.run(&indie, |(expiry, url, extra)| {
        let mut data = extra;
        data.insert(
            "authorization_expiry".into(),
            serde_json::to_value(&expiry).unwrap_or_default(),
        );
        data.insert(
            "notifier_url".into(),
            serde_json::to_value(&url).unwrap_or_default(),
        );
        let body = serde_json::json!({"status": "success", "data": data});
        let result = server.answer(Op::Indie, ok_answer(&body));
        let Ok(Outcome::Indie(r)) = result else {
            return Err(TestCaseError::fail(format!("{result:?}")));
        };
        prop_assert_eq!(r.authorization_expiry, expiry);
        prop_assert_eq!(r.notifier_url, url);
        Ok(())
    });
    if let Err(e) = result {
        panic!("indie: {e}");
    }
}

// ---------------------------------------------------------------------------
// Decoders fed directly
// ---------------------------------------------------------------------------

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The snake_case spelling unless it is absent or null, then the camelCase one.
fn either<'a>(obj: &'a Map<String, Value>, snake: &str, camel: &str) -> Option<&'a Value> {
    obj.get(snake)
        .filter(|v| !v.is_null())
        .or_else(|| obj.get(camel).filter(|v| !v.is_null()))
}

fn entry_object() -> impl Strategy<Value = Map<String, Value>> {
    let entry_key = prop_oneof![
        4 => prop::sample::select(vec![
            "error_code", "errorCode", "message", "property_path", "propertyPath",
            "invalid_value", "invalidValue",
        ])
        .prop_map(str::to_string),
        1 => any::<String>(),
    ];
    prop::collection::btree_map(entry_key, arbitrary_json(), 0..8)
        .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #![proptest_config(config(LOCAL_CASES))]

    /// Any bytes: the envelope decodes or fails cleanly, and what decodes
    /// survives a round trip through its own serialization.
    #[test]
    fn error_envelope_takes_arbitrary_bytes(body in prop_oneof![arbitrary_bytes(), json_bytes()]) {
        if let Ok(envelope) = serde_json::from_slice::<ErrorEnvelope>(&body) {
            let again: ErrorEnvelope = serde_json::from_value(
                serde_json::to_value(&envelope).expect("serializes"),
            ).expect("its own serialization decodes");
            prop_assert_eq!(again, envelope);
        }
    }

    /// Any JSON object is an entry: either spelling of each field, any JSON
    /// type for every value, snake_case winning when both are there.
    #[test]
    fn error_entry_takes_any_object(obj in entry_object()) {
        let entry: ApiErrorEntry = serde_json::from_value(Value::Object(obj.clone()))
            .expect("any object is an entry");
        let code = either(&obj, "error_code", "errorCode").and_then(text_of);
        prop_assert_eq!(entry.error_code.clone(), code.as_deref().map(ErrorCode::parse));
        prop_assert_eq!(entry.message.clone(), obj.get("message").and_then(text_of));
        prop_assert_eq!(
            entry.property_path.clone(),
            either(&obj, "property_path", "propertyPath").and_then(text_of)
        );
        prop_assert_eq!(
            entry.invalid_value.clone(),
            either(&obj, "invalid_value", "invalidValue").cloned()
        );
        if let Some(code) = &entry.error_code {
            prop_assert_eq!(ErrorCode::parse(code.as_str()), code.clone());
        }
    }

    /// Any JSON: the envelope decodes or fails cleanly.
    #[test]
    fn error_envelope_takes_arbitrary_json(value in json_document()) {
        let decoded = serde_json::from_value::<ErrorEnvelope>(value.clone());
        if let (Ok(envelope), true) = (decoded, value.is_object()) {
            let errors = value.get("errors").filter(|e| !e.is_null());
            prop_assert_eq!(envelope.errors.len(), errors.and_then(Value::as_array).map_or(0, Vec::len));
        }
    }

    /// Any bytes: a notifier payload parses or is refused as malformed, and
    /// the refusal never quotes the body.
    #[test]
    fn notifier_payload_takes_arbitrary_bytes(body in prop_oneof![arbitrary_bytes(), json_bytes()]) {
        match NotifierPayload::parse(&body) {
            Ok(payload) => {
                let shown = format!("{:?}", payload.access_token);
                prop_assert!(
                    payload.access_token.is_none() || shown == "Some(AccessToken([redacted]))",
                    "{}", shown
                );
            }
            Err(NotifierError::Malformed(m)) => {
                let (kind, place) = m.split_once(" at line ").expect("kind at line N column M");
                prop_assert!(
                    ["not JSON", "wrong shape", "truncated", "I/O error"].contains(&kind),
                    "{}", m
                );
                let (line, column) = place.split_once(" column ").expect("line N column M");
                prop_assert!(line.parse::<usize>().is_ok() && column.parse::<usize>().is_ok(), "{}", m);
            }
            Err(other) => prop_assert!(false, "parse only refuses as malformed: {:?}", other),
        }
    }

    /// A payload of the right shape with any values in its fields: parsed
    /// leniently, the token never shown, the client id checked exactly.
    #[test]
    fn notifier_payload_is_lenient_and_checks_the_client_id(
        client_id in prop_oneof![Just(CLIENT_ID.to_string()), any::<String>()],
        expires_at in prop_oneof![
            any::<u64>().prop_map(Value::from),
            any::<u64>().prop_map(|n| Value::from(n.to_string())),
            leaf_but_the_token(),
        ],
        issued_at in leaf_but_the_token(),
        extra in unknown_fields(),
    ) {
        let mut body = extra;
        body.insert("client_id".into(), Value::from(client_id.clone()));
        body.insert("access_token".into(), Value::from(ACCESS_TOKEN));
        body.insert("token_type".into(), Value::from("Bearer"));
        body.insert("expires_at".into(), expires_at.clone());
        body.insert("issued_at".into(), issued_at);
        let payload = NotifierPayload::parse(Value::Object(body).to_string().as_bytes())
            .expect("a payload of the right shape parses");
        let shown = format!("{payload:?}");
        prop_assert!(!shown.contains(ACCESS_TOKEN), "{}", shown);
        prop_assert_eq!(payload.expires_at.clone(), text_of(&expires_at));
        let millis = text_of(&expires_at).and_then(|s| s.trim().parse::<u64>().ok());
        prop_assert_eq!(
            payload.expires_at(),
            millis.and_then(|ms| std::time::UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
        );
        match payload.verify_client_id(&ClientId::new(CLIENT_ID)) {
            Ok(token) => {
                prop_assert_eq!(&client_id, CLIENT_ID);
                prop_assert_eq!(token.secret(), ACCESS_TOKEN);
            }
            Err(e) => {
                prop_assert_ne!(&client_id, CLIENT_ID);
                prop_assert_eq!(e, NotifierError::ClientIdMismatch);
            }
        }
    }

    /// Any string as a callback: never accepted without this login's state.
    #[test]
    fn callback_takes_arbitrary_strings(callback in prop_oneof![
        any::<String>(),
        "[ -~]{0,200}",
        "(https?://[a-z0-9.:]{0,20})?(/[a-z]{0,8})?\\?((code|state|error|error_description|x)=[A-Za-z0-9%+&=#?]{0,12}&?){0,5}",
    ]) {
        let state = State::random().expect("OS random");
        let result = parse_callback(&callback, &state);
        prop_assert!(result.is_err(), "accepted without the state: {:?}", callback);
        if let Err(e) = result {
            let shown = format!("{e} {e:?}");
            prop_assert!(!shown.contains(state.as_str()));
        }
    }

    /// A well-formed callback carrying this login's state gives back the
    /// code, whatever characters it holds and wherever it stands; with
    /// another state it is refused.
    #[test]
    fn callback_gives_back_any_code_with_the_right_state(
        code in any::<String>().prop_filter("non-empty", |c| !c.is_empty()),
        state in "[ -~]{1,64}",
        other in "[ -~]{1,64}",
        prefix in prop::sample::select(vec![
            "http://127.0.0.1:5055/callback?", "https://app.example/cb?x=1&", "/callback?", "",
        ]),
        code_first in any::<bool>(),
    ) {
        let pairs = [
            format!("code={}", url_encode(&code)),
            format!("state={}", url_encode(&state)),
        ];
        let query = if code_first {
            format!("{}&{}", pairs[0], pairs[1])
        } else {
            format!("{}&{}", pairs[1], pairs[0])
        };
        let callback = format!("{prefix}{query}");
        let got = parse_callback(&callback, &State::new(state.clone()));
        match got {
            Ok(c) => prop_assert_eq!(c.secret(), code.as_str()),
            Err(e) => prop_assert!(false, "{:?} refused: {:?}", callback, e),
        }
        if other != state {
            let refused = parse_callback(&callback, &State::new(other));
            prop_assert!(
                matches!(refused, Err(upstox_login_sdk::CallbackError::StateMismatch)),
                "{:?}", refused.map(|c| c.secret().to_string())
            );
        }
    }
}
