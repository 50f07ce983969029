//! Receiving the indie-user token: a one-shot listener for the POST Upstox
//! makes to the app's notifier webhook once the account holder approves
//! a [`request_indie_token`](crate::LoginClient::request_indie_token).
//!
//! [`NotifierServer::wait_for_session`] answers `200` to the first payload
//! that names the app's client id and carries a token, and returns it as a
//! [`Session`]. Everything else is answered and ignored while it keeps
//! waiting: other paths (404) and methods (405), bodies that are not the
//! payload or name another app (400), heads over 16 KiB (431), bodies
//! over 16 KiB (413). It reads connections as the login callback listener
//! does (every one accepted, at most 128 read at once, 10 s each), so a
//! flood of idle or slow connections cannot keep Upstox's POST out, and
//! memory stays bounded. It never logs or reports a token or a body.
//!
//! Upstox reaches it at the notifier URL registered for the app: a public
//! `https` URL, forwarded here by a tunnel or a reverse proxy. Nothing
//! authenticates that POST, and a client id is no secret: make the path
//! hard to guess (`/upstox/notify/<random>`, registered as such), listen
//! on loopback behind the forwarder, and confirm the token with a cheap
//! authenticated call before trusting it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use upstox_login_sdk::webhook::NotifierServer;
//! use upstox_login_sdk::{App, IndieTokenOptions, LoginClient};
//!
//! # let app: App = todo!();
//! let server = NotifierServer::bind("127.0.0.1:8080".parse()?, "/upstox/notify/k3ep-th1s-s3cret").await?;
//! let client = LoginClient::new()?;
//! let request = client.request_indie_token(&app, IndieTokenOptions::default()).await?;
//! println!("approve in the Upstox app before {:?}", request.authorization_expiry);
//! let session = server.wait_for_session(app.client_id(), Duration::from_secs(600)).await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::connections::{accept, Readers};
use crate::http1::{self, Limits, Request};
use crate::terminal::escape;
use crate::{ClientId, NotifierError, NotifierPayload, Session};

/// What a request may hold; the payload is a few hundred bytes.
const LIMITS: Limits = Limits {
    head: 16 * 1024,
    body: Some(16 * 1024),
};

/// Something the receiver answered and did not end on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifierEvent {
    /// A request to another path (404) or with another method than POST
    /// (405). Its method and path are as any sender wrote them: `Display`
    /// escapes them for a terminal.
    Ignored {
        /// The method.
        method: String,
        /// The path, without its query.
        path: String,
    },
    /// A POST whose body is not a payload for this app (400).
    Rejected(NotifierError),
    /// A request that was not HTTP, or over the size limits (400, 413, 431).
    Unreadable(String),
}

impl fmt::Display for NotifierEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotifierEvent::Ignored { method, path } => write!(
                f,
                "ignored a stray request: {} {}",
                escape(method),
                escape(path)
            ),
            NotifierEvent::Rejected(e) => write!(f, "rejected a notifier POST: {e}"),
            NotifierEvent::Unreadable(why) => write!(f, "refused a request: {why}"),
        }
    }
}

/// Why no session was received.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookError {
    /// The path is not one a request could have (it must start with `/`,
    /// and hold no white space or control character).
    InvalidPath(String),
    /// The listener could not be set up.
    Io(std::io::Error),
    /// No payload for this app arrived in time.
    Timeout(Duration),
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookError::InvalidPath(path) => write!(
                f,
                "{} cannot be the notifier webhook's path (it starts with `/`, with no white space)",
                escape(path)
            ),
            WebhookError::Io(e) => write!(f, "could not listen for the notifier webhook: {e}"),
            WebhookError::Timeout(d) => write!(
                f,
                "no notifier payload for this app arrived within {} s; was the request approved?",
                d.as_secs()
            ),
        }
    }
}

impl std::error::Error for WebhookError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WebhookError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// A listener for the notifier webhook's POST. See the [module documentation](self).
#[derive(Debug)]
pub struct NotifierServer {
    listener: TcpListener,
    /// The request target Upstox POSTs to: the path, and the query if any.
    target: String,
}

