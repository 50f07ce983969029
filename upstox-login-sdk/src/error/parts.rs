//! The parts of [`Error`](super::Error) that describe a call's failure:
//! the transport's, the machine's, and the answer's (what the service said,
//! an answer off the contract, a redirect). Each shows only chosen parts;
//! what was received stays behind accessors (see [the module](super)).

use std::fmt;

use bytes::Bytes;

use crate::envelope::{ApiErrorEntry, ErrorCode};
use crate::operation::Operation;

/// A transport failure (connect, TLS, reset, timeout) of one operation.
/// Its cause, through `source()`, is reqwest's error without the URL.
pub struct TransportError {
    pub(crate) operation: Operation,
    pub(crate) error: reqwest::Error,
}

impl TransportError {
    pub(crate) fn new(operation: Operation, error: reqwest::Error) -> Self {
        TransportError {
            operation,
            error: error.without_url(),
        }
    }

    /// Whether the connection could not be made at all.
    pub fn is_connect(&self) -> bool {
        self.error.is_connect()
    }

    /// The operation.
    pub fn operation(&self) -> Operation {
        self.operation
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("operation", &self.operation)
            .field("connect", &self.error.is_connect())
            .field("timeout", &self.error.is_timeout())
            .finish()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the `{}` call failed on the way", self.operation)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
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
        f.write_str(self.what)
    }
}

impl std::error::Error for SetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// The service's answer to a failed call.
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The operation that failed.
    pub operation: Operation,
    pub(crate) entries: Vec<ApiErrorEntry>,
    /// The first entry's message as it may be shown (see [the module](super)).
    pub(crate) message: Option<String>,
    pub(crate) body_kind: BodyKind,
    pub(crate) body: Bytes,
}

/// What an error body turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyKind {
    /// The gateway's `{status, errors}` envelope.
    Envelope,
    /// A serialised Java exception (seen on logout's `401`).
    JavaException,
    /// No body at all.
    Empty,
    /// Anything else (an HTML page from the CDN, plain text, other JSON).
    Other,
}

impl ApiError {
    /// The first error code, if any.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.codes().next()
    }

    /// Every error code, first first.
    pub fn codes(&self) -> impl Iterator<Item = &ErrorCode> {
        self.entries.iter().filter_map(|e| e.error_code.as_ref())
    }

    /// The first entry's message, as this error shows it: bounded,
    /// printable, without the secrets sent or any run that could be a token.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// What the body was.
    pub fn body_kind(&self) -> BodyKind {
        self.body_kind
    }

    /// The entries of the error envelope as received (empty when the body
    /// was not one). They may hold what the server echoed of the request,
    /// secrets included (an `invalid_value`, say): do not log them.
    pub fn entries(&self) -> &[ApiErrorEntry] {
        &self.entries
    }

    /// The body as received. It may hold what the server echoed of the
    /// request, secrets included, and control characters: do not log it,
    /// and print it only through [`terminal::escape`](crate::terminal::escape).
    pub fn raw_body(&self) -> &[u8] {
        &self.body
    }

    /// Advice for a person, from the first known error code or the status.
    pub fn advice(&self) -> Option<&'static str> {
        // The code's advice speaks of a spent code; a call that sends none
        // can only have had the wrong client id or secret.
        if !self.operation.spends_code()
            && self.code() == Some(&ErrorCode::InvalidCodeOrCredentials)
        {
            return Some("the client id or client secret is wrong");
        }
        if let Some(advice) = self.codes().find_map(ErrorCode::advice) {
            return Some(advice);
        }
        match self.status {
            401 => Some("the token is missing, expired (at 03:30 IST) or revoked: log in again"),
            429 => Some("too many requests: slow down and retry later"),
            500..=599 if self.operation.spends_code() => Some(
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
        let codes: Vec<&str> = self
            .codes()
            .map(ErrorCode::as_str)
            .filter(|c| ErrorCode::is_upstox_shaped(c))
            .collect();
        if !codes.is_empty() {
            write!(f, ": {}", codes.join(", "))?;
        }
        if let Some(message) = &self.message {
            write!(f, " \"{message}\"")?;
        }
        if let Some(advice) = self.advice() {
            write!(f, " ({advice})")?;
        }
        Ok(())
    }
}

/// As `Display`, with the body's kind and length: never the body.
impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("codes", &self.codes().collect::<Vec<_>>())
            .field("message", &self.message)
            .field("body_kind", &self.body_kind)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl std::error::Error for ApiError {}

/// An answer that does not match the contract.
#[derive(Clone)]
#[non_exhaustive]
pub struct InvalidResponse {
    /// The HTTP status.
    pub status: u16,
    /// The operation.
    pub operation: Operation,
    /// Why it could not be used, in the crate's words.
    pub reason: &'static str,
    pub(crate) body: Bytes,
}

impl InvalidResponse {
    /// The body as received. It may hold what the server echoed of the
    /// request, secrets included: do not log it.
    pub fn raw_body(&self) -> &[u8] {
        &self.body
    }
}

impl fmt::Display for InvalidResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Upstox answered `{}` with HTTP {} and a body of {} bytes that cannot be used: {}",
            self.operation,
            self.status,
            self.body.len(),
            self.reason
        )
    }
}

/// As `Display`: never the body.
impl fmt::Debug for InvalidResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvalidResponse")
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("reason", &self.reason)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl std::error::Error for InvalidResponse {}

/// A redirect where an API answer was expected.
#[derive(Clone)]
#[non_exhaustive]
pub struct RedirectError {
    /// The HTTP status (3xx).
    pub status: u16,
    /// The operation.
    pub operation: Operation,
    pub(crate) location: Option<String>,
}

impl RedirectError {
    /// The `Location` header as received. It may echo what was sent (a
    /// code in its query, say): do not log it.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }
}

impl fmt::Display for RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Upstox answered `{}` with a redirect (HTTP {}); API calls never follow redirects \
             (is the base URL right?)",
            self.operation, self.status
        )
    }
}

/// As `Display`: never the `Location`.
impl fmt::Debug for RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedirectError")
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("has_location", &self.location.is_some())
            .finish()
    }
}

impl std::error::Error for RedirectError {}
