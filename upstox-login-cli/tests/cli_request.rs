//! `upstox-login request` and its `--listen` port: bound only once the
//! session's lock is held, so two runs on one port make one request (the
//! second waits and reuses), and a run with a valid saved session binds
//! nothing.

mod common;

use std::time::SystemTime;

use common::*;
use upstox_login_sdk::simulator::{Endpoint, USER_ID};

const PATH: &str = "/upstox/notify/0ne-p0rt-tw0-runs";

/// `request` on `port` with the test's credentials, the path from the
/// environment.
fn request(home: &Home, upstox: &Upstox, port: u16) -> tokio::process::Command {
    let listen = format!("127.0.0.1:{port}");
    let mut command = home.command(&["request", "--listen", &listen, "--user-id", USER_ID]);
    upstox.credentials(&mut command);
    command.env("UPSTOX_NOTIFIER_PATH", PATH);
    command
}

/// A cron job and a person at once, on the same port: the second waits for
/// the first instead of failing at the bind, then reuses what it saved.
#[tokio::test]
async fn two_requests_on_one_port_make_one_request() {
    let home = Home::new("request-two");
    let upstox = Upstox::start().await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}{PATH}");
    upstox.sim.set_notifier_url(url.clone());
    // Upstox never approves: the test posts the payload once both run.
    upstox.sim.set_approval_delay(None);

    let mut first = Running::spawn(request(&home, &upstox, port));
    first.until(|l| l.starts_with("Waiting up to")).await;
    let mut second = Running::spawn(request(&home, &upstox, port));
    let pid = first.child.id().expect("a pid");
    second
        .until(|l| l.contains(&format!("Another program (process {pid}) is logging in")))
        .await;

    let token = upstox.sim.issue_token_for(USER_ID);
    let body = payload(CLIENT_ID, USER_ID, token.secret(), SystemTime::now());
    let answer = http_client()
        .build()
        .unwrap()
        .post(&url)
        .body(body.to_string())
        .send()
        .await
        .expect("the first run's receiver answers");
    assert_eq!(answer.status(), 200);

    let (ok, first_said, _) = first.finish().await;
    assert!(ok, "{first_said}");
    assert!(
        first_said.contains(&format!("Received the token of user {USER_ID}")),
        "{first_said}"
    );
    let (ok, stderr, _) = second.finish().await;
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("Another program received the token"),
        "{stderr}"
    );
    assert!(stderr.contains("no request needed"), "{stderr}");
    assert!(!stderr.contains("Requested."), "{stderr}");
    assert_eq!(upstox.sim.calls(Endpoint::IndieRequest), 1);
    assert!(!format!("{first_said}{stderr}").contains(token.secret()));
}

/// With a valid saved session nothing is requested, and the port (held
/// here by another program) is never bound.
#[tokio::test]
async fn a_valid_saved_session_binds_no_port() {
    let home = Home::new("request-saved");
    let upstox = Upstox::start().await;
    let port = free_port();
    upstox
        .sim
        .set_notifier_url(format!("http://127.0.0.1:{port}{PATH}"));
    let (ok, _, stderr) = run(request(&home, &upstox, port)).await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("Received the token"), "{stderr}");

    let _held = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port held");
    let (ok, _, stderr) = run(request(&home, &upstox, port)).await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("no request needed"), "{stderr}");
    assert!(!stderr.contains("Waiting up to"), "{stderr}");
    assert_eq!(upstox.sim.calls(Endpoint::IndieRequest), 1);
}
