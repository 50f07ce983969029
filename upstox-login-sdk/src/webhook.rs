//! Receiving the indie-user token: a one-shot listener for the POST Upstox
//! makes to the app's notifier webhook once the account holder approves
//! a [`request_indie_token`](crate::LoginClient::request_indie_token).
//!
//! [`NotifierServer::wait_for_session`] answers `200` to the first payload
//! that a [`NotifierVerifier`] verifies (this app's client id, a usable
//! token, an expiry in the future and no later than the next 03:30 IST,
//! then one bounded profile call naming the expected account), and returns
//! it as a [`Session`]. Everything else is answered and ignored while it
//! keeps waiting: other paths (404) and methods (405), payloads refused
//! (400, with no detail: a forger learns nothing; 503 when the check could
//! not be made), heads over 16 KiB (431), bodies over 16 KiB (413). A
//! flood of forged payloads causes at most one verification call per
//! second (one at a time; the others are answered 503 or 429 at once and
//! counted, never queued). It reads connections as the login callback
//! listener does (every one accepted, at most 128 read at once, 10 s
//! each), so a flood of idle or slow connections cannot keep Upstox's POST
//! out, and memory stays bounded. It never logs or reports a token or a
//! body. A flood of such requests is told at most
//! [`FloodSummary::TOLD_PER_SECOND`] events a second, the rest counted
//! into a [`NotifierEvent::Flood`].
//!
//! Upstox reaches it at the notifier URL registered for the app: a public
//! `https` URL, forwarded here by a tunnel or a reverse proxy
//! ([`NotifierServer::bind_host`] on `localhost` listens on both loopback
//! addresses, whichever the forwarder resolves), or served by this
//! receiver itself with a certificate (`NotifierServer::with_tls`, feature
//! `webhook-tls`). A [`NotifierAddress`] holds where and how to listen,
//! checked at once and bound later: `morning::LoginWay::Indie` binds it
//! under the session's lock. Nothing authenticates that POST, and a client
//! id is no secret: make the path hard to guess (`/upstox/notify/<random>`,
//! registered as such), and pin the account the token must belong to
//! ([`NotifierVerifier::expected_user_id`]). What the verification cannot
//! stop: a stranger who holds a valid token of the expected account
//! already has that account, and a flood of payloads that pass the checks
//! before the call can have Upstox's own POST answered 429 or 503.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use upstox_login_sdk::webhook::NotifierServer;
//! use upstox_login_sdk::{App, IndieTokenOptions, LoginClient, NotifierVerifier};
//!
//! # let app: App = todo!();
//! let server = NotifierServer::bind("127.0.0.1:8080".parse()?, "/upstox/notify/k3ep-th1s-s3cret").await?;
//! let client = LoginClient::new()?;
//! let request = client.request_indie_token(&app, IndieTokenOptions::default()).await?;
//! println!("approve in the Upstox app before {:?}", request.authorization_expiry);
//! let verifier = NotifierVerifier::new(client.clone(), app.client_id().clone())
//!     .expected_user_id("AB1234");
//! let session = server.wait_for_session(&verifier, Duration::from_secs(600)).await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::error::{Listener, Waiting};
use crate::serve::{self, Host, Incoming, Limits, Request, Responder, Server};
use crate::stray::{Flood, Kind};
use crate::terminal::escape;
use crate::Error;
use crate::{
    FloodSummary, NotifierPayload, NotifierVerifier, PayloadRefused, Session, StrayRequest,
};

/// What a request may hold; the payload is a few hundred bytes.
const LIMITS: Limits = Limits {
    head: 16 * 1024,
    body: Some(16 * 1024),
};

