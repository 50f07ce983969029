//! The token exchange: its form, its answer, and a single-use code sent once.

use httpmock::prelude::*;
use upstox_login_sdk::{AuthorizationCode, Error, ErrorCode};
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
                .is_true(is_the_token_form(None));
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
    assert_eq!(session.account().email(), Some("trader@example.com"));
    assert_eq!(
        session.account().exchanges(),
        ["NSE", "NFO", "BSE", "CDS", "BFO", "BCD"]
    );
    assert_eq!(session.account().products(), ["D", "CO", "I"]);
    assert_eq!(
        session.account().order_types(),
        ["MARKET", "LIMIT", "SL", "SL-M"]
    );
    assert_eq!(session.account().broker(), Some("UPSTOX"));
    assert_eq!(session.account().user_name(), Some("A Trader"));
    assert_eq!(session.account().user_type(), Some("individual"));
    assert_eq!(
        (
            session.account().poa(),
            session.account().ddpi(),
            session.account().is_active()
        ),
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
                    .is_true(is_the_token_form(Some(flag)));
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
        api.entries()[0].message.as_deref(),
        Some("Invalid Credentials")
    );
}
