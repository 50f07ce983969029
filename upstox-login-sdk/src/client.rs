//! The client: configuration, the calls, and the mapping of every answer to
//! a typed result.

use std::cell::Cell;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::HeaderValue;
use reqwest::ResponseBuilderExt;

use crate::buffered::BufferedBody;
use crate::error::{
    ApiError, BodyKind, Error, ErrorEnvelope, InvalidResponse, JavaException, TransportError,
    DEFAULT_MAX_BODY_BYTES,
};
use crate::generated::{self, types};
use crate::redact::Redactor;
use crate::session::{IndieTokenRequest, LogoutOutcome, Session};
use crate::{AccessToken, App, AuthorizationCode, ClientId, ClientSecret, Endpoints};

/// Upstox's production host.
pub const PRODUCTION_BASE_URL: &str = "https://api.upstox.com";
/// The default `User-Agent`.
pub const DEFAULT_USER_AGENT: &str = concat!("upstox-login-sdk/", env!("CARGO_PKG_VERSION"));
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default total timeout of a call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The Upstox login client.
///
/// Cheap to clone (an `Arc` inside) and safe to share across tasks. It holds
/// no token and no app secret: every call takes what it needs, so one client
/// serves any number of apps and users at once.
#[derive(Clone, Debug)]
pub struct LoginClient {
    inner: generated::Client,
    base_url: url::Url,
    max_body_bytes: usize,
}

/// Configures a [`LoginClient`]; made by [`LoginClient::builder`].
#[derive(Debug, Clone)]
pub struct LoginClientBuilder {
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    max_body_bytes: usize,
}

impl Default for LoginClientBuilder {
    fn default() -> Self {
        Self {
            base_url: PRODUCTION_BASE_URL.to_string(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl LoginClientBuilder {
    /// Where to send calls; production (`https://api.upstox.com`) by default.
    /// Must be `https`, except on loopback (`127.0.0.0/8`, `localhost`, `[::1]`).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a whole call may take, body included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `upstox-login-sdk/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The largest response body read (default 1 MiB); larger ones fail with
    /// [`Error::BodyTooLarge`] without being buffered.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<LoginClient, Error> {
        let base_url = parse_base_url(&self.base_url)?;
        let http = self
            .http_client_builder()?
            .build()
            .map_err(|e| Error::InvalidInput(format!("could not build the HTTP client: {e}")))?;
        self.finish(base_url, http)
    }

    /// The `reqwest` settings [`build`](Self::build) uses, as a builder to
    /// extend (a proxy, extra root certificates) and hand to
    /// [`build_with_http_client`](Self::build_with_http_client):
    ///
    /// - this builder's connect and total timeouts and user agent;
    /// - redirects never followed (a `307` must not resend the form with
    ///   the client secret and code elsewhere);
    /// - no retry policy: reqwest 0.13's default copies every request (form
    ///   body, headers) before sending it, in case an HTTP/2 server refuses
    ///   the stream and it may resend; this client speaks HTTP/1.1, where
    ///   that never happens, so the copy is pure cost (and a single-use
    ///   code is better never resent by anyone);
    /// - `TCP_NODELAY`, so a request goes out at once;
    /// - with the `rustls-ring` feature, rustls with the ring provider and
    ///   the platform's verifier.
    ///
    /// Proxies from the environment (`HTTPS_PROXY`, `NO_PROXY`) are honoured,
    /// as in any `reqwest` client.
    pub fn http_client_builder(&self) -> Result<reqwest::ClientBuilder, Error> {
        let http = reqwest::Client::builder();
        #[cfg(feature = "rustls-ring")]
        let http = http.tls_backend_preconfigured(rustls_config()?);
        Ok(http
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent.as_str())
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .tcp_nodelay(true))
    }

    /// Builds the client over an HTTP client of your own (proxies, custom
    /// roots). The timeouts and user agent set here are ignored in favour of
    /// yours.
    ///
    /// Start from [`http_client_builder`](Self::http_client_builder) to keep
    /// this crate's settings; a plain `reqwest::Client::new()` also copies
    /// every request for a retry that cannot happen here.
    ///
    /// **Give it `redirect::Policy::none()`.** reqwest follows redirects by
    /// default, and a `307`/`308` answer to the token exchange would make it
    /// send the form (client secret and code) again to wherever `Location`
    /// points. The library cannot see your client's policy to stop that.
    pub fn build_with_http_client(self, http: reqwest::Client) -> Result<LoginClient, Error> {
        let base_url = parse_base_url(&self.base_url)?;
        self.finish(base_url, http)
    }

    fn finish(self, base_url: url::Url, http: reqwest::Client) -> Result<LoginClient, Error> {
        let base = base_url.as_str().trim_end_matches('/');
        let endpoints = Endpoints::new(base)?;
        Ok(LoginClient {
            inner: generated::Client::new_with_client(base, http, endpoints),
            base_url,
            max_body_bytes: self.max_body_bytes,
        })
    }
}

/// With the `rustls-ring` feature: TLS 1.2/1.3 through rustls with the ring
/// provider (much quicker to build than aws-lc) and the platform's verifier
/// and root certificates. Built per client: nothing process-global is
/// installed.
#[cfg(feature = "rustls-ring")]
fn rustls_config() -> Result<rustls::ClientConfig, Error> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| Error::InvalidInput(format!("could not set up TLS: {e}")))?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

pub(crate) fn parse_base_url(raw: &str) -> Result<url::Url, Error> {
    let url = url::Url::parse(raw)
        .map_err(|e| Error::InvalidInput(format!("base URL {raw:?} is not a URL: {e}")))?;
    // Checked first, and the URL not echoed: it would carry the password
    // into the error, and from there into every `Debug` of the client.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::InvalidInput(
            "the base URL must not carry a user name or password".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::InvalidInput(format!(
            "base URL {raw:?} must not have a query or fragment"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::InvalidInput(format!(
            "base URL {raw:?} uses plain http to a non-loopback host; use https \
             (plain http is allowed only for 127.0.0.0/8, localhost and [::1])"
        ))),
        other => Err(Error::InvalidInput(format!(
            "base URL {raw:?} has unsupported scheme {other:?}"
        ))),
    }
}

pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
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

