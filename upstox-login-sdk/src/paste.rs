//! The paste login, for a browser on another device: the account holder
//! opens the authorization URL anywhere, and pastes back the URL the
//! browser was sent to. It is checked as the loopback listener checks a
//! callback: the redirect URI's scheme, host, port and path, then the state.

use std::fmt;

use crate::terminal::escape;
use crate::{AuthorizationCode, CallbackError, PendingLogin};

/// Why a pasted URL gives no code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasteError {
    /// Nothing was pasted (the input ended).
    Nothing,
    /// The text is not a URL.
    NotAUrl,
    /// The URL is not on the redirect URI (another scheme, host, port or
    /// path): not where Upstox sends this login's browser.
    OtherPlace {
        /// Where the pasted URL points (scheme, host, port, path), escaped.
        pasted: String,
        /// The redirect URI.
        expected: String,
    },
    /// The URL is on the redirect URI but is not this login's callback
    /// (the state), or Upstox refused the login (`error=`).
    Callback(CallbackError),
}

impl fmt::Display for PasteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasteError::Nothing => f.write_str("nothing was pasted; the login was not finished"),
            PasteError::NotAUrl => f.write_str(
                "the pasted text is not a URL; paste the whole address the browser shows \
                 after the login",
            ),
            PasteError::OtherPlace { pasted, expected } => write!(
                f,
                "the pasted URL points to {pasted}, not to the redirect URI {expected}; \
                 it is not this login's callback"
            ),
            PasteError::Callback(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for PasteError {}

impl From<PasteError> for crate::Error {
    fn from(e: PasteError) -> Self {
        match e {
            // Upstox's refusal, or a callback that is not this login's.
            PasteError::Callback(e) => crate::Error::Callback(e),
            // Nothing was sent: the code (if any) is unspent.
            other => crate::Error::InvalidInput(other.to_string()),
        }
    }
}

/// The code in the URL the browser was sent to, pasted as `text`, if it is
/// `login`'s callback: on its redirect URI, with its state. Nothing is sent.
pub fn code_from_pasted(login: &PendingLogin, text: &str) -> Result<AuthorizationCode, PasteError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(PasteError::Nothing);
    }
    let pasted = url::Url::parse(text).map_err(|_| PasteError::NotAUrl)?;
    let expected = login.redirect_uri().url();
    let place = |u: &url::Url| {
        (
            u.scheme().to_owned(),
            u.host_str().map(str::to_ascii_lowercase),
            u.port_or_known_default(),
            u.path().to_owned(),
        )
    };
    if place(&pasted) != place(expected) {
        let mut shown = pasted.clone();
        shown.set_query(None);
        shown.set_fragment(None);
        return Err(PasteError::OtherPlace {
            pasted: escape(shown.as_str()).to_string(),
            expected: expected.to_string(),
        });
    }
    login
        .code_from_callback(pasted.as_str())
        .map_err(PasteError::Callback)
}