/// Something the receiver answered and did not end on. Holds no token.
#[derive(Debug)]
#[non_exhaustive]
pub enum NotifierEvent {
    /// A request to another path (404) or with another method than POST
    /// (405).
    Ignored(StrayRequest),
    /// A POST whose payload was refused: not a payload, another app's, a
    /// token that is unusable, did not verify or belongs to another account
    /// (400, or 503 when it could not be verified in time).
    Rejected(PayloadRefused),
    /// A payload that passed the checks before the call but was not
    /// verified: another was being verified (503) or one started less than
    /// a second ago (429). Answered with `Retry-After: 1`.
    #[non_exhaustive]
    Deferred {
        /// The status answered.
        status: u16,
    },
    /// A request that was not HTTP, or over the size limits (400, 413, 431).
    Unreadable(String),
    /// Requests of a flood, counted instead of told one by one.
    Flood(FloodSummary),
}

impl fmt::Display for NotifierEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotifierEvent::Ignored(stray) => stray.fmt(f),
            NotifierEvent::Rejected(e) => write!(f, "rejected a notifier POST: {e}"),
            NotifierEvent::Unreadable(why) => write!(f, "refused a request: {why}"),
            NotifierEvent::Deferred { status } => write!(
                f,
                "answered a notifier POST {status}: another payload's token is being verified"
            ),
            NotifierEvent::Flood(summary) => summary.fmt(f),
        }
    }
}

/// A listener for the notifier webhook's POST. See the [module documentation](self).
#[derive(Debug)]
pub struct NotifierServer {
    server: Server,
    /// The request target Upstox POSTs to: the path, and the query if any.
    target: String,
    /// `localhost`, when listening on both loopbacks: the host of [`url`](Self::url).
    localhost: bool,
    /// Whether it serves HTTPS.
    tls: bool,
}

impl NotifierServer {
    /// Listens on `address` (port `0` picks a free one) for POSTs to
    /// `path` (with a query, if the registered notifier URL has one;
    /// compared exactly). `address` alone: for `localhost` (both loopback
    /// addresses), use [`bind_host`](Self::bind_host).
    pub async fn bind(address: SocketAddr, path: &str) -> Result<Self, Error> {
        NotifierAddress::new(address, path)?.bind().await
    }

    /// Listens on every address `host` stands for: `localhost` is both
    /// `127.0.0.1` and `[::1]` (where the machine has IPv6), so that a
    /// forwarder resolving `localhost` to either reaches this receiver; an
    /// IP address is itself. If any of them is taken, this fails naming it,
    /// rather than leave the POSTs to that address to whatever listens
    /// there. Port `0` picks a port free on all of them.
    pub async fn bind_host(host: &str, port: u16, path: &str) -> Result<Self, Error> {
        NotifierAddress::host(host, port, path)?.bind().await
    }

    /// Serves HTTPS instead of HTTP, with the certificate chain and the
    /// private key in the PEM files `cert_pem` and `key_pem` (as a reverse
    /// proxy would be given). A plain-HTTP request is then not taken.
    #[cfg(feature = "webhook-tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "webhook-tls")))]
    pub fn with_tls(
        self,
        cert_pem: &std::path::Path,
        key_pem: &std::path::Path,
    ) -> Result<Self, Error> {
        Ok(self.serving_tls(tls_acceptor(cert_pem, key_pem)?))
    }

    #[cfg(feature = "webhook-tls")]
    fn serving_tls(mut self, acceptor: tokio_rustls::TlsAcceptor) -> Self {
        self.server.set_tls(acceptor);
        self.tls = true;
        self
    }

