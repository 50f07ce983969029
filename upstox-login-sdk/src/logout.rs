//! What a logout answers.

use crate::generated::types;

/// The answer to a logout.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogoutOutcome {
    /// `status` as sent (`success`, `partial_success`, ...), if any.
    pub status: Option<String>,
    /// Whether the service says the token was revoked.
    pub revoked: bool,
}

impl LogoutOutcome {
    // Not a public `From`: the generated types may change with the spec.
    pub(crate) fn from_answer(r: types::LogoutResponse) -> Self {
        Self {
            revoked: r.data.unwrap_or(false),
            status: r.status,
        }
    }
}
