//! The client's settings on the wire: base URL prefix, user agent, a
//! user's own HTTP settings, and credentials in a base URL.

use httpmock::prelude::*;
use upstox_login_sdk::{AccessToken, AuthorizationCode, Error, IndieTokenOptions};
use upstox_login_tests::*;

#[tokio::test]
async fn base_url_with_a_path_prefix_and_trailing_slash() {
    let server = MockServer::start_async().await;
    let logout = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/proxy/v2/logout");
            then.status(200)
                .json_body(serde_json::json!({"status": "success", "data": true}));
        })
        .await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/proxy/v2/login/authorization/token")
                .is_true(is_the_token_form(None));
            then.status(200)
                .json_body(serde_json::json!({"access_token": ACCESS_TOKEN}));
        })
        .await;
    let indie = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/proxy/v3/login/auth/token/request/a1b2-c3%20d4");
            then.status(200)
                .json_body(serde_json::json!({"status": "success", "data": {}}));
        })
        .await;
    // The trailing slash is trimmed once, for the paths parsed up front
    // (logout, token) and the parameterised one (indie) alike.
    let client = client(&server.url("/proxy/"));
    client
        .logout(&AccessToken::new(ACCESS_TOKEN))
        .await
        .expect("logout through a prefix");
    client
        .exchange_code(&app(), AuthorizationCode::new(CODE))
        .await
        .expect("token exchange through a prefix");
    client
        .request_indie_token(&app(), IndieTokenOptions::default())
        .await
        .expect("indie request through a prefix");
    logout.assert_async().await;
    token.assert_async().await;
    indie.assert_async().await;
}

#[tokio::test]
async fn user_agent_is_the_sdk_s_by_default_and_configurable() {
    let server = MockServer::start_async().await;
    let default_ua = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/v2/logout")
                .header("user-agent", upstox_login_sdk::DEFAULT_USER_AGENT);
            then.status(200)
                .json_body(serde_json::json!({"status": "success", "data": true}));
        })
        .await;
    client(&server.base_url())
        .logout(&AccessToken::new(ACCESS_TOKEN))
        .await
        .expect("default user agent");
    default_ua.assert_async().await;
    assert!(upstox_login_sdk::DEFAULT_USER_AGENT.starts_with("upstox-login-sdk/"));

    let custom = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/v2/logout")
                .header("user-agent", "my-bot/2.1");
            then.status(200)
                .json_body(serde_json::json!({"status": "success", "data": true}));
        })
        .await;
    upstox_login_sdk::LoginClient::builder()
        .base_url(server.base_url())
        .user_agent("my-bot/2.1")
        .build()
        .expect("builds")
        .logout(&AccessToken::new(ACCESS_TOKEN))
        .await
        .expect("custom user agent");
    custom.assert_async().await;
}

#[tokio::test]
async fn the_sdk_s_http_settings_can_be_extended_and_keep_their_safety() {
    let server = MockServer::start_async().await;
    let elsewhere = server
        .mock_async(|when, then| {
            when.path("/elsewhere");
            then.status(200)
                .json_body(serde_json::json!({"access_token": "stolen"}));
        })
        .await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/login/authorization/token")
                .header("user-agent", "my-bot/3");
            then.status(307).header("location", "/elsewhere");
        })
        .await;
    let builder = upstox_login_sdk::LoginClient::builder()
        .base_url(server.base_url())
        .user_agent("my-bot/3");
    // What a user behind a proxy would do: take the SDK's settings, add theirs.
    let http = builder
        .http_client_builder()
        .expect("settings")
        .pool_max_idle_per_host(4)
        .build()
        .expect("reqwest client");
    let client = builder.build_with_http_client(http).expect("client");
    let result = client
        .exchange_code(&app(), AuthorizationCode::new(CODE))
        .await;
    assert!(
        matches!(result, Err(Error::Redirect { .. })),
        "expected the 307 surfaced, got {result:?}"
    );
    // Sent once with the user agent asked for, and the form never followed
    // the redirect.
    token.assert_calls_async(1).await;
    elsewhere.assert_calls_async(0).await;
}

#[tokio::test]
async fn base_urls_with_credentials_are_refused_without_echoing_them() {
    let err = upstox_login_sdk::LoginClient::builder()
        .base_url("https://me:hunter2@api.upstox.com")
        .build()
        .expect_err("credentials in the base URL");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(matches!(err, Error::InvalidInput(_)));
}