    /// The address listened on (with the real port; for `localhost`, the
    /// IPv4 one).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.server.listener().local_addr()
    }

    /// `http://<address><path>` (`https` with TLS; `localhost:<port>` when
    /// listening on both loopbacks): where to forward the public notifier
    /// URL (or, in tests, the URL to give the simulator).
    pub fn url(&self) -> std::io::Result<String> {
        let scheme = if self.tls { "https" } else { "http" };
        let address = self.local_addr()?;
        if self.localhost {
            Ok(format!(
                "{scheme}://localhost:{}{}",
                address.port(),
                self.target
            ))
        } else {
            Ok(format!("{scheme}://{address}{}", self.target))
        }
    }

    /// Waits for the payload that `verifier` verifies
    /// ([`NotifierVerifier::verify`]: this app's client id, a plausible
    /// token and expiry, then one profile call naming the expected
    /// account), answers it `200`, and returns its session. The listener
    /// then closes: a later POST finds nobody.
    ///
    /// Every other payload is answered `400` (or `503` when its
    /// verification could not be made in time), with no detail, reported
    /// as [`NotifierEvent::Rejected`], and ignored: the wait goes on until
    /// `timeout` (give the request's `authorization_expiry`). So no
    /// stranger's POST ends the wait or gets its token in.
    ///
    /// Verification calls are made one at a time, each bounded by the
    /// verifier's timeout, and at most one starts per second: a flood of
    /// forged payloads causes at most one verification call per second.
    /// A payload that passes the checks before the call while one is being
    /// verified is answered `503`, one within a second of the last call's
    /// start `429` (both with `Retry-After: 1`), and counted
    /// ([`NotifierEvent::Deferred`]), never queued.
    pub async fn wait_for_session(
        self,
        verifier: &NotifierVerifier,
        timeout: Duration,
    ) -> Result<Session, Error> {
        self.wait_for_session_with(verifier, timeout, |_| {}).await
    }

    /// [`wait_for_session`](Self::wait_for_session), telling `on_event`
    /// about every request it answers and ignores.
    pub async fn wait_for_session_with(
        mut self,
        verifier: &NotifierVerifier,
        timeout: Duration,
        mut on_event: impl FnMut(NotifierEvent),
    ) -> Result<Session, Error> {
        let deadline = Instant::now() + timeout;
        let mut flood = Flood::new();
        let on_event = &mut on_event;
        let mut verifying: Option<Verifying<'_>> = None;
        let mut last_start: Option<Instant> = None;
        let outcome = loop {
            let wake = flood.wake(deadline);
            let next = tokio::select! {
                (verified, sender) = verified(&mut verifying) => Next::Verified(Box::new(verified), sender),
                incoming = self.server.next_until(wake) => Next::Incoming(incoming),
            };
            let incoming = match next {
                Next::Verified(verified, sender) => match *verified {
                    Ok(session) => {
                        let answered = answer(sender, 200, r#"{"status":"success"}"#);
                        answered.send_and_wait().await;
                        break Ok(session);
                    }
                    Err(refused) => {
                        refuse(sender, refused, &mut flood, on_event);
                        continue;
                    }
                },
                Next::Incoming(Some(incoming)) => incoming,
                Next::Incoming(None) => {
                    if Instant::now() >= deadline {
                        break Err(Error::TimedOut {
                            waiting_for: Waiting::NotifierPayload,
                            after: timeout,
                        });
                    }
                    flood.flush(on_event, NotifierEvent::Flood);
                    continue;
                }
            };
            let (request, sender) = match incoming {
                Incoming::Request(request, sender) => (request, sender),
                // Already answered (400, 413, 431).
                Incoming::Unreadable(why) => {
                    let event = NotifierEvent::Unreadable(why);
                    flood.report(Kind::Unreadable, event, on_event, NotifierEvent::Flood);
                    continue;
                }
            };
            let payload = match self.payload(&request) {
                Ok(payload) => payload,
                Err(Refusal::Stray(status, event)) => {
                    answer(sender, status, "").send();
                    flood.report(Kind::Ignored, event, on_event, NotifierEvent::Flood);
                    continue;
                }
                Err(Refusal::Refused(refused)) => {
                    refuse(sender, refused, &mut flood, on_event);
                    continue;
                }
            };
            // The checks that need no call come first: they cost nothing.
            if let Err(refused) = verifier.check_payload(&payload, SystemTime::now()) {
                refuse(sender, refused, &mut flood, on_event);
                continue;
            }
            let status = if verifying.is_some() {
                Some(503)
            } else if last_start.is_some_and(|at| at.elapsed() < VERIFY_EVERY) {
                Some(429)
            } else {
                None
            };
            if let Some(status) = status {
                sender.send(status, &[("Retry-After", "1")], "");
                let event = NotifierEvent::Deferred { status };
                flood.report(Kind::Rejected, event, on_event, NotifierEvent::Flood);
                continue;
            }
            last_start = Some(Instant::now());
            let call = Box::pin(async move { verifier.verify(&payload, SystemTime::now()).await });
            verifying = Some(Verifying { call, sender });
        };
        // Dropping the server closes every connection still being read,
        // and dropping a verification in flight ends its call.
        flood.finish(on_event, NotifierEvent::Flood);
        outcome
    }

    /// The payload a request carries, or why it is none.
    fn payload(&self, request: &Request) -> Result<NotifierPayload, Refusal> {
        let ignored = |status| {
            let event = NotifierEvent::Ignored(StrayRequest {
                method: request.method.clone(),
                path: request.path().to_string(),
            });
            Refusal::Stray(status, event)
        };
        if request.target != self.target {
            return Err(ignored(404));
        }
        if request.method != "POST" {
            return Err(ignored(405));
        }
        NotifierPayload::parse(&request.body).map_err(Refusal::Refused)
    }
}

