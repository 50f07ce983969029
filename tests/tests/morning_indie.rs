//! The morning call's indie way binds its receiver only once the lock is
//! held: two programs on one port make one request (the second waits and
//! reuses), a reused session binds nothing, and a port taken under the
//! lock fails with nothing sent and the lock released.

use std::net::SocketAddr;
use std::time::Duration;

use upstox_login_sdk::morning::{lock_path, LoginWay, MorningLogin, Outcome, Step};
use upstox_login_sdk::simulator::{Endpoint, Simulator, USER_ID};
use upstox_login_sdk::store::SessionFile;
use upstox_login_sdk::webhook::NotifierAddress;
use upstox_login_sdk::{Error, IndieTokenOptions};
use upstox_login_tests::notifier::payload;
use upstox_login_tests::*;

const PATH: &str = "/upstox/notify/0ne-p0rt";

/// An address free now, on loopback.
fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

fn indie(address: SocketAddr) -> LoginWay {
    LoginWay::Indie {
        notifier: NotifierAddress::new(address, PATH).unwrap(),
        options: IndieTokenOptions::default(),
    }
}

/// Logs in the indie way on `address`, the simulator approving at once.
async fn log_in(sim: &Simulator, file: &SessionFile, address: SocketAddr) -> Vec<String> {
    let app = app();
    let client = client(sim.base_url());
    let mut steps = Vec::new();
    let done = MorningLogin::new(file, &app)
        .user_id(USER_ID)
        .timeout(Duration::from_secs(20))
        .run(&client, indie(address), |step| {
            if let Step::NotifierUrl(url) = step {
                sim.set_notifier_url(url);
            }
            steps.push(format!("{step:?}"));
        })
        .await
        .expect("a session");
    assert_eq!(done.outcome, Outcome::LoggedIn);
    steps
}

#[tokio::test]
async fn two_programs_on_one_port_make_one_request() {
    let sim = Simulator::start(&app()).await.unwrap();
    // Upstox never approves: the test posts the payload once both wait.
    sim.set_approval_delay(None);
    let client = client(sim.base_url());
    let app = app();
    let file = session_file("morning-indie-two");
    let address = free_address();
    let url = format!("http://{address}{PATH}");
    sim.set_notifier_url(url.clone());

    let (requested, first_requested) = tokio::sync::oneshot::channel();
    let (waiting, second_waiting) = tokio::sync::oneshot::channel();
    let first = async {
        let mut requested = Some(requested);
        MorningLogin::new(&file, &app)
            .user_id(USER_ID)
            .timeout(Duration::from_secs(20))
            .run(&client, indie(address), |step| {
                if let Step::IndieRequested(_) = step {
                    if let Some(requested) = requested.take() {
                        let _ = requested.send(());
                    }
                }
            })
            .await
    };
    let second = async {
        first_requested.await.expect("the first requested");
        let mut waiting = Some(waiting);
        let mut steps = Vec::new();
        let done = MorningLogin::new(&file, &app)
            .user_id(USER_ID)
            .timeout(Duration::from_secs(20))
            .run(&client, indie(address), |step| {
                if let Step::Waiting { .. } = step {
                    if let Some(waiting) = waiting.take() {
                        let _ = waiting.send(());
                    }
                }
                steps.push(format!("{step:?}"));
            })
            .await;
        (done, steps)
    };
    let approval = async {
        second_waiting.await.expect("the second waits");
        let token = sim.issue_token_for(USER_ID);
        let body = payload(CLIENT_ID, USER_ID, token.secret()).to_string();
        reqwest::Client::new()
            .post(&url)
            .body(body)
            .send()
            .await
            .map(|a| a.status().as_u16())
    };
    let (first, (second, steps), approval) = tokio::join!(first, second, approval);
    assert_eq!(approval.unwrap(), 200);
    let first = first.expect("the first logs in");
    assert_eq!(first.outcome, Outcome::LoggedIn);
    let second = second.expect("the second reuses");
    assert_eq!(second.outcome, Outcome::WaitedForAnother);
    assert_eq!(second.session, first.session);
    assert!(
        !steps.iter().any(|s| s.starts_with("NotifierUrl")),
        "{steps:?}"
    );
    assert_eq!(sim.calls(Endpoint::IndieRequest), 1);
}

#[tokio::test]
async fn a_reused_session_binds_nothing() {
    let sim = Simulator::start(&app()).await.unwrap();
    let file = session_file("morning-indie-reused");
    let address = free_address();
    log_in(&sim, &file, address).await;

    let _held = std::net::TcpListener::bind(address).expect("the port held");
    let app = app();
    let mut steps = Vec::new();
    let done = MorningLogin::new(&file, &app)
        .run(&client(sim.base_url()), indie(address), |step| {
            steps.push(format!("{step:?}"))
        })
        .await
        .expect("reused");
    assert_eq!(done.outcome, Outcome::Reused);
    assert!(steps.is_empty(), "{steps:?}");
    assert_eq!(sim.calls(Endpoint::IndieRequest), 1);
}

#[tokio::test]
async fn a_taken_port_fails_under_the_lock_spending_nothing() {
    let sim = Simulator::start(&app()).await.unwrap();
    let file = session_file("morning-indie-taken");
    let address = free_address();
    let held = std::net::TcpListener::bind(address).expect("the port held");
    let app = app();
    let err = MorningLogin::new(&file, &app)
        .run(&client(sim.base_url()), indie(address), |_| {})
        .await
        .expect_err("the port is taken");
    assert!(
        matches!(&err, Error::Listen { address: Some(a), .. } if *a == address),
        "{err:?}"
    );
    assert_eq!(sim.calls(Endpoint::IndieRequest), 0);
    assert!(file.load().unwrap().is_none());
    // The lock went with the failed call.
    let lock = std::fs::File::options()
        .read(true)
        .write(true)
        .open(lock_path(file.path()))
        .expect("the lock file");
    lock.try_lock().expect("the lock is free");
    drop(lock);

    drop(held);
    log_in(&sim, &file, address).await;
    assert_eq!(sim.calls(Endpoint::IndieRequest), 1);
}
