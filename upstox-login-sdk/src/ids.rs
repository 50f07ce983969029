//! Newtypes for the identifiers of the login flow that are not secrets:
//! the app's client id and its redirect URI. Both are held in an `Arc`, so
//! the copies a call makes into its request cost a reference count.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

macro_rules! plain_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(transparent)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(Arc::from(value.into()))
            }

            /// The value as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::new(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::new(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self::new(s)
            }
        }
    };
}

plain_type!(
    /// The app's API key. Not a secret: it appears in the browser's URL.
    ClientId
);

/// The redirect URI registered with the app: an absolute `http` or `https`
/// URL with a host, kept exactly as written, since Upstox compares it byte for
/// byte with the registered one.
#[derive(Clone)]
pub struct RedirectUri(Arc<RedirectUriInner>);

struct RedirectUriInner {
    raw: String,
    url: url::Url,
}

impl PartialEq for RedirectUri {
    fn eq(&self, other: &Self) -> bool {
        self.0.raw == other.0.raw
    }
}

impl Eq for RedirectUri {}

impl std::hash::Hash for RedirectUri {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.raw.hash(state)
    }
}

impl schemars::JsonSchema for RedirectUri {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RedirectUri".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "uri"})
    }
}

impl RedirectUri {
    /// Validates and wraps a redirect URI, kept exactly as written (Upstox
    /// compares it with the registered one character for character).
    /// Fails with [`InvalidRedirectUri`] for white space or control
    /// characters anywhere, or for anything but an absolute `http`/`https`
    /// URL with a host.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidRedirectUri> {
        let raw = value.into();
        // The URL parser would quietly drop surrounding spaces, tabs and line
        // breaks, but the URI is sent as written, and Upstox would refuse it.
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidRedirectUri {
                value: raw,
                reason: "it contains white space or a control character (a trailing newline?)",
            });
        }
        match url::Url::parse(&raw) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
                Ok(Self(Arc::new(RedirectUriInner { raw, url })))
            }
            Ok(_) => Err(InvalidRedirectUri {
                value: raw,
                reason: "it must be an http or https URL with a host",
            }),
            Err(_) => Err(InvalidRedirectUri {
                value: raw,
                reason: "it is not an absolute URL",
            }),
        }
    }

    /// The URI as written.
    pub fn as_str(&self) -> &str {
        &self.0.raw
    }

    /// The URI parsed.
    pub fn url(&self) -> &url::Url {
        &self.0.url
    }
}

impl fmt::Debug for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedirectUri({:?})", self.0.raw)
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.raw)
    }
}

impl std::str::FromStr for RedirectUri {
    type Err = InvalidRedirectUri;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for RedirectUri {
    type Error = InvalidRedirectUri;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl Serialize for RedirectUri {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.raw)
    }
}

impl<'de> Deserialize<'de> for RedirectUri {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(s).map_err(serde::de::Error::custom)
    }
}

/// A redirect URI that is not an absolute `http` or `https` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRedirectUri {
    value: String,
    reason: &'static str,
}

impl fmt::Display for InvalidRedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid redirect URI {:?}: {}", self.value, self.reason)
    }
}

impl std::error::Error for InvalidRedirectUri {}
