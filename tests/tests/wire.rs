//! The exact request each operation puts on the wire, and the decoding of
//! the contract's documented answers.

use httpmock::prelude::*;
use upstox_login_sdk::{
    AccessToken, AuthorizationCode, Error, ErrorCode, IndieTokenOptions, State,
};
use upstox_login_tests::*;

#[tokio::test]
async fn token_exchange_sends_the_exact_form_and_decodes_the_session() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/login/authorization/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .header("api-version", "2.0")
                .header_missing("authorization")
                .form_urlencoded_tuple("code", CODE)
                .form_urlencoded_tuple("client_id", CLIENT_ID)
                .form_urlencoded_tuple("client_secret", CLIENT_SECRET)
                .form_urlencoded_tuple("redirect_uri", REDIRECT_URI)
                .form_urlencoded_tuple("grant_type", "authorization_code")
                .form_urlencoded_tuple_missing("refresh_extended_token")
                .body(token_form_body(""));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(token_response());
        })
        .await;

    let session = client(&server.base_url())
        .exchange_code(&app(), AuthorizationCode::new(CODE))
        .await
        .expect("exchange succeeds");

    mock.assert_async().await;
    assert_eq!(Some(session.access_token().secret()), Some(ACCESS_TOKEN));
    assert_eq!(
        session.extended_token().map(|t| t.secret()),
        Some(EXTENDED_TOKEN)
    );
    assert_eq!(session.user_id(), Some("AB1234"));
    assert_eq!(session.email(), Some("trader@example.com"));
    assert_eq!(
        session.exchanges(),
        ["NSE", "NFO", "BSE", "CDS", "BFO", "BCD"]
    );
    assert_eq!(session.products(), ["D", "CO", "I"]);
    assert_eq!(session.order_types(), ["MARKET", "LIMIT", "SL", "SL-M"]);
    assert_eq!(session.broker(), Some("UPSTOX"));
    assert_eq!(session.user_name(), Some("A Trader"));
    assert_eq!(session.user_type(), Some("individual"));
    assert_eq!(
        (session.poa(), session.ddpi(), session.is_active()),
        (Some(false), Some(true), Some(true))
    );
    assert_eq!(session.expires_in(), Some(86400));
    assert_eq!(session.token_type(), Some("Bearer"));
    assert!(session.expires_at() > session.issued_at());
}

#[tokio::test]
async fn token_exchange_sends_refresh_extended_token_when_asked() {
    for flag in [true, false] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/v2/login/authorization/token")
                    .body(token_form_body(&format!("&refresh_extended_token={flag}")));
                then.status(200).json_body(token_response());
            })
            .await;
        client(&server.base_url())
            .exchange_code_with(&app(), AuthorizationCode::new(CODE), Some(flag))
            .await
            .expect("exchange succeeds");
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn token_exchange_is_never_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/login/authorization/token");
            then.status(503)
                .json_body(envelope("UDAPI100500", "Internal error"));
        })
        .await;
    let err = client(&server.base_url())
        .exchange_code(&app(), AuthorizationCode::new(CODE))
        .await
        .expect_err("503 fails");
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        mock.calls_async().await,
        1,
        "a single-use code must be sent once"
    );
}

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

/// `authorize` for [`app`] through the generated client.
fn authorize(
    generated: &upstox_login_sdk::generated::Client,
) -> upstox_login_sdk::generated::builder::Authorize<'_> {
    let app = app();
    generated
        .authorize()
        .response_type(upstox_login_sdk::generated::types::ResponseType::Code)
        .client_id(app.client_id().clone())
        .redirect_uri(app.redirect_uri().clone())
}

/// The next chunk of a streamed answer.
async fn next_chunk<S: futures_core::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}

