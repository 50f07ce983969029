//! The loopback login end to end, driven as a browser would: follow the
//! authorization URL through a mock Upstox that redirects to the callback,
//! or hit the callback directly, against the library's listener.

use std::time::Duration;

use httpmock::prelude::*;
use upstox_login_sdk::loopback::{CallbackServer, LoopbackEvent};
use upstox_login_sdk::{
    App, AuthorizationCode, CallbackError, ClientId, ClientSecret, Error, ErrorCode, LoginClient,
    PendingLogin, RedirectUri,
};
use upstox_login_sdk::{Listener, Waiting};
use upstox_login_tests::*;

/// A mock Upstox whose login dialog redirects back with `CODE` and the state.
async fn mock_upstox(token_status: u16, token_body: serde_json::Value) -> MockServer {
    let server = MockServer::start_async().await;
    dialog_redirecting_back(&server).await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/login/authorization/token")
                .form_urlencoded_tuple("code", CODE);
            then.status(token_status).json_body(token_body);
        })
        .await;
    server
}

struct Flow {
    client: LoginClient,
    app: App,
    server: CallbackServer,
    login: PendingLogin,
    callback: String,
}

async fn flow(upstox: &MockServer) -> Flow {
    let server = CallbackServer::bind(&RedirectUri::new("http://127.0.0.1:0/callback").unwrap())
        .await
        .unwrap();
    let app = App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        server.redirect_uri().clone(),
    );
    let client = client(&upstox.base_url());
    let login = client.start_login(&app).unwrap();
    let callback = server.redirect_uri().as_str().to_string();
    Flow {
        client,
        app,
        server,
        login,
        callback,
    }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Runs the listener in the background, collecting its events.
fn listen(
    server: CallbackServer,
    login: PendingLogin,
    timeout: Duration,
) -> tokio::task::JoinHandle<(Result<AuthorizationCode, Error>, Vec<LoopbackEvent>)> {
    tokio::spawn(async move {
        let mut events = Vec::new();
        let result = server
            .wait_for_code_with(&login, timeout, |e| events.push(e))
            .await;
        (result, events)
    })
}

#[tokio::test]
async fn full_login_through_the_redirect() {
    let upstox = mock_upstox(200, token_response()).await;
    let f = flow(&upstox).await;
    let waiting = listen(f.server, f.login.clone(), Duration::from_secs(10));

    // The browser opens the printed URL; Upstox redirects it to the callback.
    let page = browser().get(f.login.url().as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.url().as_str().starts_with(&f.callback));
    // The code is not exchanged yet: the page must not claim a login.
    let text = page.text().await.unwrap();
    assert!(text.contains("Code received"), "{text}");
    assert!(!text.to_lowercase().contains("logged in"), "{text}");

    let (code, events) = waiting.await.unwrap();
    assert!(events.is_empty(), "{events:?}");
    let session = f.client.exchange_code(&f.app, code.unwrap()).await.unwrap();
    assert_eq!(session.access_token().secret(), ACCESS_TOKEN);
}

#[tokio::test]
async fn wrong_state_is_rejected_and_the_listener_keeps_waiting() {
    let upstox = mock_upstox(200, token_response()).await;
    let f = flow(&upstox).await;
    let waiting = listen(f.server, f.login.clone(), Duration::from_secs(10));

    let forged = browser()
        .get(format!("{}?code=FORGED&state=not-ours", f.callback))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let no_state = browser()
        .get(format!("{}?code=FORGED", f.callback))
        .send()
        .await
        .unwrap();
    assert_eq!(no_state.status(), 400);
    let page = browser().get(f.login.url().as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200);

    let (code, events) = waiting.await.unwrap();
    assert_eq!(
        code.unwrap().secret(),
        CODE,
        "the forged code was not taken"
    );
    assert_eq!(
        events,
        [
            LoopbackEvent::Rejected(CallbackError::StateMismatch),
            LoopbackEvent::Rejected(CallbackError::MissingState)
        ]
    );
}

