//! Secrets echoed back: in an error code, a WAF page, JSON escapes or an
//! undecodable success body, none is shown.

use super::*;

#[tokio::test]
async fn an_unknown_error_code_echoing_a_secret_does_not_show_it() {
    let body = json!({"status": "error", "errors": [
        {"error_code": CLIENT_SECRET, "message": format!("bad code {CODE}")}]});
    let e = expect_api(
        against(Op::Token, 400, &[JSON], body.to_string()).await,
        400,
        Op::Token,
    );
    assert_eq!(e.code(), Some(&ErrorCode::Other("[redacted]".into())));
    assert_eq!(e.errors[0].message.as_deref(), Some("bad code [redacted]"));
}

#[tokio::test]
async fn an_error_page_echoing_the_request_does_not_show_its_secrets() {
    // A WAF page that echoes the form it blocked, and the secret again
    // percent-encoded the way a path or a query would be (`%20` for space).
    let pct20 = url_encode(CLIENT_SECRET).replace('+', "%20");
    let page = format!(
        "<html>blocked: {} / secret={pct20}</html>",
        token_form_body("")
    );
    let e = expect_api(against(Op::Token, 403, &[HTML], page).await, 403, Op::Token);
    // The form is a run long enough to hold a token: blanked whole.
    assert_eq!(
        e.body,
        "<html>blocked: [redacted] / secret=[redacted]</html>"
    );
}

#[tokio::test]
async fn an_envelope_echoing_the_secret_in_json_escapes_does_not_show_it() {
    // Gson, say, escapes `&`, `=` and `/`: the raw body hides the secret from
    // a plain search, the decoded one does not.
    let escaped = CLIENT_SECRET
        .replace('&', "\\u0026")
        .replace('=', "\\u003d")
        .replace('/', "\\/");
    let body = format!(
        r#"{{"status":"error","errors":[{{"errorCode":"UDAPI100069","message":"bad","invalidValue":"{escaped}","propertyPath":"secret"}}]}}"#
    );
    let e = expect_api(against(Op::Indie, 401, &[JSON], body).await, 401, Op::Indie);
    assert_eq!(e.errors[0].invalid_value, Some(json!("[redacted]")));
    assert!(!e.body.contains(&escaped), "{}", e.body);
    let decoded: serde_json::Value = serde_json::from_str(&e.body).expect("the body is JSON");
    assert!(!decoded.to_string().contains(CLIENT_SECRET), "{}", e.body);
}

#[tokio::test]
async fn an_undecodable_success_body_does_not_show_the_tokens_it_carries() {
    // A token response with one bad field: valid JSON, wrong shape.
    let mut body = token_response();
    body["poa"] = json!("maybe");
    let e = expect_invalid(
        against(Op::Token, 200, &[JSON], body.to_string()).await,
        200,
        Op::Token,
    );
    assert!(e.excerpt.contains("[redacted]"), "{}", e.excerpt);
    // Not JSON at all, but with the tokens in it.
    let body = format!(
        "<pre>access_token: x\n\"access_token\" : \"{ACCESS_TOKEN}\", \"extended_token\":\"{EXTENDED_TOKEN}\"</pre>"
    );
    let e = expect_invalid(against(Op::Token, 200, &[HTML], body).await, 200, Op::Token);
    assert!(e.excerpt.contains("[redacted]"), "{}", e.excerpt);
}
