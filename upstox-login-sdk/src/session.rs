//! The session a login gives: the token answer's fields and its expiry.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::generated::types;
use crate::{AccessToken, ExtendedToken, RefreshToken};

/// A logged-in session: the token answer's fields, and when it was received.
///
/// It has fields of its own (not the generated `TokenResponse`), so that a
/// change of the spec is not a change of this type. `Debug` shows the
/// account fields, and of the fields this crate does not name only their
/// names (an answer can carry anything there): never a token.
#[derive(Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Session {
    access_token: AccessToken,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    extended_token: Option<ExtendedToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<RefreshToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    broker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_type: Option<String>,
    #[serde(default)]
    exchanges: Vec<String>,
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    order_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    poa: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ddpi: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_active: Option<bool>,
    /// Fields of the answer this crate does not name, as sent.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    extra: serde_json::Map<String, serde_json::Value>,
    /// Milliseconds since the Unix epoch.
    #[serde(with = "epoch_millis")]
    #[schemars(with = "u64")]
    issued_at: SystemTime,
    /// Milliseconds since the Unix epoch.
    #[serde(with = "epoch_millis")]
    #[schemars(with = "u64")]
    expires_at: SystemTime,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_token", &self.access_token)
            .field("extended_token", &self.extended_token)
            .field("refresh_token", &self.refresh_token)
            .field("token_type", &self.token_type)
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("email", &self.email)
            .field("broker", &self.broker)
            .field("user_type", &self.user_type)
            .field("exchanges", &self.exchanges)
            .field("products", &self.products)
            .field("order_types", &self.order_types)
            .field("poa", &self.poa)
            .field("ddpi", &self.ddpi)
            .field("is_active", &self.is_active)
            .field("extra_fields", &self.extra.keys().collect::<Vec<_>>())
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The session a token answer received at `issued_at` makes, or why it
    /// makes none: an answer without a usable access token is no session
    /// (and its code is spent).
    pub(crate) fn from_answer(
        r: types::TokenResponse,
        issued_at: SystemTime,
    ) -> Result<Self, &'static str> {
        let access_token = r
            .access_token
            .filter(|t| !t.secret().is_empty())
            .ok_or("the answer has no `access_token`")?;
        // Whole milliseconds, as stored: a saved session loads back equal.
        let issued_at = epoch_millis::truncate(issued_at);
        Ok(Session {
            access_token,
            extended_token: r.extended_token,
            refresh_token: r.refresh_token,
            token_type: r.token_type,
            expires_in: r.expires_in,
            refresh_token_expires_in: r.refresh_token_expires_in,
            user_id: r.user_id,
            user_name: r.user_name,
            email: r.email,
            broker: r.broker,
            user_type: r.user_type,
            exchanges: r.exchanges.unwrap_or_default(),
            products: r.products.unwrap_or_default(),
            order_types: r.order_types.unwrap_or_default(),
            poa: r.poa,
            ddpi: r.ddpi,
            is_active: r.is_active,
            extra: r.extra,
            issued_at,
            expires_at: crate::expiry::expires_at(issued_at),
        })
    }

    /// The session a token handed over on its own makes (the indie-user
    /// notifier's payload): the token, whose it is, and the times its
    /// sender gave, in whole milliseconds. The account fields are empty.
    pub(crate) fn from_token(
        access_token: AccessToken,
        token_type: Option<String>,
        user_id: Option<String>,
        issued_at: SystemTime,
        expires_at: SystemTime,
    ) -> Self {
        Session {
            access_token,
            extended_token: None,
            refresh_token: None,
            token_type,
            expires_in: None,
            refresh_token_expires_in: None,
            user_id,
            user_name: None,
            email: None,
            broker: None,
            user_type: None,
            exchanges: Vec::new(),
            products: Vec::new(),
            order_types: Vec::new(),
            poa: None,
            ddpi: None,
            is_active: None,
            extra: serde_json::Map::new(),
            issued_at: epoch_millis::truncate(issued_at),
            expires_at: epoch_millis::truncate(expires_at),
        }
    }

    /// The access token: what every trading API call needs.
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The extended (one-year, read-only) token, if one was issued.
    pub fn extended_token(&self) -> Option<&ExtendedToken> {
        self.extended_token.as_ref()
    }

    /// The refresh token, if one was sent (there is no refresh grant).
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// `token_type` as sent (`Bearer`).
    pub fn token_type(&self) -> Option<&str> {
        self.token_type.as_deref()
    }

    /// `expires_in` as sent, in seconds. [`expires_at`](Self::expires_at)
    /// is the rule Upstox applies.
    pub fn expires_in(&self) -> Option<i64> {
        self.expires_in
    }

    /// `refresh_token_expires_in` as sent, in seconds.
    pub fn refresh_token_expires_in(&self) -> Option<i64> {
        self.refresh_token_expires_in
    }

    /// The account holder's user id.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The account holder's name.
    pub fn user_name(&self) -> Option<&str> {
        self.user_name.as_deref()
    }

    /// The account holder's e-mail address.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The broker (`UPSTOX`).
    pub fn broker(&self) -> Option<&str> {
        self.broker.as_deref()
    }

    /// The account type (`individual`).
    pub fn user_type(&self) -> Option<&str> {
        self.user_type.as_deref()
    }

    /// Exchanges enabled for the account (empty when not sent or `null`).
    pub fn exchanges(&self) -> &[String] {
        &self.exchanges
    }

    /// Products enabled for the account (empty when not sent or `null`).
    pub fn products(&self) -> &[String] {
        &self.products
    }

    /// Order types enabled for the account (empty when not sent or `null`).
    pub fn order_types(&self) -> &[String] {
        &self.order_types
    }

    /// Whether a power of attorney is on file, as sent.
    pub fn poa(&self) -> Option<bool> {
        self.poa
    }

    /// Whether a DDPI is on file, as sent.
    pub fn ddpi(&self) -> Option<bool> {
        self.ddpi
    }

    /// Whether the account is active, as sent.
    pub fn is_active(&self) -> Option<bool> {
        self.is_active
    }

    /// Fields of the token answer that this crate does not name, as sent
    /// (kept, and saved with the session).
    pub fn extra(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.extra
    }

    /// When the answer was received (whole milliseconds).
    pub fn issued_at(&self) -> SystemTime {
        self.issued_at
    }

    /// When the access token stops working: the next 03:30 Asia/Kolkata
    /// after it was issued (for a token from the indie-user notifier, the
    /// `expires_at` it came with).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// Whether the access token has expired by `now`.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        now >= self.expires_at
    }

    /// Whether the access token expires within `margin` from now (or has
    /// expired): the question to ask before reusing a saved session.
    pub fn expires_within(&self, margin: std::time::Duration) -> bool {
        SystemTime::now()
            .checked_add(margin)
            .is_none_or(|t| t >= self.expires_at)
    }

    /// Whether the access token has expired now.
    pub fn is_expired(&self) -> bool {
        self.is_expired_at(SystemTime::now())
    }
}

