//! The anti-forgery `state` of a login, and constant-time comparison.

use std::fmt;

use crate::secret::constant_time_eq;
use serde::{Deserialize, Serialize};

/// The opaque `state` sent to `authorize` and echoed back on the redirect.
///
/// [`State::random`] makes a fresh one per login: 256 bits from the operating
/// system's CSPRNG, hex-encoded. Comparison is constant-time.
#[derive(Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct State(String);

impl State {
    /// A fresh random state: 32 bytes from the OS CSPRNG, as 64 hex digits.
    ///
    /// ```
    /// let state = upstox_login_sdk::State::random().unwrap();
    /// assert_eq!(state.as_str().len(), 64);
    /// assert!(state.matches(state.as_str()));
    /// ```
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        let mut hex = String::with_capacity(64);
        for b in bytes {
            hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            hex.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        }
        Ok(Self(hex))
    }

    /// Wraps a state you made yourself (for example, one that also encodes
    /// where to go after login). Make it unguessable.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, as sent in the URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with a value received on the redirect. An
    /// empty state matches nothing: it would accept any empty `state=`.
    pub fn matches(&self, received: &str) -> bool {
        !self.0.is_empty() && constant_time_eq(self.0.as_bytes(), received.as_bytes())
    }
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        self.matches(&other.0)
    }
}

impl Eq for State {}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // It guards the login: kept out of logs like every secret.
        f.write_str("State([redacted])")
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_states_are_long_hex_and_distinct() {
        let a = State::random().unwrap();
        let b = State::random().unwrap();
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn debug_hides_the_value() {
        let shown = format!("{:?}", State::new("guard-me"));
        assert!(!shown.contains("guard-me"), "{shown}");
        assert_eq!(shown, "State([redacted])");
    }

    #[test]
    fn matches_is_exact() {
        let s = State::new("abc");
        assert!(s.matches("abc"));
        assert!(!s.matches("abd"));
        assert!(!s.matches("ab"));
        assert!(!s.matches("abcd"));
        assert!(!s.matches(""));
    }
}
