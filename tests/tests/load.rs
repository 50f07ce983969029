//! One shared client, 1,000 concurrent token exchanges and 1,000 concurrent
//! logouts for different users: every call is answered correctly and no
//! code or token crosses to another user's request.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use upstox_login_sdk::{App, AuthorizationCode, ClientId, ClientSecret, RedirectUri};

const USERS: usize = 1000;

fn form_value(body: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_users_at_once_share_one_client() {
    let server = MockServer::start_async().await;
    let seen_codes = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen_bearers = Arc::new(Mutex::new(Vec::<String>::new()));

    let codes = seen_codes.clone();
    server
        .mock_async(move |when, then| {
            when.method(POST).path("/v2/login/authorization/token");
            then.respond_with(move |req: &HttpMockRequest| {
                let body = req.body_string();
                let code = form_value(&body, "code").unwrap_or_default();
                let client = form_value(&body, "client_id").unwrap_or_default();
                codes.lock().unwrap().push(format!("{client}:{code}"));
                // The token names the user the code belonged to.
                let user = code.trim_start_matches("code-").to_string();
                HttpMockResponse::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(serde_json::json!({"user_id": format!("user-{user}"), "access_token": format!("token-{user}")}).to_string())
                    .build()
            });
        })
        .await;
    let bearers = seen_bearers.clone();
    server
        .mock_async(move |when, then| {
            when.method(DELETE).path("/v2/logout");
            then.respond_with(move |req: &HttpMockRequest| {
                let auth = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                bearers.lock().unwrap().push(auth);
                HttpMockResponse::builder()
                    .status(200)
                    .body(r#"{"status":"success","data":true}"#)
                    .build()
            });
        })
        .await;

    let client = upstox_login_tests::client(&server.base_url());
    let mut exchanges = tokio::task::JoinSet::new();
    for i in 0..USERS {
        let client = client.clone();
        exchanges.spawn(async move {
            // Each user has an app of its own, too.
            let app = App::new(
                ClientId::new(format!("app-{}", i % 7)),
                ClientSecret::new(format!("secret-{i}")),
                RedirectUri::new("http://127.0.0.1:5055/callback").unwrap(),
            );
            let session = client
                .exchange_code(&app, AuthorizationCode::new(format!("code-{i}")))
                .await;
            (i, session)
        });
    }
    let mut tokens = BTreeMap::new();
    while let Some(joined) = exchanges.join_next().await {
        let (i, session) = joined.expect("task did not panic");
        let session = session.unwrap_or_else(|e| panic!("user {i}: {e}"));
        assert_eq!(session.user_id(), Some(format!("user-{i}").as_str()));
        assert_eq!(
            Some(session.access_token().secret().to_string()),
            Some(format!("token-{i}"))
        );
        tokens.insert(i, session.access_token().clone());
    }
    assert_eq!(tokens.len(), USERS);

    let mut logouts = tokio::task::JoinSet::new();
    for (i, token) in tokens {
        let client = client.clone();
        logouts.spawn(async move { (i, client.logout(&token).await) });
    }
    while let Some(joined) = logouts.join_next().await {
        let (i, outcome) = joined.expect("task did not panic");
        assert!(outcome.unwrap_or_else(|e| panic!("user {i}: {e}")).revoked);
    }

    // On the wire: each code sent once, by its own app; each token once.
    let mut codes = seen_codes.lock().unwrap().clone();
    codes.sort();
    let mut expected: Vec<String> = (0..USERS)
        .map(|i| format!("app-{}:code-{i}", i % 7))
        .collect();
    expected.sort();
    assert_eq!(codes, expected);
    let mut bearers = seen_bearers.lock().unwrap().clone();
    bearers.sort();
    let mut expected: Vec<String> = (0..USERS).map(|i| format!("Bearer token-{i}")).collect();
    expected.sort();
    assert_eq!(bearers, expected);
    // The client holds no token of its own.
    assert!(!format!("{client:?}").contains("token-"));
}
