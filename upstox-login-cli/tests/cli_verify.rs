//! `upstox-login request` against forgers, and `status --verify` /
//! `login --verify` against a revoked token: the command takes only the
//! payload whose token Upstox vouches for as the expected account's, and
//! no token, forged or real, shows in its output.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use serde_json::{json, Value};
use upstox_login_sdk::simulator::USER_ID;
use upstox_login_sdk::LoginClient;

const PATH: &str = "/upstox/notify/k33p-th1s-0ut-of-ps";
const MADE_UP: &str = "made-up-token-0123456789";

fn client(upstox: &Upstox) -> LoginClient {
    LoginClient::builder()
        .base_url(upstox.sim.base_url())
        .build()
        .unwrap()
}

/// The saved session's access token, read from the file as a program would.
fn saved_token(home: &Home) -> String {
    let file: Value =
        serde_json::from_slice(&std::fs::read(home.session("default")).unwrap()).unwrap();
    file["session"]["access_token"]
        .as_str()
        .expect("a token in the file")
        .to_string()
}

/// `request --listen 127.0.0.1:PORT --path PATH` with the test's
/// credentials, the simulator posting there: exit success and stderr.
async fn request(home: &Home, upstox: &Upstox) -> (bool, String) {
    let port = free_port();
    upstox
        .sim
        .set_notifier_url(format!("http://127.0.0.1:{port}{PATH}"));
    let listen = format!("127.0.0.1:{port}");
    let mut command = home.command(&["request", "--listen", &listen, "--path", PATH]);
    upstox.credentials(&mut command);
    let (ok, _, stderr) = run(command).await;
    (ok, stderr)
}

#[tokio::test]
async fn request_refuses_forged_payloads_and_takes_the_real_one() {
    let home = Home::new("verify-request");
    let upstox = Upstox::start().await;
    let now = SystemTime::now();
    let yesterday = now - Duration::from_secs(86_400);
    upstox.sim.set_now(yesterday);
    let old = upstox.sim.issue_token_for(USER_ID);
    upstox.sim.set_now(now);
    let stranger = upstox.sim.issue_token_for("OTHER1");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}{PATH}");
    upstox.sim.set_notifier_url(url.clone());
    upstox.sim.set_approval_delay(Some(Duration::from_secs(7)));

    let listen = format!("127.0.0.1:{port}");
    let mut command = home.command(&["request", "--listen", &listen, "--user-id", USER_ID]);
    upstox.credentials(&mut command);
    // The path from the environment, out of the process list.
    command.env("UPSTOX_NOTIFIER_PATH", PATH);
    let mut running = Running::spawn(command);
    running.until(|l| l.starts_with("Waiting up to")).await;

    let mut replay = payload(CLIENT_ID, USER_ID, old.secret(), yesterday);
    replay["issued_at"] = millis(yesterday).into();
    let forged = [
        payload("someone-else", USER_ID, MADE_UP, now),
        payload(CLIENT_ID, USER_ID, MADE_UP, now),
        payload(CLIENT_ID, USER_ID, stranger.secret(), now),
        payload(CLIENT_ID, "OTHER1", stranger.secret(), now),
        replay,
    ];
    let http = http_client().build().unwrap();
    let mut answers = String::new();
    for body in &forged {
        let answer = http.post(&url).body(body.to_string()).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{body}");
        answers.push_str(&answer.text().await.unwrap());
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let (ok, stderr, stdout) = running.finish().await;
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains(&format!("Received the token of user {USER_ID}")),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("rejected a notifier POST").count(),
        5,
        "{stderr}"
    );
    let token = saved_token(&home);
    let mut tokens = vec![MADE_UP, stranger.secret(), old.secret()];
    assert!(
        !tokens.contains(&token.as_str()),
        "a forged token was saved"
    );
    tokens.push(&token);
    let shown = format!("{stdout}{stderr}{answers}");
    for t in tokens {
        assert!(!shown.contains(t), "{shown}");
    }
    client(&upstox)
        .logout(&upstox_login_sdk::AccessToken::new(token))
        .await
        .expect("the saved token is the live one Upstox sent");
}

/// Without an expected account (no --user-id, no user id configured, no
/// saved session), the command says it trusted the first verified token,
/// and how to pin the account.
#[tokio::test]
async fn request_without_an_expected_account_says_how_to_pin_it() {
    let home = Home::new("verify-unpinned");
    let upstox = Upstox::start().await;
    let (ok, stderr) = request(&home, &upstox).await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("first token that verified"), "{stderr}");
    assert!(stderr.contains(&format!("--user-id {USER_ID}")), "{stderr}");
}

