//! The logout: the bearer token, no body, and every documented status.

use httpmock::prelude::*;
use upstox_login_sdk::AccessToken;
use upstox_login_tests::*;

#[tokio::test]
async fn logout_sends_the_bearer_token_and_no_body() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/v2/logout")
                .header("authorization", format!("Bearer {ACCESS_TOKEN}"))
                .header("accept", "application/json")
                .header("api-version", "2.0")
                .header_missing("content-type")
                .body("");
            then.status(200)
                .json_body(serde_json::json!({"status": "success", "data": true}));
        })
        .await;
    let outcome = client(&server.base_url())
        .logout(&AccessToken::new(ACCESS_TOKEN))
        .await
        .expect("logout succeeds");
    mock.assert_async().await;
    assert!(outcome.revoked);
    assert_eq!(outcome.status.as_deref(), Some("success"));
}

#[tokio::test]
async fn logout_decodes_partial_success_and_unknown_status() {
    for (status, data) in [("partial_success", false), ("brand_new_status", true)] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(DELETE).path("/v2/logout");
                then.status(200)
                    .json_body(serde_json::json!({"status": status, "data": data, "new": 1}));
            })
            .await;
        let outcome = client(&server.base_url())
            .logout(&AccessToken::new(ACCESS_TOKEN))
            .await
            .expect("decodes");
        assert_eq!(outcome.status.as_deref(), Some(status));
        assert_eq!(outcome.revoked, data);
    }
}
