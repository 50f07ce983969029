//! `upstox-login login`, `status` and `token` end to end: a login then its
//! reuse, two programs at once, the lock of a killed program, a lock held
//! too long.

mod common;

use std::io::Write;

use common::*;
use tokio::io::AsyncWriteExt;
use upstox_login_sdk::simulator::Endpoint;

#[tokio::test]
async fn a_simulated_login_then_reuse_then_status_and_token() {
    let home = Home::new("simulated");
    // Before any login: no session, non-zero, nothing on stdout.
    let (ok, stdout, stderr) = run(home.command(&["token"])).await;
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(stderr.contains("no session"), "{stderr}");
    let (ok, _, _) = run(home.command(&["status"])).await;
    assert!(!ok);

    let (ok, stdout, stderr) = run(home.command(&["login"])).await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("SIMULATED"), "{stderr}");
    assert!(stderr.contains("Logged in as user SIM123"), "{stderr}");
    // A simulated run keeps its session apart from the real accounts'.
    assert!(home.simulated_session("default").exists());
    assert!(!home.session("default").exists());
    let saved = std::fs::read(home.simulated_session("default")).unwrap();

    let (ok, _, stderr) = run(home.command(&["login"])).await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("no login needed"), "{stderr}");
    assert_eq!(
        std::fs::read(home.simulated_session("default")).unwrap(),
        saved
    );

    let (ok, stdout, _) = run(home.command(&["status"])).await;
    assert!(ok);
    assert!(
        stdout.contains("SIM123") && stdout.contains("valid until") && stdout.contains("IST"),
        "{stdout}"
    );
    let (ok, stdout, stderr) = run(home.command(&["token"])).await;
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(lines[0].starts_with("sim-access-"), "{stdout}");
    assert_eq!(stderr, "");

    let (ok, _, stderr) = run(home.command(&["logout"])).await;
    assert!(ok, "{stderr}");
    assert!(!home.simulated_session("default").exists());
    let (ok, stdout, _) = run(home.command(&["token"])).await;
    assert!(!ok);
    assert_eq!(stdout, "");
}

#[tokio::test]
async fn an_expired_session_is_not_handed_out() {
    let home = Home::new("expired");
    let (ok, _, stderr) = run(home.command(&["login"])).await;
    assert!(ok, "{stderr}");
    expire(&home.simulated_session("default"));
    let (ok, stdout, stderr) = run(home.command(&["token"])).await;
    assert!(!ok);
    assert_eq!(stdout, "");
    // Said of the session, not only of the test's folder (named "expired").
    assert!(
        stderr.contains("expired") && !stderr.contains("refusing"),
        "{stderr}"
    );
    let (ok, stdout, _) = run(home.command(&["status"])).await;
    assert!(!ok);
    assert!(stdout.contains("expired"), "{stdout}");
}

#[tokio::test]
async fn two_programs_at_once_log_in_once() {
    let home = Home::new("two");
    let upstox = Upstox::start().await;
    let login = || {
        let mut command = home.command(&["login", "--no-browser"]);
        upstox.credentials(&mut command);
        command
    };
    let mut first = Running::spawn(login());
    let url = first.authorization_url(upstox.sim.base_url()).await;
    // The first holds the lock while its browser is out: the second waits.
    let mut second = Running::spawn(login());
    let pid = first.child.id().expect("a pid");
    second
        .until(|l| l.contains(&format!("Another program (process {pid}) is logging in")))
        .await;
    upstox.browse(&url).await;
    let (ok, stderr, _) = first.finish().await;
    assert!(ok, "{stderr}");
    let (ok, stderr, _) = second.finish().await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("Another program logged in"), "{stderr}");
    // One login on the wire: the second never printed a URL of its own, and
    // the simulator refused nothing (a second exchange would need a code).
    assert!(!stderr.contains(upstox.sim.base_url()), "{stderr}");
    assert!(
        upstox.sim.problems().is_empty(),
        "{:?}",
        upstox.sim.problems()
    );
    // Counted on the wire: one login, one code exchange.
    assert_eq!(upstox.sim.calls(Endpoint::Authorize), 1);
    assert_eq!(upstox.sim.calls(Endpoint::Token), 1);
    assert!(home.session("default").exists());
}

