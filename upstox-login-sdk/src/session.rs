//! The session a login gives: the token answer's fields and its expiry.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::generated::types;
use crate::{AccessToken, Account, ExtendedToken, RefreshToken};

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
    /// Whose it is, at the top level of the saved JSON as in the answer.
    #[serde(flatten)]
    account: Account,
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
            .field("account", &self.account)
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
            account: Account {
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
            },
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
            account: Account {
                user_id,
                ..Account::default()
            },
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

    /// Whose the session is: the account fields of the token answer (for
    /// a token from the indie-user notifier, only the user id).
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The account's user id: [`account`](Self::account)`().user_id()`.
    pub fn user_id(&self) -> Option<&str> {
        self.account.user_id()
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

    /// Whether Upstox could have issued this session, as seen at `now`: a
    /// non-empty access token without control characters, issued no later
    /// than `now` (give or take [`CLOCK_SKEW`]), and expiring no later than
    /// the 03:30 IST after its issue. What a saved file says is checked
    /// against this before it is believed (and before it is saved).
    pub(crate) fn check_plausible(&self, now: SystemTime) -> Result<(), &'static str> {
        let token = self.access_token.secret();
        if token.is_empty() {
            return Err("an empty access token");
        }
        if token.chars().any(char::is_control) {
            return Err("control characters in the access token");
        }
        let latest_issue = now.checked_add(CLOCK_SKEW).unwrap_or(now);
        if self.issued_at > latest_issue {
            return Err("issued in the future");
        }
        if self.expires_at > crate::expiry::expires_at(self.issued_at) {
            return Err("valid past the 03:30 IST after its issue");
        }
        Ok(())
    }
}

/// How far ahead of this machine's clock a session's issue time may be
/// (the machine that received it may have had a clock a little ahead).
pub(crate) const CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(5 * 60);

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

    fn with(session: &Session, field: &str, value: serde_json::Value) -> Session {
        let mut json = serde_json::to_value(session).expect("JSON");
        json[field] = value;
        serde_json::from_value(json).expect("a session")
    }

    fn millis(t: SystemTime) -> u64 {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .expect("after the epoch")
            .as_millis() as u64
    }

    #[test]
    fn a_session_is_plausible_only_as_upstox_could_issue_it() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let fresh = session(now);
        assert_eq!(fresh.check_plausible(now), Ok(()));
        // An old session is expired, not implausible.
        assert_eq!(
            fresh.check_plausible(now + Duration::from_secs(86_400 * 30)),
            Ok(())
        );
        for bad in ["", "a\nb", "tab\there", "nul\u{0}", "del\u{7f}"] {
            let s = with(&fresh, "access_token", serde_json::json!(bad));
            assert!(s.check_plausible(now).is_err(), "{bad:?}");
        }
        // Issued within the skew is fine; beyond it is not.
        let ahead = with(
            &fresh,
            "issued_at",
            serde_json::json!(millis(now + CLOCK_SKEW)),
        );
        let ahead = with(
            &ahead,
            "expires_at",
            serde_json::json!(millis(now + CLOCK_SKEW)),
        );
        assert_eq!(ahead.check_plausible(now), Ok(()));
        let future = with(
            &ahead,
            "issued_at",
            serde_json::json!(millis(now + CLOCK_SKEW) + 1),
        );
        assert_eq!(future.check_plausible(now), Err("issued in the future"));
        // Expiring at the 03:30 IST after issue is fine; a millisecond later is not.
        let edge = millis(crate::expiry::expires_at(now));
        let at_edge = with(&fresh, "expires_at", serde_json::json!(edge));
        assert_eq!(at_edge.check_plausible(now), Ok(()));
        let past = with(&fresh, "expires_at", serde_json::json!(edge + 1));
        assert!(past.check_plausible(now).is_err());
        // The year 5138 and the year three million.
        for ms in [99_999_999_999_999u64, 94_670_000_000_000_000] {
            let far = with(&fresh, "expires_at", serde_json::json!(ms));
            assert!(far.check_plausible(now).is_err(), "{ms}");
        }
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