/// Where a [`NotifierServer`] is to listen, checked but not yet bound: the
/// address, the path and, with `webhook-tls`, the certificate. For
/// `morning::LoginWay::Indie`, which binds it only once no saved session
/// will do and the session's lock is held: two programs on one port then
/// wait for each other instead of colliding.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use upstox_login_sdk::webhook::NotifierAddress;
///
/// let address = NotifierAddress::new("127.0.0.1:8080".parse()?, "/upstox/notify/k3ep-th1s-s3cret")?;
/// let server = address.bind().await?;
/// println!("forward the notifier URL to {}", server.url()?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct NotifierAddress {
    host: Host,
    port: u16,
    /// The request target Upstox POSTs to: the path, and the query if any.
    target: String,
    #[cfg(feature = "webhook-tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl fmt::Debug for NotifierAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("NotifierAddress");
        debug
            .field("host", &self.host)
            .field("port", &self.port)
            .field("target", &self.target);
        #[cfg(feature = "webhook-tls")]
        debug.field("tls", &self.tls.is_some());
        debug.finish()
    }
}

impl NotifierAddress {
    /// `address` (port `0`: a free one, picked at [`bind`](Self::bind))
    /// and `path`, as [`NotifierServer::bind`] takes them. Fails now on a
    /// path that cannot be one.
    pub fn new(address: SocketAddr, path: &str) -> Result<Self, Error> {
        Self::checked(Host::Ip(address.ip()), address.port(), path)
    }

    /// Every address `host` stands for (`localhost`: both loopbacks), as
    /// [`NotifierServer::bind_host`] takes them. Fails now on a host that
    /// is neither `localhost` nor an IP address, or a path that cannot be
    /// one.
    pub fn host(host: &str, port: u16, path: &str) -> Result<Self, Error> {
        let host = if host.eq_ignore_ascii_case("localhost") {
            Host::Localhost
        } else {
            let ip = host.trim_start_matches('[').trim_end_matches(']');
            Host::Ip(ip.parse().map_err(|_| {
                Error::InvalidInput(format!(
                    "the listen host {} is neither `localhost` nor an IP address",
                    escape(host)
                ))
            })?)
        };
        Self::checked(host, port, path)
    }

