//! The login dialog's URL, made by the facade and by the generated client.

use httpmock::prelude::*;
use upstox_login_sdk::State;
use upstox_login_tests::*;

#[tokio::test]
async fn authorize_url_is_what_the_service_expects() {
    let server = MockServer::start_async().await;
    let client = client(&server.base_url());
    let login = client.start_login(&app()).expect("login starts");
    let state = login.state().as_str().to_string();
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/login/authorization/dialog")
                .query_param("response_type", "code")
                .query_param("client_id", CLIENT_ID)
                .query_param("redirect_uri", REDIRECT_URI)
                .query_param("state", &state)
                .query_param_missing("scope")
                .query_param_count(".*", ".*", 4);
            then.status(302)
                .header("location", "https://login.upstox.com/");
        })
        .await;
    // A browser following the URL: no redirects, so the 302 itself is seen.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = browser
        .get(login.url().as_str())
        .send()
        .await
        .expect("sent");
    mock.assert_async().await;
    assert_eq!(response.status().as_u16(), 302);
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("https://login.upstox.com/")
    );
}

#[tokio::test]
async fn generated_authorize_sends_the_documented_query_and_surfaces_the_302() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/login/authorization/dialog")
                .header("api-version", "2.0")
                .query_param("response_type", "code")
                .query_param("client_id", CLIENT_ID)
                .query_param("redirect_uri", REDIRECT_URI)
                .query_param("state", "st")
                .query_param("scope", "read")
                // Each exactly once.
                .query_param_count(".*", ".*", 5);
            then.status(302)
                .header("location", "https://login.upstox.com/x");
        })
        .await;
    let client = client(&server.base_url());
    for _ in 0..2 {
        let result = client
            .generated()
            .authorize()
            .response_type(upstox_login_sdk::generated::types::ResponseType::Code)
            .client_id(app().client_id().clone())
            .redirect_uri(app().redirect_uri().clone())
            .state(State::new("st"))
            .scope("read")
            .send()
            .await;
        match result {
            Err(upstox_login_sdk::generated::Error::UnexpectedResponse(r)) => {
                assert_eq!(r.status().as_u16(), 302);
                assert_eq!(
                    r.headers().get("location").and_then(|v| v.to_str().ok()),
                    Some("https://login.upstox.com/x")
                );
            }
            Err(other) => panic!("expected the 302 back, got {other:?}"),
            Ok(r) => panic!("expected the 302 back, got {}", r.status()),
        }
    }
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn default_base_url_is_production() {
    let client = upstox_login_sdk::LoginClient::new().expect("builds");
    assert_eq!(client.base_url().as_str(), "https://api.upstox.com/");
    let login = client.start_login(&app()).expect("starts");
    assert!(login.url().as_str().starts_with(
        "https://api.upstox.com/v2/login/authorization/dialog?response_type=code&client_id="
    ));
}
