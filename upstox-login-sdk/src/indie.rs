//! The indie-user flow's own types: the request's options and answer, and
//! the payload Upstox POSTs to the app's notifier webhook, which becomes a
//! [`Session`] once its `client_id` is checked.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::generated::types;
use crate::{AccessToken, ClientId, PayloadRefused, Session};

/// Options of [`LoginClient::request_indie_token`](crate::LoginClient::request_indie_token).
///
/// ```
/// use upstox_login_sdk::IndieTokenOptions;
///
/// let options = IndieTokenOptions::default().otp_verification_disabled(true);
/// assert_eq!(options.otp_verification_disabled, Some(true));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndieTokenOptions {
    /// `otp_verification_disabled`: whether the account holder approves
    /// without an OTP. Not sent when `None` (Upstox's default applies).
    pub otp_verification_disabled: Option<bool>,
}

impl IndieTokenOptions {
    /// Sets [`otp_verification_disabled`](Self::otp_verification_disabled).
    pub fn otp_verification_disabled(mut self, disabled: bool) -> Self {
        self.otp_verification_disabled = Some(disabled);
        self
    }
}

/// The answer to an indie-user token request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndieTokenRequest {
    /// `status` as sent.
    pub status: Option<String>,
    /// When the request lapses unapproved, as sent (probably epoch milliseconds).
    pub authorization_expiry: Option<String>,
    /// The webhook that will receive the token.
    pub notifier_url: Option<String>,
}

impl IndieTokenRequest {
    /// `authorization_expiry` as an instant, when it is epoch milliseconds.
    pub fn expires_at(&self) -> Option<SystemTime> {
        epoch_millis(self.authorization_expiry.as_deref()?)
    }

    pub(crate) fn from_answer(r: types::IndieUserInitTokenResponse) -> Self {
        let data = r.data.unwrap_or_default();
        Self {
            status: r.status,
            authorization_expiry: data.authorization_expiry,
            notifier_url: data.notifier_url,
        }
    }
}

fn epoch_millis(s: &str) -> Option<SystemTime> {
    let ms: u64 = s.trim().parse().ok()?;
    UNIX_EPOCH.checked_add(Duration::from_millis(ms))
}

/// The payload Upstox POSTs to the app's notifier webhook once an indie-user
/// request is approved. Parsed leniently (its shape is not documented by
/// Upstox): every field is optional, the times may come as numbers or strings.
///
/// Nothing authenticates that POST: turn it into a session only through
/// [`NotifierPayload::into_session`] (or check
/// [`NotifierPayload::verify_client_id`]), and confirm the token with a
/// cheap authenticated call before trusting it: `NotifierVerifier` (feature
/// `loopback`) does both, with one bounded call of
/// [`LoginClient::profile`](crate::LoginClient::profile).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct NotifierPayload {
    /// The app's client id.
    pub client_id: Option<ClientId>,
    /// The account holder's user id.
    pub user_id: Option<String>,
    /// The new access token.
    pub access_token: Option<AccessToken>,
    /// `Bearer`.
    pub token_type: Option<String>,
    /// When the token expires, epoch milliseconds (a number or a string on the wire).
    #[serde(default, deserialize_with = "lenient_text")]
    #[schemars(schema_with = "epoch_millis_schema")]
    pub expires_at: Option<String>,
    /// When the token was issued, epoch milliseconds (a number or a string on the wire).
    #[serde(default, deserialize_with = "lenient_text")]
    #[schemars(schema_with = "epoch_millis_schema")]
    pub issued_at: Option<String>,
    /// `access_token`.
    pub message_type: Option<String>,
}

impl NotifierPayload {
    /// Parses a webhook body. Errors never include the body.
    ///
    /// ```
    /// use upstox_login_sdk::{ClientId, PayloadRefused, NotifierPayload};
    ///
    /// let body = br#"{"client_id":"my-app","user_id":"AB1234","access_token":"t0k",
    ///     "token_type":"Bearer","expires_at":"1795851000000","issued_at":1795800000000,
    ///     "message_type":"access_token"}"#;
    /// let payload = NotifierPayload::parse(body).unwrap();
    /// assert!(matches!(
    ///     payload.clone().into_session(&ClientId::new("someone-else")),
    ///     Err(PayloadRefused::ClientIdMismatch)
    /// ));
    /// let session = payload.into_session(&ClientId::new("my-app")).unwrap();
    /// assert_eq!(session.access_token().secret(), "t0k");
    /// assert_eq!(session.user_id(), Some("AB1234"));
    /// ```
    pub fn parse(body: &[u8]) -> Result<Self, PayloadRefused> {
        serde_json::from_slice(body).map_err(|e| {
            PayloadRefused::Malformed(format!(
                "{} at line {} column {}",
                classify(&e),
                e.line(),
                e.column()
            ))
        })
    }

    /// Checks the payload names `expected` and carries a token; returns the token.
    pub fn verify_client_id(&self, expected: &ClientId) -> Result<&AccessToken, PayloadRefused> {
        match &self.client_id {
            Some(id)
                if crate::secret::constant_time_eq(
                    id.as_str().as_bytes(),
                    expected.as_str().as_bytes(),
                ) => {}
            _ => return Err(PayloadRefused::ClientIdMismatch),
        }
        self.access_token
            .as_ref()
            .filter(|t| !t.secret().is_empty())
            .ok_or(PayloadRefused::UnusableToken)
    }

    /// The session this payload hands over, once it is checked to name
    /// `expected` and to carry a token ([`verify_client_id`](Self::verify_client_id)).
    ///
    /// The session's `issued_at` and `expires_at` are the payload's (whole
    /// milliseconds). Without a usable `issued_at` it is now; without a
    /// usable `expires_at`, the rule every access token follows: the next
    /// 03:30 Asia/Kolkata after `issued_at`. It carries no account fields
    /// but the user id: the payload has none.
    pub fn into_session(self, expected: &ClientId) -> Result<Session, PayloadRefused> {
        self.verify_client_id(expected)?;
        let issued_at = self.issued_at().unwrap_or_else(SystemTime::now);
        let expires_at = self
            .expires_at()
            .unwrap_or_else(|| crate::expiry::expires_at(issued_at));
        let access_token = self.access_token.ok_or(PayloadRefused::UnusableToken)?;
        Ok(Session::from_token(
            access_token,
            self.token_type,
            self.user_id,
            issued_at,
            expires_at,
        ))
    }

    /// `expires_at` as an instant.
    pub fn expires_at(&self) -> Option<SystemTime> {
        epoch_millis(self.expires_at.as_deref()?)
    }

    /// `issued_at` as an instant.
    pub fn issued_at(&self) -> Option<SystemTime> {
        epoch_millis(self.issued_at.as_deref()?)
    }
}

fn classify(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Io => "I/O error",
        Category::Syntax => "not JSON",
        Category::Data => "wrong shape",
        Category::Eof => "truncated",
    }
}

fn lenient_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

/// What the times look like on the wire: epoch milliseconds, as a number
/// or a string (any other value is kept as its JSON text, and unused).
fn epoch_millis_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["string", "integer", "null"],
        "description": "Epoch milliseconds, as a number or a string."
    })
}
