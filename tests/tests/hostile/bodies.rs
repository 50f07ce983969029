//! Bodies that are not what they should be: empty, cut short, of the wrong
//! shape, without a token, not UTF-8, huge.

use super::*;

#[tokio::test]
async fn empty_body_on_200_is_an_invalid_response() {
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[JSON], "").await, 200, op);
        assert_eq!(e.body_len, 0);
        assert_eq!(e.excerpt, "");
        assert_eq!(e.content_type.as_deref(), Some("application/json"));
    }
}

#[tokio::test]
async fn whitespace_only_body_on_200_is_an_invalid_response() {
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[JSON], " \r\n\t ").await, 200, op);
        assert_eq!(e.body_len, 5);
    }
}

#[tokio::test]
async fn truncated_json_on_200_is_an_invalid_response_without_the_token() {
    // Cut inside the access token: what was received of it must not be kept.
    let full = token_response().to_string();
    let cut = full.find(ACCESS_TOKEN).expect("token in body") + ACCESS_TOKEN.len() - 3;
    let body = full[..cut].to_string();
    let e = expect_invalid(
        against(Op::Token, 200, &[JSON], body.clone()).await,
        200,
        Op::Token,
    );
    assert_eq!(e.body_len, body.len());
    assert!(e.excerpt.starts_with("{\"access_token\":"), "{}", e.excerpt);
    assert!(e.excerpt.contains("[redacted]"), "{}", e.excerpt);
    assert!(
        !e.excerpt.contains(&ACCESS_TOKEN[..ACCESS_TOKEN.len() - 3]),
        "{}",
        e.excerpt
    );

    // Cut after the extended token's value, before the closing brace.
    let cut = full.rfind('}').expect("closing brace");
    let e = expect_invalid(
        against(Op::Token, 200, &[JSON], full[..cut].to_string()).await,
        200,
        Op::Token,
    );
    assert!(e.excerpt.contains("[redacted]"), "{}", e.excerpt);

    for op in [Op::Logout, Op::Indie] {
        let body = op.success_body().to_string();
        let body = &body[..body.len() / 2];
        expect_invalid(against(op, 200, &[JSON], body.to_string()).await, 200, op);
    }
}

#[tokio::test]
async fn truncated_json_on_an_error_status_is_an_api_error_with_the_raw_body() {
    let body = envelope("UDAPI100069", "Invalid Auth code").to_string();
    let body = &body[..body.len() - 10];
    for op in OPS {
        let e = expect_api(against(op, 401, &[JSON], body.to_string()).await, 401, op);
        assert!(e.errors.is_empty());
        assert_eq!(
            e.body_kind,
            BodyKind::Other {
                content_type: Some("application/json".into())
            }
        );
        assert_eq!(e.body, body);
    }
}

#[tokio::test]
async fn json_of_the_wrong_shape_on_200_is_an_invalid_response() {
    let cases: &[(Op, serde_json::Value)] = &[
        (Op::Token, json!([])),
        (Op::Token, json!("a string")),
        (Op::Token, json!(42)),
        (Op::Token, json!(true)),
        (Op::Token, json!({"access_token": 5})),
        (
            Op::Token,
            json!({"access_token": ACCESS_TOKEN, "exchanges": "NSE"}),
        ),
        (
            Op::Token,
            json!({"access_token": ACCESS_TOKEN, "poa": "yes"}),
        ),
        (
            Op::Token,
            json!({"access_token": ACCESS_TOKEN, "expires_in": "soon"}),
        ),
        (Op::Logout, json!([])),
        (Op::Logout, json!({"status": "success", "data": "yes"})),
        (Op::Logout, json!({"status": 1, "data": true})),
        (Op::Indie, json!({"status": "success", "data": []})),
        (
            Op::Indie,
            json!({"status": "success", "data": {"notifier_url": 7}}),
        ),
    ];
    for (op, body) in cases {
        let e = expect_invalid(against(*op, 200, &[JSON], body.to_string()).await, 200, *op);
        assert_eq!(e.body_len, body.to_string().len());
    }
}

