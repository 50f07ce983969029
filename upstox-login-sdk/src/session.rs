//! What the calls return: the session, the logout outcome, the indie-user
//! request, and the notifier webhook's payload.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::generated::types;
use crate::{AccessToken, ClientId, ExtendedToken};

/// A logged-in session: the decoded token response and when it was received.
///
/// `Debug` shows the account fields but never a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Session {
    /// The token response, as decoded.
    pub response: types::TokenResponse,
    /// When the response was received (seconds since the Unix epoch).
    #[serde(with = "unix_seconds")]
    #[schemars(with = "u64")]
    pub issued_at: SystemTime,
}

impl Session {
    /// Wraps a token response received at `issued_at`.
    pub fn new(response: types::TokenResponse, issued_at: SystemTime) -> Self {
        Self {
            response,
            issued_at,
        }
    }

    /// The access token (present in any session this library returns).
    pub fn access_token(&self) -> Option<&AccessToken> {
        self.response.access_token.as_ref()
    }

    /// The extended (one-year, read-only) token, if one was issued.
    pub fn extended_token(&self) -> Option<&ExtendedToken> {
        self.response.extended_token.as_ref()
    }

    /// The account holder's user id.
    pub fn user_id(&self) -> Option<&str> {
        self.response.user_id.as_deref()
    }

    /// Exchanges enabled for the account (empty when not sent or `null`).
    pub fn exchanges(&self) -> &[String] {
        self.response.exchanges.as_deref().unwrap_or_default()
    }

    /// Products enabled for the account (empty when not sent or `null`).
    pub fn products(&self) -> &[String] {
        self.response.products.as_deref().unwrap_or_default()
    }

    /// Order types enabled for the account (empty when not sent or `null`).
    pub fn order_types(&self) -> &[String] {
        self.response.order_types.as_deref().unwrap_or_default()
    }

    /// When the access token stops working: the next 03:30 Asia/Kolkata
    /// after it was issued.
    pub fn expires_at(&self) -> SystemTime {
        crate::expiry::expires_at(self.issued_at)
    }

    /// Whether the access token has expired by `now`.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        crate::expiry::is_expired(self.issued_at, now)
    }

    /// Whether the access token has expired now.
    pub fn is_expired(&self) -> bool {
        self.is_expired_at(SystemTime::now())
    }
}

mod unix_seconds {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(
            t.duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let secs = u64::deserialize(d)?;
        UNIX_EPOCH
            .checked_add(Duration::from_secs(secs))
            .ok_or_else(|| serde::de::Error::custom(format!("issued_at {secs} is out of range")))
    }
}

/// The answer to a logout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutOutcome {
    /// `status` as sent (`success`, `partial_success`, ...), if any.
    pub status: Option<String>,
    /// Whether the service says the token was revoked.
    pub revoked: bool,
}

impl From<types::LogoutResponse> for LogoutOutcome {
    fn from(r: types::LogoutResponse) -> Self {
        Self {
            revoked: r.data.unwrap_or(false),
            status: r.status,
        }
    }
}

/// The answer to an indie-user token request.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl From<types::IndieUserInitTokenResponse> for IndieTokenRequest {
    fn from(r: types::IndieUserInitTokenResponse) -> Self {
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
    SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_millis(ms))
}

/// The payload Upstox POSTs to the app's notifier webhook once an indie-user
/// request is approved. Parsed leniently (its shape is not documented by
/// Upstox): every field is optional, numbers may come as strings.
///
/// Nothing authenticates that POST: check [`NotifierPayload::verify_client_id`]
/// and confirm the token with a cheap authenticated call before trusting it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct NotifierPayload {
    /// The app's client id.
    pub client_id: Option<ClientId>,
    /// The account holder's user id.
    pub user_id: Option<String>,
    /// The new access token.
    pub access_token: Option<AccessToken>,
    /// `Bearer`.
    pub token_type: Option<String>,
    /// When the token expires, epoch milliseconds.
    #[serde(default, deserialize_with = "lenient_text")]
    pub expires_at: Option<String>,
    /// When the token was issued, epoch milliseconds.
    #[serde(default, deserialize_with = "lenient_text")]
    pub issued_at: Option<String>,
    /// `access_token`.
    pub message_type: Option<String>,
}

/// Why a notifier payload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifierError {
    /// The body is not the expected JSON object.
    Malformed(String),
    /// The payload names another app (or none): do not trust its token.
    ClientIdMismatch,
    /// The payload carries no access token.
    MissingToken,
}

impl std::fmt::Display for NotifierError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotifierError::Malformed(m) => write!(f, "the notifier payload is malformed: {m}"),
            NotifierError::ClientIdMismatch => {
                f.write_str("the notifier payload is for another client id; ignoring it")
            }
            NotifierError::MissingToken => {
                f.write_str("the notifier payload carries no access token")
            }
        }
    }
}

impl std::error::Error for NotifierError {}

impl NotifierPayload {
    /// Parses a webhook body. Errors never include the body.
    ///
    /// ```
    /// use upstox_login_sdk::{ClientId, NotifierError, NotifierPayload};
    ///
    /// let body = br#"{"client_id":"my-app","user_id":"AB1234","access_token":"t0k",
    ///     "token_type":"Bearer","expires_at":"1795851000000","issued_at":1795800000000,
    ///     "message_type":"access_token"}"#;
    /// let payload = NotifierPayload::parse(body).unwrap();
    /// let token = payload.verify_client_id(&ClientId::new("my-app")).unwrap();
    /// assert_eq!(token.secret(), "t0k");
    /// assert_eq!(
    ///     payload.verify_client_id(&ClientId::new("someone-else")),
    ///     Err(NotifierError::ClientIdMismatch)
    /// );
    /// ```
    pub fn parse(body: &[u8]) -> Result<Self, NotifierError> {
        serde_json::from_slice(body).map_err(|e| {
            NotifierError::Malformed(format!(
                "{} at line {} column {}",
                classify(&e),
                e.line(),
                e.column()
            ))
        })
    }

    /// Checks the payload names `expected` and carries a token; returns the token.
    pub fn verify_client_id(&self, expected: &ClientId) -> Result<&AccessToken, NotifierError> {
        match &self.client_id {
            Some(id)
                if crate::state::constant_time_eq(
                    id.as_str().as_bytes(),
                    expected.as_str().as_bytes(),
                ) => {}
            _ => return Err(NotifierError::ClientIdMismatch),
        }
        self.access_token
            .as_ref()
            .filter(|t| !t.secret().is_empty())
            .ok_or(NotifierError::MissingToken)
    }

    /// `expires_at` as an instant.
    pub fn expires_at(&self) -> Option<SystemTime> {
        epoch_millis(self.expires_at.as_deref()?)
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
