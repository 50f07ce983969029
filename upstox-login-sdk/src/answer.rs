//! Turning what a generated call returned, and what its exec hook saw of the
//! answer, into a result or a typed error: one pure function, [`answer`],
//! that tests call without a server.

use progenitor_client::ResponseValue;

use crate::call::Seen;
use crate::error::{ApiError, BodyKind, Error, InvalidResponse, JavaException, TransportError};
use crate::generated::types;
use crate::redact::Redactor;
use crate::ErrorEnvelope;

/// What a generated call returns.
pub(crate) type Outcome<T> = Result<ResponseValue<T>, progenitor_client::Error<ErrorEnvelope>>;

/// A success type, which can say whether a decoded answer is plainly a
/// success. One that is not is searched for the error envelope (a `200`
/// that carries `{"status": "error", "errors": [..]}` is an error).
pub(crate) trait Success {
    fn plainly_success(&self) -> bool;
}

impl Success for types::TokenResponse {
    fn plainly_success(&self) -> bool {
        self.access_token
            .as_ref()
            .is_some_and(|t| !t.secret().is_empty())
    }
}

impl Success for types::LogoutResponse {
    fn plainly_success(&self) -> bool {
        self.status.as_deref() != Some("error") && self.data.is_some()
    }
}

impl Success for types::ProfileResponse {
    fn plainly_success(&self) -> bool {
        self.status.as_deref() != Some("error") && self.data.is_some()
    }
}

impl Success for types::IndieUserInitTokenResponse {
    fn plainly_success(&self) -> bool {
        self.status.as_deref() != Some("error") && self.data.is_some()
    }
}

/// The decoded answer of `operation`, or the error it amounts to. `seen` is
/// what the exec hook saw (default when the call never got an answer);
/// `redactor` knows the secrets the call sent.
pub(crate) fn answer<T: Success>(
    operation: &'static str,
    outcome: Outcome<T>,
    seen: &Seen,
    redactor: &Redactor,
) -> Result<T, Error> {
    let value = match outcome {
        Ok(value) => value.into_inner(),
        Err(e) => return Err(failure(operation, e, seen, redactor)),
    };
    if let Some(reason) = unasked_encoding(seen) {
        return Err(invalid(operation, seen, reason, redactor));
    }
    if !value.plainly_success() {
        if let Some(api) = envelope_in_success(operation, seen, redactor) {
            return Err(Error::Api(api));
        }
    }
    Ok(value)
}

/// An answer that decoded but cannot be used, for `reason`.
pub(crate) fn invalid(
    operation: &'static str,
    seen: &Seen,
    reason: String,
    redactor: &Redactor,
) -> Error {
    Error::InvalidResponse(InvalidResponse {
        status: seen.status,
        content_type: seen.content_type(),
        excerpt: redactor.excerpt(&seen.body),
        body_len: seen.body.len(),
        reason,
        operation,
    })
}

/// The client asks for no `Content-Encoding` (it sends no `Accept-Encoding`
/// and decodes none), so a success body that claims one is not the JSON it
/// may look like: refuse it rather than guess.
fn unasked_encoding(seen: &Seen) -> Option<String> {
    let encoding = seen.content_encoding()?;
    let encoding = encoding.trim();
    if encoding.is_empty() || encoding.eq_ignore_ascii_case("identity") {
        return None;
    }
    Some(format!(
        "the body claims `Content-Encoding: {encoding}`, which was not asked for and is not decoded"
    ))
}

fn envelope_in_success(
    operation: &'static str,
    seen: &Seen,
    redactor: &Redactor,
) -> Option<ApiError> {
    let envelope: ErrorEnvelope = serde_json::from_slice(&seen.body).ok()?;
    if envelope.errors.is_empty() && envelope.status.as_deref() != Some("error") {
        return None;
    }
    Some(api_error(operation, seen.status, envelope, seen, redactor))
}

fn api_error(
    operation: &'static str,
    status: u16,
    envelope: ErrorEnvelope,
    seen: &Seen,
    redactor: &Redactor,
) -> ApiError {
    ApiError {
        status,
        errors: redactor.entries(envelope.errors),
        body_kind: BodyKind::Envelope,
        body: redactor.text(&seen.body),
        operation,
    }
}

fn failure(
    operation: &'static str,
    error: progenitor_client::Error<ErrorEnvelope>,
    seen: &Seen,
    redactor: &Redactor,
) -> Error {
    use progenitor_client::Error as G;
    if seen.too_large {
        return Error::BodyTooLarge {
            status: seen.status,
            limit: seen.limit,
        };
    }
    match error {
        G::CommunicationError(e) | G::ResponseBodyError(e) | G::InvalidUpgrade(e) => {
            if e.is_timeout() {
                Error::Timeout(TransportError(e))
            } else {
                Error::Transport(TransportError(e))
            }
        }
        G::InvalidRequest(m) => Error::InvalidInput(m),
        // Not made by this crate's hooks; if progenitor ever makes one, it
        // is after the answer came, so never "nothing was sent".
        G::Custom(reason) => invalid(operation, seen, reason, redactor),
        G::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let envelope = value.into_inner();
            if envelope.errors.is_empty() {
                return without_envelope(operation, status, seen, redactor);
            }
            Error::Api(api_error(operation, status, envelope, seen, redactor))
        }
        G::InvalidResponsePayload(_, e) => {
            if (400..600).contains(&seen.status) {
                return without_envelope(operation, seen.status, seen, redactor);
            }
            // serde's message can quote a value of the body.
            let reason =
                unasked_encoding(seen).unwrap_or_else(|| redactor.text(e.to_string().as_bytes()));
            invalid(operation, seen, reason, redactor)
        }
        G::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                // A Location can echo what was sent (a code, say).
                return Error::Redirect {
                    status,
                    location: seen.location().map(|l| redactor.location(&l)),
                };
            }
            let reason = format!("status {status} is not documented for `{operation}`");
            invalid(operation, seen, reason, redactor)
        }
    }
}

