//! The notifier receiver against forgers (issue: a token no one forged):
//! before Upstox's real POST, payloads for another app, with a made-up
//! token, with a real token of another account (claiming the expected
//! account, then its own), and a replay of an earlier day's payload are
//! each answered, reported and ignored; the real POST then ends the wait.
//! A flood of forged payloads causes at most one verification call a
//! second, and a verification call that hangs does not hang the receiver.
//! No token, forged or real, shows in an answer or an event.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use httpmock::prelude::*;
use serde_json::Value;
use upstox_login_sdk::expiry::expires_at;
use upstox_login_sdk::simulator::{Problem, Simulator, USER_ID};
use upstox_login_sdk::webhook::{NotifierEvent, NotifierServer};
use upstox_login_sdk::{Error, ErrorCode, IndieTokenOptions, PayloadRefused, Session};
use upstox_login_tests::notifier::{millis, payload, verifier, verifier_with};
use upstox_login_tests::*;

const PATH: &str = "/upstox/notify/s3cret-path";
const MADE_UP: &str = "made-up-token-0123456789";

type Waited = (Result<Session, Error>, Vec<NotifierEvent>);

/// A receiver waiting in a task with `verifier`: its URL and its end.
async fn waiting(
    verifier: upstox_login_sdk::NotifierVerifier,
    timeout: Duration,
) -> (String, tokio::task::JoinHandle<Waited>) {
    let server = NotifierServer::bind("127.0.0.1:0".parse().unwrap(), PATH)
        .await
        .unwrap();
    let url = server.url().unwrap();
    let done = tokio::spawn(async move {
        let mut events = Vec::new();
        let result = server
            .wait_for_session_with(&verifier, timeout, |e| events.push(e))
            .await;
        (result, events)
    });
    (url, done)
}

