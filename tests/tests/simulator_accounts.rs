//! The simulator's profile endpoint, its second accounts and its clock: a
//! token it issued is live until its logout or its 03:30 IST expiry by the
//! simulator's clock; any other token is `UDAPI100050`.

use std::time::{Duration, UNIX_EPOCH};

use upstox_login_sdk::expiry::expires_at;
use upstox_login_sdk::simulator::{Endpoint, Problem, Simulator, USER_ID};
use upstox_login_sdk::{AccessToken, ErrorCode, IndieTokenOptions, LoginClient};
use upstox_login_tests::*;

async fn start() -> (Simulator, LoginClient) {
    let sim = Simulator::start(&app()).await.expect("simulator starts");
    let client = client(sim.base_url());
    (sim, client)
}

async fn session(sim: &Simulator, client: &LoginClient) -> upstox_login_sdk::Session {
    let login = client.start_login(&app()).unwrap();
    let callback = sim.log_in(login.url()).unwrap();
    let code = login.code_from_callback(callback.as_str()).unwrap();
    client.exchange_code(&app(), code).await.expect("a session")
}

fn invalid_token(e: &upstox_login_sdk::Error) -> bool {
    e.status() == Some(401) && e.has_code(&ErrorCode::InvalidToken)
}

/// 2026-11-28 09:15 IST.
fn morning() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_837_500)
}

#[tokio::test]
async fn a_token_it_issued_is_live_until_its_logout() {
    let (sim, client) = start().await;
    let session = session(&sim, &client).await;
    let profile = client.profile(session.access_token()).await.expect("live");
    assert_eq!(profile.user_id(), Some(USER_ID));
    assert_eq!(profile.account().user_name(), session.account().user_name());
    assert_eq!(profile.account().email(), session.account().email());
    assert_eq!(profile.account().broker(), Some("UPSTOX"));
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());

    client.logout(session.access_token()).await.unwrap();
    let e = client.profile(session.access_token()).await.unwrap_err();
    assert!(invalid_token(&e), "{e}");
}

#[tokio::test]
async fn a_token_it_did_not_issue_is_udapi100050() {
    let (sim, client) = start().await;
    for forged in ["sim-access-made-up", "eyJhbGciOiJIUzI1NiJ9.e30.x"] {
        let e = client.profile(&AccessToken::new(forged)).await.unwrap_err();
        assert!(invalid_token(&e), "{forged}: {e}");
    }
    assert_eq!(sim.problems().len(), 2);
    let shown = sim.problems()[0].to_string();
    assert!(shown.starts_with("GET /v2/user/profile: "), "{shown}");
}

/// A second account's token: real, live, and another account's profile.
#[tokio::test]
async fn it_issues_real_tokens_of_a_second_account() {
    let (sim, client) = start().await;
    let other = sim.issue_token_for("OTHER1");
    let profile = client.profile(&other).await.expect("a live token");
    assert_eq!(profile.user_id(), Some("OTHER1"));
    assert_ne!(profile.account().email(), Some("simulated@example.com"));
    let mine = session(&sim, &client).await;
    assert_ne!(mine.access_token(), &other);
    client.logout(&other).await.expect("its logout works");
    let e = client.profile(&other).await.unwrap_err();
    assert!(invalid_token(&e), "{e}");
    // The first account's token is untouched.
    client.profile(mine.access_token()).await.expect("live");
}

/// Expiry at a given instant: a token issued at 09:15 IST is live at
/// 03:29:59 IST the next day and dead at 03:30:00, for the profile and
/// for logout alike.
#[tokio::test]
async fn expiry_is_tested_at_the_simulators_clock() {
    let (sim, client) = start().await;
    sim.set_now(morning());
    assert_eq!(sim.now(), morning());
    let session = session(&sim, &client).await;
    let other = sim.issue_token_for("OTHER1");
    let cutoff = expires_at(morning());
    sim.set_now(cutoff - Duration::from_secs(1));
    client.profile(session.access_token()).await.expect("live");
    client.profile(&other).await.expect("live");
    sim.set_now(cutoff);
    for token in [session.access_token(), &other] {
        let e = client.profile(token).await.unwrap_err();
        assert!(invalid_token(&e), "{e}");
        let e = client.logout(token).await.unwrap_err();
        assert!(invalid_token(&e), "{e}");
    }
    match sim.problems().last() {
        Some(Problem::Refused { reason, .. }) => assert!(reason.contains("expired"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

/// The indie-user request's times come from the simulator's clock too.
#[tokio::test]
async fn the_indie_request_uses_the_simulators_clock() {
    let (sim, client) = start().await;
    sim.set_now(morning());
    let request = client
        .request_indie_token(&app(), IndieTokenOptions::default())
        .await
        .unwrap();
    assert_eq!(
        request.expires_at(),
        Some(morning() + Duration::from_secs(600))
    );
}

#[tokio::test]
async fn a_scripted_profile_failure_comes_back_typed() {
    let (sim, client) = start().await;
    let token = sim.issue_token_for(USER_ID);
    sim.fail_next(Endpoint::Profile, ErrorCode::NoActiveSegment);
    let e = client.profile(&token).await.unwrap_err();
    assert!(e.has_code(&ErrorCode::NoActiveSegment), "{e}");
    client
        .profile(&token)
        .await
        .expect("the next call succeeds");
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
}
