//! Receiving the login redirect on this machine: a one-shot HTTP listener on
//! the redirect URI's loopback host and port.
//!
//! [`CallbackServer::complete_login`] waits for the callback, exchanges the
//! code, and only then answers the browser, with the real outcome: logged
//! in (until when, in IST), or why not. It ignores stray requests
//! (`/favicon.ico`, other paths, other methods), refuses a callback whose
//! `state` is not this login's and keeps waiting, and gives up after a
//! timeout. It never logs or reports a code or a query string.
//!
//! Another process on the machine may flood it with connections that send
//! nothing or a byte at a time: every connection is accepted at once, and
//! past 128 being read the oldest is closed, so the
//! browser's callback still gets through and memory stays bounded.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::connections::{accept, Readers};
use crate::expiry::format_ist;
use crate::http1::{self, Limits};
use crate::terminal::escape;
use crate::CallbackError;
use crate::{App, AuthorizationCode, LoginClient, PendingLogin, RedirectUri, Session};

/// What is read of a request: its head, at most 16 KiB; a body is never
/// read. How many connections, and for how long: see `connections.rs`.
const LIMITS: Limits = Limits {
    head: 16 * 1024,
    body: None,
};
/// How many ports a listener on port `0` of `localhost` tries, for one
/// free on both loopback addresses.
const PICK_ATTEMPTS: usize = 8;

/// Something the listener saw and did not end on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoopbackEvent {
    /// A request that is not the callback (wrong path or method), answered
    /// 404/405. Its method and path are as any local process sent them:
    /// `Display` escapes them for a terminal; print them yourself through
    /// [`terminal::escape`](crate::terminal::escape).
    Ignored {
        /// The method.
        method: String,
        /// The path, without its query.
        path: String,
    },
    /// A callback that failed the state check, answered 400; still waiting.
    Rejected(CallbackError),
}

impl fmt::Display for LoopbackEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // As any local process sent them: escaped for a terminal.
            LoopbackEvent::Ignored { method, path } => write!(
                f,
                "ignored a stray request: {} {}",
                escape(method),
                escape(path)
            ),
            LoopbackEvent::Rejected(e) => write!(f, "rejected a callback: {e}; still waiting"),
        }
    }
}

/// Why no code was received.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoopbackError {
    /// The redirect URI is not on this machine (`127.0.0.0/8`, `localhost`, `[::1]`).
    NotLoopback(RedirectUri),
    /// The listener could not be set up.
    Io(std::io::Error),
    /// An address the redirect URI's host stands for could not be listened
    /// on (for `localhost`, both `127.0.0.1` and `[::1]`): a browser
    /// connecting there would not reach this listener, and whatever holds
    /// it could receive the code and the state. Nothing was printed yet.
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why (`AddrInUse`: another program listens there).
        error: std::io::Error,
    },
    /// No valid callback arrived in time.
    Timeout(Duration),
    /// The callback ended the login without a code (Upstox sent an error,
    /// or the state matched but no code came).
    Callback(CallbackError),
    /// The code came, but exchanging it failed (the browser was told why).
    Exchange(crate::Error),
}

impl fmt::Display for LoopbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoopbackError::NotLoopback(uri) => write!(
                f,
                "the redirect URI {uri} is not on this machine; a loopback login needs one such as \
                 http://127.0.0.1:5055/callback (registered with the app)"
            ),
            LoopbackError::Io(e) => write!(f, "could not listen for the login callback: {e}"),
            LoopbackError::Bind { address, error } => {
                write!(f, "could not listen for the login callback on {address}: ")?;
                match error.kind() {
                    std::io::ErrorKind::AddrInUse => write!(
                        f,
                        "the address is in use by another program, which a browser could \
                         hand the login code to; stop it or register another port ({error})"
                    ),
                    std::io::ErrorKind::PermissionDenied => {
                        write!(f, "permission denied ({error})")
                    }
                    _ => write!(f, "{error}"),
                }
            }
            LoopbackError::Timeout(d) => write!(
                f,
                "no login callback arrived within {} s; was the login finished in the browser?",
                d.as_secs()
            ),
            LoopbackError::Callback(e) => e.fmt(f),
            LoopbackError::Exchange(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LoopbackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoopbackError::Io(e) | LoopbackError::Bind { error: e, .. } => Some(e),
            LoopbackError::Callback(e) => Some(e),
            LoopbackError::Exchange(e) => e.source(),
            _ => None,
        }
    }
}

