//! `upstox-login login --paste`: the URL the browser landed on, on stdin;
//! and the pasted URLs that are refused, with nothing spent or written.

mod common;

use std::process::Stdio;

use common::*;
use tokio::io::AsyncWriteExt;

/// Runs `login --paste`, pasting what `paste` makes of the landing URL
/// (the callback the simulator sends the browser to).
async fn paste(
    home: &Home,
    upstox: &Upstox,
    paste: impl Fn(&url::Url) -> String,
) -> (bool, String) {
    let mut command = home.command(&["login", "--paste"]);
    upstox.credentials(&mut command);
    command.stdin(Stdio::piped());
    let mut running = Running::spawn(command);
    let url = running.authorization_url(upstox.sim.base_url()).await;
    let landed = upstox
        .sim
        .log_in(&url)
        .expect("the login page takes the URL");
    let mut stdin = running.child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{}\n", paste(&landed)).as_bytes())
        .await
        .expect("pasted");
    drop(stdin);
    let (ok, stderr, stdout) = running.finish().await;
    assert_eq!(stdout, "");
    (ok, stderr)
}

/// The paste was refused, saying `why`: nothing saved, and nothing sent
/// with the code (the simulator saw no exchange to refuse).
fn refused(home: &Home, upstox: &Upstox, ok: bool, stderr: &str, why: &str) {
    assert!(!ok);
    assert!(stderr.contains(why), "{stderr}");
    assert!(!home.session("default").exists());
    assert!(
        upstox.sim.problems().is_empty(),
        "{:?}",
        upstox.sim.problems()
    );
}

/// `url` with its query parameter `name` set to `value`.
fn with(url: &url::Url, name: &str, value: &str) -> String {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out.to_string()
}

#[tokio::test]
async fn the_pasted_url_logs_in() {
    let home = Home::new("paste");
    let upstox = Upstox::start().await;
    let (ok, stderr) = paste(&home, &upstox, |landed| landed.to_string()).await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("Logged in as"), "{stderr}");
    assert!(home.session("default").exists());
    assert!(
        upstox.sim.problems().is_empty(),
        "{:?}",
        upstox.sim.problems()
    );
}

#[tokio::test]
async fn a_pasted_url_with_another_state_is_refused() {
    let home = Home::new("paste-state");
    let upstox = Upstox::start().await;
    let (ok, stderr) = paste(&home, &upstox, |landed| with(landed, "state", "forged")).await;
    refused(&home, &upstox, ok, &stderr, "state does not match");
}

#[tokio::test]
async fn a_pasted_url_from_another_host_is_refused() {
    let home = Home::new("paste-host");
    let upstox = Upstox::start().await;
    let (ok, stderr) = paste(&home, &upstox, |landed| {
        let mut other = landed.clone();
        other.set_host(Some("evil.example")).unwrap();
        other.to_string()
    })
    .await;
    refused(&home, &upstox, ok, &stderr, "not to the redirect URI");
}

#[tokio::test]
async fn a_pasted_error_is_reported() {
    let home = Home::new("paste-error");
    let upstox = Upstox::start().await;
    let (ok, stderr) = paste(&home, &upstox, |landed| {
        let state = landed
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        let mut refused = landed.clone();
        refused
            .query_pairs_mut()
            .clear()
            .append_pair("error", "access_denied")
            .append_pair("state", &state);
        refused.to_string()
    })
    .await;
    assert!(!ok);
    assert!(
        stderr.contains("the login was refused: access_denied"),
        "{stderr}"
    );
    assert!(!home.session("default").exists());
}
