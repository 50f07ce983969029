//! A simulated Upstox login service for your own tests (feature `simulator`).
//!
//! [`Simulator::start`] serves the four login operations and the profile
//! (`GET /v2/user/profile`, which checks a token) on `127.0.0.1`
//! (a free port) for one registered [`App`]. Point a client at it with
//! [`LoginClient::builder().base_url(sim.base_url())`](crate::LoginClientBuilder::base_url),
//! and your login code runs against something that checks every request as
//! Upstox does and answers as Upstox does, with no account and no network.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use upstox_login_sdk::simulator::{Endpoint, Simulator, USER_ID};
//! use upstox_login_sdk::{App, ClientId, ClientSecret, ErrorCode, LoginClient, RedirectUri};
//!
//! let app = App::new(
//!     ClientId::new("my-app"),
//!     ClientSecret::new("my-secret"),
//!     RedirectUri::new("http://127.0.0.1:5055/callback")?,
//! );
//! let sim = Simulator::start(&app).await?;
//! let client = LoginClient::builder().base_url(sim.base_url()).build()?;
//!
//! // A login that succeeds: the account holder logs in on the URL, the
//! // browser comes back to the redirect URI with a code and the state.
//! let login = client.start_login(&app)?;
//! let callback = sim.log_in(login.url())?;
//! let code = login.code_from_callback(callback.as_str())?;
//! let session = client.exchange_code(&app, code.clone()).await?;
//! assert_eq!(session.user_id(), Some(USER_ID));
//!
//! // The code is single-use, as on Upstox.
//! let spent = client.exchange_code(&app, code).await.unwrap_err();
//! assert!(spent.has_code(&ErrorCode::InvalidCodeOrCredentials));
//!
//! // A failure of your choosing, answered as Upstox's error envelope.
//! sim.fail_next(Endpoint::Logout, ErrorCode::TooManyRequests);
//! let limited = client.logout(session.access_token()).await.unwrap_err();
//! assert_eq!(limited.status(), Some(429));
//! client.logout(session.access_token()).await?;
//!
//! // Why each refused request was refused (the spent code, here); a
//! // scripted failure is not a problem.
//! assert_eq!(sim.problems().len(), 1);
//! # Ok(()) }
//! ```
//!
//! # What it checks, and how it answers
//!
//! Requests are checked as the contract says Upstox checks them; the first
//! thing wrong is answered with the UDAPI error Upstox answers it with, and
//! recorded, with a reason for a person, in [`Simulator::problems`]:
//!
//! | what is wrong | answer |
//! |---|---|
//! | an unknown path (paths are case-sensitive) | 404 `UDAPI100060` |
//! | another method on a known path | 405 `UDAPI10000` |
//! | v2 calls: no `Api-Version: 2.0` | 400 `UDAPI100015` |
//! | the v3 call: `Api-Version` sent | 400 `UDAPI10000` |
//! | `Accept` without the media type `application/json` itself (`application/jsonp` is another) | 406 `UDAPI10000` |
//! | a body sent chunked (any `Transfer-Encoding`) | 400 `UDAPI10000` |
//! | the wrong `Content-Type`, an unknown or repeated field, a value of the wrong kind, a `grant_type` other than `authorization_code`, a body on logout or profile | 400 `UDAPI10000` |
//! | a missing `client_id` / `redirect_uri` / `code` / `grant_type` / `client_secret` | 400 `UDAPI1017` / `1018` / `1022` / `1023` / `1024` |
//! | authorize: no `response_type=code` | 401 `UDAPI100016` |
//! | authorize: another client id than the app's, or a redirect URI not registered ([`Simulator::register_redirect_uri`]) | 400 `UDAPI100068` |
//! | token: a code never handed out, or presented before: any exchange that presents a code spends it, even one refused for something else | 401 `UDAPI100069` |
//! | token, indie request: another client id or secret | 401 `UDAPI100069` |
//! | token: another redirect URI than the code's login used (byte for byte) | 401 `UDAPI100016` |
//! | logout, profile: no bearer token, or one not live (never issued, logged out, or expired by the simulator's clock) | 401 `UDAPI100050` |
//! | a head over 16 KiB, a body over 64 KiB, or otherwise unreadable | 431, 413, 400 |
//!
//! A request that passes answers as Upstox does: authorize a `302` to the
//! redirect URI with a fresh code and the state; the token exchange the
//! account of [`USER_ID`] with fresh tokens; logout `{"status":"success",
//! "data":true}`, after which the token no longer works; the profile
//! `{"status":"success","data":{..}}` with the token's account (its
//! `user_id`); the indie-user
//! request `{"status":"success","data":{..}}`, and then, if a notifier URL
//! is set ([`Simulator::set_notifier_url`]), the account holder "approves"
//! ([`Simulator::set_approval_delay`]) and the simulator POSTs the
//! notifier payload there, with a fresh token for the app's client id.
//!
//! [`Simulator::fail_next`] makes the next call to an operation that passes
//! the checks answer an error of your choosing instead, with the status
//! Upstox uses for it ([`usual_status`]).
//!
//! The stricter-than-needed parts (unknown fields refused, `Api-Version`
//! required on v2, chunked bodies refused) are there to catch a client that
//! drifts from the contract; the service itself may be more forgiving.
//! The spent code is not one of them: Upstox documents that a code is
//! single-use even when its exchange fails, so a test that retries an
//! exchange must fail here as it would in production.
//!
//! # A second account, and the clock
//!
//! [`Simulator::issue_token_for`] hands out a real token of another
//! account (a forged notifier payload, say, carrying a stranger's token).
//! [`Simulator::set_now`] sets the clock tokens are issued and checked by,
//! so a token's 03:30 IST expiry is tested at a given instant:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::{Duration, UNIX_EPOCH};
//! use upstox_login_sdk::simulator::Simulator;
//! use upstox_login_sdk::{App, ClientId, ClientSecret, ErrorCode, LoginClient, RedirectUri};
//!
//! let app = App::new(
//!     ClientId::new("my-app"),
//!     ClientSecret::new("my-secret"),
//!     RedirectUri::new("http://127.0.0.1:5055/callback")?,
//! );
//! let sim = Simulator::start(&app).await?;
//! let client = LoginClient::builder().base_url(sim.base_url()).build()?;
//!
//! // 2026-11-28 09:15 IST: the token lives until 03:30 IST the next day.
//! let morning = UNIX_EPOCH + Duration::from_secs(1_795_837_500);
//! sim.set_now(morning);
//! let token = sim.issue_token_for("OTHER1");
//! assert_eq!(client.profile(&token).await?.user_id(), Some("OTHER1"));
//! sim.set_now(upstox_login_sdk::expiry::expires_at(morning));
//! let expired = client.profile(&token).await.unwrap_err();
//! assert!(expired.has_code(&ErrorCode::InvalidToken));
//! # Ok(()) }
//! ```
//!
//! # With a callback listener on port 0
//!
//! A [`CallbackServer`](crate::loopback::CallbackServer) bound on port `0`
//! redirects to its real port, which the app did not register: register
//! it with [`Simulator::register_redirect_uri`], and let
//! [`Simulator::complete_in_browser`] play the browser, at the same time
//! as the listener waits:
//!
//! ```
//! # #[cfg(feature = "loopback")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use upstox_login_sdk::loopback::CallbackServer;
//! use upstox_login_sdk::simulator::{Simulator, USER_ID};
//! use upstox_login_sdk::{App, ClientId, ClientSecret, LoginClient, RedirectUri};
//!
//! let app = App::new(
//!     ClientId::new("my-app"),
//!     ClientSecret::new("my-secret"),
//!     RedirectUri::new("http://127.0.0.1:0/callback")?,
//! );
//! let sim = Simulator::start(&app).await?;
//! let client = LoginClient::builder().base_url(sim.base_url()).build()?;
//!
//! let server = CallbackServer::bind(app.redirect_uri()).await?;
//! sim.register_redirect_uri(server.redirect_uri());
//! let login = server.start_login(&client, &app)?;
//! let (session, browser) = tokio::join!(
//!     server.complete_login(&client, &app, &login, Duration::from_secs(10)),
//!     sim.complete_in_browser(login.url()),
//! );
//! browser?;
//! assert_eq!(session?.user_id(), Some(USER_ID));
//! # Ok(()) }
//! # #[cfg(not(feature = "loopback"))]
//! # fn main() {}
//! ```

