//! Redaction that no encoding defeats. A hostile or broken server echoes
//! what it was sent, or hands out a token where the SDK does not expect
//! one, in whatever spelling: base64 (standard and URL-safe, whole or inside
//! a larger blob), HTML entities (numeric, hex or decimal, and named),
//! percent and form encoding, JSON escapes. No error keeps any of it:
//! neither its `Display` nor any of its fields.
//!
//! The spellings are made here, by the `base64` crate and by hand, not by
//! the library's own code.

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use httpmock::prelude::*;
use upstox_login_sdk::error::BodyKind;
use upstox_login_sdk::{AccessToken, AuthorizationCode, Error, LoginClient};
use upstox_login_tests::raw_server::RawServer;
use upstox_login_tests::*;

/// Everything an error shows or holds, as text.
fn kept(err: &Error) -> String {
    let mut out = format!("{err}\n{err:?}\n");
    match err {
        Error::Api(api) => {
            out += &api.body;
            for e in &api.errors {
                out += &format!(
                    "\n{:?} {:?} {:?} {}",
                    e.error_code.as_ref().map(|c| c.as_str()),
                    e.message,
                    e.property_path,
                    e.invalid_value.clone().unwrap_or_default()
                );
                out += e.message.as_deref().unwrap_or("");
            }
            if let BodyKind::JavaException { message: Some(m) } = &api.body_kind {
                out += m;
            }
        }
        Error::InvalidResponse(r) => {
            out += &r.excerpt;
            out += &r.reason;
        }
        Error::Redirect {
            location: Some(l), ..
        } => out += l,
        _ => {}
    }
    out
}

fn b64(secret: &str) -> [String; 3] {
    [
        STANDARD.encode(secret),
        URL_SAFE.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
    ]
}

/// `&#xHH;` for every byte-sized character, upper-case hex.
fn hex_entities(secret: &str) -> String {
    secret
        .chars()
        .map(|c| format!("&#x{:X};", c as u32))
        .collect()
}

/// `&#DD;` with leading zeros, and no `;` on the last one.
fn decimal_entities(secret: &str) -> String {
    let mut out: String = secret
        .chars()
        .map(|c| format!("&#00{};", c as u32))
        .collect();
    out.pop();
    out
}

