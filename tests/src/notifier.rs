//! The notifier receiver's fixtures: payloads as Upstox sends them (issued
//! now, so that their expiry passes the verifier's checks), and a profile
//! endpoint vouching for every token, for the tests of what the receiver
//! does before and around the verification.

use std::time::{SystemTime, UNIX_EPOCH};

use httpmock::prelude::*;
use upstox_login_sdk::{ClientId, LoginClient, NotifierVerifier};

/// Epoch milliseconds, as the payload carries times.
pub fn millis(t: SystemTime) -> String {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
        .to_string()
}

/// A payload for `client_id`, `user_id` and `token`, issued now and
/// expiring at the next 03:30 IST, as Upstox sends it.
pub fn payload(client_id: &str, user_id: &str, token: &str) -> serde_json::Value {
    let now = SystemTime::now();
    serde_json::json!({
        "client_id": client_id, "user_id": user_id, "access_token": token,
        "token_type": "Bearer", "expires_at": millis(upstox_login_sdk::expiry::expires_at(now)),
        "issued_at": millis(now), "message_type": "access_token"
    })
}

/// A profile endpoint on `server` that says every token is `user_id`'s.
pub async fn vouching_profile(server: &MockServer, user_id: &str) {
    let body = serde_json::json!({"status": "success", "data": {
        "email": "trader@example.com", "exchanges": ["NSE"], "products": ["D"],
        "broker": "UPSTOX", "user_id": user_id, "user_name": "A Trader",
        "order_types": ["MARKET"], "user_type": "individual", "poa": false,
        "is_active": true
    }});
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/user/profile");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(body);
        })
        .await;
}

/// A verifier for [`CLIENT_ID`](crate::CLIENT_ID) calling `base_url`,
/// expecting `user_id`.
pub fn verifier(base_url: &str, user_id: &str) -> NotifierVerifier {
    verifier_with(crate::client(base_url), user_id)
}

/// The same, with `client`.
pub fn verifier_with(client: LoginClient, user_id: &str) -> NotifierVerifier {
    NotifierVerifier::new(client, ClientId::new(crate::CLIENT_ID)).expected_user_id(user_id)
}
