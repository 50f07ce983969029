//! Errors: what the service said, what went wrong on the way, and what was
//! wrong before anything was sent.
//!
//! Every failure of the public API is an [`Error`]. No variant carries a
//! secret: bodies kept for diagnosis have the secrets sent in the call, and
//! the values of secret-named JSON fields, replaced by `[redacted]`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::secret::InvalidRedirectUri;

/// The largest response body the client reads; larger ones are refused.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
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
    Redirect {
        /// The HTTP status (3xx).
        status: u16,
        /// The `Location` header, if any.
        location: Option<String>,
    },
    /// The body was larger than the client's cap and was not read.
    BodyTooLarge {
        /// The HTTP status.
        status: u16,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The input was rejected before anything was sent.
    InvalidInput(String),
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
                location.as_deref().unwrap_or("(no Location)")
            ),
            Error::BodyTooLarge { status, limit } => {
                write!(
                    f,
                    "Upstox answered {status} with a body over {limit} bytes; not read"
                )
            }
            Error::InvalidInput(m) => write!(f, "invalid input, nothing was sent: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) | Error::Timeout(e) => Some(&e.0),
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
        f.write_str(&inner)?;
        let mut source = std::error::Error::source(&self.0);
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

/// The service's answer to a failed call.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// Every entry of the error envelope (empty when the body was not one).
    pub errors: Vec<ApiErrorEntry>,
    /// What the body was.
    pub body_kind: BodyKind,
    /// The body as received, with secrets redacted.
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
                BodyKind::JavaException { message: Some(m) } => write!(f, ": {m}")?,
                BodyKind::Empty => f.write_str(" and no body")?,
                BodyKind::Other { content_type } => write!(
                    f,
                    " and a {} body",
                    content_type.as_deref().unwrap_or("untyped")
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
                write!(f, "{m}")?;
            }
        }
        if let Some(advice) = self.advice() {
            write!(f, " ({advice})")?;
        }
        Ok(())
    }
}

/// An answer that does not match the contract.
#[derive(Debug, Clone)]
pub struct InvalidResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// At most [`EXCERPT_BYTES`] of the body (lossy UTF-8, secrets redacted).
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
            self.reason,
            self.body_len,
            self.content_type.as_deref().unwrap_or("no content type"),
            self.excerpt
        )
    }
}

/// An Upstox error code: the ones in the contract by name, any other kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `UDAPI1017`: the API key is required.
    ApiKeyRequired,
    /// `UDAPI1018`: the redirect URI is required.
    RedirectUriRequired,
    /// `UDAPI1022`: the code is required.
    CodeRequired,
    /// `UDAPI1023`: the grant type is required.
    GrantTypeRequired,
    /// `UDAPI1024`: the app secret is required.
    SecretRequired,
    /// `UDAPI100016`: invalid credentials.
    InvalidCredentials,
    /// `UDAPI100068`: client id and redirect URI do not match.
    RedirectUriMismatch,
    /// `UDAPI100069`: wrong client id, client secret or code.
    InvalidCodeOrCredentials,
    /// `UDAPI100050`: invalid token (expired or revoked).
    InvalidToken,
    /// `UDAPI100067`: not permitted with an extended token.
    ExtendedTokenNotPermitted,
    /// `UDAPI100073`: the client id is inactive.
    ClientInactive,
    /// `UDAPI100015`: API version missing (legacy).
    ApiVersionMissing,
    /// `UDAPI10005`: too many requests.
    TooManyRequests,
    /// `UDAPI100060`: resource not found.
    NotFound,
    /// `UDAPI10000`: request not supported.
    NotSupported,
    /// `UDAPI100500`: internal error.
    Internal,
    /// Any other code, as sent.
    Other(String),
}

const CODES: &[(&str, ErrorCode)] = &[
    ("UDAPI1017", ErrorCode::ApiKeyRequired),
    ("UDAPI1018", ErrorCode::RedirectUriRequired),
    ("UDAPI1022", ErrorCode::CodeRequired),
    ("UDAPI1023", ErrorCode::GrantTypeRequired),
    ("UDAPI1024", ErrorCode::SecretRequired),
    ("UDAPI100016", ErrorCode::InvalidCredentials),
    ("UDAPI100068", ErrorCode::RedirectUriMismatch),
    ("UDAPI100069", ErrorCode::InvalidCodeOrCredentials),
    ("UDAPI100050", ErrorCode::InvalidToken),
    ("UDAPI100067", ErrorCode::ExtendedTokenNotPermitted),
    ("UDAPI100073", ErrorCode::ClientInactive),
    ("UDAPI100015", ErrorCode::ApiVersionMissing),
    ("UDAPI10005", ErrorCode::TooManyRequests),
    ("UDAPI100060", ErrorCode::NotFound),
    ("UDAPI10000", ErrorCode::NotSupported),
    ("UDAPI100500", ErrorCode::Internal),
];