    /// The base URL calls go to.
    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    /// The generated client underneath, for anything this facade does not
    /// cover. Calls through it get the same hooks (no redirects, a sensitive
    /// `Authorization`, no secret in logs) and raw `progenitor_client`
    /// errors. Their body cap is the default 1 MiB, not this builder's, and an
    /// oversized body arrives empty (so it fails to decode) rather than as
    /// [`Error::BodyTooLarge`].
    pub fn generated(&self) -> &generated::Client {
        &self.inner
    }

    /// Exchanges an authorization code for a session (`POST
    /// /v2/login/authorization/token`).
    ///
    /// The code is single-use, even when the exchange fails: this call is
    /// never retried, by the library or (please) by you.
    pub async fn exchange_code(
        &self,
        app: &App,
        code: AuthorizationCode,
    ) -> Result<Session, Error> {
        self.exchange_code_with(app, code, None).await
    }

    /// [`exchange_code`](Self::exchange_code), also asking for (`Some(true)`)
    /// or against (`Some(false)`) a new extended token.
    pub async fn exchange_code_with(
        &self,
        app: &App,
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
            redirect_uri: app.redirect_uri().clone(),
            grant_type: types::GrantType::AuthorizationCode,
            refresh_extended_token,
        };
        let call = Box::pin(self.inner.token().body(body).send());
        self.run(
            "token",
            &redactor,
            call,
            |r: &types::TokenResponse| {
                r.access_token
                    .as_ref()
                    .is_some_and(|t| !t.secret().is_empty())
            },
            |response| {
                // An empty token is no token: it could never be used, and the code is spent.
                if response
                    .access_token
                    .as_ref()
                    .is_none_or(|t| t.secret().is_empty())
                {
                    return Err("the answer has no `access_token`".to_string());
                }
                Ok(Session::new(response, SystemTime::now()))
            },
        )
        .await
    }

    /// Revokes an access token (`DELETE /v2/logout`).
    pub async fn logout(&self, token: &AccessToken) -> Result<LogoutOutcome, Error> {
        if token.secret().is_empty() {
            return Err(Error::InvalidInput("the access token is empty".into()));
        }
        let secrets = [token.secret()];
        let redactor = Redactor::new(&secrets);
        let mut authorization = String::with_capacity(7 + token.secret().len());
        authorization.push_str("Bearer ");
        authorization.push_str(token.secret());
        let call = Box::pin(self.inner.logout().authorization(authorization).send());
        self.run(
            "logout",
            &redactor,
            call,
            |r: &types::LogoutResponse| r.status.as_deref() != Some("error") && r.data.is_some(),
            |response| Ok(LogoutOutcome::from(response)),
        )
        .await
    }

    /// Asks an individual account holder to approve a token (`POST
    /// /v3/login/auth/token/request/{client_id}`, beta). On approval Upstox
    /// POSTs the token to the app's notifier webhook: parse it with
    /// [`crate::NotifierPayload`].
    pub async fn request_indie_token(
        &self,
        client_id: &ClientId,
        client_secret: &ClientSecret,
        otp_verification_disabled: Option<bool>,
    ) -> Result<IndieTokenRequest, Error> {
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
            otp_verification_disabled,
        };
        let call = Box::pin(
            self.inner
                .init_token_request_for_indie_user()
                .client_id(client_id.clone())
                .body(body)
                .send(),
        );
        self.run(
            "init_token_request_for_indie_user",
            &redactor,
            call,
            |r: &types::IndieUserInitTokenResponse| {
                r.status.as_deref() != Some("error") && r.data.is_some()
            },
            |response| Ok(IndieTokenRequest::from(response)),
        )
        .await
    }

    /// Runs one generated call with a fresh call context and maps its
    /// outcome. A `200` carrying the error envelope is an error; the body is
    /// searched for one only when `looks_ok` says the decoded answer is not
    /// plainly a success, so the common case pays nothing for it. `finish`
    /// turns the answer into the result in place (the decoded answer is
    /// moved once), or gives the reason it is not a valid answer.
    async fn run<T, R>(
        &self,
        operation: &'static str,
        redactor: &Redactor<'_>,
        call: impl std::future::Future<
                Output = Result<
                    progenitor_client::ResponseValue<T>,
                    progenitor_client::Error<ErrorEnvelope>,
                >,
            > + Unpin,
        looks_ok: impl FnOnce(&T) -> bool,
        finish: impl FnOnce(T) -> Result<R, String>,
    ) -> Result<R, Error> {
        let ctx = Arc::new(CallContext {
            max_body_bytes: self.max_body_bytes,
            observed: Mutex::new(Observed::default()),
        });
        let result = InCall {
            ctx: Some(ctx.clone()),
            call,
        }
        .await;
        let observed = std::mem::take(&mut *ctx.observed());
        match result {
            Ok(value) => {
                if let Some(reason) = unasked_encoding(&observed) {
                    return Err(invalid_response(operation, &observed, reason, redactor));
                }
                let value = value.into_inner();
                if !looks_ok(&value) {
                    if let Some(api) = envelope_in_success(operation, &observed, redactor) {
                        return Err(Error::Api(api));
                    }
                }
                finish(value)
                    .map_err(|reason| invalid_response(operation, &observed, reason, redactor))
            }
            Err(e) => Err(map_error(operation, e, observed, redactor)),
        }
    }
}

