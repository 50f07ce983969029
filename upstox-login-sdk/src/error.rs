//! [`Error`], the one error of the crate's public calls, and its parts.
//!
//! What an error shows (`Display`, `Debug`, and so the browser page and a
//! failing `main`) is built from parts the crate chose: the operation, the
//! HTTP status, an Upstox error code of Upstox's shape, the crate's own
//! advice, and at most one thing the server wrote, the message of a parsed
//! error envelope, bounded, printable and without any run that could be a
//! token. Never a raw body, an excerpt of one, or a `Location`'s path or
//! query: those stay behind accessors ([`ApiError::raw_body`],
//! [`InvalidResponse::raw_body`], [`RedirectError::location`]) whose docs
//! say they may hold what the server echoed, secrets included.
//!
//! Each error either returns its cause from `source()` or writes it into
//! its `Display`, never both: a chain printer (anyhow's `{:#}`, or walking
//! `source()`) shows every cause once.

mod parts;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

pub use parts::{ApiError, BodyKind, InvalidResponse, RedirectError, SetupError, TransportError};

use crate::envelope::ErrorCode;
use crate::ids::InvalidRedirectUri;
use crate::login::CallbackError;
use crate::operation::Operation;
use crate::refused::PayloadRefused;
#[cfg(unix)]
use crate::store::StoreError;
use crate::RedirectUri;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call of this crate.
///
/// Its `Debug` is its `Display` followed by its causes (as `anyhow`
/// prints one), so that `fn main() -> Result<(), Error>` shows the advice.
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status (or a `200` carrying the
    /// error envelope): see [`ApiError`] for the codes and what to do.
    Api(ApiError),
    /// The request never got an answer: connect, TLS, reset.
    Transport(TransportError),
    /// The connect or total timeout ran out.
    Timeout(TransportError),
    /// An answer that is not what the contract documents.
    InvalidResponse(InvalidResponse),
    /// The service answered with a redirect; API calls never follow one.
    Redirect(RedirectError),
    /// The body was larger than the client's cap and was not read.
    #[non_exhaustive]
    BodyTooLarge {
        /// The operation.
        operation: Operation,
        /// The HTTP status.
        status: u16,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The input was rejected before anything was sent.
    InvalidInput(String),
    /// This machine failed before anything was sent: the OS random source,
    /// TLS set-up, or building the HTTP client.
    Setup(SetupError),
    /// A call of the `blocking` client was made from inside an async
    /// runtime (tokio), where blocking the thread would stall the runtime
    /// or panic. Nothing was sent: use the async [`crate::LoginClient`] there.
    BlockingInAsyncRuntime,
    /// The login callback ended the login without a code, or was not one.
    Callback(CallbackError),
    /// A notifier payload was refused.
    Notifier(PayloadRefused),
    /// The session file could not be kept or loaded.
    #[cfg(unix)]
    Store(StoreError),
    /// A [`TokenSource`](crate::token_source::TokenSource) has no valid
    /// token to hand out (none saved, or expired).
    #[cfg(unix)]
    Token(crate::token_source::TokenError),
    /// The redirect URI is not on this machine (`127.0.0.0/8`, `localhost`,
    /// `[::1]`), so a listener here cannot receive the callback.
    NotLoopback(RedirectUri),
    /// A local listener could not be set up.
    #[non_exhaustive]
    Listen {
        /// Which listener.
        listener: Listener,
        /// The address it could not listen on, where one was tried (for
        /// `localhost`, each of `127.0.0.1` and `[::1]`: a browser
        /// connecting to the other would not reach this listener, and
        /// whatever holds it could receive what was meant for it).
        address: Option<SocketAddr>,
        /// Why.
        source: std::io::Error,
    },
    /// What was awaited did not come in time.
    #[non_exhaustive]
    TimedOut {
        /// What was awaited.
        waiting_for: Waiting,
        /// How long was waited.
        after: Duration,
    },
}

/// A local listener of the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Listener {
    /// The login callback's (`loopback::CallbackServer`).
    LoginCallback,
    /// The indie-user notifier's (`webhook::NotifierServer`).
    NotifierWebhook,
    /// The simulated Upstox (`simulator::Simulator`).
    Simulator,
}

