//! `blocking::LoginClient::builder()`: the async builder's settings, built
//! into a blocking client.

use std::time::Duration;

use crate::{Error, LoginClientBuilder};

/// Builds a [`LoginClient`](super::LoginClient) (blocking) with the same
/// settings as [`LoginClientBuilder`], which it wraps.
///
/// ```no_run
/// # fn main() -> Result<(), upstox_login_sdk::Error> {
/// use std::time::Duration;
/// let client = upstox_login_sdk::blocking::LoginClient::builder()
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    inner: LoginClientBuilder,
}

impl Builder {
    pub(super) fn new() -> Self {
        Self::default()
    }

    /// See [`LoginClientBuilder::base_url`].
    pub fn base_url(self, base_url: impl Into<String>) -> Self {
        self.with(|b| b.base_url(base_url))
    }

    /// See [`LoginClientBuilder::connect_timeout`].
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        self.with(|b| b.connect_timeout(timeout))
    }

    /// See [`LoginClientBuilder::timeout`].
    pub fn timeout(self, timeout: Duration) -> Self {
        self.with(|b| b.timeout(timeout))
    }

    /// See [`LoginClientBuilder::user_agent`].
    pub fn user_agent(self, user_agent: impl Into<String>) -> Self {
        self.with(|b| b.user_agent(user_agent))
    }

    /// See [`LoginClientBuilder::max_body_bytes`].
    pub fn max_body_bytes(self, max: usize) -> Self {
        self.with(|b| b.max_body_bytes(max))
    }

    /// The async builder underneath, for its other settings.
    pub fn as_async(&self) -> &LoginClientBuilder {
        &self.inner
    }

    /// Builds the blocking client (see [`LoginClientBuilder::build`]).
    pub fn build(self) -> Result<super::LoginClient, Error> {
        super::LoginClient::from_builder(self.inner)
    }

    fn with(self, set: impl FnOnce(LoginClientBuilder) -> LoginClientBuilder) -> Self {
        Self {
            inner: set(self.inner),
        }
    }
}
