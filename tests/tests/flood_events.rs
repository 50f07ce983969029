//! A flood of stray requests is summarised, not told a line each: the
//! callback listener and the notifier receiver tell at most
//! `FloodSummary::TOLD_PER_SECOND` events a second one by one, count the
//! rest into a `FloodSummary` told at most once a second (and when the
//! wait ends), and lose no request from the counts.

use std::time::{Duration, Instant};

use serde_json::json;
use upstox_login_sdk::loopback::{CallbackServer, LoopbackEvent};
use upstox_login_sdk::webhook::{NotifierEvent, NotifierServer};
use upstox_login_sdk::{App, ClientId, ClientSecret, FloodSummary, RedirectUri};
use upstox_login_tests::*;

/// How many stray requests the attacker sends.
const FLOOD: usize = 2_000;
/// How many at once.
const AT_ONCE: usize = 20;

/// Sends `FLOOD` requests made by `request`, `AT_ONCE` at a time; how long
/// it took.
async fn flood(request: impl Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder) -> Duration {
    let started = Instant::now();
    let http = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..AT_ONCE {
        let requests: Vec<_> = (worker..FLOOD)
            .step_by(AT_ONCE)
            .map(|i| request(&http, i))
            .collect();
        tasks.spawn(async move {
            for r in requests {
                let answer = r.send().await.expect("answered");
                assert!(answer.status().is_client_error(), "{}", answer.status());
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    started.elapsed()
}

/// The most events a wait of `took` may tell: per second begun, the ones
/// told one by one and a summary; and a last summary.
fn bound(took: Duration) -> usize {
    let seconds = took.as_secs() as usize + 2;
    seconds * (FloodSummary::TOLD_PER_SECOND as usize + 1) + 1
}

#[tokio::test]
async fn a_flood_at_the_callback_listener_is_summarised() {
    let server = CallbackServer::bind(&RedirectUri::new("http://127.0.0.1:0/cb").unwrap())
        .await
        .unwrap();
    let origin = format!(
        "http://127.0.0.1:{}",
        server.redirect_uri().url().port().unwrap()
    );
    let app = App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new(CLIENT_SECRET),
        server.redirect_uri().clone(),
    );
    let login = client("http://127.0.0.1:9").start_login(&app).unwrap();
    let for_server = login.clone();
    let started = Instant::now();
    let waiting = tokio::spawn(async move {
        let mut events = Vec::new();
        let code = server
            .wait_for_code_with(&for_server, Duration::from_secs(120), |e| events.push(e))
            .await;
        (code, events)
    });
    let stray = format!("{origin}/favicon.ico");
    flood(|http, _| http.get(&stray)).await;
    let callback = format!("{origin}/cb?code=c0de&state={}", login.state());
    assert_eq!(reqwest::get(callback).await.unwrap().status(), 200);
    let (code, events) = waiting.await.unwrap();
    let took = started.elapsed();
    assert_eq!(code.unwrap().secret(), "c0de");

    let (mut told, mut counted) = (0, 0);
    for event in &events {
        match event {
            LoopbackEvent::Ignored(_) => told += 1,
            LoopbackEvent::Flood(summary) => counted += summary.ignored,
            other => panic!("{other:?}"),
        }
    }
    eprintln!(
        "{} events for {FLOOD} stray requests in {took:?}",
        events.len()
    );
    assert_eq!(told + counted, FLOOD as u64, "every request is counted");
    assert!(
        events.len() <= bound(took),
        "{} events in {took:?}",
        events.len()
    );
}

#[tokio::test]
async fn a_flood_at_the_notifier_receiver_is_summarised() {
    const PATH: &str = "/upstox/notify/s3cret-path";
    let server = NotifierServer::bind("127.0.0.1:0".parse().unwrap(), PATH)
        .await
        .unwrap();
    let url = server.url().unwrap();
    let origin = url.trim_end_matches(PATH).to_string();
    let started = Instant::now();
    let profile = httpmock::MockServer::start_async().await;
    notifier::vouching_profile(&profile, "AB1234").await;
    let verifier = notifier::verifier(&profile.base_url(), "AB1234");
    let waiting = tokio::spawn(async move {
        let mut events = Vec::new();
        let session = server
            .wait_for_session_with(&verifier, Duration::from_secs(120), |e| events.push(e))
            .await;
        (session, events)
    });
    // Half to other paths, half forged payloads for another app.
    let forged = json!({"client_id": "someone-else", "access_token": "t"}).to_string();
    let stray = format!("{origin}/elsewhere");
    flood(|http, i| {
        if i % 2 == 0 {
            http.post(&stray)
        } else {
            http.post(&url).body(forged.clone())
        }
    })
    .await;
    let payload = notifier::payload(CLIENT_ID, "AB1234", "webhook-access-token-0123");
    let answer = reqwest::Client::new()
        .post(&url)
        .body(payload.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let (session, events) = waiting.await.unwrap();
    let took = started.elapsed();
    session.expect("the real payload is taken");

    let (mut ignored, mut rejected) = (0, 0);
    for event in &events {
        match event {
            NotifierEvent::Ignored(_) => ignored += 1,
            NotifierEvent::Rejected(_) => rejected += 1,
            NotifierEvent::Flood(summary) => {
                ignored += summary.ignored;
                rejected += summary.rejected;
            }
            other => panic!("{other:?}"),
        }
    }
    eprintln!(
        "{} events for {FLOOD} stray requests in {took:?}",
        events.len()
    );
    assert_eq!((ignored, rejected), (FLOOD as u64 / 2, FLOOD as u64 / 2));
    assert!(
        events.len() <= bound(took),
        "{} events in {took:?}",
        events.len()
    );
}
