//! Checking a token: the profile of the account it belongs to (`GET
//! /v2/user/profile`), the one call outside the login API.

use std::fmt;

use progenitor_client::ClientInfo;

use crate::answer::answer;
use crate::generated::types;
use crate::operation::Operation;
use crate::redact::Redactor;
use crate::{AccessToken, Error, LoginClient};

/// The account an access token belongs to, as `GET /v2/user/profile`
/// answered it.
///
/// Every field is optional (Upstox promises none), and fields this crate
/// does not name are kept in [`extra`](Self::extra). It holds no token.
/// `Debug` shows the names of the unknown fields, not their values: an
/// answer can echo anything.
#[derive(Clone, Default, PartialEq)]
pub struct Profile {
    user_id: Option<String>,
    user_name: Option<String>,
    email: Option<String>,
    broker: Option<String>,
    user_type: Option<String>,
    exchanges: Vec<String>,
    products: Vec<String>,
    order_types: Vec<String>,
    poa: Option<bool>,
    ddpi: Option<bool>,
    is_active: Option<bool>,
    extra: serde_json::Map<String, serde_json::Value>,
}

impl Profile {
    fn from_answer(r: types::ProfileResponse) -> Self {
        let Some(d) = r.data else {
            return Profile::default();
        };
        Profile {
            user_id: d.user_id,
            user_name: d.user_name,
            email: d.email,
            broker: d.broker,
            user_type: d.user_type,
            exchanges: d.exchanges.unwrap_or_default(),
            products: d.products.unwrap_or_default(),
            order_types: d.order_types.unwrap_or_default(),
            poa: d.poa,
            ddpi: d.ddpi,
            is_active: d.is_active,
            extra: d.extra,
        }
    }

    /// The account's user id (its UCC): compare it with the account a token
    /// is expected to belong to.
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

    /// The exchanges enabled for the account, as sent.
    pub fn exchanges(&self) -> &[String] {
        &self.exchanges
    }

    /// The products enabled for the account, as sent.
    pub fn products(&self) -> &[String] {
        &self.products
    }

    /// The order types enabled for the account, as sent.
    pub fn order_types(&self) -> &[String] {
        &self.order_types
    }

    /// Whether a power of attorney is on file.
    pub fn poa(&self) -> Option<bool> {
        self.poa
    }

    /// Whether a DDPI is on file (newer answers only).
    pub fn ddpi(&self) -> Option<bool> {
        self.ddpi
    }

    /// Whether the account is active.
    pub fn is_active(&self) -> Option<bool> {
        self.is_active
    }

    /// The answer's fields this crate does not name, as sent. They may hold
    /// whatever the server put there.
    pub fn extra(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.extra
    }
}

/// The named fields, and only the names of the unknown ones.
impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
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
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl LoginClient {
    /// The profile of the account `token` belongs to (`GET
    /// /v2/user/profile` with `Authorization: Bearer <token>`): the cheap
    /// authenticated call that says whether a token is live, and whose.
    ///
    /// A token that is expired, revoked or made up fails with
    /// [`Error::Api`] holding
    /// [`ErrorCode::InvalidToken`](crate::ErrorCode::InvalidToken)
    /// (`UDAPI100050`; test with [`Error::has_code`]); an account with no
    /// active segment with
    /// [`ErrorCode::NoActiveSegment`](crate::ErrorCode::NoActiveSegment)
    /// (`UDAPI100058`). Fails with [`Error::InvalidInput`] (nothing sent)
    /// for an empty token.
    pub async fn profile(&self, token: &AccessToken) -> Result<Profile, Error> {
        if token.secret().is_empty() {
            return Err(Error::InvalidInput("the access token is empty".into()));
        }
        let secrets = [token.secret()];
        let redactor = Redactor::new(&secrets);
        let call = self.call(Operation::Profile);
        let outcome = call
            .get_profile()
            .authorization(format!("Bearer {}", token.secret()))
            .send()
            .await;
        let seen = call.inner().take_seen().unwrap_or_default();
        answer(Operation::Profile, outcome, &seen, &redactor).map(Profile::from_answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_unknown_fields_without_their_values() {
        let data: types::ProfileData = serde_json::from_value(serde_json::json!({
            "user_id": "AB1234", "echo": "sneaky-value", "is_active": true
        }))
        .unwrap();
        let profile = Profile::from_answer(types::ProfileResponse {
            status: Some("success".into()),
            data: Some(data),
        });
        assert_eq!(profile.user_id(), Some("AB1234"));
        assert_eq!(profile.extra()["echo"], "sneaky-value");
        let debug = format!("{profile:?}");
        assert!(debug.contains("\"echo\""), "{debug}");
        assert!(!debug.contains("sneaky-value"), "{debug}");
    }
}