/// A listener for the login callback.
#[derive(Debug)]
pub struct CallbackServer {
    listener: TcpListener,
    /// For `localhost`: the IPv6 loopback on the same port, so that a
    /// browser resolving `localhost` to `::1` reaches this listener and no
    /// other program can take the callback there.
    also: Option<TcpListener>,
    redirect_uri: RedirectUri,
}

impl CallbackServer {
    /// Listens on the redirect URI's host and port, which must be loopback.
    /// Port `0` picks a free port: read the real URI back with
    /// [`redirect_uri`](Self::redirect_uri).
    ///
    /// `localhost` is listened on at both `127.0.0.1` and `[::1]` (where the
    /// machine has IPv6): if either is taken, this fails with
    /// [`LoopbackError::Bind`] naming it, rather than leave a browser that
    /// tries the other address first to whatever listens there.
    pub async fn bind(redirect_uri: &RedirectUri) -> Result<Self, LoopbackError> {
        let url = redirect_uri.url();
        if url.scheme() != "http" || !crate::config::is_loopback(url) {
            return Err(LoopbackError::NotLoopback(redirect_uri.clone()));
        }
        let port = url.port_or_known_default().unwrap_or(80);
        // Every address the host stands for: `localhost` is both loopbacks
        // (browsers try `::1` first or race both).
        let (first, second) = match url.host() {
            Some(url::Host::Ipv4(ip)) => (IpAddr::V4(ip), None),
            Some(url::Host::Ipv6(ip)) => (IpAddr::V6(ip), None),
            _ => (
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            ),
        };
        // With port 0 the system picks a port free on the first address;
        // if the second has it taken, another pick is tried.
        let mut attempts = if port == 0 { PICK_ATTEMPTS } else { 1 };
        let (listener, also) = loop {
            attempts -= 1;
            let listener = listen(SocketAddr::new(first, port)).await?;
            let bound = listener.local_addr().map_err(LoopbackError::Io)?.port();
            let Some(second) = second else {
                break (listener, None);
            };
            match listen(SocketAddr::new(second, bound)).await {
                Ok(other) => break (listener, Some(other)),
                // No IPv6 loopback on this machine (not even a free port of
                // it can be had): nothing can listen there either.
                Err(_) if TcpListener::bind(SocketAddr::new(second, 0)).await.is_err() => {
                    break (listener, None)
                }
                Err(e) if attempts > 0 => drop(e),
                Err(e) => return Err(e),
            }
        };
        let bound = listener.local_addr().map_err(LoopbackError::Io)?.port();
        let mut actual = url.clone();
        if port == 0 {
            let _ = actual.set_port(Some(bound));
        }
        let redirect_uri = if port == 0 {
            RedirectUri::new(actual.as_str())
                .map_err(|e| LoopbackError::Io(std::io::Error::other(e.to_string())))?
        } else {
            redirect_uri.clone()
        };
        Ok(Self {
            listener,
            also,
            redirect_uri,
        })
    }

    /// The redirect URI this listener answers (with the real port).
    pub fn redirect_uri(&self) -> &RedirectUri {
        &self.redirect_uri
    }

    /// The address listened on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Starts a login that redirects to this listener: a fresh state and
    /// the authorization URL, with this listener's redirect URI (its real
    /// port, when bound on port `0`) instead of the app's. Nothing is sent.
    pub fn start_login(
        &self,
        client: &LoginClient,
        app: &App,
    ) -> Result<PendingLogin, crate::Error> {
        client.start_login_to(app, &self.redirect_uri, None)
    }

    /// Waits for the callback of `login`, exchanges its code for a session
    /// (as [`LoginClient::exchange_code`], with the login's redirect URI),
    /// and only then answers the browser: "logged in until ... IST", or the
    /// failure and its advice. Fails with [`LoopbackError::Exchange`] when
    /// the exchange fails (the code is spent either way).
    pub async fn complete_login(
        self,
        client: &LoginClient,
        app: &App,
        login: &PendingLogin,
        timeout: Duration,
    ) -> Result<Session, LoopbackError> {
        self.complete_login_with(client, app, login, timeout, |_| {})
            .await
    }

    /// [`complete_login`](Self::complete_login), telling `on_event` about
    /// every request it ignores or rejects.
    pub async fn complete_login_with(
        self,
        client: &LoginClient,
        app: &App,
        login: &PendingLogin,
        timeout: Duration,
        on_event: impl FnMut(LoopbackEvent),
    ) -> Result<Session, LoopbackError> {
        let (code, mut browser) = self.receive(login, timeout, on_event).await?;
        match client
            .exchange_at(app, login.redirect_uri(), code, None)
            .await
        {
            Ok(session) => {
                let text = format!(
                    "You are logged in to Upstox until {}. You may close this tab.",
                    format_ist(session.expires_at())
                );
                respond(&mut browser, 200, "Logged in", &text).await;
                Ok(session)
            }
            Err(e) => {
                // The error carries no secret and escapes what the server sent.
                let text = format!("The login did not complete: {e}");
                respond(&mut browser, 502, "Login failed", &text).await;
                Err(LoopbackError::Exchange(e))
            }
        }
    }

