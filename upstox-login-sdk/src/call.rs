//! What one client of the generated code is held to, and what its calls saw:
//! progenitor's inner type.
//!
//! A leaf module: the generated code names [`CallContext`], so nothing here
//! may name the generated code (no import circle).

use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use reqwest::header::HeaderValue;

use crate::operation::Operation;

/// The largest response body read by default; larger ones are refused.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The inner value of a [`generated::Client`](crate::generated::Client): the
/// body cap its exec hook reads answers under, and the last answer it saw.
///
/// [`LoginClient`](crate::LoginClient) makes a generated client with a fresh
/// context for each call, so that what the hook saw is that call's answer.
#[derive(Debug)]
pub struct CallContext {
    max_body_bytes: usize,
    /// The facade's operation for this call; `None` for a client of
    /// [`LoginClient::generated`](crate::LoginClient::generated).
    operation: Option<Operation>,
    seen: Mutex<Option<Seen>>,
}

impl CallContext {
    /// A context whose calls read at most `max_body_bytes` of an answer.
    pub fn new(max_body_bytes: usize) -> Self {
        CallContext {
            max_body_bytes,
            operation: None,
            seen: Mutex::new(None),
        }
    }

    /// The context of one facade call of `operation`.
    pub(crate) fn for_call(max_body_bytes: usize, operation: Operation) -> Self {
        CallContext {
            operation: Some(operation),
            ..CallContext::new(max_body_bytes)
        }
    }

    /// The facade's operation, when a facade call made this context.
    pub(crate) fn operation(&self) -> Option<Operation> {
        self.operation
    }

    /// The body cap, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    pub(crate) fn record(&self, seen: Seen) {
        // A panic while the lock was held cannot leave a half-written value
        // (it is replaced whole), so a poisoned lock is used as is.
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(seen);
    }

    /// What the exec hook saw of the last answer, taken out.
    pub(crate) fn take_seen(&self) -> Option<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// A clone holds the same cap and has seen nothing yet: a clone of a
/// generated client is a client of its own.
impl Clone for CallContext {
    fn clone(&self) -> Self {
        CallContext {
            operation: self.operation,
            ..CallContext::new(self.max_body_bytes)
        }
    }
}

impl Default for CallContext {
    fn default() -> Self {
        CallContext::new(DEFAULT_MAX_BODY_BYTES)
    }
}

/// What the exec hook saw of an answer: enough to type any failure, however
/// far decoding got. Header values are kept as received.
#[derive(Debug, Default, Clone)]
pub(crate) struct Seen {
    pub(crate) status: u16,
    pub(crate) content_encoding: Option<HeaderValue>,
    pub(crate) location: Option<HeaderValue>,
    /// The body as read; empty when it was over the cap.
    pub(crate) body: Bytes,
    /// The body was over the cap and was not read.
    pub(crate) too_large: bool,
    /// The cap it was read under.
    pub(crate) limit: usize,
}

impl Seen {
    pub(crate) fn content_encoding(&self) -> Option<String> {
        header_text(self.content_encoding.as_ref())
    }

    pub(crate) fn location(&self) -> Option<String> {
        header_text(self.location.as_ref())
    }
}

fn header_text(value: Option<&HeaderValue>) -> Option<String> {
    value.map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}
