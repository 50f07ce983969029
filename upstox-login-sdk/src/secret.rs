//! Newtypes for every secret of the login flow, and the one constant-time
//! comparison they all use.
//!
//! Secrets ([`ClientSecret`], [`AuthorizationCode`], [`AccessToken`],
//! [`ExtendedToken`], [`RefreshToken`]) print as `Name([redacted])` in
//! `Debug`, have no `Display`, and give their value only through an explicit
//! `.secret()` call. They serialize as the plain string, because the wire and
//! a saved session need the value. Equality on secrets is constant-time.
//!
//! The values a call copies into its request (client secret, code) are
//! held in an `Arc`, so those copies cost a reference
//! count, not an allocation; tokens, which are decoded on every exchange and
//! rarely copied, are plain strings.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name($inner);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into().into())
            }

            /// The secret value itself. Every read is this explicit call.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
            }
        }

        impl Eq for $name {}

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "string", "format": "password"})
            }
        }
    };
}

secret_type!(
    /// The app's API secret, sent in the token exchange and the indie-user request.
    ///
    /// ```
    /// let secret = upstox_login_sdk::ClientSecret::new("hunter2");
    /// assert_eq!(format!("{secret:?}"), "ClientSecret([redacted])");
    /// assert_eq!(secret.secret(), "hunter2");
    /// ```
    ClientSecret(Arc<str>)
);
secret_type!(
    /// The single-use authorization code from the login redirect.
    ///
    /// It is spent by the first token exchange that presents it, even a
    /// failed one, so the library never retries that exchange.
    AuthorizationCode(Arc<str>)
);
secret_type!(
    /// The access token: valid until the next 03:30 Asia/Kolkata (see [`crate::expiry`]).
    AccessToken(String)
);
secret_type!(
    /// The extended token: valid for a year, for read-only APIs only.
    ExtendedToken(String)
);
secret_type!(
    /// A refresh token, listed by the service's own spec. Upstox has no refresh grant.
    RefreshToken(String)
);

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
