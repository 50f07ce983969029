//! Checking a token: the profile of the account it belongs to (`GET
//! /v2/user/profile`), the one call outside the login API.

use std::fmt;

use progenitor_client::ClientInfo;

use crate::answer::answer;
use crate::generated::types;
use crate::operation::Operation;
use crate::redact::Redactor;
use crate::{AccessToken, Account, Error, LoginClient};

/// The account an access token belongs to, as `GET /v2/user/profile`
/// answered it.
///
/// Every field is optional (Upstox promises none), and fields this crate
/// does not name are kept in [`extra`](Self::extra). It holds no token.
/// `Debug` shows the names of the unknown fields, not their values: an
/// answer can echo anything.
#[derive(Clone, Default, PartialEq)]
pub struct Profile {
    account: Account,
    extra: serde_json::Map<String, serde_json::Value>,
}

impl Profile {
    fn from_answer(r: types::ProfileResponse) -> Self {
        let Some(d) = r.data else {
            return Profile::default();
        };
        Profile {
            account: Account {
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
            },
            extra: d.extra,
        }
    }

    /// Whose the token is: the account fields of the answer.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The account's user id (its UCC):
    /// [`account`](Self::account)`().user_id()`.
    pub fn user_id(&self) -> Option<&str> {
        self.account.user_id()
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
            .field("account", &self.account)
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
