//! The morning call in blocking form (`MorningLogin::run_blocking` on a
//! client from `blocking::LoginClient::builder()`): a paste login, its
//! session saved, then reused with no request.

use std::io::Write;
use std::time::Duration;

use upstox_login_sdk::blocking::LoginClient;
use upstox_login_sdk::morning::{LoginWay, MorningLogin, Outcome, Step};
use upstox_login_sdk::simulator::{Simulator, USER_ID};
use upstox_login_sdk::store::SessionFile;
use upstox_login_sdk::{App, ClientId, ClientSecret, RedirectUri};

#[test]
fn a_blocking_paste_login_then_reuse() {
    // The simulated Upstox runs on a runtime of its own; this thread has none.
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let app = App::new(
        ClientId::new("blocking-app"),
        ClientSecret::new("blocking-secret"),
        RedirectUri::new("https://example.com/upstox/callback").expect("redirect URI"),
    );
    let sim = runtime.block_on(Simulator::start(&app)).expect("simulator");
    let client = LoginClient::builder()
        .base_url(sim.base_url())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("a blocking client");
    let dir = std::env::temp_dir().join(format!("morning-blocking-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let file = SessionFile::new(dir.join("session.json"));

    // The browser is elsewhere: the URL it lands on comes through a pipe.
    let (reader, mut writer) = std::io::pipe().expect("a pipe");
    let way = LoginWay::Paste(Box::new(std::io::BufReader::new(reader)));
    let morning = MorningLogin::new(&file, &app)
        .timeout(Duration::from_secs(10))
        .run_blocking(&client, way, |step| {
            if let Step::PasteUrl(url) = step {
                let landed = sim.log_in(url).expect("the login page takes the URL");
                writeln!(writer, "{landed}").expect("pasted");
            }
        })
        .expect("logged in");
    assert_eq!(morning.outcome, Outcome::LoggedIn);
    assert_eq!(morning.session.user_id(), Some(USER_ID));
    assert_eq!(
        file.load().expect("readable"),
        Some(morning.session.clone())
    );

    // Saved and valid: reused, with no request (the simulator is gone).
    drop(sim);
    let again = MorningLogin::new(&file, &app)
        .run_blocking(&client, LoginWay::Browser, |_| panic!("no step expected"))
        .expect("reused");
    assert_eq!(again.outcome, Outcome::Reused);
    assert_eq!(again.session, morning.session);
    let _ = std::fs::remove_dir_all(&dir);
}