/// What a wait was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Waiting {
    /// The browser's redirect back with the login's code.
    LoginCallback,
    /// Upstox's POST of an approved indie-user token.
    NotifierPayload,
    /// Another program's login, holding the session's lock.
    SessionLock,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(e) => e.fmt(f),
            Error::Transport(e) => write!(f, "could not reach Upstox for `{}`", e.operation),
            Error::Timeout(e) => {
                write!(f, "Upstox did not answer `{}` in time", e.operation)?;
                if e.operation.spends_code() {
                    f.write_str("; the code may be spent: start a new login, do not resend it")?;
                }
                Ok(())
            }
            Error::InvalidResponse(e) => e.fmt(f),
            Error::Redirect(e) => e.fmt(f),
            Error::BodyTooLarge {
                operation,
                status,
                limit,
            } => write!(
                f,
                "Upstox answered `{operation}` with HTTP {status} and a body over {limit} bytes; \
                 not read"
            ),
            Error::InvalidInput(m) => write!(f, "invalid input, nothing was sent: {m}"),
            Error::Setup(e) => write!(f, "{e}; nothing was sent"),
            Error::BlockingInAsyncRuntime => f.write_str(
                "a blocking call was made from inside an async runtime, where it would stall \
                 it; use the async LoginClient there; nothing was sent",
            ),
            Error::Callback(e) => e.fmt(f),
            Error::Notifier(e) => e.fmt(f),
            #[cfg(unix)]
            Error::Store(e) => e.fmt(f),
            #[cfg(unix)]
            Error::Token(e) => e.fmt(f),
            Error::NotLoopback(uri) => write!(
                f,
                "the redirect URI {uri} is not on this machine; a loopback login needs one such \
                 as http://127.0.0.1:5055/callback (registered with the app)"
            ),
            Error::Listen {
                listener,
                address,
                source,
            } => {
                f.write_str("could not listen for ")?;
                f.write_str(match listener {
                    Listener::LoginCallback => "the login callback",
                    Listener::NotifierWebhook => "the notifier webhook",
                    Listener::Simulator => "the simulated Upstox",
                })?;
                if let Some(address) = address {
                    write!(f, " on {address}")?;
                }
                match source.kind() {
                    std::io::ErrorKind::AddrInUse => f.write_str(
                        ": the address is in use by another program, which could receive what \
                         was meant for this one; stop it or use another port",
                    ),
                    std::io::ErrorKind::PermissionDenied => f.write_str(": permission denied"),
                    _ => Ok(()),
                }
            }
            Error::TimedOut { waiting_for, after } => match waiting_for {
                Waiting::LoginCallback => write!(
                    f,
                    "no login callback arrived within {after:?}; was the login finished in the \
                     browser?"
                ),
                Waiting::NotifierPayload => write!(
                    f,
                    "no notifier payload for this app arrived within {after:?}; was the request \
                     approved?"
                ),
                Waiting::SessionLock => write!(
                    f,
                    "another program held the session's lock for over {after:?}"
                ),
            },
        }
    }
}

/// The `Display`, then each cause on a line of its own.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)?;
        let mut source = std::error::Error::source(self);
        if source.is_some() {
            f.write_str("\n\nCaused by:")?;
        }
        while let Some(cause) = source {
            write!(f, "\n    {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    /// The cause of the part this error shows (whose own text is this
    /// error's `Display`, so it is not repeated).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) | Error::Timeout(e) => std::error::Error::source(e),
            Error::Setup(e) => std::error::Error::source(e),
            #[cfg(unix)]
            Error::Store(e) => std::error::Error::source(e),
            #[cfg(unix)]
            Error::Token(e) => std::error::Error::source(e),
            Error::Listen { source, .. } => Some(source),
            Error::Notifier(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

impl From<InvalidRedirectUri> for Error {
    fn from(e: InvalidRedirectUri) -> Self {
        Error::InvalidInput(e.to_string())
    }
}

impl From<CallbackError> for Error {
    fn from(e: CallbackError) -> Self {
        Error::Callback(e)
    }
}

impl From<PayloadRefused> for Error {
    fn from(e: PayloadRefused) -> Self {
        Error::Notifier(e)
    }
}

#[cfg(unix)]
impl From<crate::token_source::TokenError> for Error {
    fn from(e: crate::token_source::TokenError) -> Self {
        Error::Token(e)
    }
}

#[cfg(unix)]
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

impl Error {
    #[cfg(any(feature = "loopback", feature = "webhook"))]
    pub(crate) fn listen(
        listener: Listener,
        address: Option<SocketAddr>,
        source: std::io::Error,
    ) -> Self {
        Error::Listen {
            listener,
            address,
            source,
        }
    }

    /// The HTTP status, where there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::InvalidResponse(e) => Some(e.status),
            Error::Redirect(e) => Some(e.status),
            Error::BodyTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The operation whose call failed, where one was made.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Error::Api(e) => Some(e.operation),
            Error::Transport(e) | Error::Timeout(e) => Some(e.operation),
            Error::InvalidResponse(e) => Some(e.operation),
            Error::Redirect(e) => Some(e.operation),
            Error::BodyTooLarge { operation, .. } => Some(*operation),
            _ => None,
        }
    }

    /// The first Upstox error code of the answer, if any.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.codes().into_iter().next()
    }

    /// The Upstox error codes of the answer, first first (empty when there
    /// was no error envelope).
    pub fn codes(&self) -> Vec<&ErrorCode> {
        match self {
            Error::Api(e) => e.codes().collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the answer carried this Upstox error code.
    pub fn has_code(&self, code: &ErrorCode) -> bool {
        self.codes().contains(&code)
    }
}