/// The generated client used directly, not through the facade: the exec hook
/// has read every body, and each still reaches the caller whole, whether
/// decoded, streamed, or handed back as an unexpected answer.
#[tokio::test]
async fn generated_client_used_directly_gets_every_body_whole() {
    use upstox_login_sdk::generated::Error as G;

    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/login/authorization/token")
                .header("api-version", "2.0")
                .body(token_form_body(""));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(token_response());
        })
        .await;
    let dialog = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/login/authorization/dialog");
            then.status(200)
                .header("content-type", "text/html")
                .body("<html>login page</html>");
        })
        .await;
    let logout = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/v2/logout")
                .header("authorization", format!("Bearer {ACCESS_TOKEN}"));
            then.status(303)
                .header("location", "https://example.com/")
                .body("see elsewhere");
        })
        .await;
    let client = client(&server.base_url());
    let generated = client.generated();

    let answer = generated
        .token()
        .body(token_request())
        .send()
        .await
        .expect("decoded TokenResponse");
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.headers()["content-type"], "application/json");
    assert_eq!(
        answer
            .into_inner()
            .access_token
            .as_ref()
            .map(AccessToken::secret),
        Some(ACCESS_TOKEN)
    );

    let page = authorize(&generated).send().await.expect("a 200 stream");
    let mut stream = page.into_inner_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = next_chunk(&mut stream).await {
        bytes.extend_from_slice(&chunk.expect("a chunk"));
    }
    assert_eq!(bytes, b"<html>login page</html>");

    match generated
        .logout()
        .authorization(format!("Bearer {ACCESS_TOKEN}"))
        .send()
        .await
    {
        Err(G::UnexpectedResponse(r)) => {
            assert_eq!(r.status().as_u16(), 303);
            assert_eq!(r.text().await.expect("the body"), "see elsewhere");
        }
        other => panic!("expected the 303 back, got {other:?}"),
    }
    token.assert_calls_async(1).await;
    dialog.assert_calls_async(1).await;
    logout.assert_calls_async(1).await;
}

/// Through the generated client, an answer over the body cap (1 MiB) is an
/// error to read, whether decoded, streamed or unexpected: never an empty
/// body taken for the answer.
#[tokio::test]
async fn generated_client_used_directly_gets_an_error_for_a_body_over_the_cap() {
    use upstox_login_sdk::generated::Error as G;

    let big = "x".repeat(1024 * 1024 + 1);
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/login/authorization/token");
            then.status(200)
                .header("content-type", "application/json")
                .body(&big);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/login/authorization/dialog");
            then.status(200)
                .header("content-type", "text/html")
                .body(&big);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v2/logout");
            then.status(303).body(&big);
        })
        .await;
    let client = client(&server.base_url());
    let generated = client.generated();
    // The error and its sources, as text.
    let over = |what: &str, e: &(dyn std::error::Error + 'static)| {
        let mut chain = String::new();
        let mut source = Some(e);
        while let Some(s) = source {
            chain.push_str(&s.to_string());
            chain.push_str(" / ");
            source = s.source();
        }
        assert!(
            chain.contains("over the 1048576-byte limit"),
            "{what}: {chain}"
        );
    };

    match generated.token().body(token_request()).send().await {
        Err(e @ G::ResponseBodyError(_)) => over("token", &e),
        other => panic!("expected the body refused, got {:?}", other.map(|_| ())),
    }

    let page = authorize(&generated).send().await.expect("a 200 stream");
    let mut stream = page.into_inner_stream();
    match next_chunk(&mut stream).await {
        Some(Err(e)) => over("authorize stream", &e),
        other => panic!("expected an error to read, got {other:?}"),
    }

    match generated
        .logout()
        .authorization(format!("Bearer {ACCESS_TOKEN}"))
        .send()
        .await
    {
        Err(G::UnexpectedResponse(r)) => {
            assert_eq!(r.status().as_u16(), 303);
            let e = r.bytes().await.expect_err("the body is an error to read");
            over("logout 303", &e);
        }
        other => panic!("expected the 303 back, got {:?}", other.map(|_| ())),
    }
}

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
                .body(token_form_body(""));
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
async fn default_base_url_is_production() {
    let client = upstox_login_sdk::LoginClient::new().expect("builds");
    assert_eq!(client.base_url().as_str(), "https://api.upstox.com/");
    let login = client.start_login(&app()).expect("starts");
    assert!(login.url().as_str().starts_with(
        "https://api.upstox.com/v2/login/authorization/dialog?response_type=code&client_id="
    ));
}

