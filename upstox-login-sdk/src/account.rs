//! Whose a token is: the account fields that both the token answer and the
//! profile answer carry.

use serde::{Deserialize, Serialize};

/// The account holder's fields, as Upstox sent them with a token
/// ([`Session::account`](crate::Session::account)) or a profile
/// ([`Profile::account`](crate::Profile::account)).
///
/// Every field is optional: Upstox promises none. It holds no secret, so
/// its `Debug` shows every field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Account {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) broker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_type: Option<String>,
    #[serde(default)]
    pub(crate) exchanges: Vec<String>,
    #[serde(default)]
    pub(crate) products: Vec<String>,
    #[serde(default)]
    pub(crate) order_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) poa: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ddpi: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) is_active: Option<bool>,
}

impl Account {
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

    /// The exchanges enabled for the account (empty when not sent or
    /// `null`).
    pub fn exchanges(&self) -> &[String] {
        &self.exchanges
    }

    /// The products enabled for the account (empty when not sent or
    /// `null`).
    pub fn products(&self) -> &[String] {
        &self.products
    }

    /// The order types enabled for the account (empty when not sent or
    /// `null`).
    pub fn order_types(&self) -> &[String] {
        &self.order_types
    }

    /// Whether a power of attorney is on file, as sent.
    pub fn poa(&self) -> Option<bool> {
        self.poa
    }

    /// Whether a DDPI is on file, as sent (newer answers only).
    pub fn ddpi(&self) -> Option<bool> {
        self.ddpi
    }

    /// Whether the account is active, as sent.
    pub fn is_active(&self) -> Option<bool> {
        self.is_active
    }
}
