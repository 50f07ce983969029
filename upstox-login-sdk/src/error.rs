//! Errors: what the service said, what went wrong on the way, and what was
//! wrong before anything was sent.
//!
//! Every failure of the public API is an [`Error`]. No variant carries a
//! secret: everything kept of an answer has the secrets sent in the call
//! replaced by `[redacted]` in every spelling (plain, percent and form
//! encoding, JSON escapes, HTML entities, base64); a body also has the
//! values of secret-named JSON fields, and every run of 16 or more
//! characters that could make up a token, replaced.
//!
//! Every `Display` here shows text that came from the network through
//! [`escape`]: no control character reaches a terminal that prints an error.

use std::fmt;

use crate::secret::InvalidRedirectUri;
use crate::terminal::escape;

pub use crate::call::DEFAULT_MAX_BODY_BYTES;
pub(crate) use crate::envelope::JavaException;
pub use crate::envelope::{ApiErrorEntry, ErrorCode, ErrorEnvelope};
/// How much of an undecodable body an error keeps.
pub const EXCERPT_BYTES: usize = 512;

/// Everything that can go wrong in a call.
#[derive(Debug)]
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
    #[non_exhaustive]
    Redirect {
        /// The HTTP status (3xx).
        status: u16,
        /// The `Location` header, if any.
        location: Option<String>,
    },
    /// The body was larger than the client's cap and was not read.
    #[non_exhaustive]
    BodyTooLarge {
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(e) => e.fmt(f),
            Error::Transport(e) => write!(f, "could not reach Upstox: {e}"),
            Error::Timeout(e) => write!(f, "Upstox did not answer in time: {e}"),
            Error::InvalidResponse(e) => e.fmt(f),
            Error::Redirect { status, location } => write!(
                f,
                "Upstox answered {status} redirecting to {}; API calls never follow redirects \
                 (is the base URL right?)",
                escape(location.as_deref().unwrap_or("(no Location)"))
            ),
            Error::BodyTooLarge { status, limit } => {
                write!(
                    f,
                    "Upstox answered {status} with a body over {limit} bytes; not read"
                )
            }
            Error::InvalidInput(m) => write!(f, "invalid input, nothing was sent: {m}"),
            Error::Setup(e) => write!(f, "{e}; nothing was sent"),
            Error::BlockingInAsyncRuntime => f.write_str(
                "a blocking call was made from inside an async runtime, where it would stall \
                 it; use the async LoginClient there; nothing was sent",
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) | Error::Timeout(e) => Some(&e.0),
            Error::Setup(e) => Some(e),
            _ => None,
        }
    }
}

impl From<InvalidRedirectUri> for Error {
    fn from(e: InvalidRedirectUri) -> Self {
        Error::InvalidInput(e.to_string())
    }
}

