//! `NotifierVerifier`: a notifier payload becomes a session only once its
//! token verifies as the expected account's. Forged payloads are made with
//! the simulator's real tokens of another account.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use httpmock::prelude::*;
use serde_json::{json, Value};
use upstox_login_sdk::expiry::expires_at;
use upstox_login_sdk::simulator::{Simulator, USER_ID};
use upstox_login_sdk::{
    ClientId, ErrorCode, LoginClient, NotifierPayload, NotifierVerifier, PayloadRefused,
};
use upstox_login_tests::*;

fn millis(t: SystemTime) -> String {
    t.duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string()
}

/// A payload as Upstox sends it, issued at `now`.
fn payload(user_id: &str, token: &str, now: SystemTime) -> Value {
    json!({
        "client_id": CLIENT_ID, "user_id": user_id, "access_token": token,
        "token_type": "Bearer", "expires_at": millis(expires_at(now)),
        "issued_at": millis(now), "message_type": "access_token"
    })
}

fn parse(v: &Value) -> NotifierPayload {
    NotifierPayload::parse(v.to_string().as_bytes()).expect("parses")
}

/// A case: what it is, the payload, and the refusal it must get.
type Case = (&'static str, Value, fn(&PayloadRefused) -> bool);

fn verifier(client: &LoginClient) -> NotifierVerifier {
    NotifierVerifier::new(client.clone(), ClientId::new(CLIENT_ID))
}

/// Payloads refused before any call: no request reaches the server.
#[tokio::test]
async fn a_payload_that_fails_its_own_checks_makes_no_call() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let client = client(&server.base_url());
    let now = SystemTime::now();
    let good = payload(USER_ID, "tok-0123456789", now);
    let with = |key: &str, value: Value| {
        let mut p = good.clone();
        p[key] = value;
        p
    };
    let year_5870 = "123456789012345";
    let cases: Vec<Case> = vec![
        (
            "another client id",
            with("client_id", json!("someone-else")),
            |r| matches!(r, PayloadRefused::ClientIdMismatch),
        ),
        ("no token", with("access_token", Value::Null), |r| {
            matches!(r, PayloadRefused::UnusableToken)
        }),
        ("an empty token", with("access_token", json!("")), |r| {
            matches!(r, PayloadRefused::UnusableToken)
        }),
        ("a blank token", with("access_token", json!("   ")), |r| {
            matches!(r, PayloadRefused::UnusableToken)
        }),
        (
            "a control character",
            with("access_token", json!("tok\r\nX-Evil: 1")),
            |r| matches!(r, PayloadRefused::UnusableToken),
        ),
        ("a bell", with("access_token", json!("tok\u{7}")), |r| {
            matches!(r, PayloadRefused::UnusableToken)
        }),
        (
            "an expiry already past",
            with("expires_at", json!(millis(now - Duration::from_secs(1)))),
            |r| matches!(r, PayloadRefused::Expired { .. }),
        ),
        ("the year 5870", with("expires_at", json!(year_5870)), |r| {
            matches!(r, PayloadRefused::ExpiresTooLate { .. })
        }),
        (
            "one second past the next 03:30 IST",
            with(
                "expires_at",
                json!(millis(expires_at(now) + Duration::from_secs(1))),
            ),
            |r| matches!(r, PayloadRefused::ExpiresTooLate { .. }),
        ),
        (
            "an unreadable expiry",
            with("expires_at", json!("soon")),
            |r| matches!(r, PayloadRefused::UnreadableExpiry),
        ),
        (
            "another account claimed",
            with("user_id", json!("OTHER1")),
            |r| matches!(r, PayloadRefused::ClaimsOtherAccount { .. }),
        ),
    ];
    let pinned = verifier(&client).expected_user_id(USER_ID);
    for (what, p, expected) in &cases {
        let refused = pinned.verify(&parse(p), now).await.unwrap_err();
        assert!(expected(&refused), "{what}: {refused:?}");
        let shown = format!("{refused} {refused:?}");
        assert!(!shown.contains("0123456789"), "{what}: {shown}");
    }
    // With no account expected, the payload must name one.
    let refused = verifier(&client)
        .verify(&parse(&with("user_id", Value::Null)), now)
        .await
        .unwrap_err();
    assert!(matches!(refused, PayloadRefused::NoUserId), "{refused:?}");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn only_a_token_of_the_expected_account_is_accepted() {
    let sim = Simulator::start(&app()).await.unwrap();
    let client = client(sim.base_url());
    let now = SystemTime::now();
    let pinned = verifier(&client).expected_user_id(USER_ID);
    let stranger = sim.issue_token_for("OTHER1");

    // A made-up token: UDAPI100050, typed.
    let made_up = payload(USER_ID, "sim-access-made-up", now);
    match pinned.verify(&parse(&made_up), now).await.unwrap_err() {
        PayloadRefused::Unverified(e) => assert!(e.has_code(&ErrorCode::InvalidToken), "{e}"),
        other => panic!("{other:?}"),
    }
    // A real token of another account, claiming the expected user id.
    let forged = payload(USER_ID, stranger.secret(), now);
    match pinned.verify(&parse(&forged), now).await.unwrap_err() {
        PayloadRefused::OtherAccount { expected, actual } => {
            assert_eq!(
                (expected.as_str(), actual.as_deref()),
                (USER_ID, Some("OTHER1"))
            )
        }
        other => panic!("{other:?}"),
    }
    // The same token, claiming its own account.
    let honest = payload("OTHER1", stranger.secret(), now);
    let refused = pinned.verify(&parse(&honest), now).await.unwrap_err();
    assert!(
        matches!(refused, PayloadRefused::ClaimsOtherAccount { .. }),
        "{refused:?}"
    );
    for refused in [&made_up, &forged, &honest] {
        let r = pinned.verify(&parse(refused), now).await.unwrap_err();
        assert!(!format!("{r} {r:?}").contains(stranger.secret()));
    }

    // The real one.
    let token = sim.issue_token_for(USER_ID);
    let real = payload(USER_ID, token.secret(), now);
    let session = pinned.verify(&parse(&real), now).await.expect("accepted");
    assert_eq!(session.access_token(), &token);
    assert_eq!(session.user_id(), Some(USER_ID));
    assert!(session.expires_at() <= expires_at(now));
    assert!(!session.is_expired_at(now));
}

/// With no account pinned, the payload's own user id must be the token's.
#[tokio::test]
async fn unpinned_the_payloads_user_id_must_match_the_tokens() {
    let sim = Simulator::start(&app()).await.unwrap();
    let client = client(sim.base_url());
    let now = SystemTime::now();
    let stranger = sim.issue_token_for("OTHER1");
    let lying = payload(USER_ID, stranger.secret(), now);
    let refused = verifier(&client)
        .verify(&parse(&lying), now)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, PayloadRefused::OtherAccount { expected, .. } if expected == USER_ID),
        "{refused:?}"
    );
    let honest = payload("OTHER1", stranger.secret(), now);
    let session = verifier(&client)
        .verify(&parse(&honest), now)
        .await
        .expect("its own account");
    assert_eq!(session.user_id(), Some("OTHER1"));
}

