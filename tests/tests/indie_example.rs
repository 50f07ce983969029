//! The `indie` example as a person runs it: offline, against the SDK's
//! simulated Upstox (labelled so); and with credentials in the environment,
//! against a simulated Upstox this test starts in place of the real one,
//! which POSTs the approved token to the example's listener.

use std::process::{Output, Stdio};
use std::time::Duration;

use upstox_login_sdk::simulator::Simulator;
use upstox_login_tests::*;

/// `cargo run --example indie -- <args>` with `env` (and no credentials
/// from the environment the tests run in).
async fn indie(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = example("indie");
    command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    tokio::time::timeout(Duration::from_secs(300), command.output())
        .await
        .expect("the example ends")
        .expect("cargo runs the example")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn offline_it_runs_against_the_simulator_and_says_so() {
    let output = indie(&["--timeout", "60"], &[]).await;
    let seen = text(&output);
    assert!(output.status.success(), "{seen}");
    assert!(seen.starts_with("SIMULATED: "), "{seen}");
    assert!(seen.lines().any(|l| l == "Logged in."), "{seen}");
    assert!(seen.contains("user id:        SIM123"), "{seen}");
    assert!(!seen.contains("sim-access-"), "the token is masked: {seen}");
}

#[tokio::test]
async fn with_credentials_it_requests_and_takes_the_webhook_post() {
    let upstox = Simulator::start(&app()).await.unwrap();
    // A free port for the example's listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    upstox.set_notifier_url(format!("http://{listen}/hook/s3cret"));
    upstox.set_approval_delay(Some(Duration::from_secs(2)));
    let output = indie(
        &[
            "--listen",
            &listen,
            "--path",
            "/hook/s3cret",
            "--timeout",
            "60",
        ],
        &[
            ("UPSTOX_CLIENT_ID", CLIENT_ID),
            ("UPSTOX_CLIENT_SECRET", CLIENT_SECRET),
            ("UPSTOX_BASE_URL", upstox.base_url()),
        ],
    )
    .await;
    let seen = text(&output);
    assert!(output.status.success(), "{seen}");
    assert!(!seen.contains("SIMULATED"), "{seen}");
    assert!(
        seen.contains(&format!(
            "Waiting up to 60 s for it at http://{listen}/hook/s3cret"
        )),
        "{seen}"
    );
    assert!(seen.lines().any(|l| l == "Logged in."), "{seen}");
    assert!(!seen.contains(CLIENT_SECRET), "{seen}");
    assert!(upstox.problems().is_empty(), "{:?}", upstox.problems());
}
