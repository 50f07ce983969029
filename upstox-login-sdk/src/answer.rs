//! Turning what a generated call returned, and what its exec hook saw of the
//! answer, into a result or a typed error: one pure function, [`answer`],
//! that tests call without a server.

use progenitor_client::ResponseValue;

use crate::call::Seen;
use crate::error::{ApiError, BodyKind, Error, InvalidResponse, RedirectError, TransportError};
use crate::generated::types;
use crate::operation::Operation;
use crate::redact::Redactor;
use crate::{ApiErrorEntry, ErrorEnvelope};

/// What a generated call returns.
pub(crate) type Outcome<T> = Result<ResponseValue<T>, progenitor_client::Error<ErrorEnvelope>>;

/// A success type: whether its body says `"status": "error"` (then it is an
/// error, whatever else it carries), and whether it is plainly a success.
/// One that is not is searched for the error envelope.
pub(crate) trait Success {
    fn says_error(&self) -> bool;
    fn plainly_success(&self) -> bool;
}

fn is_error_status(status: Option<&str>) -> bool {
    status == Some("error")
}

impl Success for types::TokenResponse {
    fn says_error(&self) -> bool {
        // `status` is no field of a token answer: it is kept among the unknown ones.
        self.extra.get("status").and_then(|v| v.as_str()) == Some("error")
    }

    fn plainly_success(&self) -> bool {
        self.access_token
            .as_ref()
            .is_some_and(|t| !t.secret().is_empty())
    }
}

impl Success for types::LogoutResponse {
    fn says_error(&self) -> bool {
        is_error_status(self.status.as_deref())
    }

    fn plainly_success(&self) -> bool {
        self.data.is_some()
    }
}

impl Success for types::IndieUserInitTokenResponse {
    fn says_error(&self) -> bool {
        is_error_status(self.status.as_deref())
    }

    fn plainly_success(&self) -> bool {
        self.data.is_some()
    }
}

/// The decoded answer of `operation`, or the error it amounts to. `seen` is
/// what the exec hook saw (default when the call never got an answer);
/// `redactor` knows the secrets the call sent.
pub(crate) fn answer<T: Success>(
    operation: Operation,
    outcome: Outcome<T>,
    seen: &Seen,
    redactor: &Redactor,
) -> Result<T, Error> {
    let value = match outcome {
        Ok(value) => value.into_inner(),
        Err(e) => return Err(failure(operation, e, seen, redactor)),
    };
    if unasked_encoding(seen) {
        return Err(invalid(operation, seen, UNASKED_ENCODING));
    }
    let says_error = value.says_error();
    if says_error || !value.plainly_success() {
        let envelope: ErrorEnvelope = serde_json::from_slice(&seen.body).unwrap_or_default();
        if says_error || !envelope.errors.is_empty() {
            return Err(Error::Api(api_error(
                operation,
                seen.status,
                envelope.errors,
                BodyKind::Envelope,
                seen,
                redactor,
            )));
        }
    }
    Ok(value)
}

/// An answer that decoded but cannot be used, for `reason` (the crate's
/// own words: nothing of the body).
pub(crate) fn invalid(operation: Operation, seen: &Seen, reason: &'static str) -> Error {
    Error::InvalidResponse(InvalidResponse {
        status: seen.status,
        operation,
        reason,
        body: seen.body.clone(),
    })
}

const UNASKED_ENCODING: &str =
    "the body claims a `Content-Encoding`, which was not asked for and is not decoded";

/// The client asks for no `Content-Encoding` (it sends no `Accept-Encoding`
/// and decodes none), so a success body that claims one is not the JSON it
/// may look like: refuse it rather than guess.
fn unasked_encoding(seen: &Seen) -> bool {
    seen.content_encoding().is_some_and(|encoding| {
        let encoding = encoding.trim();
        !encoding.is_empty() && !encoding.eq_ignore_ascii_case("identity")
    })
}

fn api_error(
    operation: Operation,
    status: u16,
    entries: Vec<ApiErrorEntry>,
    body_kind: BodyKind,
    seen: &Seen,
    redactor: &Redactor,
) -> ApiError {
    let message = entries
        .iter()
        .find_map(|e| e.message.as_deref())
        .and_then(|m| redactor.shown(m));
    ApiError {
        status,
        operation,
        entries,
        message,
        body_kind,
        body: seen.body.clone(),
    }
}

