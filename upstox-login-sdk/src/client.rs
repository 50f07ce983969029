//! The client and its calls: start a login, exchange the code, log out, ask
//! an individual account holder for a token.

use std::time::SystemTime;

use progenitor_client::ClientInfo;

use crate::answer::{self, answer};
use crate::call::CallContext;
use crate::config::LoginClientBuilder;
use crate::error::{Error, SetupError};
use crate::generated::{self, types};
use crate::indie::{IndieTokenOptions, IndieTokenRequest};
use crate::logout::LogoutOutcome;
use crate::operation::Operation;
use crate::redact::Redactor;
use crate::session::Session;
use crate::{
    authorization_url, AccessToken, App, AuthorizationCode, PendingLogin, RedirectUri, State,
};

/// The Upstox login client.
///
/// Cheap to clone and safe to share across tasks. It holds no token and no
/// app secret: every call takes what it needs, so one client serves any
/// number of apps and users at once.
#[derive(Clone, Debug)]
pub struct LoginClient {
    base_url: url::Url,
    /// The base URL as the generated client takes it: no trailing `/`.
    base: String,
    http: reqwest::Client,
    max_body_bytes: usize,
}

impl LoginClient {
    /// A client for production with the default settings.
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// Starts configuring a client.
    pub fn builder() -> LoginClientBuilder {
        LoginClientBuilder::default()
    }

