//! What an error shows never holds a secret the call sent, in any encoding
//! a server may echo it in (issue 23, item 2).
//!
//! A raw server echoes what it got: it takes the secret out of the request
//! it received (the form's `client_secret` or `code`, the JSON body's
//! `client_secret`, the `Authorization` header's token), encodes it, and
//! puts it in the error envelope's `message`, in its `invalid_value`, in an
//! HTML error page, or in a redirect's `Location`. The error's `Display`,
//! `Debug` (`{:?}` and `{:#?}`), every cause's, its shown `message()`, all
//! of these through `terminal::escape`, and (for the token exchange) the
//! page a callback listener shows the browser, are searched for the secret
//! itself and for the same encoding of it (as sent, as JSON-escaped, as
//! `escape` and `{:?}` would print it). The encodings are made here, by hand
//! or by the `base64` crate, not by the SDK.

mod encodings;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use upstox_login_sdk::loopback::CallbackServer;
use upstox_login_sdk::terminal::escape;
use upstox_login_sdk::{App, ClientId, ClientSecret, Error, LoginClient, RedirectUri};
use upstox_login_tests::op::Op;
use upstox_login_tests::raw_server::{response, RawServer, Request};
use upstox_login_tests::*;

use encodings::{pct_upper, percent, Echo, Encode, ENCODINGS, KNOWN_LEAKS};

/// A secret a call sends, and where the echoing server finds it.
#[derive(Clone, Copy, Debug)]
enum Sent {
    /// The token exchange's form `client_secret`.
    TokenClientSecret,
    /// The token exchange's form `code`.
    TokenCode,
    /// The indie-user token request's JSON `client_secret`.
    IndieClientSecret,
    /// The logout's `Authorization: Bearer` token.
    LogoutToken,
}

impl Sent {
    const ALL: [Sent; 4] = [
        Sent::TokenClientSecret,
        Sent::TokenCode,
        Sent::IndieClientSecret,
        Sent::LogoutToken,
    ];

    fn op(self) -> Op {
        match self {
            Sent::TokenClientSecret | Sent::TokenCode => Op::Token,
            Sent::IndieClientSecret => Op::Indie,
            Sent::LogoutToken => Op::Logout,
        }
    }

    fn value(self) -> &'static str {
        match self {
            Sent::TokenClientSecret | Sent::IndieClientSecret => CLIENT_SECRET,
            Sent::TokenCode => CODE,
            Sent::LogoutToken => ACCESS_TOKEN,
        }
    }

    /// The secret as the server got it, decoded from the request.
    fn echoed(self, request: &Request) -> Option<String> {
        let form_field = |name: &str| {
            String::from_utf8_lossy(&request.body)
                .split('&')
                .find_map(|f| f.strip_prefix(&format!("{name}=")).map(form_decode))
        };
        match self {
            Sent::TokenClientSecret => form_field("client_secret"),
            Sent::TokenCode => form_field("code"),
            Sent::IndieClientSecret => serde_json::from_slice::<serde_json::Value>(&request.body)
                .ok()?["client_secret"]
                .as_str()
                .map(str::to_owned),
            Sent::LogoutToken => request
                .headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .and_then(|(_, v)| v.strip_prefix("Bearer "))
                .map(str::to_owned),
        }
    }
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where the server puts the echo.
#[derive(Clone, Copy, Debug)]
enum Place {
    Message,
    InvalidValue,
    HtmlPage,
    Location,
}

const PLACES: [Place; 4] = [
    Place::Message,
    Place::InvalidValue,
    Place::HtmlPage,
    Place::Location,
];

/// The body (or head) the server answers for an echo at `place`.
fn answer(echo: &Echo, place: Place) -> Vec<u8> {
    let inner = &echo.json[1..echo.json.len() - 1];
    let envelope = |message: &str, value: &str| {
        format!(
            r#"{{"status":"error","errors":[{{"error_code":"UDAPI100069","message":{message},"property_path":"x","invalid_value":{value}}}]}}"#
        )
    };
    let json = [("content-type", "application/json")];
    match place {
        Place::Message => response(
            "401 Unauthorized",
            &json,
            envelope(&format!("\"bad input {inner} here\""), "\"x\"").as_bytes(),
        ),
        Place::InvalidValue => response(
            "401 Unauthorized",
            &json,
            envelope("\"bad input\"", &echo.json).as_bytes(),
        ),
        Place::HtmlPage => response(
            "403 Forbidden",
            &[("content-type", "text/html")],
            format!(
                "<html><body><p>You sent {}</p><pre>{{\"echo\":{}}}</pre></body></html>",
                echo.text, echo.json
            )
            .as_bytes(),
        ),
        Place::Location => response("302 Found", &[("location", &location(echo))], b""),
    }
}