/// A token revoked after it was saved: `status --verify` finds it and
/// exits non-zero, saying why; `login --verify` logs in again.
#[tokio::test]
async fn a_revoked_token_is_found_by_verify() {
    let home = Home::new("verify-revoked");
    let upstox = Upstox::start().await;
    let (ok, stderr) = request(&home, &upstox).await;
    assert!(ok, "{stderr}");
    let token = saved_token(&home);

    let mut command = home.command(&["status", "--verify"]);
    upstox.credentials(&mut command);
    let (ok, stdout, stderr) = run(command).await;
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("live"), "{stdout}");

    // A logout elsewhere.
    client(&upstox)
        .logout(&upstox_login_sdk::AccessToken::new(token.clone()))
        .await
        .unwrap();
    // The clock alone still trusts it.
    let mut command = home.command(&["status"]);
    upstox.credentials(&mut command);
    assert!(run(command).await.0);
    let mut command = home.command(&["status", "--verify"]);
    upstox.credentials(&mut command);
    let (ok, stdout, stderr) = run(command).await;
    assert!(!ok, "{stdout}{stderr}");
    assert!(stdout.contains("refused by Upstox"), "{stdout}");
    assert!(stdout.contains("UDAPI100050"), "{stdout}");
    assert!(!format!("{stdout}{stderr}").contains(&token));

    let mut command = home.command(&["login", "--verify", "--no-browser"]);
    upstox.credentials(&mut command);
    let mut running = Running::spawn(command);
    let url = running.authorization_url(upstox.sim.base_url()).await;
    upstox.browse(&url).await;
    let (ok, stderr, stdout) = running.finish().await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("not live"), "{stderr}");
    assert!(stderr.contains("Logged in as"), "{stderr}");
    let renewed = saved_token(&home);
    assert_ne!(renewed, token);
    assert!(!format!("{stdout}{stderr}").contains(&token));
    assert!(!format!("{stdout}{stderr}").contains(&renewed));
}

/// `--tls-cert` and `--tls-key`: the receiver serves HTTPS; a plain-http
/// POST to it is not taken, the payload over HTTPS is.
#[tokio::test]
async fn request_serves_https_with_the_given_certificate() {
    let home = Home::new("verify-tls");
    let upstox = Upstox::start().await;
    // Upstox never approves: the test posts the payload itself.
    upstox.sim.set_approval_delay(None);
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("a certificate");
    let cert = home.dir.join("cert.pem");
    let key = home.dir.join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let (cert_arg, key_arg) = (cert.display().to_string(), key.display().to_string());
    let mut command = home.command(&[
        "request",
        "--listen",
        &listen,
        "--path",
        PATH,
        "--user-id",
        USER_ID,
        "--tls-cert",
        &cert_arg,
        "--tls-key",
        &key_arg,
    ]);
    upstox.credentials(&mut command);
    let mut running = Running::spawn(command);
    let waiting = running.until(|l| l.starts_with("Waiting up to")).await;
    let url = format!("https://127.0.0.1:{port}{PATH}");
    assert!(waiting.contains(&url), "{waiting}");

    let token = upstox.sim.issue_token_for(USER_ID);
    let body = payload(CLIENT_ID, USER_ID, token.secret(), SystemTime::now()).to_string();
    let plain = http_client()
        .build()
        .unwrap()
        .post(format!("http://127.0.0.1:{port}{PATH}"))
        .timeout(Duration::from_secs(5))
        .body(body.clone())
        .send()
        .await;
    assert!(
        !matches!(&plain, Ok(a) if a.status().is_success()),
        "{plain:?}"
    );
    let https = http_client()
        .add_root_certificate(
            upstox_login_sdk::reqwest::Certificate::from_pem(certified.cert.pem().as_bytes())
                .unwrap(),
        )
        .build()
        .unwrap();
    let answer = https.post(&url).body(body).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let (ok, stderr, stdout) = running.finish().await;
    assert!(ok, "{stderr}");
    assert_eq!(saved_token(&home), token.secret());
    assert!(!format!("{stdout}{stderr}").contains(token.secret()));
}

/// The path from the config file, kept out of the process list; the
/// account's `user_id` there is the one expected.
#[tokio::test]
async fn request_takes_the_path_and_user_id_from_the_config_file() {
    let home = Home::new("verify-config");
    let upstox = Upstox::start().await;
    let port = free_port();
    upstox
        .sim
        .set_notifier_url(format!("http://127.0.0.1:{port}{PATH}"));
    let mut account = upstox.account(USER_ID);
    account["notifier_path"] = PATH.into();
    home.config(&json!({"accounts": {"default": account}}), 0o600);
    let listen = format!("127.0.0.1:{port}");
    let (ok, _, stderr) = run(home.command(&["request", "--listen", &listen])).await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains(PATH), "{stderr}");
    assert!(!stderr.contains("first token that verified"), "{stderr}");
}
