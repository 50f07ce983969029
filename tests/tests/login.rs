//! Building the authorization URL and checking the callback: pure functions,
//! no network.

use upstox_login_sdk::{
    authorization_url, parse_callback, CallbackError, ClientId, LoginClient, RedirectUri, State,
};

fn base() -> url::Url {
    url::Url::parse("https://api.upstox.com").unwrap()
}

fn query(url: &url::Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[test]
fn url_has_every_parameter_in_order() {
    let url = authorization_url(
        &base(),
        &ClientId::new("my-id"),
        &RedirectUri::new("https://example.com/cb").unwrap(),
        &State::new("st"),
        None,
    );
    assert_eq!(
        url.as_str(),
        "https://api.upstox.com/v2/login/authorization/dialog?response_type=code&client_id=my-id\
         &redirect_uri=https%3A%2F%2Fexample.com%2Fcb&state=st"
    );
}

#[test]
fn odd_characters_are_encoded_and_round_trip() {
    let redirect = "http://127.0.0.1:5055/call%20back?x=1&y=ä#frag";
    let state = "a b&c=d/e?f#g+h%i";
    let url = authorization_url(
        &base(),
        &ClientId::new("id&x=y"),
        &RedirectUri::new(redirect).unwrap(),
        &State::new(state),
        Some("read write"),
    );
    let raw = url.query().unwrap();
    assert!(!raw.contains(' ') && !raw.contains('#'), "{raw}");
    assert!(
        raw.contains(
            "redirect_uri=http%3A%2F%2F127.0.0.1%3A5055%2Fcall%2520back%3Fx%3D1%26y%3D%C3%A4%23frag"
        ),
        "{raw}"
    );
    assert_eq!(
        query(&url),
        [
            ("response_type".into(), "code".into()),
            ("client_id".into(), "id&x=y".into()),
            ("redirect_uri".into(), redirect.into()),
            ("state".into(), state.into()),
            ("scope".into(), "read write".into()),
        ]
    );
}

#[test]
fn base_url_path_prefix_is_kept() {
    let url = authorization_url(
        &url::Url::parse("http://127.0.0.1:8080/proxy/").unwrap(),
        &ClientId::new("i"),
        &RedirectUri::new("http://127.0.0.1/cb").unwrap(),
        &State::new("s"),
        None,
    );
    assert_eq!(url.path(), "/proxy/v2/login/authorization/dialog");
}

#[test]
fn start_login_uses_a_fresh_random_state_each_time() {
    let client = LoginClient::new().unwrap();
    let app = upstox_login_tests::app();
    let a = client.start_login(&app).unwrap();
    let b = client.start_login(&app).unwrap();
    assert_ne!(a.state(), b.state());
    assert_eq!(a.state().as_str().len(), 64);
    let q = query(a.url());
    assert_eq!(q[3], ("state".to_string(), a.state().as_str().to_string()));
}

#[test]
fn callback_with_matching_state_gives_the_code() {
    let s = State::new("st&1");
    for callback in [
        "http://127.0.0.1:5055/callback?code=abc%2B1&state=st%261",
        "/callback?code=abc%2B1&state=st%261",
        "code=abc%2B1&state=st%261",
        "?code=abc%2B1&state=st%261",
        "http://127.0.0.1:5055/callback?state=st%261&code=abc%2B1#frag",
    ] {
        let code = parse_callback(callback, &s).unwrap_or_else(|e| panic!("{callback}: {e}"));
        assert_eq!(code.secret(), "abc+1", "{callback}");
    }
}

#[test]
fn callback_errors_are_distinct() {
    let s = State::new("good");
    assert_eq!(
        parse_callback("/cb?code=c", &s),
        Err(CallbackError::MissingState)
    );
    assert_eq!(
        parse_callback("/cb?code=c&state=bad", &s),
        Err(CallbackError::StateMismatch)
    );
    assert_eq!(
        parse_callback("/cb?code=c&state=goo", &s),
        Err(CallbackError::StateMismatch)
    );
    assert_eq!(
        parse_callback("/cb?code=c&state=", &s),
        Err(CallbackError::StateMismatch)
    );
    assert_eq!(
        parse_callback("/cb?state=good", &s),
        Err(CallbackError::MissingCode)
    );
    assert_eq!(
        parse_callback("/cb?state=good&code=", &s),
        Err(CallbackError::MissingCode)
    );
    assert_eq!(
        parse_callback(
            "/cb?error=access_denied&error_description=User+said+no&state=good",
            &s
        ),
        Err(CallbackError::Denied {
            error: "access_denied".into(),
            description: Some("User said no".into())
        })
    );
    // An error without our state is not trusted as Upstox's answer.
    assert_eq!(
        parse_callback("/cb?error=access_denied&state=evil", &s),
        Err(CallbackError::StateMismatch)
    );
    assert_eq!(
        parse_callback("/cb?error=access_denied", &s),
        Err(CallbackError::MissingState)
    );
    assert!(matches!(
        parse_callback("/cb?code=a&code=b&state=good", &s),
        Err(CallbackError::Malformed(_))
    ));
}

#[test]
fn callback_error_text_never_holds_the_code() {
    let s = State::new("good");
    for cb in [
        "/cb?code=SECRETCODE&state=bad",
        "/cb?code=SECRETCODE",
        "/cb?code=SECRETCODE&code=x&state=good",
    ] {
        let e = parse_callback(cb, &s).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("SECRETCODE"), "{cb}");
    }
}