/// Instants as whole milliseconds since the Unix epoch, as Upstox writes them.
mod epoch_millis {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    fn millis(t: SystemTime) -> u64 {
        t.duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    /// `t` without its part below a millisecond (the epoch for earlier times).
    pub(super) fn truncate(t: SystemTime) -> SystemTime {
        UNIX_EPOCH
            .checked_add(Duration::from_millis(millis(t)))
            .unwrap_or(t)
    }

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(millis(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let ms = u64::deserialize(d)?;
        UNIX_EPOCH
            .checked_add(Duration::from_millis(ms))
            .ok_or_else(|| serde::de::Error::custom(format!("{ms} ms is out of range")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn session(issued_at: SystemTime) -> Session {
        let answer: types::TokenResponse =
            serde_json::from_str(r#"{"access_token":"t"}"#).expect("a token answer");
        Session::from_answer(answer, issued_at).expect("a session")
    }

    #[test]
    fn a_session_is_reusable_until_the_margin_before_its_expiry() {
        let now = SystemTime::now();
        let fresh = session(now);
        let left = fresh
            .expires_at()
            .duration_since(now)
            .expect("in the future");
        assert!(!fresh.expires_within(Duration::ZERO));
        assert!(!fresh.expires_within(left - Duration::from_secs(60)));
        assert!(fresh.expires_within(left + Duration::from_secs(60)));
        assert!(fresh.expires_within(Duration::MAX));
        let old = session(now - Duration::from_secs(2 * 86_400));
        assert!(old.expires_within(Duration::ZERO));
        assert!(old.is_expired());
    }

    /// Unknown fields are kept, but `Debug` names them without their values,
    /// which can be anything the server sent (an echoed secret, a token).
    #[test]
    fn debug_names_unknown_fields_without_their_values() {
        let answer: types::TokenResponse = serde_json::from_str(
            r#"{"access_token":"t0ken-a","echo":{"client_secret":"hunter2"},"note":"t0ken-b"}"#,
        )
        .expect("a token answer");
        let s = Session::from_answer(answer, SystemTime::now()).expect("a session");
        let debug = format!("{s:?}");
        for secret in ["t0ken-a", "hunter2", "t0ken-b"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(
            debug.contains(r#"extra_fields: ["echo", "note"]"#),
            "{debug}"
        );
    }

    #[test]
    fn times_are_whole_milliseconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
        let s = session(t);
        assert_eq!(
            s.issued_at(),
            SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)
        );
    }
}
