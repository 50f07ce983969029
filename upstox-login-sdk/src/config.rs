//! Configuring a [`LoginClient`]: timeouts, user agent, body cap, TLS, and
//! which base URLs calls may go to.

use std::time::Duration;

use crate::call::DEFAULT_MAX_BODY_BYTES;
use crate::error::{Error, SetupError};
use crate::LoginClient;

/// Upstox's production host.
pub const PRODUCTION_BASE_URL: &str = "https://api.upstox.com";
/// The default `User-Agent`.
pub const DEFAULT_USER_AGENT: &str = concat!("upstox-login-sdk/", env!("CARGO_PKG_VERSION"));
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default total timeout of a call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

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

    /// Builds the client. Nothing is sent. Fails with
    /// [`Error::InvalidInput`] for a base URL that is not a URL, carries
    /// credentials, a query or a fragment, or is plain `http` off loopback;
    /// with [`Error::Setup`] when TLS or the HTTP client cannot be set up.
    pub fn build(self) -> Result<LoginClient, Error> {
        let base_url = parse_base_url(&self.base_url)?;
        let http = self
            .http_client_builder()?
            .build()
            .map_err(|e| Error::Setup(SetupError::new("could not build the HTTP client", e)))?;
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
    /// Proxies: for an `https` base URL off loopback, those of the
    /// environment (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) are honoured, as
    /// in any `reqwest` client (add your own with `.proxy(..)`). For a
    /// loopback base URL, none, whatever the environment says: a proxy
    /// would see the plain-http form whole. That is decided by **this
    /// builder's** base URL: set it before calling this.
    pub fn http_client_builder(&self) -> Result<reqwest::ClientBuilder, Error> {
        let mut http = reqwest::Client::builder();
        if !crate::proxy::allowed(&self.base_url) {
            http = http.no_proxy();
        }
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
    ///
    /// **For a loopback base URL, give it `.no_proxy()`** (as
    /// [`http_client_builder`](Self::http_client_builder) does): a
    /// `reqwest` client takes proxies from the environment (`HTTP_PROXY`,
    /// `ALL_PROXY`) by default, and would send the token form, client secret
    /// and code in clear to whatever proxy they name. The library cannot
    /// see your client's proxies either.
    pub fn build_with_http_client(self, http: reqwest::Client) -> Result<LoginClient, Error> {
        let base_url = parse_base_url(&self.base_url)?;
        self.finish(base_url, http)
    }

    fn finish(self, base_url: url::Url, http: reqwest::Client) -> Result<LoginClient, Error> {
        Ok(LoginClient::from_parts(base_url, http, self.max_body_bytes))
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
        .map_err(|e| Error::Setup(SetupError::new("could not set up TLS", e)))?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

pub(crate) fn parse_base_url(raw: &str) -> Result<url::Url, Error> {
    // Never echoed: a URL that does not parse may still carry a password.
    let url = url::Url::parse(raw)
        .map_err(|e| Error::InvalidInput(format!("the base URL is not a URL: {e}")))?;
    // Checked first: every `Debug` of the client shows the URL whole.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::InvalidInput(
            "the base URL must not carry a user name or password".into(),
        ));
    }
    let shown = shown(&url);
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::InvalidInput(format!(
            "base URL {shown} must not have a query or fragment"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::InvalidInput(format!(
            "base URL {shown} uses plain http to a non-loopback host; use https \
             (plain http is allowed only for 127.0.0.0/8, localhost and [::1])"
        ))),
        other => Err(Error::InvalidInput(format!(
            "base URL {shown} has unsupported scheme {other:?}"
        ))),
    }
}

/// A base URL for an error message: its scheme, host and port only (a path
/// or query can hold a key, as user info holds a password).
fn shown(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}/...", url.scheme()),
        None => format!("{}://{host}/...", url.scheme()),
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