thread_local! {
    /// The context of the facade call being polled on this thread, if any:
    /// put here by [`InCall`] for the length of each poll, for the exec hook
    /// and the generated code's decoding, which run inside that poll.
    static CALL: Cell<Option<Arc<CallContext>>> = const { Cell::new(None) };
}

/// Swaps `slot` with the thread's current call context.
fn swap_current(slot: &mut Option<Arc<CallContext>>) {
    // `try_with` fails only during or after this thread-local's destruction,
    // when the thread is ending: then there is no context to swap.
    let _ = CALL.try_with(|current| *slot = current.replace(slot.take()));
}

/// A swap with the current call context, undone when dropped, so that a
/// panic cannot leave the wrong context current.
struct Swapped<'a>(&'a mut Option<Arc<CallContext>>);

impl<'a> Swapped<'a> {
    fn new(slot: &'a mut Option<Arc<CallContext>>) -> Self {
        swap_current(slot);
        Swapped(slot)
    }
}

impl Drop for Swapped<'_> {
    fn drop(&mut self) {
        swap_current(self.0);
    }
}

/// Runs `f` with the context of the facade call being polled on this
/// thread, if any. The context is taken out for the length of `f` (lent, not
/// cloned, so no reference count changes): `f` must not call `with_call` or
/// [`kept_body`] itself, which would see no context.
fn with_call<R>(f: impl FnOnce(Option<&CallContext>) -> R) -> R {
    let mut slot = None;
    let current = Swapped::new(&mut slot);
    f(current.0.as_deref())
}

