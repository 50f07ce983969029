//! Secrets echoed back: in an error code, a WAF page, JSON escapes or an
//! undecodable success body, none is shown. What was received is kept raw
//! behind the accessors (`raw_body`, `entries`), which say so.

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
    // The code is kept as received, and shown only when it has Upstox's shape.
    assert_eq!(e.code(), Some(&ErrorCode::Other(CLIENT_SECRET.into())));
    assert_eq!(e.message(), Some("bad code [redacted]"));
    assert!(e.to_string().contains("\"bad code [redacted]\""), "{e}");
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
    let e = expect_api(
        against(Op::Token, 403, &[HTML], page.clone()).await,
        403,
        Op::Token,
    );
    assert_eq!(e.raw_body(), page.as_bytes());
    let shown = shown(&Error::Api(e));
    assert!(!shown.contains(&pct20), "{shown}");
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
    let e = expect_api(
        against(Op::Indie, 401, &[JSON], body.clone()).await,
        401,
        Op::Indie,
    );
    // Kept as received (decoded), shown nowhere, escaped or not.
    assert_eq!(e.entries()[0].invalid_value, Some(json!(CLIENT_SECRET)));
    assert_eq!(e.raw_body(), body.as_bytes());
    let shown = shown(&Error::Api(e));
    assert!(!shown.contains(&escaped), "{shown}");
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
    assert_eq!(e.raw_body(), body.to_string().as_bytes());
    // Not JSON at all, but with the tokens in it.
    let body = format!(
        "<pre>access_token: x\n\"access_token\" : \"{ACCESS_TOKEN}\", \"extended_token\":\"{EXTENDED_TOKEN}\"</pre>"
    );
    let e = expect_invalid(
        against(Op::Token, 200, &[HTML], body.clone()).await,
        200,
        Op::Token,
    );
    assert_eq!(e.raw_body(), body.as_bytes());
}