    fn checked(host: Host, port: u16, path: &str) -> Result<Self, Error> {
        if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::InvalidInput(format!(
                "{} cannot be the notifier webhook's path (it starts with `/`, with no white \
                 space)",
                escape(path)
            )));
        }
        Ok(Self {
            host,
            port,
            target: path.to_string(),
            #[cfg(feature = "webhook-tls")]
            tls: None,
        })
    }

    /// Serves HTTPS, as [`NotifierServer::with_tls`] does. The PEM files
    /// are read now, so that a bad certificate or key fails before anything
    /// is bound or sent.
    #[cfg(feature = "webhook-tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "webhook-tls")))]
    pub fn with_tls(
        mut self,
        cert_pem: &std::path::Path,
        key_pem: &std::path::Path,
    ) -> Result<Self, Error> {
        self.tls = Some(tls_acceptor(cert_pem, key_pem)?);
        Ok(self)
    }

    /// Listens there. Fails with [`Error::Listen`] naming the address that
    /// could not be had (another program holds it, say).
    pub async fn bind(&self) -> Result<NotifierServer, Error> {
        // The address is named, so that the user knows which one another program holds.
        let (listener, also) =
            serve::bind(self.host, self.port)
                .await
                .map_err(|(address, error)| {
                    Error::listen(Listener::NotifierWebhook, Some(address), error)
                })?;
        let server = NotifierServer {
            localhost: also.is_some(),
            server: Server::new(listener, also, LIMITS),
            target: self.target.clone(),
            tls: false,
        };
        #[cfg(feature = "webhook-tls")]
        let server = match &self.tls {
            Some(acceptor) => server.serving_tls(acceptor.clone()),
            None => server,
        };
        Ok(server)
    }
}

#[cfg(feature = "webhook-tls")]
fn tls_acceptor(
    cert_pem: &std::path::Path,
    key_pem: &std::path::Path,
) -> Result<tokio_rustls::TlsAcceptor, Error> {
    serve::tls_acceptor(cert_pem, key_pem)
        .map_err(|e| Error::listen(Listener::NotifierWebhook, None, e))
}

/// At most one verification call starts in this time.
const VERIFY_EVERY: Duration = Duration::from_secs(1);

/// A verification call in flight, and the sender waiting for its answer.
struct Verifying<'v> {
    call: Pin<Box<dyn Future<Output = Result<Session, PayloadRefused>> + Send + 'v>>,
    sender: Responder,
}

/// What the receiver woke for.
enum Next {
    Verified(Box<Result<Session, PayloadRefused>>, Responder),
    Incoming(Option<Incoming>),
}

/// Why a request carries no payload to verify.
enum Refusal {
    /// Another path or method: its status, and the event.
    Stray(u16, NotifierEvent),
    /// Not a payload.
    Refused(PayloadRefused),
}

/// The verification in `slot`, once it ends (taking it out); never, with none.
async fn verified(
    slot: &mut Option<Verifying<'_>>,
) -> (Result<Session, PayloadRefused>, Responder) {
    let Some(verifying) = slot.as_mut() else {
        return std::future::pending().await;
    };
    let result = verifying.call.as_mut().await;
    match slot.take() {
        Some(verifying) => (result, verifying.sender),
        None => std::future::pending().await,
    }
}

/// Answers a refused payload (with nothing that tells a forger why), and
/// reports the refusal.
fn refuse(
    sender: Responder,
    refused: PayloadRefused,
    flood: &mut Flood,
    on_event: &mut impl FnMut(NotifierEvent),
) {
    // A check that could not be made is worth a retry; a refusal is not.
    let status = match &refused {
        PayloadRefused::TimedOut(_) => 503,
        PayloadRefused::Unverified(e) if !matches!(**e, Error::Api(_)) => 503,
        _ => 400,
    };
    answer(sender, status, r#"{"status":"error"}"#).send();
    let event = NotifierEvent::Rejected(refused);
    flood.report(Kind::Rejected, event, on_event, NotifierEvent::Flood);
}

/// An answer to the sender of a request, ready to send.
struct Answer {
    sender: Responder,
    status: u16,
    body: String,
}

fn answer(sender: Responder, status: u16, body: &str) -> Answer {
    Answer {
        sender,
        status,
        body: body.to_string(),
    }
}

impl Answer {
    fn headers(&self) -> &'static [(&'static str, &'static str)] {
        if self.body.is_empty() {
            &[]
        } else {
            &[("Content-Type", "application/json")]
        }
    }

    fn send(self) {
        let headers = self.headers();
        self.sender.send(self.status, headers, self.body);
    }

    /// Sends, and waits until it is written: the last answer.
    async fn send_and_wait(self) {
        let headers = self.headers();
        self.sender
            .send_and_wait(self.status, headers, self.body)
            .await;
    }
}
