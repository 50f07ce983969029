//! Property tests: arbitrary bytes and arbitrary JSON fed to every response
//! decoder. Never a panic; always `Ok` or the typed error the status calls
//! for; never a secret of the call in the error's text.
//!
//! The three calls are fed through the shared raw server on 127.0.0.1 (one
//! per property, bounded in connections and lifetime); the error envelope,
//! the notifier payload and the login callback are fed directly. This file
//! holds the generators; one module per decoder; one binary.

mod callback;
mod calls;
mod envelope;
mod notifier;
mod successes;

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value};
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

fn unknown_fields() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("x_[a-z]{1,8}", arbitrary_json(), 0..4)
        .prop_map(|m| m.into_iter().collect())
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
