//! A program that runs all day (`upstox-login token --watch`, on the SDK's
//! `TokenSource`) picks up the session a morning login saves, without a
//! restart, and says "expired" in between rather than hand out a dead token.

mod common;

use std::time::Duration;

use common::*;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn the_long_running_program_picks_up_the_replaced_file() {
    let home = Home::new("watch");
    let (ok, _, stderr) = run(home.command(&["login"])).await;
    assert!(ok, "{stderr}");
    let mut watch = Running::spawn(home.command(&["token", "--watch"]));
    let mut stdout = BufReader::new(watch.child.stdout.take().unwrap()).lines();
    let first = next(&mut stdout).await;
    assert!(first.starts_with("sim-access-"), "{first}");

    // Yesterday's session: the watcher says so, and hands out nothing.
    expire(&home.simulated_session("default"));
    watch.until(|l| l.contains("expired")).await;

    // The morning login of another process replaces the file.
    let (ok, _, stderr) = run(home.command(&["login"])).await;
    assert!(ok, "{stderr}");
    let second = next(&mut stdout).await;
    assert!(second.starts_with("sim-access-"), "{second}");
    assert_ne!(first, second);
    watch.child.kill().await.unwrap();
}

async fn next(stdout: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>) -> String {
    tokio::time::timeout(Duration::from_secs(20), stdout.next_line())
        .await
        .expect("a line in time")
        .expect("stdout read")
        .expect("a line")
}