    pub(crate) fn from_parts(
        base_url: url::Url,
        http: reqwest::Client,
        max_body_bytes: usize,
    ) -> Self {
        let base = base_url.as_str().trim_end_matches('/').to_owned();
        LoginClient {
            base_url,
            base,
            http,
            max_body_bytes,
        }
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    /// A client of the generated code with this client's settings, for
    /// anything this facade does not cover. Its calls go through the same
    /// hooks (no redirect followed, the same body cap, a sensitive
    /// `Authorization`, no secret in logs); its errors are progenitor's,
    /// whose `Debug` can show a raw answer, tokens included: do not log
    /// them. A body over the cap fails to read (`ResponseBodyError`, with a
    /// [`BodyOverCap`](crate::BodyOverCap) as its source).
    ///
    /// The facade's hooks know which call is which only for its own calls:
    /// through this client, the v3 indie-user request also carries
    /// progenitor's `api-version` header.
    pub fn generated(&self) -> generated::Client {
        generated::Client::new_with_client(
            &self.base,
            self.http.clone(),
            CallContext::new(self.max_body_bytes),
        )
    }

    /// A client of the generated code for one facade call of `operation`.
    fn call(&self, operation: Operation) -> generated::Client {
        generated::Client::new_with_client(
            &self.base,
            self.http.clone(),
            CallContext::for_call(self.max_body_bytes, operation),
        )
    }

    /// Starts a login: a fresh random [`State`] and the authorization URL
    /// for the browser. Nothing is sent.
    ///
    /// Fails only if the operating system's random source fails
    /// ([`Error::Setup`]).
    pub fn start_login(&self, app: &App) -> Result<PendingLogin, Error> {
        self.start_login_with(app, None)
    }

    /// [`start_login`](Self::start_login) with a `scope` (undocumented by
    /// Upstox; passed through).
    pub fn start_login_with(&self, app: &App, scope: Option<&str>) -> Result<PendingLogin, Error> {
        self.start_login_to(app, app.redirect_uri(), scope)
    }

    /// A login that redirects to `redirect_uri` rather than the app's (a
    /// listener's real port).
    pub(crate) fn start_login_to(
        &self,
        app: &App,
        redirect_uri: &RedirectUri,
        scope: Option<&str>,
    ) -> Result<PendingLogin, Error> {
        let state = State::random()
            .map_err(|e| Error::Setup(SetupError::new("the OS random source failed", e)))?;
        let url = authorization_url(
            self.base_url(),
            app.client_id(),
            redirect_uri,
            &state,
            scope,
        );
        Ok(PendingLogin::new(url, state, redirect_uri.clone()))
    }

    /// Exchanges an authorization code for a session (`POST
    /// /v2/login/authorization/token`, a form with the code, the app's
    /// client id, secret and redirect URI).
    ///
    /// The code is single-use, even when the exchange fails: this call is
    /// never retried, by the library or (please) by you. Fails with
    /// [`Error::InvalidInput`] (nothing sent) for an empty code; otherwise
    /// with what the answer was ([`Error::Api`] for Upstox's refusal).
    pub async fn exchange_code(
        &self,
        app: &App,
        code: AuthorizationCode,
    ) -> Result<Session, Error> {
        self.exchange_code_with(app, code, None).await
    }

    /// [`exchange_code`](Self::exchange_code), also asking for (`Some(true)`)
    /// or against (`Some(false)`) a new extended token
    /// (`refresh_extended_token`).
    pub async fn exchange_code_with(
        &self,
        app: &App,
        code: AuthorizationCode,
        refresh_extended_token: Option<bool>,
    ) -> Result<Session, Error> {
        self.exchange_at(app, app.redirect_uri(), code, refresh_extended_token)
            .await
    }

    /// The exchange, with the redirect URI the login used.
    pub(crate) async fn exchange_at(
        &self,
        app: &App,
        redirect_uri: &RedirectUri,
        code: AuthorizationCode,
        refresh_extended_token: Option<bool>,
    ) -> Result<Session, Error> {
        if code.secret().is_empty() {
            return Err(Error::InvalidInput(
                "the authorization code is empty".into(),
            ));
        }
        let secrets = [app.client_secret().secret(), code.secret()];
        let redactor = Redactor::new(&secrets);
        let body = types::TokenRequest {
            code: code.clone(),
            client_id: app.client_id().clone(),
            client_secret: app.client_secret().clone(),
            redirect_uri: redirect_uri.clone(),
            grant_type: types::GrantType::AuthorizationCode,
            refresh_extended_token,
        };
        let call = self.call(Operation::Token);
        let outcome = call.token().body(body).send().await;
        let seen = call.inner().take_seen().unwrap_or_default();
        let response = answer(Operation::Token, outcome, &seen, &redactor)?;
        Session::from_answer(response, SystemTime::now())
            .map_err(|reason| answer::invalid(Operation::Token, &seen, reason))
    }

    /// Revokes an access token (`DELETE /v2/logout` with `Authorization:
    /// Bearer <token>`). Fails with [`Error::InvalidInput`] (nothing sent)
    /// for an empty token.
    pub async fn logout(&self, token: &AccessToken) -> Result<LogoutOutcome, Error> {
        if token.secret().is_empty() {
            return Err(Error::InvalidInput("the access token is empty".into()));
        }
        let secrets = [token.secret()];
        let redactor = Redactor::new(&secrets);
        let call = self.call(Operation::Logout);
        let outcome = call
            .logout()
            .authorization(format!("Bearer {}", token.secret()))
            .send()
            .await;
        let seen = call.inner().take_seen().unwrap_or_default();
        answer(Operation::Logout, outcome, &seen, &redactor).map(LogoutOutcome::from_answer)
    }

    /// Asks the app's account holder to approve a token, with no browser
    /// (the indie-user flow, beta): `POST
    /// /v3/login/auth/token/request/{client_id}` with `{"client_secret":
    /// ..}`. Upstox then asks the account holder (in the Upstox app or on
    /// WhatsApp) and, on approval before
    /// [`authorization_expiry`](crate::IndieTokenRequest::authorization_expiry),
    /// POSTs the token to the app's notifier webhook: receive it with
    /// `webhook::NotifierServer` (feature `loopback`), or turn the body
    /// your own server receives into a session with
    /// [`NotifierPayload::parse`](crate::NotifierPayload::parse) and
    /// [`into_session`](crate::NotifierPayload::into_session).
    ///
    /// Uses the app's client id and secret (not its redirect URI). Fails
    /// with [`Error::InvalidInput`] (nothing sent) for a client id that
    /// cannot be a path segment.
    pub async fn request_indie_token(
        &self,
        app: &App,
        options: IndieTokenOptions,
    ) -> Result<IndieTokenRequest, Error> {
        let client_id = app.client_id();
        let client_secret = app.client_secret();
        // It becomes a path segment: `.`/`..` or a backslash would change
        // which endpoint receives the secret.
        let id = client_id.as_str();
        if id.is_empty()
            || id == "."
            || id == ".."
            || id.chars().any(|c| c == '\\' || c.is_control())
        {
            return Err(Error::InvalidInput(format!(
                "the client id {id:?} cannot be used in the request path"
            )));
        }
        let secrets = [client_secret.secret()];
        let redactor = Redactor::new(&secrets);
        let body = types::IndieUserTokenRequest {
            client_secret: client_secret.clone(),
            client_id: None,
            otp_verification_disabled: options.otp_verification_disabled,
        };
        let call = self.call(Operation::IndieTokenRequest);
        let outcome = call
            .init_token_request_for_indie_user()
            .client_id(client_id.clone())
            .body(body)
            .send()
            .await;
        let seen = call.inner().take_seen().unwrap_or_default();
        answer(Operation::IndieTokenRequest, outcome, &seen, &redactor)
            .map(IndieTokenRequest::from_answer)
    }
}