/// A `Location` carrying the echo, its bytes that a header cannot hold
/// percent-encoded.
fn location(echo: &Echo) -> String {
    let value = percent(&echo.text, |b| (0x21..0x7f).contains(&b), pct_upper);
    format!("https://x.test/cb?d={value}&s=1")
}

/// Everything the error shows, each with a label.
fn shown(err: &Error) -> Vec<(String, String)> {
    let mut out = vec![
        ("Display".to_string(), err.to_string()),
        ("{:?}".to_string(), format!("{err:?}")),
        ("{:#?}".to_string(), format!("{err:#?}")),
    ];
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        out.push(("a cause".into(), format!("{cause} {cause:?} {cause:#?}")));
        source = cause.source();
    }
    if let Error::Api(api) = err {
        out.push(("message()".into(), api.message().unwrap_or_default().into()));
        out.push(("ApiError {:?}".into(), format!("{api:?}")));
    }
    let escaped: Vec<(String, String)> = out
        .iter()
        .map(|(what, text)| (format!("escape({what})"), escape(text).to_string()))
        .collect();
    out.extend(escaped);
    out
}

/// What must not be found: the secret, and the echo as sent, as JSON
/// carried it, and as `escape` and `{:?}` print it.
fn needles(secret: &str, echo: &Echo, place: Place) -> Vec<String> {
    let mut out = vec![
        secret.to_string(),
        echo.text.clone(),
        echo.json[1..echo.json.len() - 1].to_string(),
        escape(&echo.text).to_string(),
        format!("{:?}", echo.text).trim_matches('"').to_string(),
    ];
    if matches!(place, Place::Location) {
        out.push(location(echo));
    }
    out.sort();
    out.dedup();
    out
}

/// How the error reaches a person: returned by the call, or written on
/// the page `CallbackServer::complete_login` shows the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    Call,
    Page,
}

/// The HTML page's text with its five escapes undone.
fn unescape_html(page: &str) -> String {
    page.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A login completed by a callback listener against `client`: the
/// exchange's error and the page the browser was shown.
async fn through_the_page(client: &LoginClient) -> (Error, String) {
    let server =
        CallbackServer::bind(&RedirectUri::new("http://127.0.0.1:0/callback").expect("a URI"))
            .await
            .expect("bind");
    let app = App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        server.redirect_uri().clone(),
    );
    let login = server.start_login(client, &app).expect("a login");
    let callback = format!(
        "{}?code={}&state={}",
        login.redirect_uri().as_str(),
        url_encode(CODE),
        login.state()
    );
    let browser = async {
        let page = reqwest::Client::new()
            .get(&callback)
            .send()
            .await
            .expect("the page");
        page.text().await.expect("the page's text")
    };
    let (result, page) = tokio::join!(
        server.complete_login(client, &app, &login, Duration::from_secs(10)),
        browser
    );
    match result {
        Err(e) => (e, page),
        Ok(session) => panic!("an echo was a session: {session:?}"),
    }
}

/// Fails unless the error kept (raw, behind its accessors) the echo the
/// server sent: the search for it is then not vacuous.
#[track_caller]
fn assert_echo_kept(what: &str, err: &Error, echo: &Echo, place: Place) {
    let kept = match (err, place) {
        (Error::Redirect(r), Place::Location) => r.location() == Some(location(echo).as_str()),
        (Error::Api(api), _) => {
            let body = String::from_utf8_lossy(api.raw_body());
            match place {
                Place::Message => body.contains(&echo.json[1..echo.json.len() - 1]),
                Place::InvalidValue => body.contains(&echo.json),
                _ => body.contains(&echo.text),
            }
        }
        _ => false,
    };
    assert!(kept, "{what}: the echo was not received: {err:?}");
}