/// Posts `body`: the status and the answer's text.
async fn post(url: &str, body: &Value) -> (u16, String) {
    let answer = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("an answer");
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// Everything an event shows: its Debug and Display, and those of its causes.
fn shown(events: &[NotifierEvent]) -> String {
    let mut text = String::new();
    for event in events {
        text.push_str(&format!("{event:?} {event}\n"));
        if let NotifierEvent::Rejected(refused) = event {
            let mut cause = std::error::Error::source(refused);
            while let Some(e) = cause {
                text.push_str(&format!("{e:?} {e}\n"));
                cause = e.source();
            }
        }
    }
    text
}

#[tokio::test]
async fn forged_payloads_are_refused_and_the_real_post_is_taken() {
    let sim = Simulator::start(&app()).await.unwrap();
    let client = client(sim.base_url());
    // A real token of the expected account, from an earlier day.
    let now = SystemTime::now();
    let yesterday = now - Duration::from_secs(86_400);
    sim.set_now(yesterday);
    let old = sim.issue_token_for(USER_ID);
    sim.set_now(now);
    let stranger = sim.issue_token_for("OTHER1");

    let (url, done) = waiting(
        verifier_with(client.clone(), USER_ID),
        Duration::from_secs(30),
    )
    .await;
    sim.set_notifier_url(url.clone());
    sim.set_approval_delay(Some(Duration::from_secs(7)));
    client
        .request_indie_token(&app(), IndieTokenOptions::default())
        .await
        .expect("the request is taken");

    let mut replay = payload(CLIENT_ID, USER_ID, old.secret());
    replay["issued_at"] = millis(yesterday).into();
    replay["expires_at"] = millis(expires_at(yesterday)).into();
    let forged = [
        payload("someone-else", USER_ID, MADE_UP),
        payload(CLIENT_ID, USER_ID, MADE_UP),
        payload(CLIENT_ID, USER_ID, stranger.secret()),
        payload(CLIENT_ID, "OTHER1", stranger.secret()),
        replay,
    ];
    let mut answers = String::new();
    for body in &forged {
        let (status, text) = post(&url, body).await;
        assert_eq!(status, 400, "{body}: {text}");
        answers.push_str(&text);
        assert!(
            !done.is_finished(),
            "a forged payload ended the wait: {body}"
        );
        // Past the bound of one verification call a second.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }

    let (result, events) = tokio::time::timeout(Duration::from_secs(20), done)
        .await
        .expect("the real POST ends the wait")
        .unwrap();
    let session = result.expect("the real payload is taken");
    assert_eq!(session.user_id(), Some(USER_ID));
    for token in [MADE_UP, stranger.secret(), old.secret()] {
        assert_ne!(session.access_token().secret(), token);
    }
    client
        .logout(session.access_token())
        .await
        .expect("the token taken is the live one Upstox sent");
    // The real POST was answered 2xx; the only refusal is the made-up token's check.
    let problems = sim.problems();
    assert!(
        matches!(
            &problems[..],
            [Problem::Refused {
                code: ErrorCode::InvalidToken,
                ..
            }]
        ),
        "{problems:?}"
    );

    let refusals: Vec<&PayloadRefused> = events
        .iter()
        .map(|e| match e {
            NotifierEvent::Rejected(r) => r,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        matches!(
            &refusals[..],
            [
                PayloadRefused::ClientIdMismatch,
                PayloadRefused::Unverified(made_up),
                PayloadRefused::OtherAccount { .. },
                PayloadRefused::ClaimsOtherAccount { .. },
                PayloadRefused::Expired { .. },
            ] if made_up.has_code(&ErrorCode::InvalidToken)
        ),
        "{refusals:?}"
    );
    let shown = format!("{} {answers}", shown(&events));
    for token in [
        MADE_UP,
        stranger.secret(),
        old.secret(),
        session.access_token().secret(),
    ] {
        assert!(!shown.contains(token), "{shown}");
    }
}

/// Forged payloads that pass every check before the call, as fast as they
/// can be sent: at most one verification call starts a second; the others
/// are answered 503 or 429 at once, and counted.
#[tokio::test]
async fn a_flood_of_forged_payloads_makes_one_verification_call_a_second() {
    let upstox = MockServer::start_async().await;
    let profile = upstox
        .mock_async(|when, then| {
            when.method(GET).path("/v2/user/profile");
            then.status(401)
                .header("content-type", "application/json")
                .json_body(envelope("UDAPI100050", "Invalid token used to access API"));
        })
        .await;
    let (url, done) = waiting(
        verifier(&upstox.base_url(), USER_ID),
        Duration::from_secs(30),
    )
    .await;
    let started = Instant::now();
    let mut statuses = Vec::new();
    while started.elapsed() < Duration::from_millis(2500) {
        let forged = payload(CLIENT_ID, USER_ID, &format!("{MADE_UP}-{}", statuses.len()));
        statuses.push(post(&url, &forged).await.0);
    }
    let took = started.elapsed();
    let calls = profile.calls_async().await;
    assert!(
        calls >= 2 && calls as u64 <= took.as_secs() + 1,
        "{calls} calls in {took:?}"
    );
    assert!(statuses.len() > calls + 10, "{}", statuses.len());
    assert!(
        statuses.iter().all(|s| [400, 429, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(!done.is_finished(), "the flood ended the wait");
    done.abort();
}

/// A profile call that never answers: the payload is answered 503 after
/// the verifier's timeout, a payload meanwhile is answered at once, and
/// the wait still ends at its own timeout.
#[tokio::test]
async fn a_hanging_verification_call_does_not_hang_the_receiver() {
    // Accepts connections, reads nothing, answers nothing.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut kept = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            kept.push(socket);
        }
    });
    let verifier = verifier(&base, USER_ID).timeout(Duration::from_millis(500));
    let started = Instant::now();
    let (url, done) = waiting(verifier, Duration::from_secs(3)).await;
    let first = tokio::spawn({
        let url = url.clone();
        async move { post(&url, &payload(CLIENT_ID, USER_ID, MADE_UP)).await }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let meanwhile = Instant::now();
    let (status, _) = post(
        &url,
        &payload(CLIENT_ID, USER_ID, "second-token-0123456789"),
    )
    .await;
    assert_eq!(status, 503, "answered while the call hangs");
    assert!(meanwhile.elapsed() < Duration::from_millis(400));
    let (status, _) = first.await.unwrap();
    assert_eq!(status, 503, "the hanging check is given up");
    let (result, events) = tokio::time::timeout(Duration::from_secs(10), done)
        .await
        .expect("the wait ends")
        .unwrap();
    let waited = started.elapsed();
    assert!(
        matches!(
            result,
            Err(Error::TimedOut {
                waiting_for: upstox_login_sdk::Waiting::NotifierPayload,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, NotifierEvent::Rejected(PayloadRefused::TimedOut(_)))),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, NotifierEvent::Deferred { status: 503, .. })),
        "{events:?}"
    );
    held.abort();
}

/// Epoch milliseconds of the token's times are the payload's: a session
/// never outlives the next 03:30 IST.
#[tokio::test]
async fn a_payload_claiming_a_far_expiry_is_refused_before_any_call() {
    let upstox = MockServer::start_async().await;
    let profile = upstox
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let (url, done) = waiting(
        verifier(&upstox.base_url(), USER_ID),
        Duration::from_secs(30),
    )
    .await;
    let mut far = payload(CLIENT_ID, USER_ID, MADE_UP);
    // The year 5870.
    far["expires_at"] = millis(UNIX_EPOCH + Duration::from_secs(123_084_000_000)).into();
    assert_eq!(post(&url, &far).await.0, 400);
    let mut blank = payload(CLIENT_ID, USER_ID, "   ");
    assert_eq!(post(&url, &blank).await.0, 400);
    blank["access_token"] = "tok\u{1b}[2Jen".into();
    assert_eq!(post(&url, &blank).await.0, 400);
    assert_eq!(profile.calls_async().await, 0);
    assert!(!done.is_finished());
    done.abort();
}