#[tokio::test]
async fn stray_requests_are_ignored() {
    let upstox = mock_upstox(200, token_response()).await;
    let f = flow(&upstox).await;
    let waiting = listen(f.server, f.login.clone(), Duration::from_secs(10));
    let origin = f.callback.trim_end_matches("/callback").to_string();

    // A browser that never sends a request (a speculative preconnect) must
    // not block the others.
    let _idle = tokio::net::TcpStream::connect(origin.trim_start_matches("http://"))
        .await
        .unwrap();
    let b = browser();
    assert_eq!(
        b.get(format!("{origin}/favicon.ico"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        b.get(format!("{origin}/other?code=x&state=y"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        b.post(&f.callback).body("x").send().await.unwrap().status(),
        405
    );
    // Garbage that is not HTTP at all.
    {
        use tokio::io::AsyncWriteExt;
        let mut raw = tokio::net::TcpStream::connect(origin.trim_start_matches("http://"))
            .await
            .unwrap();
        raw.write_all(b"\x16\x03\x01garbage\r\n\r\n").await.unwrap();
    }
    assert_eq!(
        b.get(f.login.url().as_str()).send().await.unwrap().status(),
        200
    );

    let (code, events) = waiting.await.unwrap();
    assert_eq!(code.unwrap().secret(), CODE);
    let ignored: Vec<_> = events
        .iter()
        .map(|e| match e {
            LoopbackEvent::Ignored(stray) => format!("{} {}", stray.method, stray.path),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ignored,
        ["GET /favicon.ico", "GET /other", "POST /callback"]
    );
}

#[tokio::test]
async fn no_callback_times_out() {
    let upstox = mock_upstox(200, token_response()).await;
    let f = flow(&upstox).await;
    let started = std::time::Instant::now();
    let err = f
        .server
        .wait_for_code(&f.login, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::TimedOut { waiting_for: Waiting::LoginCallback, after, .. }
            if after == Duration::from_millis(300)),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // The duration as given, not rounded to whole seconds.
    assert!(
        err.to_string()
            .contains("no login callback arrived within 300ms"),
        "{err}"
    );
}

#[tokio::test]
async fn error_callback_ends_the_login() {
    let upstox = mock_upstox(200, token_response()).await;
    let f = flow(&upstox).await;
    let waiting = listen(f.server, f.login.clone(), Duration::from_secs(10));
    let url = format!(
        "{}?error=access_denied&error_description=%3Cscript%3Eno%3C%2Fscript%3E&state={}",
        f.callback,
        f.login.state()
    );
    let page = browser().get(url).send().await.unwrap();
    assert_eq!(page.status(), 400);
    let text = page.text().await.unwrap();
    assert!(
        text.contains("&lt;script&gt;") && !text.contains("<script>"),
        "escaped: {text}"
    );
    let (result, _) = waiting.await.unwrap();
    match result {
        Err(Error::Callback(CallbackError::Denied { error, description })) => {
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("<script>no</script>"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn token_exchange_refused_with_udapi100069() {
    let upstox = mock_upstox(401, envelope("UDAPI100069", "Invalid Auth code")).await;
    let f = flow(&upstox).await;
    let waiting = listen(f.server, f.login.clone(), Duration::from_secs(10));
    browser().get(f.login.url().as_str()).send().await.unwrap();
    let (code, _) = waiting.await.unwrap();
    let err = f
        .client
        .exchange_code(&f.app, code.unwrap())
        .await
        .unwrap_err();
    assert!(
        err.has_code(&ErrorCode::InvalidCodeOrCredentials),
        "{err:?}"
    );
    assert!(matches!(&err, Error::Api(api) if api.status == 401));
    assert!(err.to_string().contains("spent"), "{err}");
}

#[tokio::test]
async fn a_non_loopback_redirect_uri_is_refused() {
    for uri in [
        "https://example.com/cb",
        "http://example.com/cb",
        "https://127.0.0.1:5055/cb",
    ] {
        let err = CallbackServer::bind(&RedirectUri::new(uri).unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotLoopback(_)), "{uri}: {err:?}");
    }
}

#[tokio::test]
async fn a_login_for_another_redirect_uri_fails_at_once() {
    let upstox = mock_upstox(200, token_response()).await;
    let f = flow(&upstox).await;
    let other = App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        RedirectUri::new("http://127.0.0.1:1/elsewhere").unwrap(),
    );
    let login = f.client.start_login(&other).unwrap();
    let started = std::time::Instant::now();
    let err = f
        .server
        .wait_for_code(&login, Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Callback(CallbackError::Malformed(_))),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn localhost_listens_on_both_loopback_addresses() {
    let server = CallbackServer::bind(&RedirectUri::new("http://localhost:0/cb").unwrap())
        .await
        .unwrap();
    let port = server.redirect_uri().url().port().unwrap();
    let app = App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        server.redirect_uri().clone(),
    );
    let login = upstox_login_tests::client("http://127.0.0.1:9")
        .start_login(&app)
        .unwrap();
    let v6_available = std::net::TcpListener::bind("[::1]:0").is_ok();
    let waiting = listen(server, login.clone(), Duration::from_secs(10));
    if v6_available {
        // Something else trying to take the IPv6 side of the port fails.
        assert!(std::net::TcpListener::bind(("::1", port)).is_err());
        let stray = browser()
            .get(format!("http://[::1]:{port}/favicon.ico"))
            .send()
            .await
            .unwrap();
        assert_eq!(stray.status(), 404);
    }
    let url = format!("http://127.0.0.1:{port}/cb?code=c&state={}", login.state());
    assert_eq!(browser().get(url).send().await.unwrap().status(), 200);
    let (code, events) = waiting.await.unwrap();
    assert_eq!(code.unwrap().secret(), "c");
    assert_eq!(events.len(), usize::from(v6_available));
}

/// Another program listening on `[::1]:PORT` would get the code and the
/// state from a browser that tries IPv6 first for `localhost`: binding
/// fails, before any URL is printed, naming the address and the problem.
#[tokio::test]
async fn localhost_with_its_ipv6_side_taken_is_refused() {
    let Some((port, _squatter)) = port_taken_on_ipv6_only() else {
        eprintln!("skipped: this machine has no IPv6 loopback, so nothing can listen there");
        return;
    };
    let uri = RedirectUri::new(format!("http://localhost:{port}/cb")).unwrap();
    let err = CallbackServer::bind(&uri).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, Error::Listen { listener: Listener::LoginCallback, address: Some(address), source, .. }
            if *address == std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port))
                && source.kind() == std::io::ErrorKind::AddrInUse),
        "{err:?}"
    );
    assert!(
        text.contains(&format!("[::1]:{port}")) && text.contains("in use"),
        "{text}"
    );
    // Nothing is left listening on the IPv4 side either.
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
}

/// The same for a taken IPv4 side: the error says which address.
#[tokio::test]
async fn a_taken_port_is_named_in_the_error() {
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = squatter.local_addr().unwrap().port();
    for host in ["127.0.0.1", "localhost"] {
        let uri = RedirectUri::new(format!("http://{host}:{port}/cb")).unwrap();
        let err = CallbackServer::bind(&uri).await.unwrap_err();
        assert!(
            matches!(&err, Error::Listen { address: Some(address), .. }
                if *address == std::net::SocketAddr::from(([127, 0, 0, 1], port))),
            "{host}: {err:?}"
        );
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
    }
}

/// A login whose app says port 0 and is never rebuilt, completed by the
/// listener against a mock Upstox whose token endpoint takes only the
/// listener's real redirect URI and answers `status` with `body`: the mock,
/// the page the browser got, and the listener's outcome.
async fn complete_login_on_port_0(
    status: u16,
    body: serde_json::Value,
) -> (
    MockServer,
    reqwest::Response,
    tokio::task::JoinHandle<Result<upstox_login_sdk::Session, Error>>,
) {
    let app = App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        RedirectUri::new("http://127.0.0.1:0/callback").unwrap(),
    );
    let server = CallbackServer::bind(app.redirect_uri()).await.unwrap();
    let real = server.redirect_uri().as_str().to_string();
    assert!(!real.contains(":0/"), "{real}");
    let upstox = upstox_for(&real, status, body).await;
    let client = client(&upstox.base_url());
    let login = server.start_login(&client, &app).unwrap();
    assert_eq!(login.redirect_uri().as_str(), real);
    let url = login.url().clone();
    let done = tokio::spawn(async move {
        server
            .complete_login(&client, &app, &login, Duration::from_secs(10))
            .await
    });
    let page = browser().get(url.as_str()).send().await.unwrap();
    (upstox, page, done)
}

async fn upstox_for(redirect: &str, status: u16, body: serde_json::Value) -> MockServer {
    let upstox = MockServer::start_async().await;
    dialog_redirecting_back(&upstox).await;
    upstox
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/login/authorization/token")
                .form_urlencoded_tuple("redirect_uri", redirect);
            then.status(status).json_body(body);
        })
        .await;
    upstox
}

