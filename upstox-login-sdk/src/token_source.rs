//! The current token for programs that run all day.
//!
//! A program started yesterday must not keep yesterday's token: every token
//! dies at 03:30 IST. [`TokenSource::token`] reads the session file again
//! whenever it has been replaced (a cheap `metadata` call compares its
//! identity and modification time), so the morning's new session is picked
//! up without a restart, and fails with [`TokenError::Expired`] rather than
//! hand out a dead token.
//!
//! ```no_run
//! use upstox_login_sdk::store::SessionFile;
//! use upstox_login_sdk::token_source::TokenSource;
//!
//! let tokens = TokenSource::new(SessionFile::new("/home/me/.config/upstox-login/default.json"));
//! // before each call to Upstox:
//! match tokens.token() {
//!     Ok(token) => { /* Authorization: Bearer {token.secret()} */ }
//!     Err(e) => eprintln!("{e}"), // expired, or no session yet: run the morning login
//! }
//! ```

use std::fmt;
use std::fs;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use crate::expiry::format_ist;
use crate::store::{SessionFile, StoreError};
use crate::{AccessToken, Session};

/// A cheap, cloneable handle on the session file's current token.
#[derive(Debug, Clone)]
pub struct TokenSource {
    file: SessionFile,
    cached: Arc<Mutex<Option<(Stamp, Session)>>>,
}

/// What tells one file at the path from another: a save renames a new file
/// over the path, which changes its identity (and its modification time).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    #[cfg(unix)]
    dev_ino: (u64, u64),
    modified: Option<SystemTime>,
    len: u64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Self {
        Stamp {
            #[cfg(unix)]
            dev_ino: {
                use std::os::unix::fs::MetadataExt;
                (meta.dev(), meta.ino())
            },
            modified: meta.modified().ok(),
            len: meta.len(),
        }
    }
}

/// Why there is no token to hand out.
#[derive(Debug)]
#[non_exhaustive]
pub enum TokenError {
    /// No session has been saved at the path.
    NoSession(std::path::PathBuf),
    /// The saved session has expired.
    Expired {
        /// When it expired.
        at: SystemTime,
    },
    /// The file could not be read as a session.
    Store(StoreError),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::NoSession(path) => {
                write!(f, "no session is saved at {}; log in first", path.display())
            }
            TokenError::Expired { at } => write!(
                f,
                "the saved session expired at {}; log in again",
                format_ist(*at)
            ),
            TokenError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TokenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Transparent: its Display is the store error's.
            TokenError::Store(e) => e.source(),
            _ => None,
        }
    }
}

impl TokenSource {
    /// A source reading `file`. Nothing is read until [`token`](Self::token).
    pub fn new(file: SessionFile) -> Self {
        Self {
            file,
            cached: Arc::new(Mutex::new(None)),
        }
    }

    /// The session file.
    pub fn file(&self) -> &SessionFile {
        &self.file
    }

    /// The current session's access token, if it has not expired.
    pub fn token(&self) -> Result<AccessToken, TokenError> {
        self.token_at(SystemTime::now())
    }

    /// [`token`](Self::token) as of `now`.
    pub fn token_at(&self, now: SystemTime) -> Result<AccessToken, TokenError> {
        let session = self.session()?;
        if session.is_expired_at(now) {
            return Err(TokenError::Expired {
                at: session.expires_at(),
            });
        }
        Ok(session.access_token().clone())
    }

    /// The current session, expired or not, read again when the file has
    /// been replaced since the last read.
    pub fn session(&self) -> Result<Session, TokenError> {
        let no_session = || TokenError::NoSession(self.file.path().to_path_buf());
        let stamp = match fs::symlink_metadata(self.file.path()) {
            Ok(meta) => Stamp::of(&meta),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                *self.lock() = None;
                return Err(no_session());
            }
            // `load` says why, in the store's words.
            Err(_) => return self.reload(None),
        };
        if let Some((seen, session)) = &*self.lock() {
            if *seen == stamp {
                return Ok(session.clone());
            }
        }
        self.reload(Some(stamp))
    }

    fn reload(&self, stamp: Option<Stamp>) -> Result<Session, TokenError> {
        let loaded = self.file.load().map_err(TokenError::Store)?;
        let Some(session) = loaded else {
            *self.lock() = None;
            return Err(TokenError::NoSession(self.file.path().to_path_buf()));
        };
        // A file replaced between the stamp and the read is read again next time.
        *self.lock() = stamp.map(|s| (s, session.clone()));
        Ok(session)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Stamp, Session)>> {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