#[test]
fn redirect_uri_is_validated() {
    assert!(RedirectUri::new("http://127.0.0.1:5055/callback").is_ok());
    assert!(RedirectUri::new("https://example.com/cb?x=1").is_ok());
    for bad in [
        "",
        "/callback",
        "127.0.0.1:5055/callback",
        "ftp://example.com/cb",
        "mailto:a@b.c",
        "http://",
    ] {
        assert!(RedirectUri::new(bad).is_err(), "{bad:?} accepted");
    }
    // Kept exactly as written: Upstox compares byte for byte.
    assert_eq!(
        RedirectUri::new("HTTP://Example.com:443/cb")
            .unwrap()
            .as_str(),
        "HTTP://Example.com:443/cb"
    );
}

#[test]
fn notifier_payload_is_parsed_leniently_and_checked() {
    use upstox_login_sdk::{NotifierPayload, PayloadRefused};
    let id = ClientId::new("my-app");
    // Numbers or strings for the times; unknown fields ignored.
    let p = NotifierPayload::parse(
        br#"{"client_id":"my-app","access_token":"t","expires_at":1795851000000,"issued_at":"1795800000000","new":{}}"#,
    )
    .unwrap();
    assert_eq!(p.verify_client_id(&id).unwrap().secret(), "t");
    assert_eq!(
        p.expires_at(),
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_795_851_000_000))
    );
    assert_eq!(p.issued_at.as_deref(), Some("1795800000000"));
    // Missing or other client id, missing or empty token.
    let p = NotifierPayload::parse(br#"{"access_token":"t"}"#).unwrap();
    assert!(matches!(
        p.verify_client_id(&id),
        Err(PayloadRefused::ClientIdMismatch)
    ));
    let p = NotifierPayload::parse(br#"{"client_id":"my-app2","access_token":"t"}"#).unwrap();
    assert!(matches!(
        p.verify_client_id(&id),
        Err(PayloadRefused::ClientIdMismatch)
    ));
    let p = NotifierPayload::parse(br#"{"client_id":"my-app","access_token":""}"#).unwrap();
    assert!(matches!(
        p.verify_client_id(&id),
        Err(PayloadRefused::UnusableToken)
    ));
    let p = NotifierPayload::parse(br#"{"client_id":"my-app"}"#).unwrap();
    assert!(matches!(
        p.verify_client_id(&id),
        Err(PayloadRefused::UnusableToken)
    ));
    // Not a payload at all.
    for bad in [&b""[..], b"null", b"[]", b"{\"client_id\":", b"<html>"] {
        assert!(
            matches!(
                NotifierPayload::parse(bad),
                Err(PayloadRefused::Malformed(_))
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn redirect_uri_with_white_space_or_controls_is_refused() {
    for bad in [
        "http://127.0.0.1:5055/callback\n",
        " http://127.0.0.1:5055/callback",
        "http://127.0.0.1:5055/call\tback",
        "http://127.0.0.1:5055/callback\r\n",
    ] {
        let err = RedirectUri::new(bad).expect_err(bad);
        assert!(err.to_string().contains("white space"), "{err}");
    }
}

#[test]
fn an_empty_state_matches_nothing() {
    let empty = State::new("");
    assert!(!empty.matches(""));
    assert_eq!(
        parse_callback("/cb?code=c&state=", &empty),
        Err(CallbackError::StateMismatch)
    );
}

#[test]
fn pending_login_debug_hides_the_state() {
    let client = LoginClient::new().unwrap();
    let login = client.start_login(&upstox_login_tests::app()).unwrap();
    let shown = format!("{login:?}");
    assert!(!shown.contains(login.state().as_str()), "{shown}");
    assert!(
        shown.contains("state=%5Bredacted%5D") || shown.contains("state=[redacted]"),
        "{shown}"
    );
    assert!(shown.contains("response_type=code"), "{shown}");
}

/// A saved session in today's format, with times far past any real one:
/// it decodes where the platform's clock holds them (and nothing computed
/// from them panics), or is refused for its times alone. The same document
/// with ordinary times decodes, so a refusal cannot come from its shape.
#[test]
fn a_saved_session_with_absurd_times_does_not_panic() {
    use upstox_login_sdk::Session;
    let saved = |issued_at: u64, expires_at: u64| {
        serde_json::json!({
            "access_token": "t", "issued_at": issued_at, "expires_at": expires_at
        })
        .to_string()
    };
    let ordinary: Session = serde_json::from_str(&saved(1_795_800_000_000, 1_795_851_000_000))
        .expect("the document is a session");
    assert_eq!(ordinary.access_token().secret(), "t");
    for ms in [u64::MAX, 9_223_372_036_854_775_000] {
        match serde_json::from_str::<Session>(&saved(ms, ms)) {
            Ok(session) => {
                assert_eq!(session.access_token().secret(), "t");
                let _ = session.is_expired();
                let _ = session.expires_within(std::time::Duration::MAX);
                let _ = upstox_login_sdk::expiry::format_ist(session.expires_at());
                let _ = upstox_login_sdk::expiry::format_ist(session.issued_at());
            }
            // The epoch plus `ms` does not fit the platform's clock.
            Err(e) => assert!(e.to_string().contains("out of range"), "{ms}: {e}"),
        }
    }
}

#[tokio::test]
async fn an_indie_client_id_that_would_change_the_path_is_refused() {
    let client = upstox_login_tests::client("http://127.0.0.1:9");
    for id in ["", ".", "..", "a\\b"] {
        let app = upstox_login_sdk::App::new(
            ClientId::new(id),
            upstox_login_sdk::ClientSecret::new("s"),
            RedirectUri::new(upstox_login_tests::REDIRECT_URI).unwrap(),
        );
        let err = client
            .request_indie_token(&app, upstox_login_sdk::IndieTokenOptions::default())
            .await
            .expect_err(id);
        assert!(
            matches!(err, upstox_login_sdk::Error::InvalidInput(_)),
            "{id:?}: {err:?}"
        );
    }
}

/// typify's builders refuse a body with a field missing or a value that
/// does not convert, directly and through an operation's `body_map`, which
/// starts from the empty builder; such a call sends nothing. (Their wording
/// is typify's, and not pinned.)
#[tokio::test]
async fn generated_type_builders_refuse_what_is_missing_or_wrong() {
    use upstox_login_sdk::generated::types::{GrantType, TokenRequest};
    use upstox_login_sdk::{AuthorizationCode, ClientSecret};
    assert!(TokenRequest::try_from(TokenRequest::builder()).is_err());
    let app = upstox_login_tests::app();
    let almost = TokenRequest::builder()
        .client_id(app.client_id().clone())
        .client_secret(ClientSecret::new("s"))
        .code(AuthorizationCode::new("c"))
        .redirect_uri(app.redirect_uri().clone());
    assert!(
        TokenRequest::try_from(almost.clone()).is_err(),
        "no grant_type"
    );
    assert!(
        TokenRequest::try_from(almost.clone().grant_type("password")).is_err(),
        "an unknown grant_type"
    );
    let whole = TokenRequest::try_from(almost.grant_type(GrantType::AuthorizationCode))
        .expect("every field given");
    assert_eq!(whole.code, AuthorizationCode::new("c"));

    let server = httpmock::MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let client = upstox_login_tests::generated_client(&server.base_url());
    let sent = client
        .token()
        .body_map(|b| b.code(AuthorizationCode::new("c")))
        .send()
        .await;
    assert!(
        matches!(
            sent,
            Err(upstox_login_sdk::generated::Error::InvalidRequest(_))
        ),
        "expected InvalidRequest, got {sent:?}"
    );
    any.assert_calls_async(0).await;
}

/// Every builder of the generated client, with every secret it can hold
/// set, prints none of them in `Debug` (the `redacted-builder-debug` code
/// transform covers `logout`'s `Bearer` header; the others hold newtypes).
#[test]
fn generated_builders_debug_hides_every_secret() {
    use upstox_login_sdk::generated::types::{IndieUserTokenRequest, TokenRequest};
    use upstox_login_sdk::{AuthorizationCode, ClientSecret};
    let client = upstox_login_tests::generated_client("https://api.upstox.com");
    let app = upstox_login_tests::app();
    let shown = [
        format!(
            "{:?}",
            client.logout().authorization("Bearer sekrit-access-token")
        ),
        format!(
            "{:?}",
            client.token().body(TokenRequest {
                code: AuthorizationCode::new("sekrit-code"),
                client_secret: ClientSecret::new("sekrit-client-secret"),
                ..upstox_login_tests::token_request()
            })
        ),
        format!(
            "{:?}",
            client
                .init_token_request_for_indie_user()
                .client_id(app.client_id().clone())
                .body(IndieUserTokenRequest {
                    client_id: Some(app.client_id().clone()),
                    client_secret: ClientSecret::new("sekrit-client-secret"),
                    otp_verification_disabled: None,
                })
        ),
    ];
    for s in &shown {
        assert!(!s.contains("sekrit"), "{s}");
        assert!(s.contains("redacted"), "{s}");
    }
}