/// The app's redirect URI says port 0 and is never rebuilt: the listener's
/// real port goes into the authorization URL and the exchange, and the
/// browser is answered after the exchange with the session's expiry in IST.
#[tokio::test]
async fn complete_login_on_port_0_tells_the_browser_until_when_it_is_logged_in() {
    let (_upstox, page, done) = complete_login_on_port_0(200, token_response()).await;
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    let session = done.await.unwrap().expect("logged in");
    let until = upstox_login_sdk::expiry::format_ist(session.expires_at());
    assert!(
        text.contains(&format!("You are logged in to Upstox until {until}")),
        "{text}"
    );
    assert!(until.ends_with(" IST"));
    assert!(
        !text.contains(ACCESS_TOKEN) && !text.contains(CODE),
        "{text}"
    );
}

/// A token endpoint that refuses the code: the browser is told the login
/// failed, with Upstox's code and advice, and nothing secret.
#[tokio::test]
async fn complete_login_tells_the_browser_when_the_exchange_fails() {
    let refusal = serde_json::json!({"status": "error", "errors": [{
        "error_code": "UDAPI100069",
        "message": format!("Invalid code {CODE} <script>alert(1)</script>"),
    }]});
    let (_upstox, page, done) = complete_login_on_port_0(401, refusal).await;
    assert_eq!(page.status(), 502);
    let text = page.text().await.unwrap();
    assert!(text.contains("Login failed"), "{text}");
    assert!(text.contains("UDAPI100069"), "{text}");
    assert!(text.contains("start a new login"), "{text}");
    assert!(!text.to_lowercase().contains("logged in to"), "{text}");
    assert!(!text.contains(CODE) && !text.contains("<script>"), "{text}");
    match done.await.unwrap() {
        Err(e @ Error::Api(_)) => {
            assert!(e.has_code(&ErrorCode::InvalidCodeOrCredentials), "{e}")
        }
        other => panic!("expected the exchange's error, got {other:?}"),
    }
}
