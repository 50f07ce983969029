//! The hooks every call of the generated client goes through, whoever makes
//! it: the request's last touches, and one capped read of the answer.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::ResponseBuilderExt;

use crate::call::{CallContext, Seen};
use crate::generated;

impl ClientHooks<CallContext> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let headers = request.headers_mut();
        // progenitor adds `api-version` to every call; the v3 call must not
        // carry it. The facade says which call this is: no spec text is matched.
        if self
            .inner()
            .operation()
            .is_some_and(|op| !op.sends_api_version())
        {
            headers.remove("api-version");
        }
        // Kept out of reqwest's and hyper's own debug output.
        if let Some(value) = headers.get_mut(reqwest::header::AUTHORIZATION) {
            value.set_sensitive(true);
        }
        Ok(())
    }

    /// Sends the request and reads the answer's body once, at most the
    /// context's cap. The generated code then decodes a response rebuilt
    /// over those bytes; a body over the cap is not read, and reading the
    /// rebuilt one fails with [`BodyOverCap`].
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        // For logs only: the facade's name, else the spec's operation id.
        let operation = self
            .inner()
            .operation()
            .map_or(info.operation_id, |op| op.name());
        // Method and path only: a query or header could carry a secret.
        let method = request.method().clone();
        let path = request.url().path().to_owned();
        let started = Instant::now();
        tracing::trace!(operation, %method, %path, "sending");
        let answered = async {
            let mut response = self.client().execute(request).await?;
            let limit = self.inner().max_body_bytes();
            let body = read_capped(&mut response, limit).await?;
            Ok((response, body, limit))
        }
        .await;
        let (response, body, limit) = match answered {
            Ok(answered) => answered,
            Err(e) => {
                tracing::debug!(operation, %method, %path, error = %e, "failed");
                return Err(e);
            }
        };
        let status = response.status();
        tracing::debug!(
            operation,
            %method,
            %path,
            status = status.as_u16(),
            body_bytes = body.as_ref().map_or(0, Bytes::len),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "answered"
        );
        let headers = response.headers();
        self.inner().record(Seen {
            status: status.as_u16(),
            content_encoding: headers.get(reqwest::header::CONTENT_ENCODING).cloned(),
            location: headers.get(reqwest::header::LOCATION).cloned(),
            body: body.clone().unwrap_or_default(),
            too_large: body.is_none(),
            limit,
        });
        Ok(rebuilt(response, body, limit))
    }
}

/// The body, read chunk by chunk; `None` when it is over `limit` bytes (by
/// its `Content-Length` or as it arrives), so that a huge answer is never
/// buffered whole.
async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
) -> reqwest::Result<Option<Bytes>> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(None);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

/// The response as it came (status, version, URL, headers) over the body
/// already read, or over one that fails to read when it was over the cap.
fn rebuilt(
    mut response: reqwest::Response,
    body: Option<Bytes>,
    limit: usize,
) -> reqwest::Response {
    let status = response.status();
    let head = http::Response::builder()
        .status(status)
        .version(response.version())
        .url(response.url().clone())
        .body(())
        // Cannot fail (status and version came from a response); never panic.
        .unwrap_or_else(|_| http::Response::new(()));
    let body = match body {
        Some(bytes) => reqwest::Body::from(bytes),
        None => {
            reqwest::Body::wrap_stream(futures_util::stream::iter([Err::<Bytes, _>(BodyOverCap {
                status: status.as_u16(),
                limit,
            })]))
        }
    };
    let mut rebuilt = head.map(|()| body);
    *rebuilt.status_mut() = status;
    *rebuilt.headers_mut() = std::mem::take(response.headers_mut());
    reqwest::Response::from(rebuilt)
}

/// Why the body of an answer over the cap cannot be read: what a direct
/// user of the generated client finds in the source of its
/// `ResponseBodyError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyOverCap {
    /// The answer's HTTP status.
    pub status: u16,
    /// The cap, in bytes.
    pub limit: usize,
}

impl std::fmt::Display for BodyOverCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the answer's body (HTTP {}) is over the {}-byte limit and was not read",
            self.status, self.limit
        )
    }
}

impl std::error::Error for BodyOverCap {}
