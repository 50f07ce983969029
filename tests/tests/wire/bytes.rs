//! Every header and the body of each call as the service receives them, not
//! only what a mock's matchers look at: headers as a set (a header added
//! twice, or one the contract does not list, fails), form fields as a set,
//! every value byte for byte; the order is the HTTP stack's and not pinned.

use upstox_login_sdk::{AccessToken, AuthorizationCode, IndieTokenOptions};
use upstox_login_tests::raw_server::{header_set, response, RawServer, Request};
use upstox_login_tests::*;

/// A raw server answering one request `200` with `body`.
async fn answering(body: serde_json::Value) -> RawServer {
    let body = body.to_string();
    RawServer::reply(response(
        "200 OK",
        &[("content-type", "application/json")],
        body.as_bytes(),
    ))
    .await
}

/// The one request `server` received, taken apart, and its `host`.
async fn the_request(server: RawServer) -> (Request, String) {
    let host = server.base_url().trim_start_matches("http://").to_string();
    let received = server.received();
    assert_eq!(server.finish().await, 1, "one connection");
    let [bytes] = &received[..] else {
        panic!("expected one request, got {}", received.len())
    };
    let request = Request::parse(bytes).expect("a whole request");
    (request, host)
}

#[tokio::test]
async fn the_token_exchange_sends_exactly_these_headers_and_fields() {
    let agent = upstox_login_sdk::DEFAULT_USER_AGENT;
    for refresh in [None, Some(true), Some(false)] {
        let server = answering(token_response()).await;
        client(server.base_url())
            .exchange_code_with(&app(), AuthorizationCode::new(CODE), refresh)
            .await
            .expect("exchange succeeds");
        let (sent, host) = the_request(server).await;
        let length = token_form_fields(refresh).join("&").len().to_string();
        assert_eq!(
            (sent.method.as_str(), sent.target.as_str(), sent.version),
            ("POST", "/v2/login/authorization/token", 1)
        );
        assert_eq!(
            sent.headers,
            header_set(&[
                ("accept", "application/json"),
                ("content-type", "application/x-www-form-urlencoded"),
                ("api-version", "2.0"),
                ("user-agent", agent),
                ("host", &host),
                ("content-length", &length),
            ]),
            "{refresh:?}"
        );
        assert_eq!(
            form_fields(&sent.body),
            token_form_fields(refresh),
            "{refresh:?}"
        );
    }
}

#[tokio::test]
async fn the_logout_sends_exactly_these_headers_and_no_body() {
    let server = answering(serde_json::json!({"status": "success", "data": true})).await;
    client(server.base_url())
        .logout(&AccessToken::new(ACCESS_TOKEN))
        .await
        .expect("logout succeeds");
    let (sent, host) = the_request(server).await;
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str(), sent.version),
        ("DELETE", "/v2/logout", 1)
    );
    let bearer = format!("Bearer {ACCESS_TOKEN}");
    assert_eq!(
        sent.headers,
        header_set(&[
            ("accept", "application/json"),
            ("api-version", "2.0"),
            ("authorization", &bearer),
            ("user-agent", upstox_login_sdk::DEFAULT_USER_AGENT),
            ("host", &host),
        ])
    );
    assert_eq!(sent.body, b"");
}

#[tokio::test]
async fn the_indie_request_sends_exactly_these_headers_and_fields() {
    for (otp, flag) in [
        (IndieTokenOptions::default(), None),
        (
            IndieTokenOptions::default().otp_verification_disabled(true),
            Some(true),
        ),
        (
            IndieTokenOptions::default().otp_verification_disabled(false),
            Some(false),
        ),
    ] {
        let server = answering(serde_json::json!({
            "status": "success",
            "data": {"authorization_expiry": "1795851000000", "notifier_url": "https://example.com/hook"}
        }))
        .await;
        client(server.base_url())
            .request_indie_token(&app(), otp)
            .await
            .expect("indie request succeeds");
        // The fields as a set (a JSON object), each value exactly.
        let mut expected = serde_json::json!({"client_secret": CLIENT_SECRET});
        if let Some(flag) = flag {
            expected["otp_verification_disabled"] = flag.into();
        }
        let (sent, host) = the_request(server).await;
        let length = expected.to_string().len().to_string();
        assert_eq!(
            (sent.method.as_str(), sent.target.as_str(), sent.version),
            ("POST", "/v3/login/auth/token/request/a1b2-c3%20d4", 1)
        );
        assert_eq!(
            sent.headers,
            header_set(&[
                ("accept", "application/json"),
                ("content-type", "application/json"),
                ("user-agent", upstox_login_sdk::DEFAULT_USER_AGENT),
                ("host", &host),
                ("content-length", &length),
            ]),
            "{flag:?}"
        );
        let body: serde_json::Value = serde_json::from_slice(&sent.body).expect("a JSON body");
        assert_eq!(body, expected, "{flag:?}");
    }
}
