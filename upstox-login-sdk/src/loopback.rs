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
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::error::{Listener, Waiting};
use crate::expiry::format_ist;
use crate::serve::{self, Host, Incoming, Limits, Responder, Server};
use crate::stray::{Flood, Kind};
use crate::{App, AuthorizationCode, LoginClient, PendingLogin, RedirectUri, Session};
use crate::{CallbackError, Error};
use crate::{FloodSummary, StrayRequest};

pub use crate::open::open_in_browser;

/// What is read of a request: its head, at most 16 KiB; a body is never
/// read. How many connections, and for how long: see `serve.rs`.
const LIMITS: Limits = Limits {
    head: 16 * 1024,
    body: None,
};
/// Something the listener saw and did not end on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoopbackEvent {
    /// A request that is not the callback (wrong path or method), answered
    /// 404/405.
    Ignored(StrayRequest),
    /// A callback that failed the state check, answered 400; still waiting.
    Rejected(CallbackError),
    /// Requests of a flood, counted instead of told one by one.
    Flood(FloodSummary),
}

impl fmt::Display for LoopbackEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoopbackEvent::Ignored(stray) => stray.fmt(f),
            LoopbackEvent::Rejected(e) => write!(f, "rejected a callback: {e}; still waiting"),
            LoopbackEvent::Flood(summary) => summary.fmt(f),
        }
    }
}

/// A listener for the login callback.
#[derive(Debug)]
pub struct CallbackServer {
    /// For `localhost`, also the IPv6 loopback on the same port, so that a
    /// browser resolving `localhost` to `::1` reaches this listener and no
    /// other program can take the callback there.
    server: Server,
    redirect_uri: RedirectUri,
}