/// Yesterday's payload, replayed: refused for its expiry before any call,
/// and, with its expiry doctored, by the token's own death.
#[tokio::test]
async fn a_replay_of_an_earlier_days_payload_is_refused() {
    let sim = Simulator::start(&app()).await.unwrap();
    let client = client(sim.base_url());
    // 2026-11-28 09:15 IST, and the next day at 09:15.
    let yesterday = UNIX_EPOCH + Duration::from_secs(1_795_837_500);
    let today = yesterday + Duration::from_secs(86_400);
    sim.set_now(yesterday);
    let old = sim.issue_token_for(USER_ID);
    let replay = payload(USER_ID, old.secret(), yesterday);
    sim.set_now(today);
    let pinned = verifier(&client).expected_user_id(USER_ID);
    let refused = pinned.verify(&parse(&replay), today).await.unwrap_err();
    assert!(
        matches!(refused, PayloadRefused::Expired { .. }),
        "{refused:?}"
    );
    let doctored = payload(USER_ID, old.secret(), today);
    match pinned.verify(&parse(&doctored), today).await.unwrap_err() {
        PayloadRefused::Unverified(e) => assert!(e.has_code(&ErrorCode::InvalidToken), "{e}"),
        other => panic!("{other:?}"),
    }
}

/// A verification call that hangs is given up after the timeout.
#[tokio::test]
async fn a_hanging_verification_call_times_out() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .delay(Duration::from_secs(5))
                .json_body(json!({"status": "success", "data": {"user_id": USER_ID}}));
        })
        .await;
    let client = client(&server.base_url());
    let now = SystemTime::now();
    let started = std::time::Instant::now();
    let refused = verifier(&client)
        .expected_user_id(USER_ID)
        .timeout(Duration::from_millis(200))
        .verify(&parse(&payload(USER_ID, "tok-0123456789", now)), now)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, PayloadRefused::TimedOut(d) if d == Duration::from_millis(200)),
        "{refused:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(refused.to_string().contains("200ms"), "{refused}");
}