mod accounts;
mod checks;
mod contract;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;

use crate::serve::{Incoming, Limits, Request, Responder, Server};
use crate::{AccessToken, App, ErrorCode, LoginClient, RedirectUri};
use contract::{Delivery, Service};

/// The user id of the simulated account holder.
pub const USER_ID: &str = "SIM123";

/// What a request may hold. How many connections are read at once, and
/// for how long: as for every listener of the crate (`serve.rs`).
const LIMITS: Limits = Limits {
    head: 16 * 1024,
    body: Some(64 * 1024),
};

/// The operations of the login API, and the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `GET /v2/login/authorization/dialog`: the browser's login.
    Authorize,
    /// `POST /v2/login/authorization/token`: the code exchange.
    Token,
    /// `POST /v3/login/auth/token/request/{client_id}`: the indie-user request.
    IndieRequest,
    /// `DELETE /v2/logout`.
    Logout,
    /// `GET /v2/user/profile`: whose a token is.
    Profile,
}

/// Something the simulator found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A request that breaks the contract (or a scripted failure, as
    /// [`Simulator::log_in`] returns it), and what it was answered.
    Refused {
        /// Method and path (`POST /v2/login/authorization/token`).
        request: String,
        /// The status answered.
        status: u16,
        /// The UDAPI code answered.
        code: ErrorCode,
        /// What was wrong, for a person. Never a secret's value.
        reason: String,
    },
    /// A request that could not even be read as HTTP, within the limits.
    Unreadable {
        /// Why.
        reason: String,
    },
    /// The notifier POST did not reach the webhook, or was not answered `2xx`.
    Delivery {
        /// The notifier URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// [`Simulator::complete_in_browser`] could not deliver the callback to
    /// the redirect URI.
    Callback {
        /// The redirect URI, without the query (which holds the code).
        redirect_uri: String,
        /// What happened.
        reason: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Refused {
                request,
                status,
                code,
                reason,
            } => write!(f, "{request}: {reason} (answered {status} {code})"),
            Problem::Unreadable { reason } => write!(f, "an unreadable request: {reason}"),
            Problem::Delivery { url, reason } => {
                write!(f, "the notifier POST to {url}: {reason}")
            }
            Problem::Callback {
                redirect_uri,
                reason,
            } => write!(f, "the callback to {redirect_uri}: {reason}"),
        }
    }
}

