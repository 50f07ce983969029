//! The indie-user flow without a browser: the notifier's payload becomes a
//! session only for this app, with the times it came with.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use upstox_login_sdk::{ClientId, NotifierPayload, PayloadRefused};
use upstox_login_tests::*;

fn payload(body: serde_json::Value) -> NotifierPayload {
    NotifierPayload::parse(body.to_string().as_bytes()).expect("parses")
}

fn millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// The contract's payload: the session carries its token, user id, token
/// type and both times (epoch milliseconds, as a string or a number).
#[test]
fn a_payload_for_this_app_becomes_a_session_with_its_times() {
    let session = payload(json!({"client_id": CLIENT_ID, "user_id": "AB1234",
        "access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_at": "1795851000000",
        "issued_at": 1795800000123u64, "message_type": "access_token"}))
    .into_session(&ClientId::new(CLIENT_ID))
    .expect("a session");
    assert_eq!(session.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(session.user_id(), Some("AB1234"));
    assert_eq!(session.token_type(), Some("Bearer"));
    assert_eq!(session.expires_at(), millis(1_795_851_000_000));
    assert_eq!(session.issued_at(), millis(1_795_800_000_123));
    assert!(session.extended_token().is_none());
    // It is saved and loaded back like any session.
    let saved = serde_json::to_string(&session).unwrap();
    assert!(saved.contains(r#""expires_at":1795851000000"#), "{saved}");
    assert_eq!(
        serde_json::from_str::<upstox_login_sdk::Session>(&saved).unwrap(),
        session
    );
    assert!(session.is_expired_at(millis(1_795_851_000_000)));
    assert!(!session.is_expired_at(millis(1_795_850_999_999)));
}

/// Another app's payload, one with no client id, or one without a token
/// makes no session.
#[test]
fn a_payload_for_another_app_or_without_a_token_makes_no_session() {
    let id = ClientId::new(CLIENT_ID);
    for (body, expected) in [
        (
            json!({"client_id": "someone-else", "access_token": ACCESS_TOKEN}),
            PayloadRefused::ClientIdMismatch,
        ),
        (
            json!({"client_id": format!("{CLIENT_ID} "), "access_token": ACCESS_TOKEN}),
            PayloadRefused::ClientIdMismatch,
        ),
        (
            json!({"access_token": ACCESS_TOKEN}),
            PayloadRefused::ClientIdMismatch,
        ),
        (
            json!({"client_id": CLIENT_ID}),
            PayloadRefused::UnusableToken,
        ),
        (
            json!({"client_id": CLIENT_ID, "access_token": ""}),
            PayloadRefused::UnusableToken,
        ),
    ] {
        // The refusal holds no token; its Debug names the variant.
        assert_eq!(
            format!("{:?}", payload(body.clone()).into_session(&id).err()),
            format!("{:?}", Some(expected)),
            "{body}"
        );
    }
}

/// Without usable times: issued now, expiring by the 03:30 IST rule.
#[test]
fn a_payload_without_times_expires_by_the_rule() {
    let before = SystemTime::now() - Duration::from_millis(1);
    let session = payload(json!({"client_id": CLIENT_ID, "access_token": ACCESS_TOKEN,
        "expires_at": "soon", "issued_at": null}))
    .into_session(&ClientId::new(CLIENT_ID))
    .expect("a session");
    let after = SystemTime::now();
    assert!(
        session.issued_at() >= before && session.issued_at() <= after,
        "issued now"
    );
    assert_eq!(
        session.expires_at(),
        upstox_login_sdk::expiry::expires_at(session.issued_at())
    );
}