impl Error {
    /// The HTTP status, where there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::InvalidResponse(e) => Some(e.status),
            Error::Redirect { status, .. } | Error::BodyTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The Upstox error codes of the answer, first first (empty when there
    /// was no error envelope).
    pub fn codes(&self) -> Vec<&ErrorCode> {
        match self {
            Error::Api(e) => e
                .errors
                .iter()
                .filter_map(|x| x.error_code.as_ref())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the answer carried this Upstox error code.
    pub fn has_code(&self, code: &ErrorCode) -> bool {
        self.codes().contains(&code)
    }
}

/// A transport failure (connect, TLS, reset, timeout). Its text names the
/// URL's host and path, never a header or a body.
pub struct TransportError(pub(crate) reqwest::Error);

impl TransportError {
    /// Whether the connection could not be made at all.
    pub fn is_connect(&self) -> bool {
        self.0.is_connect()
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransportError({})", self)
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // reqwest's message plus its chain of causes, without the URL's query.
        let mut inner = self.0.to_string();
        if let Some(url) = self.0.url() {
            if let Some(q) = url.query() {
                inner = inner.replace(q, "[query]");
            }
        }
        write!(f, "{}", escape(&inner))?;
        let mut source = std::error::Error::source(&self.0);
        while let Some(s) = source {
            write!(f, ": {}", escape(&s.to_string()))?;
            source = s.source();
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// What failed on this machine before a call could be made.
#[derive(Debug)]
pub struct SetupError {
    what: &'static str,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl SetupError {
    pub(crate) fn new(
        what: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        SetupError {
            what,
            source: source.into(),
        }
    }
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.source)
    }
}

impl std::error::Error for SetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// The service's answer to a failed call.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// Every entry of the error envelope (empty when the body was not one).
    pub errors: Vec<ApiErrorEntry>,
    /// What the body was.
    pub body_kind: BodyKind,
    /// The body as received, redacted as described in [this module](self):
    /// its words and shape, no token-like run. Not escaped: print it
    /// through [`terminal::escape`](crate::terminal::escape).
    pub body: String,
    /// The operation that failed (`token`, `logout`, ...).
    pub operation: &'static str,
}

/// What an error body turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyKind {
    /// The gateway's `{status, errors}` envelope.
    Envelope,
    /// A serialised Java exception (seen on logout's `401`); `message` is its text.
    JavaException {
        /// The exception's message.
        message: Option<String>,
    },
    /// No body at all.
    Empty,
    /// Anything else (an HTML page from the CDN, plain text, other JSON).
    Other {
        /// The `Content-Type`, if any.
        content_type: Option<String>,
    },
}

impl ApiError {
    /// The first error code, if any.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.errors.iter().find_map(|e| e.error_code.as_ref())
    }

    /// Advice for a person, from the first known error code or the status.
    pub fn advice(&self) -> Option<&'static str> {
        if let Some(advice) = self
            .errors
            .iter()
            .filter_map(|e| e.error_code.as_ref())
            .find_map(ErrorCode::advice)
        {
            return Some(advice);
        }
        match self.status {
            401 => Some("the token is missing, expired (at 03:30 IST) or revoked: log in again"),
            429 => Some("too many requests: slow down and retry later"),
            500..=599 if self.operation == "token" => Some(
                "Upstox had a problem; the code may be spent: start a new login, do not resend it",
            ),
            500..=599 => Some("Upstox had a problem: try again later"),
            _ => None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Upstox refused `{}` with HTTP {}",
            self.operation, self.status
        )?;
        if self.errors.is_empty() {
            match &self.body_kind {
                BodyKind::JavaException { message: Some(m) } => write!(f, ": {}", escape(m))?,
                BodyKind::Empty => f.write_str(" and no body")?,
                BodyKind::Other { content_type } => write!(
                    f,
                    " and a {} body",
                    escape(content_type.as_deref().unwrap_or("untyped"))
                )?,
                _ => {}
            }
        }
        for (i, e) in self.errors.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            if let Some(code) = &e.error_code {
                write!(f, "{code}")?;
                if e.message.is_some() {
                    f.write_str(" ")?;
                }
            }
            if let Some(m) = &e.message {
                write!(f, "{}", escape(m))?;
            }
        }
        if let Some(advice) = self.advice() {
            write!(f, " ({advice})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// An answer that does not match the contract.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InvalidResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// At most [`EXCERPT_BYTES`] of the body (lossy UTF-8, redacted as an
    /// [`ApiError`]'s `body`).
    pub excerpt: String,
    /// The body's full length in bytes.
    pub body_len: usize,
    /// Why it could not be decoded.
    pub reason: String,
    /// The operation (`token`, `logout`, ...).
    pub operation: &'static str,
}

impl fmt::Display for InvalidResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Upstox answered `{}` with HTTP {} and a body that could not be decoded ({}; {} bytes of {}): {}",
            self.operation,
            self.status,
            escape(&self.reason),
            self.body_len,
            escape(self.content_type.as_deref().unwrap_or("no content type")),
            escape(&self.excerpt)
        )
    }
}

impl std::error::Error for InvalidResponse {}

/// Problems with the login callback (the redirect back to your app).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackError {
    /// The callback could not be parsed as a URL or query string.
    Malformed(String),
    /// Upstox sent back `error` (and maybe `error_description`) instead of a code.
    Denied {
        /// The `error` parameter.
        error: String,
        /// The `error_description` parameter, if any.
        description: Option<String>,
    },
    /// No `state` came back.
    MissingState,
    /// The `state` that came back is not the one sent: possibly a forged
    /// request. The received value is not kept.
    StateMismatch,
    /// The state matched but no `code` came back.
    MissingCode,
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallbackError::Malformed(m) => {
                write!(f, "the callback is not a valid URL: {}", escape(m))
            }
            CallbackError::Denied { error, description } => {
                write!(f, "the login was refused: {}", escape(error))?;
                if let Some(d) = description {
                    write!(f, " ({})", escape(d))?;
                }
                Ok(())
            }
            CallbackError::MissingState => {
                f.write_str("the callback carries no state; refusing it")
            }
            CallbackError::StateMismatch => f.write_str(
                "the callback's state does not match this login's; refusing it (possible forgery)",
            ),
            CallbackError::MissingCode => f.write_str("the callback carries no authorization code"),
        }
    }
}

impl std::error::Error for CallbackError {}
