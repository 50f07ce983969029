//! The client for programs without an async runtime (feature `blocking`).
//!
//! [`LoginClient`] has the calls of the async [`crate::LoginClient`], each
//! returning when the call is done. It runs them on a private
//! single-threaded tokio runtime of its own. One client serves any number
//! of threads at once: it is `Send + Sync` and cheap to clone (clones share
//! the runtime and the connections).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use upstox_login_sdk::blocking::LoginClient;
//! use upstox_login_sdk::{App, ClientId, ClientSecret, RedirectUri};
//!
//! let app = App::new(
//!     ClientId::new("my-client-id"),
//!     ClientSecret::new(std::env::var("UPSTOX_CLIENT_SECRET")?),
//!     RedirectUri::new("http://127.0.0.1:5055/callback")?,
//! );
//! let client = LoginClient::new()?;
//! let login = client.start_login(&app)?;
//! println!("open {}", login.url());
//! # let callback = "";
//! let code = login.code_from_callback(callback)?;
//! let session = client.exchange_code(&app, code)?;
//! client.logout(session.access_token())?;
//! # Ok(()) }
//! ```
//!
//! Called from inside an async runtime (a tokio task, or a thread of
//! `spawn_blocking`), a call sends nothing and fails with
//! [`Error::BlockingInAsyncRuntime`]: there, use the async client.

mod builder;

pub use builder::Builder;

use std::future::Future;
use std::sync::Arc;

use crate::error::SetupError;
use crate::{
    AccessToken, App, AuthorizationCode, Error, IndieTokenOptions, IndieTokenRequest,
    LoginClientBuilder, LogoutOutcome, PendingLogin, Session,
};

/// The Upstox login client, blocking. See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct LoginClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: crate::LoginClient,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A runtime dropped the usual way blocks until its tasks end, which
        // panics inside another runtime; this one's tasks are only idle
        // connections, so it is left to stop in the background.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl LoginClient {
    /// A client for production with the default settings.
    pub fn new() -> Result<Self, Error> {
        Self::from_builder(crate::LoginClient::builder())
    }

    /// A builder with the settings of [`crate::LoginClient::builder`]; its
    /// [`build`](Builder::build) makes a blocking client.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A client with the settings of `builder` (base URL, timeouts, ...).
    pub fn from_builder(builder: LoginClientBuilder) -> Result<Self, Error> {
        Self::from_async(builder.build()?)
    }

    /// Wraps an async client. Give it one of its own: its connections then
    /// belong to this client's runtime, and an async clone of it used in
    /// another runtime would find them unusable.
    pub fn from_async(client: crate::LoginClient) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Setup(SetupError::new("could not start a tokio runtime", e)))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                runtime: Some(runtime),
            }),
        })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::LoginClient {
        &self.inner.client
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &url::Url {
        self.inner.client.base_url()
    }

    /// See [`crate::LoginClient::start_login`] (nothing is sent, so this
    /// works anywhere).
    pub fn start_login(&self, app: &App) -> Result<PendingLogin, Error> {
        self.inner.client.start_login(app)
    }

    /// See [`crate::LoginClient::start_login_with`].
    pub fn start_login_with(&self, app: &App, scope: Option<&str>) -> Result<PendingLogin, Error> {
        self.inner.client.start_login_with(app, scope)
    }

    /// See [`crate::LoginClient::exchange_code`].
    pub fn exchange_code(&self, app: &App, code: AuthorizationCode) -> Result<Session, Error> {
        self.run(self.inner.client.exchange_code(app, code))
    }

    /// See [`crate::LoginClient::exchange_code_with`].
    pub fn exchange_code_with(
        &self,
        app: &App,
        code: AuthorizationCode,
        refresh_extended_token: Option<bool>,
    ) -> Result<Session, Error> {
        self.run(
            self.inner
                .client
                .exchange_code_with(app, code, refresh_extended_token),
        )
    }

    /// See [`crate::LoginClient::logout`].
    pub fn logout(&self, token: &AccessToken) -> Result<LogoutOutcome, Error> {
        self.run(self.inner.client.logout(token))
    }

    /// See [`crate::LoginClient::request_indie_token`].
    pub fn request_indie_token(
        &self,
        app: &App,
        options: IndieTokenOptions,
    ) -> Result<IndieTokenRequest, Error> {
        self.run(self.inner.client.request_indie_token(app, options))
    }

    /// Runs a call to its end on this thread, or refuses inside a runtime.
    /// Several threads may run calls at once: one drives the connections
    /// while the others wait for their own answers.
    fn run<T>(&self, call: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        self.block_on(call)
    }

    /// [`run`](Self::run) for calls whose error converts from [`Error`].
    pub(crate) fn block_on<T, E: From<Error>>(
        &self,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::BlockingInAsyncRuntime.into());
        }
        match &self.inner.runtime {
            Some(runtime) => runtime.block_on(call),
            // Only `Drop` takes it.
            None => Err(Error::Setup(SetupError::new(
                "the client's runtime has stopped",
                std::io::Error::other("stopped"),
            ))
            .into()),
        }
    }
}
