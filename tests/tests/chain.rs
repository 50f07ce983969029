//! Every public error a user can meet, walked down its `source()` chain
//! (issue 20, item 2): each cause is printed once. No cause's text is in
//! the text of an error above it (an error either returns its cause or
//! writes it into its `Display`, never both), so anyhow's `{:#}` (the
//! chain joined with `: `) and `Error`'s own `Debug` (its `Display`, then
//! "Caused by:" lines) hold each cause exactly once.

use std::time::Duration;

use httpmock::prelude::*;
use upstox_login_sdk::loopback::CallbackServer;
use upstox_login_sdk::store::SessionFile;
use upstox_login_sdk::{
    AccessToken, Error, LoginClient, NotifierPayload, Operation, RedirectUri, Waiting,
};
use upstox_login_tests::op::Op;
use upstox_login_tests::raw_server::{response, RawServer};
use upstox_login_tests::*;

/// The `Display` of `err` and of each cause, top first.
fn chain(err: &Error) -> Vec<String> {
    let mut texts = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        texts.push(cause.to_string());
        source = cause.source();
    }
    texts
}

#[track_caller]
fn assert_each_cause_once(what: &str, err: &Error) -> Vec<String> {
    let texts = chain(err);
    for (i, text) in texts.iter().enumerate() {
        assert!(!text.trim().is_empty(), "{what}: cause {i} is blank");
    }
    for (i, cause) in texts.iter().enumerate().skip(1) {
        for above in &texts[..i] {
            assert!(
                !above.to_lowercase().contains(&cause.to_lowercase()),
                "{what}: the cause {cause:?} is already written in {above:?}"
            );
        }
    }
    // anyhow's `{:#}`.
    let alternate = texts.join(": ");
    // `Error`'s Debug: the Display, then "Caused by:" and each cause.
    let debug = format!("{err:?}");
    assert!(debug.starts_with(&texts[0]), "{what}: {debug}");
    assert_eq!(
        debug.contains("Caused by:"),
        texts.len() > 1,
        "{what}: {debug}"
    );
    for cause in &texts[1..] {
        assert_eq!(
            alternate.matches(cause.as_str()).count(),
            1,
            "{what}: {cause:?} in {alternate:?}"
        );
        assert_eq!(
            debug.matches(cause.as_str()).count(),
            1,
            "{what}: {cause:?} in {debug:?}"
        );
    }
    texts
}

/// A port nothing listens on: bound, then let go.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

async fn answering(status: u16, body: &str) -> MockServer {
    let server = MockServer::start_async().await;
    let body = body.to_string();
    server
        .mock_async(|_, then| {
            then.status(status)
                .header("content-type", "application/json")
                .body(body);
        })
        .await;
    server
}

/// A server that reads the request and never answers.
async fn silent() -> RawServer {
    RawServer::serve(1, |mut conn| async move {
        conn.read_request().await;
        conn.drain().await;
    })
    .await
}

fn timing_out_client(base_url: &str) -> LoginClient {
    LoginClient::builder()
        .base_url(base_url)
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client builds")
}

#[tokio::test]
async fn api_errors_print_each_cause_once() {
    let server = answering(
        401,
        &envelope("UDAPI100069", "Invalid Auth code").to_string(),
    )
    .await;
    for op in Op::ALL {
        let err = op.call(&client(&server.base_url())).await.unwrap_err();
        assert!(matches!(err, Error::Api(_)), "{err:?}");
        assert_each_cause_once("Api", &err);
    }
}

#[tokio::test]
async fn a_refused_connection_prints_each_cause_once() {
    let base = format!("http://127.0.0.1:{}", closed_port());
    for op in Op::ALL {
        let err = op.call(&client(&base)).await.unwrap_err();
        let Error::Transport(t) = &err else {
            panic!("{op:?}: expected Transport, got {err:?}")
        };
        assert!(t.is_connect(), "{err:?}");
        assert_eq!(t.operation(), op.operation());
        let texts = assert_each_cause_once("Transport", &err);
        assert!(texts.len() > 1, "the cause is returned: {texts:?}");
    }
}