fn failure(
    operation: Operation,
    error: progenitor_client::Error<ErrorEnvelope>,
    seen: &Seen,
    redactor: &Redactor,
) -> Error {
    use progenitor_client::Error as G;
    if seen.too_large {
        return Error::BodyTooLarge {
            operation,
            status: seen.status,
            limit: seen.limit,
        };
    }
    match error {
        G::CommunicationError(e) | G::ResponseBodyError(e) | G::InvalidUpgrade(e) => {
            if e.is_timeout() {
                Error::Timeout(TransportError::new(operation, e))
            } else {
                Error::Transport(TransportError::new(operation, e))
            }
        }
        G::InvalidRequest(m) => Error::InvalidInput(m),
        // Not made by this crate's hooks; if progenitor ever makes one, it
        // is after the answer came, so never "nothing was sent".
        G::Custom(_) => invalid(operation, seen, "the answer could not be decoded"),
        G::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let envelope = value.into_inner();
            if envelope.errors.is_empty() {
                return without_envelope(operation, status, seen, redactor);
            }
            Error::Api(api_error(
                operation,
                status,
                envelope.errors,
                BodyKind::Envelope,
                seen,
                redactor,
            ))
        }
        G::InvalidResponsePayload(..) => {
            if (400..600).contains(&seen.status) {
                return without_envelope(operation, seen.status, seen, redactor);
            }
            if unasked_encoding(seen) {
                return invalid(operation, seen, UNASKED_ENCODING);
            }
            invalid(operation, seen, "the body is not the documented JSON")
        }
        G::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                return Error::Redirect(RedirectError {
                    status,
                    operation,
                    location: seen.location(),
                });
            }
            invalid(
                operation,
                seen,
                "the status is not one the contract documents",
            )
        }
    }
}

/// An error status whose body is not the envelope: a Java exception, an
/// HTML page from the CDN, plain text, or nothing.
fn without_envelope(operation: Operation, status: u16, seen: &Seen, redactor: &Redactor) -> Error {
    let body = &seen.body;
    let body_kind = if body.iter().all(u8::is_ascii_whitespace) {
        BodyKind::Empty
    } else if serde_json::from_slice::<crate::envelope::JavaException>(body)
        .is_ok_and(|j| j.stack_trace.is_some() || j.localized_message.is_some())
    {
        BodyKind::JavaException
    } else {
        BodyKind::Other
    };
    Error::Api(api_error(
        operation,
        status,
        Vec::new(),
        body_kind,
        seen,
        redactor,
    ))
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // progenitor's error type, as the generated calls return it
mod tests {
    use super::*;
    use bytes::Bytes;
    use reqwest::header::HeaderMap;
    use reqwest::StatusCode;

    fn seen(status: u16, body: &'static str) -> Seen {
        Seen {
            status,
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
            Operation::Logout,
            logout(Some("success"), Some(true)),
            &seen,
            &Redactor::new(&[]),
        );
        assert_eq!(value.expect("a success").data, Some(true));
    }

    #[test]
    fn an_envelope_in_a_200_is_an_api_error_showing_only_a_safe_message() {
        let seen = seen(
            200,
            r#"{"status":"error","errors":[{"error_code":"UDAPI100050","message":"t0ken is bad"}]}"#,
        );
        let redactor_secrets = ["t0ken"];
        let redactor = Redactor::new(&redactor_secrets);
        match answer(
            Operation::Logout,
            logout(Some("error"), None),
            &seen,
            &redactor,
        ) {
            Err(Error::Api(api)) => {
                assert_eq!((api.status, api.operation), (200, Operation::Logout));
                assert_eq!(api.code().map(|c| c.as_str()), Some("UDAPI100050"));
                assert_eq!(api.message(), Some("[redacted] is bad"));
                assert!(!api.to_string().contains("t0ken"), "{api}");
                assert!(!format!("{api:?}").contains("t0ken"), "{api:?}");
                // The raw body is there, for whoever asks for it.
                assert_eq!(api.raw_body(), seen.body.as_ref());
            }
            other => panic!("expected an API error, got {other:?}"),
        }
    }

    /// A body that says `"status": "error"` is an error even when it also
    /// carries what a success would (here, `data`).
    #[test]
    fn status_error_wins_over_a_success_field() {
        let seen = seen(
            200,
            r#"{"status":"error","data":true,"errors":[{"error_code":"UDAPI100050"}]}"#,
        );
        let got = answer(
            Operation::Logout,
            logout(Some("error"), Some(true)),
            &seen,
            &Redactor::new(&[]),
        );
        assert!(
            matches!(&got, Err(Error::Api(api)) if api.code().map(|c| c.as_str()) == Some("UDAPI100050")),
            "{got:?}"
        );
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
            answer(Operation::Logout, outcome, &seen, &Redactor::new(&[])),
            Err(Error::BodyTooLarge {
                status: 401,
                limit: 10,
                ..
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
        match answer(Operation::Logout, outcome, &seen_java, &Redactor::new(&[])) {
            Err(Error::Api(api)) => {
                assert_eq!(api.status, 401);
                assert_eq!(api.body_kind(), BodyKind::JavaException);
                assert_eq!(api.message(), None);
            }
            other => panic!("expected an API error, got {other:?}"),
        }
    }

    /// `Custom` is never made before the request is sent: it is reported as
    /// an answer that could not be used, and never as rejected input.
    #[test]
    fn a_custom_error_is_an_invalid_response_not_invalid_input() {
        let seen = seen(200, "{\"code\":\"c0de\"}");
        let outcome: Outcome<types::TokenResponse> =
            Err(progenitor_client::Error::Custom("c0de".into()));
        match answer(Operation::Token, outcome, &seen, &Redactor::new(&[])) {
            Err(Error::InvalidResponse(r)) => {
                assert_eq!((r.status, r.operation), (200, Operation::Token));
                assert!(!r.to_string().contains("c0de"), "{r}");
                assert!(!format!("{r:?}").contains("c0de"), "{r:?}");
            }
            other => panic!("expected InvalidResponse, got {other:?}"),
        }
    }
}