/// A facade call's future, its context made current while it is polled:
/// what `tokio::task_local!`'s `scope` does, without moving the call's
/// (large) output through the layers of closures that `scope` polls it in.
/// Unlike `scope`, it does not panic when polled on a thread whose
/// thread-locals are already destroyed (the call then runs without its
/// context: the default body cap, and errors without what was observed),
/// and a call dropped before it finishes is dropped without its context
/// current (dropping a generated call reads none).
struct InCall<F> {
    /// The call's context while the call is not being polled, and whatever
    /// was current before it while it is.
    ctx: Option<Arc<CallContext>>,
    call: F,
}

impl<F: std::future::Future + Unpin> std::future::Future for InCall<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let _current = Swapped::new(&mut this.ctx);
        Pin::new(&mut this.call).poll(cx)
    }
}

struct CallContext {
    max_body_bytes: usize,
    observed: Mutex<Observed>,
}

impl CallContext {
    /// What the exec hook saw. A panic while it was held cannot leave it
    /// half-written (it is replaced whole), so a poisoned lock is used as is.
    fn observed(&self) -> std::sync::MutexGuard<'_, Observed> {
        self.observed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The body the exec hook read for the facade call being polled on this
/// thread, if one is: what [`crate::buffered::decode`] decodes then.
pub(crate) fn kept_body() -> Option<Bytes> {
    with_call(|c| c.map(|c| c.observed().body.clone()))
}

/// What the exec hook saw of the answer, for errors that need it. Header
/// values are kept as received (a cheap reference-counted copy) and turned
/// into text only when an error asks.
#[derive(Default, Debug)]
struct Observed {
    status: u16,
    content_type: Option<HeaderValue>,
    content_encoding: Option<HeaderValue>,
    location: Option<HeaderValue>,
    body: Bytes,
    too_large: bool,
    limit: usize,
}

impl Observed {
    fn content_type(&self) -> Option<String> {
        header_text(self.content_type.as_ref())
    }

    fn location(&self) -> Option<String> {
        header_text(self.location.as_ref())
    }
}

fn header_text(value: Option<&HeaderValue>) -> Option<String> {
    value.map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// The client asks for no `Content-Encoding` (it sends no `Accept-Encoding`
/// and decodes none), so a success body that claims one is not the JSON it
/// may look like: refuse it rather than guess.
fn unasked_encoding(observed: &Observed) -> Option<String> {
    let encoding = header_text(observed.content_encoding.as_ref())?;
    let encoding = encoding.trim();
    if encoding.is_empty() || encoding.eq_ignore_ascii_case("identity") {
        return None;
    }
    Some(format!(
        "the body claims `Content-Encoding: {encoding}`, which was not asked for and is not decoded"
    ))
}

fn invalid_response(
    operation: &'static str,
    observed: &Observed,
    reason: String,
    redactor: &Redactor,
) -> Error {
    Error::InvalidResponse(InvalidResponse {
        status: observed.status,
        content_type: observed.content_type(),
        excerpt: redactor.excerpt(&observed.body),
        body_len: observed.body.len(),
        reason,
        operation,
    })
}

fn envelope_in_success(
    operation: &'static str,
    observed: &Observed,
    redactor: &Redactor,
) -> Option<ApiError> {
    // Cheap pre-check before a second parse of a normal success body.
    let body = &observed.body;
    let envelope: ErrorEnvelope = serde_json::from_slice(body).ok()?;
    if envelope.errors.is_empty() && envelope.status.as_deref() != Some("error") {
        return None;
    }
    Some(ApiError {
        status: observed.status,
        errors: redactor.entries(envelope.errors),
        body_kind: BodyKind::Envelope,
        body: redactor.text(body),
        operation,
    })
}

fn map_error(
    operation: &'static str,
    error: progenitor_client::Error<ErrorEnvelope>,
    observed: Observed,
    redactor: &Redactor,
) -> Error {
    use progenitor_client::Error as G;
    if observed.too_large {
        return Error::BodyTooLarge {
            status: observed.status,
            limit: observed.limit,
        };
    }
    match error {
        G::CommunicationError(e) | G::ResponseBodyError(e) | G::InvalidUpgrade(e) => {
            if e.is_timeout() {
                Error::Timeout(TransportError(e))
            } else {
                Error::Transport(TransportError(e))
            }
        }
        G::InvalidRequest(m) => Error::InvalidInput(m),
        // Made only by `buffered::decode`, after the answer came: not the
        // input's fault, so never `InvalidInput` ("nothing was sent").
        G::Custom(reason) => invalid_response(operation, &observed, reason, redactor),
        G::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let envelope = value.into_inner();
            if envelope.errors.is_empty() {
                return error_without_envelope(operation, status, &observed, redactor);
            }
            Error::Api(ApiError {
                status,
                errors: redactor.entries(envelope.errors),
                body_kind: BodyKind::Envelope,
                body: redactor.text(&observed.body),
                operation,
            })
        }
        G::InvalidResponsePayload(_, e) => {
            if (400..600).contains(&observed.status) {
                return error_without_envelope(operation, observed.status, &observed, redactor);
            }
            // serde's message can quote a value of the body.
            let reason = unasked_encoding(&observed)
                .unwrap_or_else(|| redactor.text(e.to_string().as_bytes()));
            invalid_response(operation, &observed, reason, redactor)
        }
        G::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                // A Location can echo what was sent (a code, say).
                return Error::Redirect {
                    status,
                    location: observed.location().map(|l| redactor.text(l.as_bytes())),
                };
            }
            let reason = format!("status {status} is not documented for `{operation}`");
            invalid_response(operation, &observed, reason, redactor)
        }
    }
}

