//! The body the exec hook reads, handed to the generated code's decoding.
//!
//! Every call's answer is read by the exec hook (with the body cap) before
//! the generated code sees it. The `lean-send-futures` code transform makes
//! the generated `send` decode that body with [`decode`] instead of awaiting
//! progenitor's `ResponseValue::from_response`, which would read it a second
//! time through a large future. In a call of the facade the body is in the
//! call's context ([`crate::client::kept_body`]); a call of the generated
//! client made directly carries it on the response, as [`BufferedBody`].

use bytes::Bytes;
use progenitor_client::{Error, ResponseValue};

/// The body as the exec hook read it, carried in the extensions of the
/// response it hands on.
#[derive(Clone, Debug)]
pub(crate) struct BufferedBody(pub(crate) Kept);

/// What the exec hook kept of a body.
#[derive(Clone, Debug)]
pub(crate) enum Kept {
    /// The whole body.
    Body(Bytes),
    /// Nothing: the body was over this many bytes and was not read.
    TooLarge(usize),
}

/// The body of a response whose body was over the cap: reading it is an
/// error (once), so that a direct user of the generated client streaming it
/// or reading an unexpected answer learns it was not read, instead of
/// getting an empty body.
pub(crate) struct TooLarge(Option<usize>);

impl TooLarge {
    pub(crate) fn new(limit: usize) -> Self {
        TooLarge(Some(limit))
    }
}

impl futures_core::Stream for TooLarge {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.take().map(|limit| Err(too_large(limit))))
    }
}

fn too_large(limit: usize) -> std::io::Error {
    std::io::Error::other(format!(
        "the answer's body is over the {limit}-byte limit and was not read"
    ))
}

/// What `ResponseValue::from_response` does, on the body already read: the
/// status and headers kept, the body decoded as JSON, a body that is not `T`
/// reported as `InvalidResponsePayload` with its bytes.
// The result type of `ResponseValue::from_response`, which it replaces.
#[allow(clippy::result_large_err)]
pub(crate) fn decode<T: serde::de::DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let kept = match crate::client::kept_body() {
        Some(body) => Some(body),
        None => match response.extensions_mut().remove::<BufferedBody>() {
            Some(BufferedBody(Kept::Body(body))) => Some(body),
            Some(BufferedBody(Kept::TooLarge(limit))) => {
                return Err(Error::Custom(too_large(limit).to_string()));
            }
            None => None,
        },
    };
    let Some(body) = kept else {
        // Only the exec hook makes the responses the generated code sees,
        // and it always keeps the body: this is a bug, not an answer.
        return Err(Error::Custom(
            "internal error: the answer's body was not kept by the exec hook".into(),
        ));
    };
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    match serde_json::from_slice(&body) {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(e) => Err(Error::InvalidResponsePayload(body, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &'static str, kept: bool) -> reqwest::Response {
        let mut r = http::Response::builder()
            .status(status)
            .header("x-seen", "1")
            .body(body)
            .expect("a valid response");
        if kept {
            r.extensions_mut()
                .insert(BufferedBody(Kept::Body(Bytes::from_static(
                    body.as_bytes(),
                ))));
        }
        reqwest::Response::from(r)
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Answer {
        data: bool,
    }

    #[test]
    fn decodes_the_kept_body_with_status_and_headers() {
        let value = decode::<Answer, ()>(response(201, r#"{"data":true}"#, true)).expect("decodes");
        assert_eq!(value.status().as_u16(), 201);
        assert_eq!(value.headers()["x-seen"], "1");
        assert_eq!(value.into_inner(), Answer { data: true });
    }

    #[test]
    fn a_body_that_is_not_the_type_keeps_its_bytes() {
        match decode::<Answer, ()>(response(200, "<html>", true)) {
            Err(Error::InvalidResponsePayload(bytes, _)) => assert_eq!(&bytes[..], b"<html>"),
            other => panic!("expected InvalidResponsePayload, got {other:?}"),
        }
    }

    /// The `lean-send-futures` transform exists to keep each call's future
    /// small: the facade boxes it, and glibc serves blocks up to about 1 KB
    /// from a per-thread cache, larger ones from the locked, slower path.
    /// Before the transform these were 1,672 to 1,832 bytes.
    #[test]
    fn generated_call_futures_stay_small() {
        let client = crate::LoginClient::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .expect("a client");
        let generated = client.generated();
        let sizes = [
            (
                "authorize",
                std::mem::size_of_val(&generated.authorize().send()),
            ),
            ("token", std::mem::size_of_val(&generated.token().send())),
            ("logout", std::mem::size_of_val(&generated.logout().send())),
            (
                "init_token_request_for_indie_user",
                std::mem::size_of_val(&generated.init_token_request_for_indie_user().send()),
            ),
        ];
        for (operation, size) in sizes {
            assert!(size <= 1000, "{operation}: the send future is {size} bytes");
        }
    }

    #[test]
    fn a_response_without_a_kept_body_is_an_error_not_an_empty_body() {
        match decode::<Answer, ()>(response(200, r#"{"data":true}"#, false)) {
            Err(Error::Custom(m)) => assert!(m.contains("not kept"), "{m}"),
            other => panic!("expected Custom, got {other:?}"),
        }
    }
}
