//! The indie-user notifier's payload, fed arbitrary bytes and any values in
//! its fields.

use std::time::Duration;

use upstox_login_sdk::{ClientId, NotifierPayload, PayloadRefused};

use super::envelope::text_of;
use super::*;

/// A leaf that is not the access token (so that it may be shown).
fn leaf_but_the_token() -> impl Strategy<Value = Value> {
    leaf().prop_filter("not the token", |v| v != ACCESS_TOKEN)
}

proptest! {
    #![proptest_config(config(LOCAL_CASES))]

    /// Any bytes: a notifier payload parses or is refused as malformed, and
    /// the refusal never quotes the body.
    #[test]
    fn notifier_payload_takes_arbitrary_bytes(body in prop_oneof![arbitrary_bytes(), json_bytes()]) {
        match NotifierPayload::parse(&body) {
            Ok(payload) => {
                let shown = format!("{:?}", payload.access_token);
                prop_assert!(
                    payload.access_token.is_none() || shown == "Some(AccessToken([redacted]))",
                    "{}", shown
                );
            }
            Err(PayloadRefused::Malformed(m)) => {
                let (kind, place) = m.split_once(" at line ").expect("kind at line N column M");
                prop_assert!(
                    ["not JSON", "wrong shape", "truncated", "I/O error"].contains(&kind),
                    "{}", m
                );
                let (line, column) = place.split_once(" column ").expect("line N column M");
                prop_assert!(line.parse::<usize>().is_ok() && column.parse::<usize>().is_ok(), "{}", m);
            }
            Err(other) => prop_assert!(false, "parse only refuses as malformed: {:?}", other),
        }
    }

    /// A payload of the right shape with any values in its fields: parsed
    /// leniently, the token never shown, the client id checked exactly.
    #[test]
    fn notifier_payload_is_lenient_and_checks_the_client_id(
        client_id in prop_oneof![Just(CLIENT_ID.to_string()), any::<String>()],
        expires_at in prop_oneof![
            any::<u64>().prop_map(Value::from),
            any::<u64>().prop_map(|n| Value::from(n.to_string())),
            leaf_but_the_token(),
        ],
        issued_at in leaf_but_the_token(),
        extra in unknown_fields(),
    ) {
        let mut body = extra;
        body.insert("client_id".into(), Value::from(client_id.clone()));
        body.insert("access_token".into(), Value::from(ACCESS_TOKEN));
        body.insert("token_type".into(), Value::from("Bearer"));
        body.insert("expires_at".into(), expires_at.clone());
        body.insert("issued_at".into(), issued_at);
        let payload = NotifierPayload::parse(Value::Object(body).to_string().as_bytes())
            .expect("a payload of the right shape parses");
        let shown = format!("{payload:?}");
        prop_assert!(!shown.contains(ACCESS_TOKEN), "{}", shown);
        prop_assert_eq!(payload.expires_at.clone(), text_of(&expires_at));
        let millis = text_of(&expires_at).and_then(|s| s.trim().parse::<u64>().ok());
        prop_assert_eq!(
            payload.expires_at(),
            millis.and_then(|ms| std::time::UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
        );
        match payload.verify_client_id(&ClientId::new(CLIENT_ID)) {
            Ok(token) => {
                prop_assert_eq!(&client_id, CLIENT_ID);
                prop_assert_eq!(token.secret(), ACCESS_TOKEN);
            }
            Err(e) => {
                prop_assert_ne!(&client_id, CLIENT_ID);
                prop_assert!(matches!(e, PayloadRefused::ClientIdMismatch), "{:?}", e);
            }
        }
    }
}