/// An error status whose body is not the envelope: a Java exception, an
/// HTML page from the CDN, plain text, or nothing.
fn error_without_envelope(
    operation: &'static str,
    status: u16,
    observed: &Observed,
    redactor: &Redactor,
) -> Error {
    let body = &observed.body;
    let body_kind = if body.iter().all(u8::is_ascii_whitespace) {
        BodyKind::Empty
    } else if let Some(java) = serde_json::from_slice::<JavaException>(body)
        .ok()
        .filter(|j| j.stack_trace.is_some() || j.localized_message.is_some())
    {
        BodyKind::JavaException {
            message: java
                .message
                .or(java.localized_message)
                .map(|m| redactor.text(m.as_bytes())),
        }
    } else {
        BodyKind::Other {
            content_type: observed.content_type(),
        }
    };
    Error::Api(ApiError {
        status,
        errors: Vec::new(),
        body_kind,
        body: redactor.text(body),
        operation,
    })
}

/// The hooks every generated call goes through.
impl ClientHooks<Endpoints> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        // The fixed paths come from `Endpoints`, the others from the base URL
        // string: a client made by hand with two different ones would send
        // some calls elsewhere.
        if *self.inner().base() != *self.baseurl() {
            return Err(progenitor_client::Error::InvalidRequest(
                "the generated client's base URL and its Endpoints' differ; build both from the same string".into(),
            ));
        }
        let headers = request.headers_mut();
        // progenitor adds `api-version` to every call; the v3 call must not carry it.
        if info.operation_id == "init_token_request_for_indie_user" {
            headers.remove("api-version");
        }
        if let Some(value) = headers.get_mut(reqwest::header::AUTHORIZATION) {
            value.set_sensitive(true);
        }
        Ok(())
    }

    // Not an `async fn`: the request goes to reqwest before the future is
    // made, so that the future does not hold it (twice, as an argument and as
    // a local) while waiting for the answer.
    fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> {
        // Names for the log, made only when someone listens.
        let log = tracing::enabled!(tracing::Level::DEBUG);
        let started = log.then(Instant::now);
        let target = log.then(|| (request.method().clone(), request.url().path().to_owned()));
        if let Some((method, path)) = &target {
            tracing::trace!(operation = info.operation_id, %method, %path, "sending");
        }
        let pending = self.client().execute(request);
        read_answer(pending, info.operation_id, started, target)
    }
}