impl ErrorCode {
    /// Parses a code as sent; unknown codes are kept in [`ErrorCode::Other`].
    pub fn parse(code: &str) -> Self {
        CODES
            .iter()
            .find(|(s, _)| *s == code)
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| ErrorCode::Other(code.to_string()))
    }

    /// The code as sent (`UDAPI100069`).
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Other(s) => s,
            known => CODES
                .iter()
                .find(|(_, c)| c == known)
                .map(|(s, _)| *s)
                .unwrap_or(""),
        }
    }

    /// What a person should do about it.
    pub fn advice(&self) -> Option<&'static str> {
        Some(match self {
            ErrorCode::InvalidCodeOrCredentials => {
                "the code, client id or client secret is wrong; the code is now spent, \
                 so start a new login"
            }
            ErrorCode::InvalidToken => {
                "the access token expired (at 03:30 IST) or was revoked: log in again"
            }
            ErrorCode::RedirectUriMismatch => {
                "the redirect URI does not match the one registered for this client id, exactly"
            }
            ErrorCode::InvalidCredentials => {
                "invalid credentials: check the client id, the redirect URI (exactly as \
                 registered) and response_type"
            }
            ErrorCode::ExtendedTokenNotPermitted => {
                "this API needs the access token, not the extended token"
            }
            ErrorCode::ClientInactive => {
                "this client id is inactive: check the app in the developer console"
            }
            ErrorCode::ApiVersionMissing => "the Api-Version header is missing",
            ErrorCode::TooManyRequests => "too many requests: slow down and retry later",
            ErrorCode::ApiKeyRequired => "the client id (API key) is missing",
            ErrorCode::RedirectUriRequired => "the redirect URI is missing",
            ErrorCode::CodeRequired => "the authorization code is missing",
            ErrorCode::GrantTypeRequired => "the grant type is missing",
            ErrorCode::SecretRequired => "the client secret is missing",
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The gateway's error envelope: `{"status": "error", "errors": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorEnvelope {
    /// `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// One entry or more.
    #[serde(default, deserialize_with = "nullable_vec")]
    pub errors: Vec<ApiErrorEntry>,
}

fn nullable_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// One entry of the error envelope. Either spelling of each field is
/// accepted (snake_case wins when both are sent); it serializes as snake_case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ApiErrorEntry {
    /// The code, for example `UDAPI100069`.
    #[schemars(with = "Option<String>")]
    pub error_code: Option<ErrorCode>,
    /// A human-readable message.
    pub message: Option<String>,
    /// The request field at fault, if any.
    pub property_path: Option<String>,
    /// The offending value: any JSON value.
    pub invalid_value: Option<serde_json::Value>,
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ApiErrorEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            error_code: Option<serde_json::Value>,
            #[serde(rename = "errorCode")]
            error_code_camel: Option<serde_json::Value>,
            message: Option<serde_json::Value>,
            property_path: Option<serde_json::Value>,
            #[serde(rename = "propertyPath")]
            property_path_camel: Option<serde_json::Value>,
            invalid_value: Option<serde_json::Value>,
            #[serde(rename = "invalidValue")]
            invalid_value_camel: Option<serde_json::Value>,
        }
        fn text(v: Option<serde_json::Value>) -> Option<String> {
            match v? {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                other => Some(other.to_string()),
            }
        }
        fn either(
            a: Option<serde_json::Value>,
            b: Option<serde_json::Value>,
        ) -> Option<serde_json::Value> {
            match a {
                Some(serde_json::Value::Null) | None => b.filter(|v| !v.is_null()),
                some => some,
            }
        }
        let w = Wire::deserialize(d)?;
        Ok(ApiErrorEntry {
            error_code: text(either(w.error_code, w.error_code_camel))
                .map(|c| ErrorCode::parse(&c)),
            message: text(w.message),
            property_path: text(either(w.property_path, w.property_path_camel)),
            invalid_value: either(w.invalid_value, w.invalid_value_camel),
        })
    }
}

/// A serialised Java exception, as logout's `401` can carry.
#[derive(Deserialize)]
pub(crate) struct JavaException {
    pub(crate) message: Option<String>,
    #[serde(rename = "localizedMessage")]
    pub(crate) localized_message: Option<String>,
    #[serde(rename = "stackTrace")]
    pub(crate) stack_trace: Option<serde_json::Value>,
}

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
            CallbackError::Malformed(m) => write!(f, "the callback is not a valid URL: {m}"),
            CallbackError::Denied { error, description } => {
                write!(f, "the login was refused: {error}")?;
                if let Some(d) = description {
                    write!(f, " ({d})")?;
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