#[tokio::test]
async fn documented_error_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/login/authorization/token");
            then.status(401)
                .json_body(envelope("UDAPI100069", "Invalid Credentials"));
        })
        .await;
    let err = client(&server.base_url())
        .exchange_code(&app(), AuthorizationCode::new(CODE))
        .await
        .expect_err("fails");
    assert!(
        err.has_code(&ErrorCode::InvalidCodeOrCredentials),
        "{err:?}"
    );
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 401);
    assert_eq!(
        api.errors[0].message.as_deref(),
        Some("Invalid Credentials")
    );
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

/// Serves one connection: reads one request, answers `200` with `body`, and
/// gives back the request as it arrived, with the server's address in place
/// of `{host}`.
async fn capture_one(body: serde_json::Value) -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let host = listener.local_addr().expect("addr").to_string();
    let base_url = format!("http://{host}");
    let task = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        let request = upstox_login_tests::raw::read_request(&mut sock).await;
        let body = body.to_string();
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(answer.as_bytes()).await.expect("answer");
        String::from_utf8(request)
            .expect("an ASCII request")
            .replace(&host, "{host}")
    });
    (base_url, task)
}

/// Every header, its order and its spelling, and the body: what the service
/// receives, not only what a mock's matchers look at. A header added twice,
/// or one the contract does not list, fails here.
#[tokio::test]
async fn each_call_puts_exactly_these_bytes_on_the_wire() {
    let agent = upstox_login_sdk::DEFAULT_USER_AGENT;

    for (refresh, extra) in [(None, ""), (Some(true), "&refresh_extended_token=true")] {
        let (base_url, sent) = capture_one(token_response()).await;
        client(&base_url)
            .exchange_code_with(&app(), AuthorizationCode::new(CODE), refresh)
            .await
            .expect("exchange succeeds");
        let form = token_form_body(extra);
        assert_eq!(
            sent.await.expect("served"),
            format!(
                "POST /v2/login/authorization/token HTTP/1.1\r\n\
                 accept: application/json\r\n\
                 content-type: application/x-www-form-urlencoded\r\n\
                 api-version: 2.0\r\n\
                 user-agent: {agent}\r\n\
                 host: {{host}}\r\n\
                 content-length: {}\r\n\r\n{form}",
                form.len()
            )
        );
    }

    let (base_url, sent) =
        capture_one(serde_json::json!({"status": "success", "data": true})).await;
    client(&base_url)
        .logout(&AccessToken::new(ACCESS_TOKEN))
        .await
        .expect("logout succeeds");
    assert_eq!(
        sent.await.expect("served"),
        format!(
            "DELETE /v2/logout HTTP/1.1\r\n\
             accept: application/json\r\n\
             api-version: 2.0\r\n\
             authorization: Bearer {ACCESS_TOKEN}\r\n\
             user-agent: {agent}\r\n\
             host: {{host}}\r\n\r\n"
        )
    );

    let secret = serde_json::to_string(CLIENT_SECRET).expect("a JSON string");
    for (otp, extra) in [
        (IndieTokenOptions::default(), ""),
        (
            IndieTokenOptions::default().otp_verification_disabled(true),
            r#","otp_verification_disabled":true"#,
        ),
        (
            IndieTokenOptions::default().otp_verification_disabled(false),
            r#","otp_verification_disabled":false"#,
        ),
    ] {
        let (base_url, sent) = capture_one(serde_json::json!({
            "status": "success",
            "data": {"authorization_expiry": "1795851000000", "notifier_url": "https://example.com/hook"}
        }))
        .await;
        client(&base_url)
            .request_indie_token(&app(), otp)
            .await
            .expect("indie request succeeds");
        let json = format!(r#"{{"client_secret":{secret}{extra}}}"#);
        assert_eq!(
            sent.await.expect("served"),
            format!(
                "POST /v3/login/auth/token/request/a1b2-c3%20d4 HTTP/1.1\r\n\
                 accept: application/json\r\n\
                 content-type: application/json\r\n\
                 user-agent: {agent}\r\n\
                 host: {{host}}\r\n\
                 content-length: {}\r\n\r\n{json}",
                json.len()
            )
        );
    }
}