impl std::error::Error for Problem {}

/// The HTTP status Upstox answers a code with (400 for codes it does not know).
pub fn usual_status(code: &ErrorCode) -> u16 {
    match code {
        ErrorCode::InvalidCredentials
        | ErrorCode::InvalidCodeOrCredentials
        | ErrorCode::InvalidToken
        | ErrorCode::ExtendedTokenNotPermitted => 401,
        ErrorCode::ClientInactive => 403,
        ErrorCode::NotFound => 404,
        ErrorCode::TooManyRequests => 429,
        ErrorCode::Internal => 500,
        _ => 400,
    }
}

/// A running simulated Upstox; stops when dropped. See the
/// [module documentation](self).
pub struct Simulator {
    base_url: String,
    service: Arc<Mutex<Service>>,
    server: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Simulator {
    /// Starts serving on `127.0.0.1` with a free port, with `app` as the
    /// one registered app (its client id, secret and redirect URI). Call
    /// from inside a tokio runtime.
    pub async fn start(app: &App) -> std::io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        // The SDK's own HTTP settings for the notifier POSTs: no redirect
        // followed, timeouts, the TLS the features chose, and (as for any
        // loopback base URL) no proxy from the environment.
        let http = LoginClient::builder()
            .base_url(base_url.as_str())
            .http_client_builder()
            .and_then(|b| {
                b.build()
                    .map_err(|e| crate::Error::InvalidInput(e.to_string()))
            })
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let service = Arc::new(Mutex::new(Service::new(app.clone())));
        let server = tokio::spawn(serve(
            Server::new(listener, None, LIMITS),
            service.clone(),
            http,
        ));
        Ok(Self {
            base_url,
            service,
            server,
        })
    }