/// The exec hook's wait: the answer, its body read (at most the call's cap)
/// and kept for the facade and for [`crate::buffered::decode`].
// Deliberately not an `async fn`, which would keep each argument twice.
#[allow(clippy::manual_async_fn)]
fn read_answer(
    pending: impl std::future::Future<Output = reqwest::Result<reqwest::Response>>,
    operation_id: &'static str,
    started: Option<Instant>,
    target: Option<(reqwest::Method, String)>,
) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> {
    async move {
        let mut response = match pending.await {
            Ok(r) => r,
            Err(e) => {
                if let Some((method, path)) = &target {
                    tracing::debug!(operation = operation_id, %method, %path, error = %e, "failed");
                }
                return Err(e);
            }
        };
        let status = response.status();
        let max = with_call(|c| c.map_or(DEFAULT_MAX_BODY_BYTES, |c| c.max_body_bytes));
        let mut too_large = response.content_length().is_some_and(|n| n > max as u64);
        let mut body = Bytes::new();
        if !too_large {
            // Read at most `max` bytes. The usual single-chunk body is kept
            // as it came, without a copy.
            let mut joined: Option<BytesMut> = None;
            while let Some(chunk) = response.chunk().await? {
                let len = joined.as_ref().map_or(body.len(), BytesMut::len);
                if len + chunk.len() > max {
                    too_large = true;
                    joined = None;
                    body = Bytes::new();
                    break;
                }
                match &mut joined {
                    Some(buf) => buf.extend_from_slice(&chunk),
                    None if body.is_empty() => body = chunk,
                    None => {
                        let mut buf = BytesMut::with_capacity(body.len() + chunk.len());
                        buf.extend_from_slice(&body);
                        buf.extend_from_slice(&chunk);
                        joined = Some(buf);
                    }
                }
            }
            if let Some(buf) = joined {
                body = buf.freeze();
            }
        }
        if let (Some((method, path)), Some(started)) = (&target, started) {
            tracing::debug!(
                operation = operation_id,
                %method,
                %path,
                status = status.as_u16(),
                body_bytes = body.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "answered"
            );
        }
        // Read after the body, so that the future does not hold them across
        // its awaits.
        let headers = response.headers();
        let content_type = headers.get(reqwest::header::CONTENT_TYPE).cloned();
        let content_encoding = headers.get(reqwest::header::CONTENT_ENCODING).cloned();
        let location = if status.is_redirection() {
            headers.get(reqwest::header::LOCATION).cloned()
        } else {
            None
        };
        let in_facade = with_call(|c| {
            c.map(|c| {
                *c.observed() = Observed {
                    status: status.as_u16(),
                    content_type,
                    content_encoding,
                    location,
                    body: body.clone(),
                    too_large,
                    limit: max,
                }
            })
        })
        .is_some();
        if in_facade {
            // The facade reads the answer from `Observed`, and the generated
            // code decodes the body kept there (`kept_body`) or only reads the
            // status: the response as it came, its body read, is all they need.
            return Ok(response);
        }
        // Direct users of the generated client get a response over the bytes
        // already read, for a stream or an unexpected answer to be read
        // again, or, for a body over the cap, one whose body is an error to
        // read and that `decode` refuses. Giving it the URL avoids reqwest
        // parsing a placeholder one.
        let url = response.url().clone();
        let version = response.version();
        let headers = std::mem::take(response.headers_mut());
        let (rest, kept) = if too_large {
            (
                reqwest::Body::wrap_stream(crate::buffered::TooLarge::new(max)),
                crate::buffered::Kept::TooLarge(max),
            )
        } else {
            (
                reqwest::Body::from(body.clone()),
                crate::buffered::Kept::Body(body),
            )
        };
        let rebuilt = http::Response::builder()
            .status(status)
            .version(version)
            .url(url)
            .body(rest);
        let mut rebuilt = match rebuilt {
            Ok(r) => r,
            // Cannot happen (status and version came from a response), but
            // never panic: an empty body, which `decode` still reads as kept.
            Err(_) => {
                let mut r = http::Response::new(reqwest::Body::from(Bytes::new()));
                *r.status_mut() = status;
                r
            }
        };
        *rebuilt.headers_mut() = headers;
        rebuilt.extensions_mut().insert(BufferedBody(kept));
        Ok(reqwest::Response::from(rebuilt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(max_body_bytes: usize) -> Arc<CallContext> {
        Arc::new(CallContext {
            max_body_bytes,
            observed: Mutex::new(Observed::default()),
        })
    }

    /// The cap of the call current on this thread, if any.
    fn current_cap() -> Option<usize> {
        with_call(|c| c.map(|c| c.max_body_bytes))
    }

    /// Polls `f` once, with a waker that does nothing.
    fn poll_once<F: std::future::Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        Pin::new(f).poll(&mut Context::from_waker(std::task::Waker::noop()))
    }

    /// A call's context is current exactly while that call is polled: not
    /// before, not between its polls (when other calls on the thread run),
    /// not after; a call polled inside another sees its own, and the outer
    /// one sees its own again afterwards.
    #[test]
    fn a_call_context_is_current_only_while_its_call_is_polled() {
        assert_eq!(current_cap(), None);
        let mut first_poll = true;
        let mut inner = InCall {
            ctx: Some(context(2)),
            call: Box::pin(std::future::poll_fn(|_| {
                if std::mem::take(&mut first_poll) {
                    assert_eq!(current_cap(), Some(2));
                    Poll::Pending
                } else {
                    Poll::Ready(current_cap())
                }
            })),
        };
        let mut outer = InCall {
            ctx: Some(context(1)),
            call: Box::pin(std::future::poll_fn(move |_| {
                let before = current_cap();
                let pending = poll_once(&mut inner);
                let nested = current_cap();
                let done = poll_once(&mut inner);
                Poll::Ready((before, pending.is_pending(), nested, done, current_cap()))
            })),
        };
        assert_eq!(
            poll_once(&mut outer),
            Poll::Ready((Some(1), true, Some(1), Poll::Ready(Some(2)), Some(1)))
        );
        assert_eq!(current_cap(), None);

        // Between two polls of a call, the thread has no context.
        let mut polls = 0;
        let mut waiting = InCall {
            ctx: Some(context(3)),
            call: Box::pin(std::future::poll_fn(|_| {
                polls += 1;
                if polls == 1 {
                    Poll::Pending
                } else {
                    Poll::Ready(current_cap())
                }
            })),
        };
        assert!(poll_once(&mut waiting).is_pending());
        assert_eq!(current_cap(), None);
        assert_eq!(poll_once(&mut waiting), Poll::Ready(Some(3)));
        assert_eq!(current_cap(), None);
    }

    /// A call that panics while polled does not leave its context current
    /// for whatever the thread runs next, and keeps its own; nor does a
    /// reader of the context that panics take it away.
    #[test]
    fn a_panicking_call_does_not_leave_its_context_current() {
        let mut outer = InCall {
            ctx: Some(context(1)),
            call: Box::pin(std::future::poll_fn(|_| {
                let mut panicking = InCall {
                    ctx: Some(context(2)),
                    call: Box::pin(std::future::poll_fn(|_| -> Poll<()> {
                        panic!("the call failed")
                    })),
                };
                let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    poll_once(&mut panicking)
                }));
                let kept = panicking.ctx.as_ref().map(|c| c.max_body_bytes);
                let in_with_call =
                    std::panic::catch_unwind(|| with_call(|_| -> () { panic!("a reader failed") }));
                Poll::Ready((caught.is_err(), kept, in_with_call.is_err(), current_cap()))
            })),
        };
        assert_eq!(
            poll_once(&mut outer),
            Poll::Ready((true, Some(2), true, Some(1)))
        );
        assert_eq!(current_cap(), None);
    }

    /// `Custom` comes from decoding, after the request went out: it is
    /// reported as an answer that could not be used, with what was seen of
    /// it, and never as rejected input.
    #[test]
    fn a_custom_error_is_an_invalid_response_not_invalid_input() {
        let observed = Observed {
            status: 200,
            body: Bytes::from_static(b"{\"code\":\"c0de\"}"),
            ..Observed::default()
        };
        let secrets = ["c0de"];
        let redactor = Redactor::new(&secrets);
        let error = map_error(
            "token",
            progenitor_client::Error::Custom("internal error: not kept".into()),
            observed,
            &redactor,
        );
        match error {
            Error::InvalidResponse(r) => {
                assert_eq!((r.status, r.operation), (200, "token"));
                assert_eq!(r.reason, "internal error: not kept");
                assert_eq!(r.excerpt, r#"{"code":"[redacted]"}"#);
            }
            other => panic!("expected InvalidResponse, got {other:?}"),
        }
    }
}
