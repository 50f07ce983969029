//! The checks every simulated endpoint makes of a request before answering
//! it: the route, the headers of a v2 call, the content type, and the query
//! or form fields.

use std::collections::HashMap;

use super::{usual_status, Endpoint};
use crate::serve::Request;
use crate::ErrorCode;

pub(super) const DIALOG: &str = "/v2/login/authorization/dialog";
const TOKEN: &str = "/v2/login/authorization/token";
const LOGOUT: &str = "/v2/logout";
const PROFILE: &str = "/v2/user/profile";
pub(super) const INDIE: &str = "/v3/login/auth/token/request/";

/// Why a request is refused: answered as Upstox's error envelope.
pub(super) struct Refusal {
    pub(super) status: u16,
    pub(super) code: ErrorCode,
    pub(super) reason: String,
}

pub(super) fn refuse(code: ErrorCode, reason: impl Into<String>) -> Refusal {
    Refusal {
        status: usual_status(&code),
        code,
        reason: reason.into(),
    }
}

/// Which operation a request is for: an unknown path is 404, a known path
/// with another method 405.
pub(super) fn route(request: &Request) -> Result<Endpoint, Refusal> {
    let path = request.path();
    let (endpoint, method) = match path {
        DIALOG => (Endpoint::Authorize, "GET"),
        TOKEN => (Endpoint::Token, "POST"),
        LOGOUT => (Endpoint::Logout, "DELETE"),
        PROFILE => (Endpoint::Profile, "GET"),
        _ if path
            .strip_prefix(INDIE)
            .is_some_and(|id| !id.is_empty() && !id.contains('/')) =>
        {
            (Endpoint::IndieRequest, "POST")
        }
        _ => {
            return Err(refuse(
                ErrorCode::NotFound,
                format!("no such path {path:?} (paths are case-sensitive)"),
            ))
        }
    };
    if request.method != method {
        return Err(Refusal {
            status: 405,
            code: ErrorCode::NotSupported,
            reason: format!("{path} takes {method}, not {}", request.method),
        });
    }
    Ok(endpoint)
}

/// `Api-Version: 2.0` and `Accept: application/json`, as on every v2 call.
pub(super) fn v2_headers(request: &Request) -> Result<(), Refusal> {
    match request.header("api-version") {
        Some("2.0") if request.header_count("api-version") == 1 => {}
        Some(_) => {
            return Err(refuse(
                ErrorCode::ApiVersionMissing,
                "Api-Version is not exactly one `2.0`",
            ))
        }
        None => {
            return Err(refuse(
                ErrorCode::ApiVersionMissing,
                "the Api-Version: 2.0 header is missing",
            ))
        }
    }
    accepts_json(request)
}

/// `Accept` lists `application/json` itself: the media type of one of its
/// entries, parameters aside (`application/jsonp` is another type).
pub(super) fn accepts_json(request: &Request) -> Result<(), Refusal> {
    let listed = |accept: &str| {
        accept.split(',').any(|entry| {
            entry
                .split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        })
    };
    match request.header("accept") {
        Some(accept) if listed(accept) => Ok(()),
        other => Err(Refusal {
            status: 406,
            code: ErrorCode::NotSupported,
            reason: format!("Accept is {other:?}; the answer is application/json"),
        }),
    }
}

/// No `Transfer-Encoding`: the contract's calls send their bodies with a
/// `Content-Length` (as both official SDKs and this one do), and a client
/// that streams a chunked body has drifted from them.
pub(super) fn not_chunked(request: &Request) -> Result<(), Refusal> {
    match request.header("transfer-encoding") {
        None => Ok(()),
        Some(encoding) => Err(refuse(
            ErrorCode::NotSupported,
            format!(
                "the body is sent with Transfer-Encoding {encoding:?}; the contract's calls \
                 send a Content-Length"
            ),
        )),
    }
}

/// The token of `Authorization: Bearer <token>`.
pub(super) fn bearer(request: &Request) -> Result<&str, Refusal> {
    request
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            refuse(
                ErrorCode::InvalidToken,
                "no `Authorization: Bearer <access token>` header",
            )
        })
}

pub(super) fn content_type(request: &Request, expected: &str) -> Result<(), Refusal> {
    match request.header("content-type") {
        Some(t)
            if t.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(expected)) =>
        {
            Ok(())
        }
        other => Err(refuse(
            ErrorCode::NotSupported,
            format!("Content-Type is {other:?}, not {expected}"),
        )),
    }
}

/// A query or form, each name at most once and known.
pub(super) fn params(encoded: &str, known: &[&str]) -> Result<HashMap<String, String>, Refusal> {
    let mut out = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(encoded.as_bytes()) {
        if !known.contains(&name.as_ref()) {
            return Err(refuse(
                ErrorCode::NotSupported,
                format!("{name:?} is not a field of this call"),
            ));
        }
        if out.insert(name.to_string(), value.into_owned()).is_some() {
            return Err(refuse(
                ErrorCode::NotSupported,
                format!("{name:?} is sent more than once"),
            ));
        }
    }
    Ok(out)
}

pub(super) fn required<'a>(
    params: &'a HashMap<String, String>,
    name: &str,
    code: ErrorCode,
) -> Result<&'a str, Refusal> {
    match params.get(name) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(refuse(code, format!("{name} is missing or empty"))),
    }
}

pub(super) fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
