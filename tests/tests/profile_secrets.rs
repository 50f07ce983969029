//! `LoginClient::profile` at TRACE: the token is in no log line and no
//! output. Its own binary: tracing's per-callsite interest is shared by the
//! tests of one binary, so a test running without a subscriber beside it
//! could hide the events this one must see.

use httpmock::prelude::*;
use serde_json::json;
use upstox_login_sdk::AccessToken;
use upstox_login_tests::*;

const PROFILE: &str = "/v2/user/profile";

fn profile_answer() -> serde_json::Value {
    json!({"status": "success", "data": {"user_id": "AB1234", "user_name": "A Trader"}})
}

/// At TRACE, neither a success nor a refusal (whose body echoes the token)
/// logs the token, and neither the profile, the error nor the generated
/// builder shows it.
#[tokio::test(flavor = "current_thread")]
async fn the_token_is_in_no_log_line_and_no_output() {
    let (capture, guard) = log_capture::LogCapture::start();

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PROFILE)
                .header("authorization", format!("Bearer {ACCESS_TOKEN}"));
            then.status(200).json_body(profile_answer());
        })
        .await;
    let echoed = "token-echoed-back-0123456789";
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PROFILE)
                .header("authorization", format!("Bearer {echoed}"));
            then.status(401)
                .json_body(json!({"status": "error", "errors": [{
                    "error_code": "UDAPI100050", "message": format!("bad token {echoed}")
                }]}));
        })
        .await;
    let client = client(&server.base_url());
    let mut out = String::new();
    let token = AccessToken::new(ACCESS_TOKEN);
    let profile = client.profile(&token).await.expect("the profile");
    out.push_str(&format!("{profile:?}\n"));
    let e = client
        .profile(&AccessToken::new(echoed))
        .await
        .expect_err("refused");
    out.push_str(&format!("{e}\n{e:?}\n"));
    let generated = client.generated();
    let builder = generated
        .get_profile()
        .authorization(format!("Bearer {ACCESS_TOKEN}"));
    out.push_str(&format!("{builder:?}\n"));
    drop(guard);
    let logs = capture.text();
    assert!(logs.contains("profile"), "TRACE saw the call:\n{logs}");
    for text in [&logs, &out] {
        for secret in [ACCESS_TOKEN, echoed] {
            assert!(!text.contains(secret), "{secret} leaks:\n{text}");
        }
    }
}