#[tokio::test]
async fn a_timeout_prints_each_cause_once_and_says_the_code_may_be_spent() {
    let server = silent().await;
    let err = Op::Token
        .call(&timing_out_client(server.base_url()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_eq!(err.operation(), Some(Operation::Token));
    let texts = assert_each_cause_once("Timeout", &err);
    assert!(
        texts[0].contains("the code may be spent") && texts[0].contains("start a new login"),
        "{}",
        texts[0]
    );
    drop(server);

    // A call that sends no code does not say so.
    let server = silent().await;
    let err = Op::Logout
        .call(&timing_out_client(server.base_url()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    let texts = assert_each_cause_once("Timeout", &err);
    assert!(!texts[0].contains("code"), "{}", texts[0]);
}

#[tokio::test]
async fn answers_that_cannot_be_used_print_each_cause_once() {
    // An undecodable success.
    let server = answering(200, "not json").await;
    let err = Op::Token
        .call(&client(&server.base_url()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidResponse(_)), "{err:?}");
    assert_each_cause_once("InvalidResponse", &err);

    // A redirect.
    let server = RawServer::reply(response(
        "302 Found",
        &[("location", "https://x.test/?code=1")],
        b"",
    ))
    .await;
    let err = Op::Token
        .call(&client(server.base_url()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Redirect(_)), "{err:?}");
    assert_each_cause_once("Redirect", &err);

    // A body over the cap.
    let server = answering(200, &"x".repeat(100)).await;
    let capped = LoginClient::builder()
        .base_url(server.base_url())
        .max_body_bytes(10)
        .build()
        .expect("client builds");
    let err = Op::Logout.call(&capped).await.unwrap_err();
    assert!(matches!(err, Error::BodyTooLarge { .. }), "{err:?}");
    assert_each_cause_once("BodyTooLarge", &err);
}

#[tokio::test]
async fn refused_input_prints_each_cause_once() {
    let err = client("http://127.0.0.1:1")
        .logout(&AccessToken::new(""))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_each_cause_once("InvalidInput", &err);

    let err = LoginClient::builder()
        .base_url("http://user:pw@127.0.0.1")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_each_cause_once("InvalidInput (base URL)", &err);

    let err = Error::from(RedirectUri::new("not a url").unwrap_err());
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_each_cause_once("InvalidInput (redirect URI)", &err);
}

#[test]
fn a_blocking_call_inside_a_runtime_prints_each_cause_once() {
    let blocking = upstox_login_sdk::blocking::LoginClient::from_builder(
        LoginClient::builder().base_url("http://127.0.0.1:1"),
    )
    .expect("client builds");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let err = runtime
        .block_on(async { blocking.logout(&AccessToken::new(ACCESS_TOKEN)) })
        .unwrap_err();
    assert!(matches!(err, Error::BlockingInAsyncRuntime), "{err:?}");
    assert_each_cause_once("BlockingInAsyncRuntime", &err);
}

#[tokio::test]
async fn callback_errors_print_each_cause_once() {
    let login = client("http://127.0.0.1:1")
        .start_login(&app())
        .expect("a login");
    for callback in [
        "http://127.0.0.1:5055/callback?x=1&code=abc&state=wrong",
        "http://127.0.0.1:5055/callback?x=1&error=access_denied&error_description=no",
        "http://127.0.0.1:5055/callback?x=1",
        "not a callback",
    ] {
        let err = Error::from(login.code_from_callback(callback).unwrap_err());
        assert!(matches!(err, Error::Callback(_)), "{err:?}");
        assert_each_cause_once(callback, &err);
    }
}

#[test]
fn notifier_errors_print_each_cause_once() {
    for body in [&b"{"[..], b"[]", b"{\"client_id\": 5}"] {
        let err = Error::from(NotifierPayload::parse(body).unwrap_err());
        assert!(matches!(err, Error::Notifier(_)), "{err:?}");
        assert_each_cause_once("Notifier", &err);
    }
    let payload =
        NotifierPayload::parse(br#"{"client_id":"other","access_token":"t"}"#).expect("a payload");
    let err = Error::from(
        payload
            .into_session(&upstox_login_sdk::ClientId::new(CLIENT_ID))
            .unwrap_err(),
    );
    assert_each_cause_once("Notifier (client id)", &err);
}

#[test]
fn store_errors_print_each_cause_once() {
    let dir = std::env::temp_dir().join(format!("chain-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let file = dir.join("plain");
    std::fs::write(&file, b"not a session").expect("a file");
    for (what, path) in [
        ("a directory", dir.clone()),
        ("a path under a plain file", file.join("session.json")),
        ("a file that is not a session", file.clone()),
    ] {
        // Under a plain file there is no folder, so no session to load: the
        // place is what `check` refuses.
        let file = SessionFile::new(&path);
        let err = Error::from(match file.load() {
            Err(e) => e,
            Ok(_) => file.check().unwrap_err(),
        });
        assert!(matches!(err, Error::Store(_)), "{err:?}");
        assert_each_cause_once(what, &err);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_held_port_prints_each_cause_once() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = held.local_addr().expect("addr").port();
    let uri = RedirectUri::new(format!("http://127.0.0.1:{port}/cb")).expect("a URI");
    let Err(err) = CallbackServer::bind(&uri).await else {
        panic!("the port is held, yet it bound")
    };
    let Error::Listen { address, .. } = &err else {
        panic!("expected Listen, got {err:?}")
    };
    assert_eq!(address.map(|a| a.port()), Some(port));
    let texts = assert_each_cause_once("Listen", &err);
    assert!(texts.len() > 1, "the OS error is the cause: {texts:?}");

    let uri = RedirectUri::new("https://example.com/cb").expect("a URI");
    let Err(err) = CallbackServer::bind(&uri).await else {
        panic!("not loopback, yet it bound")
    };
    assert!(matches!(err, Error::NotLoopback(_)), "{err:?}");
    assert_each_cause_once("NotLoopback", &err);
}

#[tokio::test]
async fn a_wait_that_times_out_prints_its_duration_as_given() {
    for (after, shown) in [
        (Duration::from_millis(300), "300ms"),
        (Duration::from_millis(1500), "1.5s"),
    ] {
        let server =
            CallbackServer::bind(&RedirectUri::new("http://127.0.0.1:0/callback").expect("a URI"))
                .await
                .expect("bind");
        let login = server
            .start_login(&client("http://127.0.0.1:1"), &app())
            .expect("a login");
        let err = server.wait_for_code(&login, after).await.unwrap_err();
        let Error::TimedOut {
            waiting_for,
            after: waited,
            ..
        } = &err
        else {
            panic!("expected TimedOut, got {err:?}")
        };
        assert_eq!((*waiting_for, *waited), (Waiting::LoginCallback, after));
        let texts = assert_each_cause_once("TimedOut", &err);
        assert!(
            texts[0].contains(&format!("within {shown};")),
            "{}",
            texts[0]
        );
    }
}
