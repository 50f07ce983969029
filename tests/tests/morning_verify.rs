//! The morning call's indie way and reuse, verified: the account expected
//! of a new token is the saved session's (even one not reused), so a
//! stranger's real token naming its own account is refused; and with
//! `verify(true)` a saved token revoked elsewhere is found and replaced.

use std::time::Duration;

use upstox_login_sdk::morning::{LoginWay, MorningLogin, Outcome, Step};
use upstox_login_sdk::simulator::{Simulator, USER_ID};
use upstox_login_sdk::store::SessionFile;
use upstox_login_sdk::webhook::{NotifierAddress, NotifierEvent};
use upstox_login_sdk::{IndieTokenOptions, LoginClient, PayloadRefused};
use upstox_login_tests::notifier::payload;
use upstox_login_tests::*;

const PATH: &str = "/upstox/notify/s3cret-path";

/// The indie way on a free port; its URL, told at [`Step::NotifierUrl`],
/// is the one the simulator posts to.
fn indie() -> LoginWay {
    LoginWay::Indie {
        notifier: NotifierAddress::new("127.0.0.1:0".parse().unwrap(), PATH).unwrap(),
        options: IndieTokenOptions::default(),
    }
}

async fn log_in(
    sim: &Simulator,
    client: &LoginClient,
    file: &SessionFile,
    verify: bool,
) -> (Outcome, Vec<String>) {
    let app = app();
    let mut steps = Vec::new();
    let done = MorningLogin::new(file, &app)
        .timeout(Duration::from_secs(20))
        .verify(verify)
        .run(client, indie(), |step| {
            if let Step::NotifierUrl(url) = step {
                sim.set_notifier_url(url);
            }
            steps.push(format!("{step:?}"))
        })
        .await
        .expect("a session");
    (done.outcome, steps)
}

#[tokio::test]
async fn the_saved_sessions_account_is_expected_of_a_new_token() {
    let sim = Simulator::start(&app()).await.unwrap();
    let client = client(sim.base_url());
    let file = session_file("morning-verify-expected");
    let (outcome, steps) = log_in(&sim, &client, &file, false).await;
    assert_eq!(outcome, Outcome::LoggedIn);
    // Nothing to expect the first time: the step says so.
    assert!(steps.iter().any(|s| s == "NoExpectedAccount"), "{steps:?}");

    // The saved session is not reused (the margin is longer than its
    // life), yet its account is the one expected.
    let stranger = sim.issue_token_for("OTHER1");
    sim.set_approval_delay(Some(Duration::from_secs(3)));
    let app = app();
    let forged = payload(CLIENT_ID, "OTHER1", stranger.secret()).to_string();
    let mut forger = None;
    let mut events = Vec::new();
    let done = MorningLogin::new(&file, &app)
        .margin(Duration::from_secs(3 * 86_400))
        .timeout(Duration::from_secs(20))
        .run(&client, indie(), |step| match step {
            Step::NotifierUrl(url) => {
                sim.set_notifier_url(url);
                let (url, forged) = (url.to_string(), forged.clone());
                forger = Some(tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    reqwest::Client::new()
                        .post(&url)
                        .body(forged)
                        .send()
                        .await
                        .map(|a| a.status().as_u16())
                }));
            }
            Step::Notifier(event) => events.push(event),
            _ => {}
        })
        .await
        .expect("a session");
    let forger = forger.expect("the receiver's URL was told");
    assert_eq!(forger.await.unwrap().unwrap(), 400);
    assert_eq!(done.outcome, Outcome::LoggedIn);
    assert_eq!(done.session.user_id(), Some(USER_ID));
    assert!(
        matches!(
            &events[..],
            [NotifierEvent::Rejected(
                PayloadRefused::ClaimsOtherAccount { .. }
            )]
        ),
        "{events:?}"
    );
}

#[tokio::test]
async fn verify_finds_a_revoked_saved_token_and_logs_in_again() {
    let sim = Simulator::start(&app()).await.unwrap();
    let client = client(sim.base_url());
    let file = session_file("morning-verify-revoked");
    log_in(&sim, &client, &file, false).await;
    let saved = file.load().unwrap().unwrap();
    let (outcome, _) = log_in(&sim, &client, &file, true).await;
    assert_eq!(outcome, Outcome::Reused, "a live token is reused");

    client.logout(saved.access_token()).await.unwrap();
    let (outcome, _) = log_in(&sim, &client, &file, false).await;
    assert_eq!(outcome, Outcome::Reused, "the clock alone trusts it");
    let (outcome, steps) = log_in(&sim, &client, &file, true).await;
    assert_eq!(outcome, Outcome::LoggedIn);
    assert!(
        steps.iter().any(|s| s.starts_with("SavedSessionDead")),
        "{steps:?}"
    );
    let renewed = file.load().unwrap().unwrap();
    assert_ne!(
        renewed.access_token().secret(),
        saved.access_token().secret()
    );
    assert!(!format!("{steps:?}").contains(saved.access_token().secret()));
}
