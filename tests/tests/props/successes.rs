//! Well-typed success bodies, with values never seen and fields never heard
//! of, always decode, and decode to what was sent.

use proptest::test_runner::{TestCaseError, TestRunner};
use upstox_login_tests::op::{Op, Outcome};

use super::calls::{Answer, Server};
use super::*;

fn ok_answer(body: &Value) -> Vec<u8> {
    Answer {
        status: 200,
        content_type: Some("application/json"),
        chunked: false,
        body: body.to_string().into_bytes(),
    }
    .to_bytes()
}

/// Well-typed success bodies, with values never seen and fields never
/// heard of, always decode, and decode to what was sent.
#[test]
fn well_typed_successes_with_unknown_fields_always_decode() {
    let server = Server::start();
    let mut runner = TestRunner::new(config(NETWORK_CASES));
    let strings = || prop::collection::vec(any::<String>(), 0..4);
    let token = (
        "[A-Za-z0-9._-]{1,64}",
        prop::option::of(any::<String>()),
        strings(),
        strings(),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<i64>()),
        unknown_fields(),
    );
    let result = runner.run(
        &token,
        |(access, user_id, exchanges, order_types, poa, expires_in, extra)| {
            let mut body = extra;
            body.insert("access_token".into(), Value::from(access.clone()));
            body.insert(
                "user_id".into(),
                serde_json::to_value(&user_id).unwrap_or_default(),
            );
            body.insert("exchanges".into(), Value::from(exchanges.clone()));
            body.insert("order_types".into(), Value::from(order_types.clone()));
            body.insert("poa".into(), serde_json::to_value(poa).unwrap_or_default());
            body.insert(
                "expires_in".into(),
                serde_json::to_value(expires_in).unwrap_or_default(),
            );
            let result = server.answer(Op::Token, ok_answer(&Value::Object(body)));
            let Ok(Outcome::Session(s)) = result else {
                return Err(TestCaseError::fail(format!("{result:?}")));
            };
            prop_assert_eq!(Some(s.access_token().secret()), Some(access.as_str()));
            prop_assert_eq!(s.user_id(), user_id.as_deref());
            prop_assert_eq!(s.account().exchanges(), &exchanges[..]);
            prop_assert_eq!(s.account().order_types(), &order_types[..]);
            prop_assert_eq!(s.account().poa(), poa);
            prop_assert_eq!(s.expires_in(), expires_in);
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("token: {e}");
    }

    let logout = (
        "[a-z_]{0,16}".prop_filter("not the error status", |s| s != "error"),
        prop::option::of(any::<bool>()),
        unknown_fields(),
    );
    let result = runner.run(&logout, |(status, data, extra)| {
        let mut body = extra;
        body.insert("status".into(), Value::from(status.clone()));
        body.insert(
            "data".into(),
            serde_json::to_value(data).unwrap_or_default(),
        );
        let result = server.answer(Op::Logout, ok_answer(&Value::Object(body)));
        let Ok(Outcome::Logout(o)) = result else {
            return Err(TestCaseError::fail(format!("{result:?}")));
        };
        prop_assert_eq!(o.status.as_deref(), Some(status.as_str()));
        prop_assert_eq!(o.revoked, data.unwrap_or(false));
        Ok(())
    });
    if let Err(e) = result {
        panic!("logout: {e}");
    }

    let indie = (
        prop::option::of(any::<String>()),
        prop::option::of(any::<String>()),
        unknown_fields(),
    );
    let result = runner.run(&indie, |(expiry, url, extra)| {
        let mut data = extra;
        data.insert(
            "authorization_expiry".into(),
            serde_json::to_value(&expiry).unwrap_or_default(),
        );
        data.insert(
            "notifier_url".into(),
            serde_json::to_value(&url).unwrap_or_default(),
        );
        let body = serde_json::json!({"status": "success", "data": data});
        let result = server.answer(Op::Indie, ok_answer(&body));
        let Ok(Outcome::Indie(r)) = result else {
            return Err(TestCaseError::fail(format!("{result:?}")));
        };
        prop_assert_eq!(r.authorization_expiry, expiry);
        prop_assert_eq!(r.notifier_url, url);
        Ok(())
    });
    if let Err(e) = result {
        panic!("indie: {e}");
    }
}
