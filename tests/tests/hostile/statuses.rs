//! Statuses: an envelope under a 200, undocumented statuses, every
//! documented error status, and Java exceptions.

use super::*;

#[tokio::test]
async fn a_200_carrying_the_error_envelope_is_an_api_error() {
    for op in OPS {
        let e = expect_api(
            against(
                op,
                200,
                &[JSON],
                envelope("UDAPI100069", "Invalid Auth code").to_string(),
            )
            .await,
            200,
            op,
        );
        assert_eq!(e.body_kind, BodyKind::Envelope);
        assert_eq!(e.code(), Some(&ErrorCode::InvalidCodeOrCredentials));
        assert_eq!(e.errors[0].message.as_deref(), Some("Invalid Auth code"));
    }
    // `errors` present but empty, with status error: still an error.
    let e = expect_api(
        against(
            Op::Logout,
            200,
            &[JSON],
            r#"{"status":"error","errors":[],"data":true}"#,
        )
        .await,
        200,
        Op::Logout,
    );
    assert!(e.errors.is_empty());
    assert_eq!(e.body_kind, BodyKind::Envelope);
}

#[tokio::test]
async fn undocumented_statuses_are_invalid_responses() {
    for (status, body) in [
        (201, token_response().to_string()),
        (204, String::new()),
        (299, token_response().to_string()),
        (999, String::new()),
    ] {
        let e = expect_invalid(
            against(Op::Token, status, &[JSON], body.clone()).await,
            status,
            Op::Token,
        );
        assert!(
            e.reason.contains("not documented"),
            "{status}: {}",
            e.reason
        );
        assert_eq!(e.body_len, body.len());
    }
}

/// Runs one documented error status against every operation, with the
/// envelope and with no body at all.
async fn documented_status(status: u16, code: &str) {
    let with = MockServer::start_async().await;
    let without = MockServer::start_async().await;
    for op in OPS {
        with.mock_async(|when, then| {
            when.method(op.method()).path(op.path());
            then.status(status)
                .header("content-type", "application/json")
                .json_body(envelope(code, "documented error"));
        })
        .await;
        without
            .mock_async(|when, then| {
                when.method(op.method()).path(op.path());
                then.status(status);
            })
            .await;
    }
    for op in OPS {
        let e = expect_api(op.call(&client(&with.base_url())).await, status, op);
        assert_eq!(e.body_kind, BodyKind::Envelope);
        assert_eq!(e.errors.len(), 1);
        assert_eq!(e.code(), Some(&ErrorCode::parse(code)));
        assert!(e.to_string().contains(code), "{e}");

        let e = expect_api(op.call(&client(&without.base_url())).await, status, op);
        assert_eq!(e.body_kind, BodyKind::Empty);
        assert!(e.errors.is_empty());
        assert_eq!(e.body, "");
        assert!(e.to_string().contains("no body"), "{e}");
    }
}

macro_rules! documented_statuses {
    ($($name:ident: $status:literal $code:literal;)*) => {$(
        #[tokio::test]
        async fn $name() {
            documented_status($status, $code).await;
        }
    )*};
}

documented_statuses! {
    status_400_with_and_without_a_body: 400 "UDAPI1022";
    status_401_with_and_without_a_body: 401 "UDAPI100050";
    status_403_with_and_without_a_body: 403 "UDAPI100067";
    status_404_with_and_without_a_body: 404 "UDAPI100060";
    status_405_with_and_without_a_body: 405 "UDAPI10000";
    status_406_with_and_without_a_body: 406 "UDAPI10000";
    status_410_with_and_without_a_body: 410 "UDAPI100060";
    status_422_with_and_without_a_body: 422 "UDAPI1023";
    status_423_with_and_without_a_body: 423 "UDAPI100073";
    status_429_with_and_without_a_body: 429 "UDAPI10005";
    status_500_with_and_without_a_body: 500 "UDAPI100500";
    status_503_with_and_without_a_body: 503 "UDAPI100500";
}

#[tokio::test]
async fn java_exception_on_logout_401_is_an_api_error_of_that_kind() {
    let body = json!({
        "cause": null,
        "stackTrace": [{"methodName": "validate", "fileName": "OAuthValidator.java",
                        "lineNumber": 88, "className": "com.upstox.oauth.OAuthValidator",
                        "nativeMethod": false}],
        "message": "Invalid token used to access API",
        "localizedMessage": "Invalid token used to access API",
        "suppressed": []
    });
    let server = mock_answer(Op::Logout, 401, &[JSON], body.to_string()).await;
    let e = expect_api(
        Op::Logout.call(&client(&server.base_url())).await,
        401,
        Op::Logout,
    );
    assert_eq!(
        e.body_kind,
        BodyKind::JavaException {
            message: Some("Invalid token used to access API".into())
        }
    );
    assert!(e.errors.is_empty());
    let text = e.to_string();
    assert!(text.contains("Invalid token used to access API"), "{text}");
    assert!(text.contains("log in again"), "{text}");
}

#[tokio::test]
async fn java_exception_echoing_the_token_does_not_show_it() {
    let body = json!({
        "cause": null, "stackTrace": [], "suppressed": [],
        "message": null,
        "localizedMessage": format!("Token {ACCESS_TOKEN} is revoked"),
    });
    let server = mock_answer(Op::Logout, 401, &[JSON], body.to_string()).await;
    let e = expect_api(
        Op::Logout.call(&client(&server.base_url())).await,
        401,
        Op::Logout,
    );
    assert_eq!(
        e.body_kind,
        BodyKind::JavaException {
            message: Some("Token [redacted] is revoked".into())
        }
    );
}