/// Runs every encoding at every place for one sent secret, against one
/// server that echoes each request (and, for the token exchange, through
/// the browser page too); returns what got through.
async fn leaks_of(sent: Sent, encodings: &'static [(&'static str, Encode)]) -> Vec<String> {
    let vias: &[Via] = match sent.op() {
        Op::Token => &[Via::Call, Via::Page],
        _ => &[Via::Call],
    };
    let cases: Arc<Vec<(usize, Place, Via)>> = Arc::new(
        (0..encodings.len())
            .flat_map(|i| PLACES.map(|p| (i, p)))
            .flat_map(|(i, p)| vias.iter().map(move |v| (i, p, *v)))
            .collect(),
    );
    let table: Arc<Vec<(&'static str, Encode)>> = Arc::new(encodings.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let server = {
        let (cases, table) = (cases.clone(), table.clone());
        RawServer::serve_for(cases.len(), Duration::from_secs(300), move |mut conn| {
            let (cases, table, next) = (cases.clone(), table.clone(), next.clone());
            async move {
                let request = conn.read_request().await;
                let (i, place, _) = cases[next.fetch_add(1, Ordering::SeqCst)];
                let reply = match Request::parse(&request).and_then(|r| sent.echoed(&r)) {
                    Some(got) => answer(&(table[i].1)(&got), place),
                    // Not an error status: the call fails the kind check below.
                    None => response("200 OK", &[], b"the secret was not found"),
                };
                conn.reply(&reply).await;
            }
        })
        .await
    };
    let client = client(server.base_url());
    let secret = sent.value();
    let mut leaks = Vec::new();
    for &(i, place, via) in cases.iter() {
        let (name, encode) = table[i];
        let echo = encode(secret);
        let what = format!("{sent:?} / {name} / {place:?} / {via:?}");
        let (err, page) = match via {
            Via::Call => match sent.op().call(&client).await {
                Err(err) => (err, None),
                Ok(v) => panic!("{what}: an echo was a success: {v:?}"),
            },
            Via::Page => {
                let (err, page) = through_the_page(&client).await;
                (err, Some(page))
            }
        };
        let kind_ok = match place {
            Place::Location => matches!(err, Error::Redirect(_)),
            _ => matches!(err, Error::Api(_)),
        };
        assert!(kind_ok, "{what}: {err:?}");
        assert_echo_kept(&what, &err, &echo, place);
        let mut outputs = shown(&err);
        if let Some(page) = page {
            assert!(page.contains("Login failed"), "{what}: {page}");
            outputs.push(("the page, unescaped".into(), unescape_html(&page)));
            outputs.push(("the page".into(), page));
        }
        for (shown_as, text) in outputs {
            for needle in needles(secret, &echo, place) {
                if needle.chars().count() >= 4 && text.contains(&needle) {
                    leaks.push(format!("{what}: {shown_as} shows {needle:?}: {text}"));
                }
            }
        }
    }
    server.stop().await;
    leaks
}

#[tokio::test]
async fn no_error_shows_a_sent_secret_in_any_encoding() {
    assert!(ENCODINGS.len() >= 30, "{}", ENCODINGS.len());
    let mut leaks = Vec::new();
    for sent in Sent::ALL {
        leaks.extend(leaks_of(sent, ENCODINGS).await);
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

#[tokio::test]
async fn spellings_that_once_got_through_are_not_shown() {
    let mut leaks = Vec::new();
    for sent in Sent::ALL {
        leaks.extend(leaks_of(sent, KNOWN_LEAKS).await);
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

/// A secret split across two fields of the envelope (an entry's `message`
/// and `invalid_value`, or the messages of two entries) is never shown
/// whole: not both halves.
#[tokio::test]
async fn a_secret_split_across_two_fields_is_not_shown_whole() {
    for sent in Sent::ALL {
        let secret = sent.value();
        let (a, b) = secret.split_at(secret.len() / 2);
        let bodies = [
            serde_json::json!({"status": "error", "errors": [
                {"error_code": "UDAPI100069", "message": format!("got {a}"), "invalid_value": b}]}),
            serde_json::json!({"status": "error", "errors": [
                {"error_code": "UDAPI100069", "message": format!("got {a}")},
                {"error_code": "UDAPI100069", "message": format!("and {b}")}]}),
            serde_json::json!({"status": "error", "errors": [
                {"error_code": "UDAPI100069", "message": format!("got {a} and"), "property_path": b}]}),
        ];
        for body in bodies {
            let server = RawServer::reply(response(
                "401 Unauthorized",
                &[("content-type", "application/json")],
                body.to_string().as_bytes(),
            ))
            .await;
            let err = sent
                .op()
                .call(&client(server.base_url()))
                .await
                .expect_err("an error");
            for (what, text) in shown(&err) {
                assert!(
                    !(text.contains(a) && text.contains(b)),
                    "{sent:?} split {body}: {what} shows both halves: {text}"
                );
            }
        }
    }
}
