//! What the command refuses, with a clear message and nothing spent or
//! overwritten: a config file others can read, an unknown account, a
//! session file of another account.

mod common;

use common::*;

#[tokio::test]
async fn a_config_file_others_can_read_is_refused() {
    let home = Home::new("config-mode");
    let upstox = Upstox::start().await;
    home.config(
        &serde_json::json!({"accounts": {"default": upstox.account("SIM123")}}),
        0o644,
    );
    for args in [
        &["status"][..],
        &["token"],
        &["login", "--no-browser", "--timeout", "5"],
    ] {
        let (ok, stdout, stderr) = run(home.command(args)).await;
        assert!(!ok, "{args:?}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(stderr.contains("others can read it"), "{args:?}: {stderr}");
        assert!(!stderr.contains("SIMULATED"), "{args:?}: {stderr}");
    }
    assert!(!home.session("default").exists());
    assert!(upstox.sim.problems().is_empty());
}

#[tokio::test]
async fn the_config_file_gives_the_credentials() {
    let home = Home::new("config");
    let upstox = Upstox::start().await;
    home.config(
        &serde_json::json!({"accounts": {"default": upstox.account("SIM123")}}),
        0o600,
    );
    let mut running = Running::spawn(home.command(&["login", "--no-browser"]));
    let url = running.authorization_url(upstox.sim.base_url()).await;
    upstox.browse(&url).await;
    let (ok, stderr, _) = running.finish().await;
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("SIMULATED"), "{stderr}");
    assert!(home.session("default").exists());
}

#[tokio::test]
async fn an_unknown_account_is_refused() {
    let home = Home::new("unknown");
    let upstox = Upstox::start().await;
    home.config(
        &serde_json::json!({"accounts": {"default": upstox.account("SIM123")}}),
        0o600,
    );
    for args in [
        &["--account", "other", "login"][..],
        &["--account", "other", "token"],
    ] {
        let (ok, stdout, stderr) = run(home.command(args)).await;
        assert!(!ok);
        assert_eq!(stdout, "");
        assert!(stderr.contains("unknown account \"other\""), "{stderr}");
        assert!(stderr.contains("only default"), "{stderr}");
    }
    assert!(!home.session("other").exists());
    assert!(!home.simulated_session("other").exists());
    // A name that is no file name is refused as well.
    let (ok, _, stderr) = run(home.command(&["--account", "../x", "status"])).await;
    assert!(!ok);
    assert!(stderr.contains("not an account name"), "{stderr}");
}

#[tokio::test]
async fn a_session_of_another_account_is_refused_and_kept() {
    let home = Home::new("other-account");
    let upstox = Upstox::start().await;
    home.config(
        &serde_json::json!({"accounts": {
            "mine": upstox.account("SIM123"),
            "theirs": upstox.account("ZZ9999"),
        }}),
        0o600,
    );
    let mut running = Running::spawn(home.command(&["--account", "mine", "login", "--no-browser"]));
    let url = running.authorization_url(upstox.sim.base_url()).await;
    upstox.browse(&url).await;
    let (ok, stderr, _) = running.finish().await;
    assert!(ok, "{stderr}");
    // SIM123's session where ZZ9999's belongs.
    std::fs::copy(home.session("mine"), home.session("theirs")).unwrap();
    let before = std::fs::read(home.session("theirs")).unwrap();
    for args in [
        &["--account", "theirs", "token"][..],
        &["--account", "theirs", "status"],
        &[
            "--account",
            "theirs",
            "login",
            "--no-browser",
            "--timeout",
            "5",
        ],
        &["--account", "theirs", "logout"],
    ] {
        let (ok, stdout, stderr) = run(home.command(args)).await;
        assert!(!ok, "{args:?}");
        assert!(!stdout.contains("sim-access"), "{args:?}: {stdout}");
        assert!(
            stderr.contains("holds a session of user SIM123, not of account \"theirs\""),
            "{args:?}: {stderr}"
        );
        assert!(
            !stderr.contains(upstox.sim.base_url()),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(std::fs::read(home.session("theirs")).unwrap(), before);
}
