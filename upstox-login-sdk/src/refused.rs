//! [`PayloadRefused`]: why a notifier payload was refused, the one type for
//! every refusal, from a body that is not JSON to a token that belongs to
//! another account.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::expiry::format_ist;
use crate::Error;

/// Why a notifier payload was not trusted. Holds no token.
#[derive(Debug)]
#[non_exhaustive]
pub enum PayloadRefused {
    /// The body is not the expected JSON object (what is wrong, never the
    /// body).
    Malformed(String),
    /// The payload names another app, or none.
    ClientIdMismatch,
    /// The token is missing, blank, or holds white space or control
    /// characters (no call was made).
    UnusableToken,
    /// `expires_at` is sent but is not epoch milliseconds.
    UnreadableExpiry,
    /// The token's expiry is already past.
    Expired {
        /// When it expired.
        expires_at: SystemTime,
    },
    /// The token claims to live past the next 03:30 IST, which no Upstox
    /// access token does.
    ExpiresTooLate {
        /// The claimed expiry.
        expires_at: SystemTime,
        /// The latest a token can expire: the next 03:30 IST after now.
        latest: SystemTime,
    },
    /// No account to check the token against: none expected, and the
    /// payload names none.
    NoUserId,
    /// The payload claims another account than the expected one (no call
    /// was made).
    ClaimsOtherAccount {
        /// The expected user id.
        expected: String,
        /// The one the payload claims.
        claimed: String,
    },
    /// The profile call failed: [`ErrorCode::InvalidToken`](crate::ErrorCode::InvalidToken)
    /// (`UDAPI100050`) for a token that is expired, revoked or made up.
    Unverified(Box<Error>),
    /// The profile call did not answer in time.
    TimedOut(Duration),
    /// The token is real, but belongs to another account.
    OtherAccount {
        /// The expected user id.
        expected: String,
        /// The one the profile names, if any.
        actual: Option<String>,
    },
}

impl fmt::Display for PayloadRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::terminal::escape;
        match self {
            PayloadRefused::Malformed(m) => write!(f, "the notifier payload is malformed: {m}"),
            PayloadRefused::ClientIdMismatch => {
                f.write_str("the notifier payload is for another client id")
            }
            PayloadRefused::UnusableToken => f.write_str(
                "the notifier payload's token is missing, blank or holds white space or \
                 control characters",
            ),
            PayloadRefused::UnreadableExpiry => {
                f.write_str("the notifier payload's expires_at is not epoch milliseconds")
            }
            PayloadRefused::Expired { expires_at } => write!(
                f,
                "the notifier payload's token expired at {}",
                format_ist(*expires_at)
            ),
            PayloadRefused::ExpiresTooLate { expires_at, latest } => write!(
                f,
                "the notifier payload's token claims to expire at {}, after the next 03:30 IST \
                 ({}), which no Upstox token does",
                format_ist(*expires_at),
                format_ist(*latest)
            ),
            PayloadRefused::NoUserId => f.write_str(
                "the notifier payload names no user id and none is expected: nothing to check \
                 the token against",
            ),
            PayloadRefused::ClaimsOtherAccount { expected, claimed } => write!(
                f,
                "the notifier payload claims user id {}, not the expected {}",
                escape(claimed),
                escape(expected)
            ),
            PayloadRefused::Unverified(_) => {
                f.write_str("the notifier payload's token did not verify")
            }
            PayloadRefused::TimedOut(d) => {
                write!(f, "verifying the notifier payload's token took over {d:?}")
            }
            PayloadRefused::OtherAccount { expected, actual } => write!(
                f,
                "the notifier payload's token belongs to {}, not the expected {}",
                escape(actual.as_deref().unwrap_or("an account with no user id")),
                escape(expected)
            ),
        }
    }
}

impl std::error::Error for PayloadRefused {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PayloadRefused::Unverified(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}