    /// Where it listens, `http://127.0.0.1:<port>`: the client's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The app's notifier webhook, as registered with Upstox: where the
    /// payload of an approved indie-user request is POSTed (directly, never
    /// through a proxy from the environment). None is set at first (the
    /// request is answered, and nothing is POSTed).
    pub fn set_notifier_url(&self, url: impl Into<String>) {
        self.service().notifier_url = Some(url.into());
    }

    /// How long the account holder takes to approve an indie-user request
    /// (at once by default); `None`: never.
    pub fn set_approval_delay(&self, delay: Option<Duration>) {
        self.service().approval = delay;
    }

    /// Makes the next call to `endpoint` that passes the checks fail with
    /// `code` (and [`usual_status`]), instead of succeeding. A token
    /// exchange that fails this way still spends its code. Calls queue up.
    pub fn fail_next(&self, endpoint: Endpoint, code: ErrorCode) {
        self.service().scripted.push_back((endpoint, code));
    }

    /// Logs the account holder in on an authorization URL (as made by
    /// [`LoginClient::start_login`]), as the browser and Upstox's login
    /// pages would: the URL is checked as `GET
    /// /v2/login/authorization/dialog` is, and the answer is where the
    /// browser is sent, the redirect URI with a fresh `code` and the
    /// `state`. Only the URL's query is read; nothing is sent.
    pub fn log_in(&self, authorization_url: &url::Url) -> Result<url::Url, Problem> {
        self.service()
            .log_in(authorization_url.query().unwrap_or(""))
    }

    /// Plays the browser on an authorization URL: logs the account holder
    /// in, as [`log_in`](Self::log_in) does, then delivers the callback:
    /// a `GET` of the redirect URI with the code and the state, over HTTP,
    /// to whatever listens there (a
    /// [`CallbackServer`](crate::loopback::CallbackServer), say). Returns
    /// once the listener answered, whatever its page says: the listener's
    /// own result tells the outcome. Await it together with the listener
    /// (`tokio::join!`), which answers only after its exchange.
    ///
    /// Fails with the login's [`Problem::Refused`], or with
    /// [`Problem::Callback`] (also recorded in [`problems`](Self::problems))
    /// when nothing answered the callback.
    pub async fn complete_in_browser(&self, authorization_url: &url::Url) -> Result<(), Problem> {
        let callback = self.log_in(authorization_url)?;
        // The SDK's settings (no redirect followed, timeouts) and, as for
        // the simulator's loopback base URL, no proxy from the environment.
        // The callback URL holds the code: never shown.
        let browser = LoginClient::builder()
            .base_url(self.base_url.as_str())
            .http_client_builder()
            .map_err(|e| e.to_string())
            .and_then(|b| b.build().map_err(|e| e.without_url().to_string()));
        let reason = match browser {
            Ok(browser) => match browser.get(callback.as_str()).send().await {
                Ok(_) => return Ok(()),
                Err(e) => e.without_url().to_string(),
            },
            Err(reason) => reason,
        };
        let mut redirect_uri = callback;
        redirect_uri.set_query(None);
        let problem = Problem::Callback {
            redirect_uri: redirect_uri.to_string(),
            reason,
        };
        self.service().problems.push(problem.clone());
        Err(problem)
    }