/// Named entities where HTML has them (`&amp;`, `&equals;`, `&plus;`, `&sol;`).
fn named_entities(secret: &str) -> String {
    secret
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '=' => "&equals;".to_string(),
            '+' => "&plus;".to_string(),
            '/' => "&sol;".to_string(),
            ' ' => "&#32;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Every spelling of `secret` that a hostile answer below uses.
fn spellings(secret: &str) -> Vec<String> {
    let mut out = vec![
        secret.to_string(),
        url_encode(secret),
        hex_entities(secret),
        decimal_entities(secret),
        named_entities(secret),
    ];
    out.extend(b64(secret));
    out.extend(b64(secret).map(|b| b.trim_end_matches('=').to_string()));
    out
}

fn assert_none_kept(what: &str, err: &Error, secrets: &[&str]) {
    let text = kept(err);
    for secret in secrets {
        for spelling in spellings(secret) {
            assert!(
                !text.contains(&spelling),
                "{what}: keeps {spelling:?} (of {secret:?}):\n{text}"
            );
        }
    }
}

/// A server that answers every request with `answer`.
async fn answering(status: u16, content_type: &str, body: String) -> MockServer {
    let server = MockServer::start_async().await;
    server
        .mock_async(|_, then| {
            then.status(status)
                .header("content-type", content_type)
                .body(body);
        })
        .await;
    server
}

async fn exchange(base: &str) -> Error {
    client(base)
        .exchange_code(&app(), AuthorizationCode::new(CODE))
        .await
        .unwrap_err()
}

/// The client secret and the code echoed back in every spelling, inside an
/// error envelope's message and value, and inside an HTML error page.
#[tokio::test]
async fn sent_secrets_are_redacted_in_every_encoding() {
    let mut echoes = Vec::new();
    for secret in [CLIENT_SECRET, CODE] {
        echoes.extend(spellings(secret));
        // Inside a larger base64 blob, at every alignment.
        for pad in ["", "x", "xy"] {
            echoes.extend(b64(&format!(r#"{pad}{{"code":"{secret}","n":1}}"#)));
        }
    }
    for (i, echo) in echoes.iter().enumerate() {
        let envelope = serde_json::json!({
            "status": "error",
            "errors": [{
                "error_code": "UDAPI100069",
                "message": format!("bad input {echo} here"),
                "property_path": "x",
                "invalid_value": echo,
            }]
        });
        let server = answering(401, "application/json", envelope.to_string()).await;
        let err = exchange(&server.base_url()).await;
        assert!(err.has_code(&upstox_login_sdk::ErrorCode::InvalidCodeOrCredentials));
        assert_none_kept(
            &format!("envelope {i} {echo:?}"),
            &err,
            &[CLIENT_SECRET, CODE],
        );
        assert!(!kept(&err).contains(echo.as_str()), "{echo:?}");

        let page = format!("<html><body><p>You sent {echo}</p></body></html>");
        let server = answering(403, "text/html", page).await;
        let err = exchange(&server.base_url()).await;
        assert!(
            !kept(&err).contains(echo.as_str()),
            "page {i}: {}",
            kept(&err)
        );
    }
}

/// A redirect whose `Location` carries the code in base64.
#[tokio::test]
async fn a_redirect_location_never_carries_the_code_in_any_encoding() {
    for echo in b64(CODE).into_iter().chain([
        url_encode(&STANDARD.encode(CODE)),
        URL_SAFE_NO_PAD.encode(format!("state=1&code={CODE}")),
    ]) {
        let server = RawServer::reply(
            format!("HTTP/1.1 302 Found\r\nLocation: https://x.test/cb?d={echo}&s=1\r\nContent-Length: 0\r\n\r\n")
                .into_bytes(),
        )
        .await;
        let err = exchange(server.base_url()).await;
        assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
        assert!(!kept(&err).contains(&echo), "{echo:?}: {}", kept(&err));
        assert_none_kept("a Location", &err, &[CODE]);
    }
}

/// Tokens the SDK never sent (it cannot know them) in answers it cannot
/// decode: under an unknown or unquoted key, form-encoded, quoted by the
/// decoder's message, or in a plain-text error. None of their bytes is kept.
#[tokio::test]
async fn unknown_tokens_in_undecodable_answers_are_not_kept() {
    let cases = [
        (
            200,
            "application/json",
            format!(r#"{{"acces_token":"{ACCESS_TOKEN}","extended":{EXTENDED_TOKEN}"#),
        ),
        (
            200,
            "application/json",
            format!("{{access_token: {ACCESS_TOKEN}, user_id: AB1}}"),
        ),
        (
            200,
            "application/x-www-form-urlencoded",
            format!("access_token={ACCESS_TOKEN}&extended_token={EXTENDED_TOKEN}"),
        ),
        (
            200,
            "application/json",
            format!(r#"{{"access_token":"x","poa":"{ACCESS_TOKEN}"}}"#),
        ),
        (
            500,
            "text/plain",
            format!("issued {ACCESS_TOKEN} and {EXTENDED_TOKEN} then failed"),
        ),
        (
            502,
            "text/html",
            format!("<p>{}</p>", hex_entities(ACCESS_TOKEN)),
        ),
        (
            400,
            "text/plain",
            format!("token={}", STANDARD.encode(ACCESS_TOKEN)),
        ),
    ];
    for (status, content_type, body) in cases {
        let server = answering(status, content_type, body.clone()).await;
        let err = exchange(&server.base_url()).await;
        assert_eq!(err.status(), Some(status), "{err:?}");
        assert_none_kept(&body, &err, &[ACCESS_TOKEN, EXTENDED_TOKEN]);
    }
}

/// Logout sends the access token: an answer echoing it in base64 or as
/// entities keeps none of it.
#[tokio::test]
async fn logout_redacts_its_token_in_every_encoding() {
    for echo in spellings(ACCESS_TOKEN) {
        let envelope = serde_json::json!({
            "status": "error",
            "errors": [{"error_code": "UDAPI100050", "message": format!("token {echo} is invalid")}]
        });
        let server = answering(401, "application/json", envelope.to_string()).await;
        let err = client(&server.base_url())
            .logout(&AccessToken::new(ACCESS_TOKEN))
            .await
            .unwrap_err();
        assert_none_kept("logout", &err, &[ACCESS_TOKEN]);
    }
}

/// A base URL is never echoed with its credentials or query, whether it
/// parses or not.
#[test]
fn a_base_url_is_never_echoed_with_credentials() {
    for base in [
        "http://user:hunter2@[::1",
        "http://user:hunter2@127.0.0.1:99999",
        "https://user:hunter2@exa mple.com",
        "hunter2://user:hunter2@",
        "https://user:hunter2@api.upstox.com",
        "https://api.upstox.com/?key=hunter2",
        "https://api.upstox.com/#hunter2",
        "http://example.com/?key=hunter2",
        "ftp://example.com/hunter2?x=hunter2",
    ] {
        let err = LoginClient::builder().base_url(base).build().unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("hunter2"), "{base}: {text}");
    }
}
