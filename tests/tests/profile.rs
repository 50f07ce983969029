//! `LoginClient::profile`: `GET /v2/user/profile` with the bearer token, the
//! account decoded (unknown fields kept), `UDAPI100050` and `UDAPI100058`
//! typed. (The token in no log line: `profile_secrets.rs`.)

use httpmock::prelude::*;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use upstox_login_sdk::{AccessToken, Error, ErrorCode};
use upstox_login_tests::raw::read_request;
use upstox_login_tests::*;

const PROFILE: &str = "/v2/user/profile";

fn profile_answer() -> serde_json::Value {
    json!({"status": "success", "data": {
        "email": "trader@example.com", "exchanges": ["NSE", "NFO", "NEWX"],
        "products": ["D", "I"], "broker": "UPSTOX", "user_id": "AB1234",
        "user_name": "A Trader", "order_types": ["MARKET", "LIMIT"],
        "user_type": "individual", "poa": false, "ddpi": true, "is_active": true,
        "brand_new": {"nested": 1}
    }})
}

#[tokio::test]
async fn profile_sends_a_get_with_the_bearer_token_and_decodes_the_account() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PROFILE)
                .header("authorization", format!("Bearer {ACCESS_TOKEN}"))
                .header("accept", "application/json")
                .header("api-version", "2.0")
                .header_missing("content-type");
            then.status(200).json_body(profile_answer());
        })
        .await;
    let profile = client(&server.base_url())
        .profile(&AccessToken::new(ACCESS_TOKEN))
        .await
        .expect("the profile");
    mock.assert_async().await;
    assert_eq!(profile.user_id(), Some("AB1234"));
    assert_eq!(profile.account().user_name(), Some("A Trader"));
    assert_eq!(profile.account().email(), Some("trader@example.com"));
    assert_eq!(profile.account().broker(), Some("UPSTOX"));
    assert_eq!(profile.account().user_type(), Some("individual"));
    assert_eq!(profile.account().exchanges(), ["NSE", "NFO", "NEWX"]);
    assert_eq!(profile.account().products(), ["D", "I"]);
    assert_eq!(profile.account().order_types(), ["MARKET", "LIMIT"]);
    assert_eq!(
        (
            profile.account().poa(),
            profile.account().ddpi(),
            profile.account().is_active()
        ),
        (Some(false), Some(true), Some(true))
    );
    assert_eq!(profile.extra()["brand_new"], json!({"nested": 1}));
}

/// The request's header names, as a set: nothing else is sent.
#[tokio::test]
async fn profile_sends_exactly_these_headers_and_no_body() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let sent = read_request(&mut sock).await;
        let body = profile_answer().to_string();
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(answer.as_bytes()).await.unwrap();
        String::from_utf8(sent).unwrap()
    });
    client(&base)
        .profile(&AccessToken::new(ACCESS_TOKEN))
        .await
        .expect("the profile");
    let sent = served.await.unwrap();
    let (head, body) = sent.split_once("\r\n\r\n").unwrap();
    assert_eq!(body, "");
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("GET /v2/user/profile HTTP/1.1"));
    let mut headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_ascii_lowercase(), v.trim().to_string())
        })
        .filter(|(n, _)| n != "host" && n != "user-agent")
        .collect();
    headers.sort();
    assert_eq!(
        headers,
        [
            ("accept".to_string(), "application/json".to_string()),
            ("api-version".into(), "2.0".into()),
            ("authorization".into(), format!("Bearer {ACCESS_TOKEN}")),
        ]
    );
}

fn envelope(code: &str) -> serde_json::Value {
    json!({"status": "error", "errors": [{
        "error_code": code, "message": "Invalid token used to access API",
        "property_path": null, "invalid_value": null,
        "errorCode": code, "propertyPath": null, "invalidValue": null
    }]})
}

async fn refused_with(status: u16, code: &str) -> Error {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PROFILE);
            then.status(status).json_body(envelope(code));
        })
        .await;
    client(&server.base_url())
        .profile(&AccessToken::new(ACCESS_TOKEN))
        .await
        .expect_err("refused")
}

#[tokio::test]
async fn an_invalid_token_is_a_typed_udapi100050() {
    let e = refused_with(401, "UDAPI100050").await;
    assert!(e.has_code(&ErrorCode::InvalidToken), "{e}");
    assert_eq!(e.status(), Some(401));
    assert_eq!(ErrorCode::parse("UDAPI100050"), ErrorCode::InvalidToken);
}

#[tokio::test]
async fn an_account_without_an_active_segment_is_a_typed_udapi100058() {
    let e = refused_with(403, "UDAPI100058").await;
    assert!(e.has_code(&ErrorCode::NoActiveSegment), "{e}");
    assert_eq!(ErrorCode::NoActiveSegment.as_str(), "UDAPI100058");
    assert!(ErrorCode::NoActiveSegment.advice().is_some());
}

/// A `200` that carries the error envelope is an error, not an empty profile.
#[tokio::test]
async fn an_envelope_in_a_200_is_an_error() {
    let e = refused_with(200, "UDAPI100050").await;
    assert!(e.has_code(&ErrorCode::InvalidToken), "{e}");
}

#[tokio::test]
async fn an_empty_token_sends_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(profile_answer());
        })
        .await;
    let e = client(&server.base_url())
        .profile(&AccessToken::new(""))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e}");
    any.assert_calls_async(0).await;
}