    /// Registers another redirect URI with the app, besides the app's own:
    /// a login may then redirect there, and its code is exchanged with it.
    /// For a [`CallbackServer`](crate::loopback::CallbackServer) on port
    /// `0`, register its [`redirect_uri`](crate::loopback::CallbackServer::redirect_uri),
    /// which holds the real port (Upstox itself compares with the one URI
    /// registered in the developer console).
    pub fn register_redirect_uri(&self, redirect_uri: &RedirectUri) {
        let uri = redirect_uri.as_str().to_string();
        let mut service = self.service();
        if !service.redirect_uris.contains(&uri) {
            service.redirect_uris.push(uri);
        }
    }

    /// A fresh access token of the account `user_id`, as if that account
    /// had logged in to the app: live (for the profile, for logout) until
    /// its logout or the next 03:30 IST after the simulator's clock. For
    /// tests with a second account: a notifier payload that carries a real
    /// token of someone else.
    pub fn issue_token_for(&self, user_id: &str) -> AccessToken {
        AccessToken::new(self.service().issue_token(user_id))
    }

    /// Sets the simulator's clock to `now`, where it stays until set again
    /// (it does not tick). Tokens are issued at it (they expire at the next
    /// 03:30 IST after it), are live only before their expiry by it, and
    /// the indie-user request's times are taken from it. Until called, the
    /// clock is the system's. (A [`Session`](crate::Session) the client
    /// makes keeps the client's own clock: check it with
    /// [`Session::is_expired_at`](crate::Session::is_expired_at).)
    pub fn set_now(&self, now: SystemTime) {
        self.service().now = Some(now);
    }

    /// The simulator's clock: the one [`set_now`](Self::set_now) set, or
    /// the system's.
    pub fn now(&self) -> SystemTime {
        self.service().now()
    }

    /// Every problem so far, first first: refused requests, unreadable
    /// ones, failed notifier POSTs and callbacks. Scripted failures are not
    /// problems.
    pub fn problems(&self) -> Vec<Problem> {
        self.service().problems.clone()
    }

    /// How many requests reached `endpoint` so far (a path it serves,
    /// whether answered or refused; [`log_in`](Self::log_in) counts as a
    /// visit to [`Endpoint::Authorize`]): to see that a code was exchanged
    /// once, or that nothing was sent at all.
    pub fn calls(&self, endpoint: Endpoint) -> usize {
        self.service().calls.get(&endpoint).copied().unwrap_or(0)
    }

    fn service(&self) -> MutexGuard<'_, Service> {
        self.service.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Answers each request read, in a task of its own.
async fn serve(mut server: Server, service: Arc<Mutex<Service>>, http: reqwest::Client) {
    loop {
        match server.next().await {
            Incoming::Request(request, sender) => {
                tokio::spawn(answer(request, sender, service.clone(), http.clone()));
            }
            // Already answered (400, 413, 431).
            Incoming::Unreadable(reason) => {
                lock(&service).problems.push(Problem::Unreadable { reason })
            }
        }
    }
}

fn lock(service: &Mutex<Service>) -> MutexGuard<'_, Service> {
    service.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Answers one request, and makes the notifier POST it calls for.
async fn answer(
    request: Request,
    sender: Responder,
    service: Arc<Mutex<Service>>,
    http: reqwest::Client,
) {
    let (answer, delivery) = lock(&service).handle(&request);
    let mut headers = Vec::new();
    if !answer.body.is_empty() {
        headers.push(("Content-Type", "application/json"));
    }
    if let Some(location) = &answer.location {
        headers.push(("Location", location.as_str()));
    }
    sender.send(answer.status, &headers, answer.body);
    if let Some(delivery) = delivery {
        deliver(delivery, &service, &http).await;
    }
}

/// The account holder approved: POSTs the payload to the notifier URL.
async fn deliver(delivery: Delivery, service: &Mutex<Service>, http: &reqwest::Client) {
    tokio::time::sleep(delivery.after).await;
    let reason = match http
        .post(&delivery.url)
        .json(&delivery.payload)
        .send()
        .await
    {
        Ok(answer) if answer.status().is_success() => return,
        Ok(answer) => format!("answered {}", answer.status()),
        Err(e) => format!("failed: {e}"),
    };
    let problem = Problem::Delivery {
        url: delivery.url,
        reason,
    };
    lock(service).problems.push(problem);
}