    /// Waits for the callback of `login` and returns its code, telling the
    /// browser the code was received and the application finishes the
    /// login (not that it is logged in: the exchange has not happened).
    /// Prefer [`complete_login`](Self::complete_login), which tells the
    /// browser the outcome.
    pub async fn wait_for_code(
        self,
        login: &PendingLogin,
        timeout: Duration,
    ) -> Result<AuthorizationCode, LoopbackError> {
        self.wait_for_code_with(login, timeout, |_| {}).await
    }

    /// [`wait_for_code`](Self::wait_for_code), telling `on_event` about every
    /// request it ignores or rejects.
    pub async fn wait_for_code_with(
        self,
        login: &PendingLogin,
        timeout: Duration,
        on_event: impl FnMut(LoopbackEvent),
    ) -> Result<AuthorizationCode, LoopbackError> {
        let (code, mut browser) = self.receive(login, timeout, on_event).await?;
        respond(
            &mut browser,
            200,
            "Code received",
            "The application is finishing the login; see it for the outcome. You may close this tab.",
        )
        .await;
        Ok(code)
    }

    /// Waits for the callback of `login`: its code, and the browser's
    /// connection, not yet answered.
    async fn receive(
        self,
        login: &PendingLogin,
        timeout: Duration,
        mut on_event: impl FnMut(LoopbackEvent),
    ) -> Result<(AuthorizationCode, TcpStream), LoopbackError> {
        if login.redirect_uri() != &self.redirect_uri {
            return Err(LoopbackError::Callback(CallbackError::Malformed(format!(
                "this login redirects to {}, but the listener is on {}",
                login.redirect_uri(),
                self.redirect_uri
            ))));
        }
        let path = self.redirect_uri.url().path().to_string();
        // Dropped on return, which closes every connection still being read.
        let mut readers = Readers::new(LIMITS);
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                // Requests already read first, so that they never wait
                // behind new connections.
                biased;
                _ = &mut deadline => return Err(LoopbackError::Timeout(timeout)),
                Some((read, mut stream)) = readers.next() => {
                    let Ok(http1::Request { method, target, .. }) = read else {
                        // Not HTTP, or a head over the limit: not a browser.
                        continue;
                    };
                    let request_path = target.split(['?', '#']).next().unwrap_or("").to_string();
                    if request_path != path {
                        respond(&mut stream, 404, "Not found", "Nothing here.").await;
                        on_event(LoopbackEvent::Ignored { method, path: request_path });
                        continue;
                    }
                    if method != "GET" {
                        respond(&mut stream, 405, "Method not allowed", "Only GET is served here.").await;
                        on_event(LoopbackEvent::Ignored { method, path: request_path });
                        continue;
                    }
                    match login.code_from_callback(&target) {
                        Ok(code) => return Ok((code, stream)),
                        Err(e @ (CallbackError::StateMismatch | CallbackError::MissingState | CallbackError::Malformed(_))) => {
                            respond(&mut stream, 400, "Not this login", "This link does not belong to the login in progress. Ignored.").await;
                            on_event(LoopbackEvent::Rejected(e));
                        }
                        Err(e) => {
                            let text = format!("The login did not complete: {e}. You may close this tab.");
                            respond(&mut stream, 400, "Login failed", &text).await;
                            return Err(LoopbackError::Callback(e));
                        }
                    }
                }
                accepted = accept(&self.listener, self.also.as_ref()) => {
                    match accepted {
                        Ok(stream) => readers.add(stream),
                        // A failed accept (too many files, a reset) is not
                        // fatal, but is not retried at once either.
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            }
        }
    }
}

/// Listens on one address, the error naming it.
async fn listen(address: SocketAddr) -> Result<TcpListener, LoopbackError> {
    TcpListener::bind(address)
        .await
        .map_err(|error| LoopbackError::Bind { address, error })
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, text: &str) {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>{}</title>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{}</h1><p>{}</p></body>\n",
        html_escape(title),
        html_escape(title),
        html_escape(text)
    );
    let headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
    ];
    http1::respond(stream, status, &headers, body.as_bytes()).await;
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
