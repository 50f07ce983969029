//! Decoding what the service may send: unknown fields, values never seen,
//! missing fields, and every spelling of the error envelope.

use httpmock::prelude::*;
use serde_json::json;
use upstox_login_sdk::{AuthorizationCode, Error, ErrorCode, Session};
use upstox_login_tests::*;

async fn exchange(status: u16, body: serde_json::Value) -> Result<Session, Error> {
    let server = MockServer::start_async().await;
    token_endpoint(&server, status, body).await;
    client(&server.base_url())
        .exchange_code(&app(), AuthorizationCode::new(CODE))
        .await
}

#[tokio::test]
async fn unknown_fields_are_kept_and_survive_a_round_trip() {
    let mut body = token_response();
    body["brand_new_field"] = json!({"nested": [1, 2, 3]});
    body["another"] = json!(null);
    let session = exchange(200, body).await.expect("decodes");
    assert_eq!(session.user_id(), Some("AB1234"));
    assert_eq!(
        serde_json::Value::Object(session.extra().clone()),
        json!({"brand_new_field": {"nested": [1, 2, 3]}, "another": null})
    );
    let saved = serde_json::to_string(&session).expect("serializes");
    let loaded: Session = serde_json::from_str(&saved).expect("deserializes");
    assert_eq!(loaded, session);
    assert_eq!(loaded.extra(), session.extra());
    assert_eq!(loaded.issued_at(), session.issued_at());
    assert_eq!(loaded.expires_at(), session.expires_at());
}

#[tokio::test]
async fn values_never_seen_before_are_kept() {
    let mut body = token_response();
    body["exchanges"] = json!(["NSE", "NEWEX"]);
    body["order_types"] = json!(["MARKET", "ICEBERG"]);
    body["products"] = json!(["MTF", "FUTURE_PRODUCT"]);
    body["user_type"] = json!("corporate");
    let session = exchange(200, body).await.expect("decodes");
    assert_eq!(session.account().exchanges(), ["NSE", "NEWEX"]);
    assert_eq!(session.account().order_types(), ["MARKET", "ICEBERG"]);
    assert_eq!(session.account().products(), ["MTF", "FUTURE_PRODUCT"]);
    assert_eq!(session.account().user_type(), Some("corporate"));
}

#[tokio::test]
async fn missing_fields_decode_as_absent() {
    let session = exchange(200, json!({"access_token": ACCESS_TOKEN}))
        .await
        .expect("decodes");
    assert_eq!(Some(session.access_token().secret()), Some(ACCESS_TOKEN));
    assert!(session.account().exchanges().is_empty());
    assert_eq!(session.user_id(), None);
    assert_eq!(session.extended_token(), None);
}

#[tokio::test]
async fn a_session_without_access_token_is_an_invalid_response() {
    let err = exchange(200, json!({"user_id": "AB1234"}))
        .await
        .expect_err("no token");
    let Error::InvalidResponse(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status, 200);
    assert!(e.reason.contains("access_token"), "{}", e.reason);
}

async fn api_error(body: serde_json::Value) -> upstox_login_sdk::ApiError {
    match exchange(400, body).await {
        Err(Error::Api(e)) => e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn envelope_snake_case_only() {
    let e = api_error(json!({"status": "error", "errors": [{
        "error_code": "UDAPI1022", "message": "Code is required",
        "property_path": "code", "invalid_value": null}]}))
    .await;
    assert_eq!(e.code(), Some(&ErrorCode::CodeRequired));
    assert_eq!(e.entries()[0].property_path.as_deref(), Some("code"));
    assert_eq!(e.entries()[0].message.as_deref(), Some("Code is required"));
}

#[tokio::test]
async fn envelope_camel_case_only() {
    let e = api_error(json!({"status": "error", "errors": [{
        "errorCode": "UDAPI100068", "message": "mismatch",
        "propertyPath": "redirect_uri", "invalidValue": "http://x"}]}))
    .await;
    assert_eq!(e.code(), Some(&ErrorCode::RedirectUriMismatch));
    assert_eq!(
        e.entries()[0].property_path.as_deref(),
        Some("redirect_uri")
    );
    assert_eq!(e.entries()[0].invalid_value, Some(json!("http://x")));
}

#[tokio::test]
async fn envelope_both_spellings() {
    let e = api_error(envelope("UDAPI100016", "Invalid Credentials")).await;
    assert_eq!(e.entries().len(), 1);
    assert_eq!(e.code(), Some(&ErrorCode::InvalidCredentials));
}

#[tokio::test]
async fn envelope_several_errors_and_unknown_code() {
    let e = api_error(json!({"status": "error", "errors": [
        {"error_code": "UDAPI1017", "message": "API key required"},
        {"errorCode": "UDAPI999999", "message": "something new"},
        {"error_code": "UDAPI1024", "message": "secret required"}]}))
    .await;
    let codes: Vec<_> = e.entries().iter().map(|x| x.error_code.clone()).collect();
    assert_eq!(
        codes,
        [
            Some(ErrorCode::ApiKeyRequired),
            Some(ErrorCode::Other("UDAPI999999".into())),
            Some(ErrorCode::SecretRequired)
        ]
    );
    assert_eq!(
        ErrorCode::Other("UDAPI999999".into()).to_string(),
        "UDAPI999999"
    );
}

#[tokio::test]
async fn envelope_non_string_invalid_value() {
    for value in [
        json!(42),
        json!({"a": [1, true]}),
        json!([1, 2]),
        json!(false),
    ] {
        let e = api_error(json!({"status": "error", "errors": [
            {"error_code": "UDAPI1023", "message": "bad", "invalid_value": value.clone()}]}))
        .await;
        assert_eq!(e.entries()[0].invalid_value, Some(value));
    }
}

#[tokio::test]
async fn error_messages_say_what_to_do() {
    let e = api_error(envelope("UDAPI100069", "Invalid Auth code")).await;
    let text = e.to_string();
    assert!(
        text.contains("UDAPI100069") && text.contains("spent"),
        "{text}"
    );
    let e = api_error(envelope("UDAPI100050", "Invalid token used to access API")).await;
    assert!(e.to_string().contains("expired"), "{e}");
    let e = api_error(envelope(
        "UDAPI100068",
        "Check your client_id and redirect_uri",
    ))
    .await;
    assert!(e.to_string().contains("redirect URI"), "{e}");
}

#[tokio::test]
async fn null_lists_decode_as_empty() {
    let mut body = token_response();
    body["exchanges"] = json!(null);
    body["products"] = json!(null);
    body["order_types"] = json!(null);
    body["user_name"] = json!(null);
    body["poa"] = json!(null);
    let session = exchange(200, body)
        .await
        .expect("a null list must not waste the code");
    assert!(
        session.account().exchanges().is_empty()
            && session.account().products().is_empty()
            && session.account().order_types().is_empty()
    );
    assert_eq!(session.account().user_name(), None);
    assert_eq!(Some(session.access_token().secret()), Some(ACCESS_TOKEN));
}
