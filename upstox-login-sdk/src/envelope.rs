//! The gateway's error envelope and its error codes, as decoded from the
//! wire.
//!
//! A leaf module: the generated code names [`ErrorEnvelope`] and
//! [`ApiErrorEntry`] (they replace the spec's schemas, whose two spellings
//! of each field typify cannot generate), so nothing here may name the
//! generated code.

use std::fmt;

use serde::{Deserialize, Serialize};

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
    /// Whether `code` has the shape of Upstox's codes (`UDAPI` and one to
    /// ten digits): only such a code is shown by an error's `Display`.
    pub fn is_upstox_shaped(code: &str) -> bool {
        code.strip_prefix("UDAPI").is_some_and(|digits| {
            (1..=10).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        })
    }

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

/// The code as sent, escaped for a terminal (an unknown one can hold anything).
impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::terminal::escape(self.as_str()).fmt(f)
    }
}

/// The gateway's error envelope: `{"status": "error", "errors": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
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
#[non_exhaustive]
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
    #[serde(rename = "localizedMessage")]
    pub(crate) localized_message: Option<String>,
    #[serde(rename = "stackTrace")]
    pub(crate) stack_trace: Option<serde_json::Value>,
}
