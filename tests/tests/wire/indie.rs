//! The indie-user token request: JSON to the v3 path, without `Api-Version`.

use httpmock::prelude::*;
use upstox_login_sdk::IndieTokenOptions;
use upstox_login_tests::*;

#[tokio::test]
async fn indie_request_sends_json_to_the_v3_path_without_api_version() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                // The client id is percent-encoded in the path.
                .path("/v3/login/auth/token/request/a1b2-c3%20d4")
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .header_missing("api-version")
                .header_missing("authorization")
                .json_body(serde_json::json!({"client_secret": CLIENT_SECRET}));
            then.status(200).json_body(serde_json::json!({
                "status": "success",
                "data": {"authorization_expiry": "1795851000000", "notifier_url": "https://example.com/hook"}
            }));
        })
        .await;
    let request = client(&server.base_url())
        .request_indie_token(&app(), IndieTokenOptions::default())
        .await
        .expect("indie request succeeds");
    mock.assert_async().await;
    assert_eq!(request.status.as_deref(), Some("success"));
    assert_eq!(
        request.authorization_expiry.as_deref(),
        Some("1795851000000")
    );
    assert_eq!(
        request.notifier_url.as_deref(),
        Some("https://example.com/hook")
    );
    assert_eq!(
        request.expires_at(),
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_795_851_000_000))
    );
}

#[tokio::test]
async fn indie_request_sends_otp_flag_when_given() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v3/login/auth/token/request/a1b2-c3%20d4")
                .json_body(serde_json::json!({"client_secret": CLIENT_SECRET, "otp_verification_disabled": true}));
            then.status(200).json_body(serde_json::json!({"status": "success", "data": {}}));
        })
        .await;
    client(&server.base_url())
        .request_indie_token(
            &app(),
            IndieTokenOptions::default().otp_verification_disabled(true),
        )
        .await
        .expect("indie request succeeds");
    mock.assert_async().await;
}