impl CallbackServer {
    /// Listens on the redirect URI's host and port, which must be loopback.
    /// Port `0` picks a free port: read the real URI back with
    /// [`redirect_uri`](Self::redirect_uri).
    ///
    /// `localhost` is listened on at both `127.0.0.1` and `[::1]` (where the
    /// machine has IPv6): if either is taken, this fails with
    /// [`Error::Listen`] naming it, rather than leave a browser that
    /// tries the other address first to whatever listens there.
    pub async fn bind(redirect_uri: &RedirectUri) -> Result<Self, Error> {
        let url = redirect_uri.url();
        if url.scheme() != "http" || !crate::config::is_loopback(url) {
            return Err(Error::NotLoopback(redirect_uri.clone()));
        }
        let port = url.port_or_known_default().unwrap_or(80);
        // Every address the host stands for: `localhost` is both loopbacks
        // (browsers try `::1` first or race both).
        let host = match url.host() {
            Some(url::Host::Ipv4(ip)) => Host::Ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Host::Ip(IpAddr::V6(ip)),
            _ => Host::Localhost,
        };
        let (listener, also) = serve::bind(host, port).await.map_err(|(address, error)| {
            Error::listen(Listener::LoginCallback, Some(address), error)
        })?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::listen(Listener::LoginCallback, None, e))?
            .port();
        let mut actual = url.clone();
        if port == 0 {
            let _ = actual.set_port(Some(bound));
        }
        let redirect_uri = if port == 0 {
            RedirectUri::new(actual.as_str()).map_err(Error::from)?
        } else {
            redirect_uri.clone()
        };
        Ok(Self {
            server: Server::new(listener, also, LIMITS),
            redirect_uri,
        })
    }

    /// The redirect URI this listener answers (with the real port).
    pub fn redirect_uri(&self) -> &RedirectUri {
        &self.redirect_uri
    }

    /// The address listened on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.server.listener().local_addr()
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
    /// failure and its advice. Fails with the exchange's [`Error`] when
    /// the exchange fails (the code is spent either way).
    pub async fn complete_login(
        self,
        client: &LoginClient,
        app: &App,
        login: &PendingLogin,
        timeout: Duration,
    ) -> Result<Session, Error> {
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
    ) -> Result<Session, Error> {
        let (code, browser, _serving) = self.receive(login, timeout, on_event).await?;
        match client
            .exchange_at(app, login.redirect_uri(), code, None)
            .await
        {
            Ok(session) => {
                let text = format!(
                    "You are logged in to Upstox until {}. You may close this tab.",
                    format_ist(session.expires_at())
                );
                respond(browser, 200, "Logged in", &text).await;
                Ok(session)
            }
            Err(e) => {
                // The error carries no secret and escapes what the server sent.
                let text = format!("The login did not complete: {e}");
                respond(browser, 502, "Login failed", &text).await;
                Err(e)
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
    ) -> Result<AuthorizationCode, Error> {
        self.wait_for_code_with(login, timeout, |_| {}).await
    }

    /// [`wait_for_code`](Self::wait_for_code), telling `on_event` about every
    /// request it ignores or rejects.
    pub async fn wait_for_code_with(
        self,
        login: &PendingLogin,
        timeout: Duration,
        on_event: impl FnMut(LoopbackEvent),
    ) -> Result<AuthorizationCode, Error> {
        let (code, browser, _serving) = self.receive(login, timeout, on_event).await?;
        respond(
            browser,
            200,
            "Code received",
            "The application is finishing the login; see it for the outcome. You may close this tab.",
        )
        .await;
        Ok(code)
    }

    /// Waits for the callback of `login`: its code, and the browser's
    /// request, not yet answered, with the server that keeps its connection.
    async fn receive(
        self,
        login: &PendingLogin,
        timeout: Duration,
        mut on_event: impl FnMut(LoopbackEvent),
    ) -> Result<(AuthorizationCode, Responder, Server), Error> {
        if login.redirect_uri() != &self.redirect_uri {
            return Err(Error::Callback(CallbackError::Malformed(format!(
                "this login redirects to {}, but the listener is on {}",
                login.redirect_uri(),
                self.redirect_uri
            ))));
        }
        let path = self.redirect_uri.url().path().to_string();
        // Dropped on return, which closes every connection still being read.
        let mut server = self.server;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut flood = Flood::new();
        let on_event = &mut on_event;
        let outcome = loop {
            let Some(incoming) = server.next_until(flood.wake(deadline)).await else {
                if tokio::time::Instant::now() >= deadline {
                    break Err(Error::TimedOut {
                        waiting_for: Waiting::LoginCallback,
                        after: timeout,
                    });
                }
                flood.flush(on_event, LoopbackEvent::Flood);
                continue;
            };
            // Not HTTP, or a head over the limit: not a browser (hyper
            // answered it).
            let Incoming::Request(request, browser) = incoming else {
                continue;
            };
            let request_path = request.path().to_string();
            if request_path != path || request.method != "GET" {
                if request_path != path {
                    answer(browser, 404, "Not found", "Nothing here.");
                } else {
                    answer(
                        browser,
                        405,
                        "Method not allowed",
                        "Only GET is served here.",
                    );
                }
                let stray = StrayRequest {
                    method: request.method,
                    path: request_path,
                };
                flood.report(
                    Kind::Ignored,
                    LoopbackEvent::Ignored(stray),
                    on_event,
                    LoopbackEvent::Flood,
                );
                continue;
            }
            match login.code_from_callback(&request.target) {
                Ok(code) => break Ok((code, browser, server)),
                Err(
                    e @ (CallbackError::StateMismatch
                    | CallbackError::MissingState
                    | CallbackError::Malformed(_)),
                ) => {
                    answer(
                        browser,
                        400,
                        "Not this login",
                        "This link does not belong to the login in progress. Ignored.",
                    );
                    flood.report(
                        Kind::Rejected,
                        LoopbackEvent::Rejected(e),
                        on_event,
                        LoopbackEvent::Flood,
                    );
                }
                Err(e) => {
                    let text = format!("The login did not complete: {e}. You may close this tab.");
                    respond(browser, 400, "Login failed", &text).await;
                    break Err(Error::Callback(e));
                }
            }
        };
        flood.finish(on_event, LoopbackEvent::Flood);
        outcome
    }
}

/// Answers the browser with a page, and waits until it is written: the
/// last answer, which the program may exit right after.
async fn respond(browser: Responder, status: u16, title: &str, text: &str) {
    let (headers, body) = page(title, text);
    browser.send_and_wait(status, &headers, body).await;
}

/// Answers the browser with a page.
fn answer(browser: Responder, status: u16, title: &str, text: &str) {
    let (headers, body) = page(title, text);
    browser.send(status, &headers, body);
}

/// The page to answer a browser with, and its headers.
fn page(title: &str, text: &str) -> ([(&'static str, &'static str); 3], String) {
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
    (headers, body)
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
