//! What the simulated service hands out and knows of its accounts: the
//! codes, the access tokens (whose, until when), and each account's fields.

use std::time::SystemTime;

use serde_json::{json, Value};

use super::USER_ID;

/// A code handed out: whether it is spent, and the redirect URI of the
/// login that made it (the exchange must send the same, byte for byte).
pub(super) struct Code {
    pub(super) spent: bool,
    pub(super) redirect_uri: String,
}

/// An access token handed out: whose, and until when.
pub(super) struct Issued {
    pub(super) user_id: String,
    pub(super) expires_at: SystemTime,
}

/// What Upstox says of an account, in the token answer and the profile.
pub(super) fn account(user_id: &str) -> Value {
    let (email, name) = if user_id == USER_ID {
        (
            "simulated@example.com".to_string(),
            "Simulated Trader".to_string(),
        )
    } else {
        (
            format!("{}@example.com", user_id.to_ascii_lowercase()),
            format!("Simulated Trader {user_id}"),
        )
    };
    json!({
        "email": email,
        "exchanges": ["NSE", "NFO", "BSE", "CDS", "BFO", "BCD"],
        "products": ["D", "CO", "I"], "broker": "UPSTOX", "user_id": user_id,
        "user_name": name,
        "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
        "user_type": "individual", "poa": false, "ddpi": false, "is_active": true
    })
}
