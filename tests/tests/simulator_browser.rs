//! The simulator plays the browser: it follows the authorization URL and
//! delivers the callback over HTTP to a `CallbackServer` on port 0, whose
//! real redirect URI is registered with the simulated app.

use std::time::Duration;

use upstox_login_sdk::loopback::CallbackServer;
use upstox_login_sdk::simulator::{Problem, Simulator, USER_ID};
use upstox_login_sdk::{App, ClientId, ClientSecret, ErrorCode, RedirectUri};
use upstox_login_tests::*;

fn port_zero_app() -> App {
    App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        RedirectUri::new("http://127.0.0.1:0/callback").unwrap(),
    )
}

#[tokio::test]
async fn a_port_zero_listener_receives_the_callback_and_logs_in() {
    let app = port_zero_app();
    let sim = Simulator::start(&app).await.unwrap();
    let client = client(sim.base_url());
    let server = CallbackServer::bind(app.redirect_uri()).await.unwrap();
    sim.register_redirect_uri(server.redirect_uri());
    let login = server.start_login(&client, &app).unwrap();
    let (session, browser) = tokio::join!(
        server.complete_login(&client, &app, &login, Duration::from_secs(10)),
        sim.complete_in_browser(login.url()),
    );
    browser.expect("the callback was delivered");
    let session = session.expect("logged in");
    assert_eq!(session.user_id(), Some(USER_ID));
    client.profile(session.access_token()).await.expect("live");
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
}

/// Without the registration, the login dialog refuses the listener's URI,
/// as Upstox refuses a redirect URI it does not know.
#[tokio::test]
async fn an_unregistered_port_is_refused_by_the_dialog() {
    let app = port_zero_app();
    let sim = Simulator::start(&app).await.unwrap();
    let client = client(sim.base_url());
    let server = CallbackServer::bind(app.redirect_uri()).await.unwrap();
    let login = server.start_login(&client, &app).unwrap();
    match sim.complete_in_browser(login.url()).await {
        Err(Problem::Refused { code, status, .. }) => {
            assert_eq!((status, code), (400, ErrorCode::RedirectUriMismatch))
        }
        other => panic!("{other:?}"),
    }
}

/// Nothing listening: a `Callback` problem, recorded, that shows the
/// redirect URI without its query (the code).
#[tokio::test]
async fn a_callback_nobody_receives_is_a_problem_without_the_code() {
    let app = port_zero_app();
    let sim = Simulator::start(&app).await.unwrap();
    let client = client(sim.base_url());
    let server = CallbackServer::bind(app.redirect_uri()).await.unwrap();
    let redirect = server.redirect_uri().clone();
    sim.register_redirect_uri(&redirect);
    let login = server.start_login(&client, &app).unwrap();
    drop(server);
    let problem = sim.complete_in_browser(login.url()).await.unwrap_err();
    match &problem {
        Problem::Callback { redirect_uri, .. } => assert_eq!(redirect_uri, redirect.as_str()),
        other => panic!("{other:?}"),
    }
    let shown = format!("{problem} {problem:?}");
    assert!(!shown.contains("code="), "{shown}");
    assert!(!shown.contains("sim-code-"), "{shown}");
    assert_eq!(sim.problems(), vec![problem]);
}