/// Two pasting programs (no callback port to collide on): the test logs in
/// and pastes for whichever asks, so without the lock both would log in;
/// counted on the wire, one authorization and one exchange.
#[tokio::test]
async fn two_pasting_programs_at_once_exchange_one_code() {
    let home = Home::new("two-paste");
    let upstox = Upstox::start().await;
    let login = || {
        let mut command = home.command(&["login", "--paste"]);
        upstox.credentials(&mut command);
        command.stdin(std::process::Stdio::piped());
        command
    };
    let mut first = Running::spawn(login());
    let url = first.authorization_url(upstox.sim.base_url()).await;
    let mut second = Running::spawn(login());
    let base_url = upstox.sim.base_url();
    let said = second
        .until(|l| l.contains("Another program") || l.starts_with(base_url))
        .await;
    let mut asking = vec![(&mut first, url)];
    if said.starts_with(base_url) {
        let url = url::Url::parse(&said).expect("a URL");
        asking.push((&mut second, url));
    }
    for (running, url) in asking {
        let landed = upstox
            .sim
            .log_in(&url)
            .expect("the login page takes the URL");
        let mut stdin = running.child.stdin.take().expect("stdin");
        stdin
            .write_all(format!("{landed}\n").as_bytes())
            .await
            .expect("pasted");
    }
    let (ok, stderr, _) = first.finish().await;
    assert!(ok, "{stderr}");
    let (ok, stderr, _) = second.finish().await;
    assert!(ok, "{stderr}");
    assert_eq!(upstox.sim.calls(Endpoint::Authorize), 1, "{stderr}");
    assert_eq!(upstox.sim.calls(Endpoint::Token), 1, "{stderr}");
    assert!(stderr.contains("Another program logged in"), "{stderr}");
}

#[tokio::test]
async fn the_lock_of_a_killed_program_is_free() {
    let home = Home::new("killed");
    let upstox = Upstox::start().await;
    let login = || {
        let mut command = home.command(&["login", "--no-browser", "--wait", "20"]);
        upstox.credentials(&mut command);
        command
    };
    let mut first = Running::spawn(login());
    first.authorization_url(upstox.sim.base_url()).await;
    first.child.kill().await.expect("killed");
    // The lock died with it: the next login starts at once.
    let mut second = Running::spawn(login());
    let url = second.authorization_url(upstox.sim.base_url()).await;
    upstox.browse(&url).await;
    let (ok, stderr, _) = second.finish().await;
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("Another program"), "{stderr}");
    assert!(stderr.contains("Logged in as"), "{stderr}");
}

#[tokio::test]
async fn a_lock_held_too_long_times_out_naming_the_holder() {
    let home = Home::new("held");
    let upstox = Upstox::start().await;
    let folder = home.dir.join("upstox-login");
    std::fs::create_dir_all(&folder).unwrap();
    // Another program holding the lock: this test, with a pid written in.
    let mut held = std::fs::File::create(folder.join("default.json.lock")).unwrap();
    held.lock().unwrap();
    write!(held, "4242").unwrap();
    let mut command = home.command(&["login", "--no-browser", "--wait", "1"]);
    upstox.credentials(&mut command);
    let (ok, _, stderr) = run(command).await;
    assert!(!ok);
    assert!(stderr.contains("process 4242"), "{stderr}");
    assert!(stderr.contains("over 1s"), "{stderr}");
    // Nothing was started or written.
    assert!(!stderr.contains(upstox.sim.base_url()), "{stderr}");
    assert!(!home.session("default").exists());
    drop(held);
}