/// An error status whose body is not the envelope: a Java exception, an
/// HTML page from the CDN, plain text, or nothing.
fn without_envelope(
    operation: &'static str,
    status: u16,
    seen: &Seen,
    redactor: &Redactor,
) -> Error {
    let body = &seen.body;
    let body_kind = if body.iter().all(u8::is_ascii_whitespace) {
        BodyKind::Empty
    } else if let Some(java) = serde_json::from_slice::<JavaException>(body)
        .ok()
        .filter(|j| j.stack_trace.is_some() || j.localized_message.is_some())
    {
        BodyKind::JavaException {
            message: java
                .message
                .or(java.localized_message)
                .map(|m| redactor.field(&m)),
        }
    } else {
        BodyKind::Other {
            content_type: seen.content_type(),
        }
    };
    Error::Api(ApiError {
        status,
        errors: Vec::new(),
        body_kind,
        body: redactor.text(body),
        operation,
    })
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // progenitor's error type, as the generated calls return it
mod tests {
    use super::*;
    use bytes::Bytes;
    use reqwest::header::{HeaderMap, HeaderValue};
    use reqwest::StatusCode;

    fn seen(status: u16, body: &'static str) -> Seen {
        Seen {
            status,
            content_type: Some(HeaderValue::from_static("application/json")),
            body: Bytes::from_static(body.as_bytes()),
            limit: 1024,
            ..Seen::default()
        }
    }

    fn logout(status: Option<&str>, data: Option<bool>) -> Outcome<types::LogoutResponse> {
        Ok(ResponseValue::new(
            types::LogoutResponse {
                status: status.map(str::to_owned),
                data,
            },
            StatusCode::OK,
            HeaderMap::new(),
        ))
    }

    #[test]
    fn a_plain_success_is_the_decoded_answer() {
        let seen = seen(200, r#"{"status":"success","data":true}"#);
        let value = answer(
            "logout",
            logout(Some("success"), Some(true)),
            &seen,
            &Redactor::new(&[]),
        );
        assert_eq!(value.expect("a success").data, Some(true));
    }

    #[test]
    fn an_envelope_in_a_200_is_an_api_error_with_the_redacted_body() {
        let seen = seen(
            200,
            r#"{"status":"error","errors":[{"error_code":"UDAPI100050","message":"t0ken is bad"}]}"#,
        );
        let redactor_secrets = ["t0ken"];
        let redactor = Redactor::new(&redactor_secrets);
        match answer("logout", logout(Some("error"), None), &seen, &redactor) {
            Err(Error::Api(api)) => {
                assert_eq!((api.status, api.operation), (200, "logout"));
                assert_eq!(api.code().map(|c| c.as_str()), Some("UDAPI100050"));
                assert_eq!(api.errors[0].message.as_deref(), Some("[redacted] is bad"));
                assert!(!api.body.contains("t0ken"), "{}", api.body);
            }
            other => panic!("expected an API error, got {other:?}"),
        }
    }

    #[test]
    fn an_answer_over_the_cap_is_body_too_large_whatever_decoding_said() {
        let seen = Seen {
            status: 401,
            too_large: true,
            limit: 10,
            ..Seen::default()
        };
        let outcome: Outcome<types::LogoutResponse> =
            Err(progenitor_client::Error::InvalidRequest("x".into()));
        assert!(matches!(
            answer("logout", outcome, &seen, &Redactor::new(&[])),
            Err(Error::BodyTooLarge {
                status: 401,
                limit: 10
            })
        ));
    }

    #[test]
    fn an_undecodable_error_body_is_an_api_error_of_its_kind() {
        let java = r#"{"message":"Bearer x","localizedMessage":"Bearer x","stackTrace":[]}"#;
        let outcome: Outcome<types::LogoutResponse> =
            Err(progenitor_client::Error::InvalidResponsePayload(
                Bytes::from_static(b"{"),
                serde_json::from_slice::<()>(b"{").unwrap_err(),
            ));
        let seen_java = seen(401, java);
        match answer("logout", outcome, &seen_java, &Redactor::new(&[])) {
            Err(Error::Api(api)) => {
                assert_eq!(api.status, 401);
                assert_eq!(
                    api.body_kind,
                    BodyKind::JavaException {
                        message: Some("Bearer x".into())
                    }
                );
            }
            other => panic!("expected an API error, got {other:?}"),
        }
    }

    /// `Custom` is never made before the request is sent: it is reported as
    /// an answer that could not be used, with what was seen of it, and never
    /// as rejected input.
    #[test]
    fn a_custom_error_is_an_invalid_response_not_invalid_input() {
        let seen = seen(200, "{\"code\":\"c0de\"}");
        let secrets = ["c0de"];
        let outcome: Outcome<types::TokenResponse> =
            Err(progenitor_client::Error::Custom("not kept".into()));
        match answer("token", outcome, &seen, &Redactor::new(&secrets)) {
            Err(Error::InvalidResponse(r)) => {
                assert_eq!((r.status, r.operation), (200, "token"));
                assert_eq!(r.reason, "not kept");
                assert_eq!(r.excerpt, r#"{"code":"[redacted]"}"#);
            }
            other => panic!("expected InvalidResponse, got {other:?}"),
        }
    }
}
