//! Redirects: reported, never followed, the code in them never shown.

use super::*;

#[tokio::test]
async fn redirects_are_reported_and_never_followed() {
    let target = MockServer::start_async().await;
    let stolen = target
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(token_response());
        })
        .await;
    let location = target.url("/stolen");
    for status in [301u16, 302, 303, 307, 308] {
        for op in OPS {
            let result = against(op, status, &[("location", &location)], "").await;
            expect_redirect(result, status, Some(&location));
        }
    }
    assert_eq!(stolen.calls_async().await, 0, "a redirect was followed");
}

#[tokio::test]
async fn a_redirect_without_location_is_reported() {
    for op in OPS {
        expect_redirect(against(op, 302, &[], "").await, 302, None);
    }
}

#[tokio::test]
async fn a_redirect_echoing_the_code_does_not_show_it() {
    let location = format!("https://login.example.com/?code={}&x=1", url_encode(CODE));
    let result = against(Op::Token, 302, &[("location", &location)], "").await;
    expect_redirect(
        result,
        302,
        Some("https://login.example.com/?code=[redacted]&x=1"),
    );
}