#[tokio::test]
async fn json_of_the_wrong_shape_on_an_error_status_is_an_api_error_of_other_kind() {
    for body in [
        json!({"errors": "oops"}),
        json!({"status": "error", "errors": [1, 2]}),
        json!({"status": "error", "errors": {"error_code": "UDAPI100069"}}),
        json!(["UDAPI100069"]),
        json!({"message": "no stack trace, not a Java exception"}),
    ] {
        for op in OPS {
            let e = expect_api(against(op, 400, &[JSON], body.to_string()).await, 400, op);
            assert!(e.errors.is_empty(), "{body}");
            assert_eq!(
                e.body_kind,
                BodyKind::Other {
                    content_type: Some("application/json".into())
                },
                "{body}"
            );
            assert_eq!(e.body, body.to_string());
        }
    }
}

#[tokio::test]
async fn a_token_response_without_a_usable_token_is_an_invalid_response() {
    for body in [
        json!({"user_id": "AB1234"}),
        json!({"access_token": null, "user_id": "AB1234"}),
        json!({"access_token": "", "user_id": "AB1234"}),
        json!({}),
    ] {
        let e = expect_invalid(
            against(Op::Token, 200, &[JSON], body.to_string()).await,
            200,
            Op::Token,
        );
        assert!(e.reason.contains("access_token"), "{body}: {}", e.reason);
    }
}

#[tokio::test]
async fn an_envelope_with_an_empty_entry_keeps_the_entry() {
    let e = expect_api(
        against(
            Op::Token,
            400,
            &[JSON],
            r#"{"status":"error","errors":[{}]}"#,
        )
        .await,
        400,
        Op::Token,
    );
    assert_eq!(e.body_kind, BodyKind::Envelope);
    assert_eq!(e.errors.len(), 1);
    assert_eq!(e.code(), None);
}

#[tokio::test]
async fn json_null_is_an_invalid_response_on_200_and_an_api_error_otherwise() {
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[JSON], "null").await, 200, op);
        assert_eq!(e.excerpt, "null");
        let e = expect_api(against(op, 500, &[JSON], "null").await, 500, op);
        assert!(e.errors.is_empty());
        assert!(matches!(e.body_kind, BodyKind::Other { .. }), "{e:?}");
        assert_eq!(e.body, "null");
    }
}

#[tokio::test]
async fn invalid_utf8_body_on_200_is_an_invalid_response() {
    let body: &[u8] = b"\xff\xfe\x00garbage\xc3\x28";
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[JSON], body).await, 200, op);
        assert_eq!(e.body_len, body.len());
        assert!(e.excerpt.contains('\u{fffd}'), "{}", e.excerpt);
    }
}

#[tokio::test]
async fn invalid_utf8_inside_a_json_string_is_an_invalid_response() {
    let body: &[u8] = b"{\"access_token\":\"tok\xff\xfeen\",\"user_id\":\"AB\xc3\x28\"}";
    let e = expect_invalid(against(Op::Token, 200, &[JSON], body).await, 200, Op::Token);
    assert!(
        !e.excerpt.contains("tok\u{fffd}") && e.excerpt.contains("[redacted]"),
        "the token is not kept: {}",
        e.excerpt
    );
    let body: &[u8] = b"{\"status\":\"succ\xffess\",\"data\":true}";
    expect_invalid(
        against(Op::Logout, 200, &[JSON], body).await,
        200,
        Op::Logout,
    );
}

#[tokio::test]
async fn invalid_utf8_on_an_error_status_is_an_api_error_with_a_lossy_body() {
    let body: &[u8] = b"<html>\xff\xfe upstream error</html>";
    for op in OPS {
        let e = expect_api(against(op, 401, &[HTML], body).await, 401, op);
        assert_eq!(e.body, "<html>\u{fffd}\u{fffd} upstream error</html>");
        assert!(matches!(e.body_kind, BodyKind::Other { .. }));
    }
}

#[tokio::test]
async fn a_huge_undecodable_body_keeps_only_an_excerpt() {
    // Words: a long run of letters could be a token, and would be blanked.
    let page = format!("<html>{}</html>", "a word ".repeat(15_000));
    let e = expect_invalid(
        against(Op::Token, 200, &[HTML], page.clone()).await,
        200,
        Op::Token,
    );
    assert_eq!(e.body_len, page.len());
    assert!(e.excerpt.len() < EXCERPT_BYTES + 40, "{}", e.excerpt.len());
    assert!(e.excerpt.ends_with("more bytes)"), "{}", e.excerpt);
}