impl NotifierServer {
    /// Listens on `address` (port `0` picks a free one) for POSTs to
    /// `path` (with a query, if the registered notifier URL has one;
    /// compared exactly).
    pub async fn bind(address: SocketAddr, path: &str) -> Result<Self, WebhookError> {
        if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(WebhookError::InvalidPath(path.to_string()));
        }
        let listener = TcpListener::bind(address).await.map_err(WebhookError::Io)?;
        Ok(Self {
            listener,
            target: path.to_string(),
        })
    }

    /// The address listened on (with the real port).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// `http://<address><path>`: where to forward the public notifier URL
    /// (or, in tests, the URL to give the simulator).
    pub fn url(&self) -> std::io::Result<String> {
        Ok(format!("http://{}{}", self.local_addr()?, self.target))
    }

    /// Waits for the payload for `client_id`, answers it `200`, and returns
    /// its session ([`NotifierPayload::into_session`]). The listener then
    /// closes: a later POST finds nobody.
    pub async fn wait_for_session(
        self,
        client_id: &ClientId,
        timeout: Duration,
    ) -> Result<Session, WebhookError> {
        self.wait_for_session_with(client_id, timeout, |_| {}).await
    }

    /// [`wait_for_session`](Self::wait_for_session), telling `on_event`
    /// about every request it answers and ignores.
    pub async fn wait_for_session_with(
        self,
        client_id: &ClientId,
        timeout: Duration,
        mut on_event: impl FnMut(NotifierEvent),
    ) -> Result<Session, WebhookError> {
        // Dropped on return, which closes every connection still being read.
        let mut readers = Readers::new(LIMITS);
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                // Requests already read first, so that they never wait
                // behind new connections.
                biased;
                _ = &mut deadline => return Err(WebhookError::Timeout(timeout)),
                Some((read, mut stream)) = readers.next() => {
                    let request = match read {
                        Ok(request) => request,
                        Err(error) => {
                            http1::respond(&mut stream, error.status(), &[], b"").await;
                            on_event(NotifierEvent::Unreadable(error.reason(LIMITS)));
                            continue;
                        }
                    };
                    match self.take(&request, client_id) {
                        Ok(session) => {
                            answer(&mut stream, 200, r#"{"status":"success"}"#).await;
                            return Ok(session);
                        }
                        Err((status, event)) => {
                            let body = match &event {
                                NotifierEvent::Rejected(e) => {
                                    serde_json::json!({"status": "error", "message": e.to_string()})
                                        .to_string()
                                }
                                _ => String::new(),
                            };
                            answer(&mut stream, status, &body).await;
                            on_event(event);
                        }
                    }
                }
                accepted = accept(&self.listener, None) => match accepted {
                    Ok(stream) => readers.add(stream),
                    // A failed accept (too many files, a reset) is not
                    // fatal, but is not retried at once either.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
            }
        }
    }

    /// The session a request hands over, or its answer's status and why.
    fn take(
        &self,
        request: &Request,
        client_id: &ClientId,
    ) -> Result<Session, (u16, NotifierEvent)> {
        let ignored = |status| {
            let event = NotifierEvent::Ignored {
                method: request.method.clone(),
                path: request.path().to_string(),
            };
            (status, event)
        };
        if request.target != self.target {
            return Err(ignored(404));
        }
        if request.method != "POST" {
            return Err(ignored(405));
        }
        NotifierPayload::parse(&request.body)
            .and_then(|payload| payload.into_session(client_id))
            .map_err(|e| (400, NotifierEvent::Rejected(e)))
    }
}

async fn answer(stream: &mut TcpStream, status: u16, body: &str) {
    let headers: &[(&str, &str)] = if body.is_empty() {
        &[]
    } else {
        &[("Content-Type", "application/json")]
    };
    http1::respond(stream, status, headers, body.as_bytes()).await;
}
