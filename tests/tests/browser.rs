//! What a person sees: the `login` example driven by a real headless
//! Chromium against a mock Upstox, for a login that succeeds and one whose
//! code is refused; and the morning command reusing the saved session.
//!
//! Needs Chromium (`chromium` on the PATH, or `UPSTOX_TEST_CHROMIUM`);
//! `.ci/run` installs Debian's. Without it the tests say so and pass, except
//! under CI, where they fail.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use httpmock::prelude::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use upstox_login_tests::*;

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("UPSTOX_TEST_CHROMIUM") {
        return Some(path.into());
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is required under CI (.ci/run installs Debian's `chromium`)"
        );
        eprintln!("skipped: no Chromium on this machine (install Debian's `chromium`)");
    }
    found
}

/// A mock Upstox whose dialog redirects back with `CODE` and the state.
async fn upstox() -> MockServer {
    let server = MockServer::start_async().await;
    dialog_redirecting_back(&server).await;
    server
}

/// The `login` example, logging in for real against `base_url`, its
/// callback listener on a port the system picks.
fn login_example(base_url: &str, extra: &[&str]) -> Child {
    example("login")
        .args(["--no-browser", "--timeout", "60"])
        .args(extra)
        .env("UPSTOX_CLIENT_ID", CLIENT_ID)
        .env("UPSTOX_CLIENT_SECRET", CLIENT_SECRET)
        .env("UPSTOX_REDIRECT_URI", "http://127.0.0.1:0/callback")
        .env("UPSTOX_BASE_URL", base_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cargo runs the example")
}

/// The authorization URL the example prints, and the rest of its output
/// and exit status once Chromium has loaded the URL and shown `dom`.
struct Run {
    dom: String,
    stdout: String,
    stderr: String,
    success: bool,
}

async fn run_with_browser(chromium: &Path, mut child: Child) -> Run {
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = String::new();
    let url = tokio::time::timeout(Duration::from_secs(300), async {
        while let Some(line) = stdout.next_line().await.expect("a line") {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("/v2/login/authorization/dialog?") {
                return line.trim().to_string();
            }
        }
        panic!("the example printed no authorization URL:\n{seen}");
    })
    .await
    .expect("the example builds and prints its URL in time");
    // A profile of its own: Chromium hands a URL to an instance already
    // running on the same profile and exits.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile =
        std::env::temp_dir().join(format!("upstox-chromium-{}-{run}", std::process::id()));
    let dom = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(chromium)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(["--dump-dom", &url])
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("Chromium finishes in time")
    .expect("Chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("the example ends")
        .expect("its status");
    while let Some(line) = stdout.next_line().await.expect("a line") {
        seen.push_str(&line);
        seen.push('\n');
    }
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr).await;
    }
    Run {
        dom: String::from_utf8_lossy(&dom.stdout).into_owned(),
        stdout: seen,
        stderr,
        success: status.success(),
    }
}

#[tokio::test]
async fn the_browser_shows_the_login_and_its_expiry_and_the_morning_command_reuses_it() {
    let Some(chromium) = chromium() else { return };
    let upstox = upstox().await;
    let token = token_endpoint(&upstox, 200, token_response()).await;
    let saved = std::env::temp_dir().join(format!("upstox-browser-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&saved);
    let saved_arg = saved.to_string_lossy().into_owned();
    let run = run_with_browser(
        &chromium,
        login_example(&upstox.base_url(), &["--session", &saved_arg]),
    )
    .await;
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.dom.contains("You are logged in to Upstox until") && run.dom.contains(" IST."),
        "the page: {}",
        run.dom
    );
    assert!(run.stdout.contains("\nLogged in.\n"), "{}", run.stdout);
    assert!(!run.dom.contains(ACCESS_TOKEN) && !run.stdout.contains(ACCESS_TOKEN));
    assert_eq!(token.calls_async().await, 1);

    // The next morning command finds the session valid: no browser, no call.
    let again = login_example(&upstox.base_url(), &["--session", &saved_arg])
        .wait_with_output()
        .await
        .expect("runs");
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{out}");
    assert!(
        out.contains("is valid until") && out.contains(" IST; no login needed"),
        "{out}"
    );
    assert_eq!(token.calls_async().await, 1);
    let _ = std::fs::remove_file(&saved);
}

#[tokio::test]
async fn the_browser_shows_why_a_refused_code_did_not_log_in() {
    let Some(chromium) = chromium() else { return };
    let refusal = serde_json::json!({"status": "error", "errors": [{
        "error_code": "UDAPI100069", "message": "Invalid Auth code"
    }]});
    let upstox = upstox().await;
    let _token = token_endpoint(&upstox, 401, refusal).await;
    let run = run_with_browser(&chromium, login_example(&upstox.base_url(), &[])).await;
    assert!(!run.success, "{}", run.stdout);
    assert!(run.dom.contains("Login failed"), "the page: {}", run.dom);
    assert!(run.dom.contains("UDAPI100069"), "the page: {}", run.dom);
    assert!(
        !run.dom.contains("logged in to Upstox"),
        "the page: {}",
        run.dom
    );
    assert!(run.stderr.contains("UDAPI100069"), "{}", run.stderr);
    assert!(!run.dom.contains(CODE) && !run.stderr.contains(CODE));
}
