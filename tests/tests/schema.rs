//! The generated types' JSON Schemas (schemars) describe the wire: each
//! accepts the contract's example payloads and rejects a mistyped one.

use schemars::schema_for;
use serde_json::json;
use upstox_login_sdk::generated::types::{
    IndieUserInitTokenResponse, IndieUserTokenRequest, LogoutResponse, TokenRequest, TokenResponse,
};
use upstox_login_sdk::{ErrorEnvelope, NotifierPayload};
use upstox_login_tests::*;

fn validator<T: schemars::JsonSchema>() -> jsonschema::Validator {
    let schema = serde_json::to_value(schema_for!(T)).expect("schema serializes");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn token_response_schema() {
    let v = validator::<TokenResponse>();
    assert!(v.is_valid(&token_response()));
    assert!(v.is_valid(&json!({})), "nothing is required");
    assert!(
        !v.is_valid(&json!({"exchanges": "NSE"})),
        "exchanges is an array"
    );
    assert!(!v.is_valid(&json!({"poa": "false"})), "poa is a boolean");
    assert!(
        !v.is_valid(&json!({"access_token": 1})),
        "tokens are strings"
    );
}

#[test]
fn logout_response_schema() {
    let v = validator::<LogoutResponse>();
    assert!(v.is_valid(&json!({"status": "success", "data": true})));
    assert!(!v.is_valid(&json!({"status": "success", "data": "true"})));
}

#[test]
fn indie_schemas() {
    let v = validator::<IndieUserInitTokenResponse>();
    assert!(v.is_valid(&json!({"status": "success", "data": {
        "authorization_expiry": "1795851000000", "notifier_url": "https://example.com/hook"}})));
    assert!(!v.is_valid(&json!({"data": {"authorization_expiry": 1795851000000u64}})));
    let v = validator::<IndieUserTokenRequest>();
    assert!(v.is_valid(&json!({"client_secret": "s"})));
    assert!(!v.is_valid(&json!({})), "client_secret is required");
}

#[test]
fn token_request_schema() {
    let v = validator::<TokenRequest>();
    let good = json!({"code": "c", "client_id": "i", "client_secret": "s",
        "redirect_uri": REDIRECT_URI, "grant_type": "authorization_code"});
    assert!(v.is_valid(&good));
    let mut bad = good.clone();
    bad["grant_type"] = json!("refresh_token");
    assert!(!v.is_valid(&bad), "grant_type is always authorization_code");
}

#[test]
fn error_envelope_schema() {
    let v = validator::<ErrorEnvelope>();
    assert!(v.is_valid(&json!({"status": "error", "errors": [
        {"error_code": "UDAPI100069", "message": "m", "property_path": null, "invalid_value": 3}]})));
    assert!(!v.is_valid(&json!({"errors": "UDAPI100069"})));
}

/// The hand-written newtypes describe themselves: secrets are strings marked
/// `password` (so schema-driven UIs and docs mask them), the redirect URI a
/// `uri`, and `ClientId`, not a secret, a plain string.
#[test]
fn secret_newtypes_are_password_strings() {
    let request = serde_json::to_value(schema_for!(TokenRequest)).expect("schema serializes");
    let password = json!({"type": "string", "format": "password"});
    for name in ["ClientSecret", "AuthorizationCode"] {
        assert_eq!(request["$defs"][name], password, "{name}");
    }
    assert_eq!(
        request["$defs"]["RedirectUri"],
        json!({"type": "string", "format": "uri"})
    );
    assert_eq!(request["$defs"]["ClientId"]["type"], "string");
    assert_eq!(request["$defs"]["ClientId"].get("format"), None);
    let response = serde_json::to_value(schema_for!(TokenResponse)).expect("schema serializes");
    for name in ["AccessToken", "ExtendedToken", "RefreshToken"] {
        assert_eq!(response["$defs"][name], password, "{name}");
    }
}

/// The notifier webhook's payload: the contract's example (times as
/// strings) and times as numbers are valid, nothing is required, the token
/// is a `password` string and not a number.
#[test]
fn notifier_payload_schema() {
    let v = validator::<NotifierPayload>();
    let example = json!({"client_id": CLIENT_ID, "user_id": "AB1234", "access_token": ACCESS_TOKEN,
        "token_type": "Bearer", "expires_at": "1795851000000", "issued_at": "1795800000000",
        "message_type": "access_token"});
    assert!(v.is_valid(&example));
    assert!(v.is_valid(&json!({"expires_at": 1795851000000u64, "issued_at": null})));
    assert!(v.is_valid(&json!({})), "nothing is required");
    assert!(
        !v.is_valid(&json!({"access_token": 1})),
        "tokens are strings"
    );
    assert!(
        !v.is_valid(&json!({"expires_at": [1]})),
        "times are numbers or strings"
    );
    let schema = serde_json::to_value(schema_for!(NotifierPayload)).expect("schema serializes");
    assert_eq!(
        schema["$defs"]["AccessToken"],
        json!({"type": "string", "format": "password"})
    );
    // And the example parses as what the schema describes.
    NotifierPayload::parse(example.to_string().as_bytes()).expect("parses");
}
