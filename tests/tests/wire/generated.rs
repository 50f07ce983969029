//! The generated client used directly: every body whole, and the body cap.

use httpmock::prelude::*;
use upstox_login_sdk::AccessToken;
use upstox_login_tests::*;

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
                .is_true(is_the_token_form(None));
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
