//! What every subcommand starts from: the account, its credentials (or the
//! simulator), its session file, and whose session belongs there.

use upstox_login_sdk::expiry::format_ist;
use upstox_login_sdk::simulator::USER_ID as SIMULATED_USER;
use upstox_login_sdk::store::SessionFile;
use upstox_login_sdk::terminal::escape;
use upstox_login_sdk::Session;

use crate::cli::Common;
use crate::credentials::{self, Credentials};
use crate::place;

/// The account's context. Plain std: `token` and `status` use it too.
pub struct Context {
    pub account: String,
    /// `None`: simulated.
    pub credentials: Option<Credentials>,
    pub file: SessionFile,
}

impl Context {
    pub fn load(common: &Common) -> Result<Self, String> {
        place::check_account(&common.account)?;
        let folder = place::folder();
        let credentials = credentials::find(&common.account, folder.as_deref())?;
        let file = place::session_file(
            &common.account,
            common.session.as_deref(),
            credentials.is_none(),
        )?;
        Ok(Self {
            account: common.account.clone(),
            credentials,
            file,
        })
    }

    pub fn simulated(&self) -> bool {
        self.credentials.is_none()
    }

    /// Says on stderr that this run is simulated.
    pub fn label(&self) {
        if self.simulated() {
            eprintln!(
                "SIMULATED: no credentials (UPSTOX_CLIENT_ID, or {}), so this run uses a \
                 built-in simulated Upstox; its sessions are kept apart, in {}",
                place::folder()
                    .map(|f| f.join("config.json").display().to_string())
                    .unwrap_or_else(|| "a config file".into()),
                self.file.path().display()
            );
        }
    }

    /// The user whose sessions belong to this account, when known.
    pub fn expected_user(&self) -> Option<&str> {
        match &self.credentials {
            None => Some(SIMULATED_USER),
            Some(c) => c.user_id.as_deref(),
        }
    }

    /// The saved session (any expiry), refused when it is another user's.
    pub fn saved(&self) -> Result<Option<Session>, String> {
        let session = self.file.load().map_err(|e| e.to_string())?;
        if let Some(session) = &session {
            self.check_owner(session)?;
        }
        Ok(session)
    }

    /// A session of another user at this account's place is refused, and
    /// left as it is.
    pub fn check_owner(&self, session: &Session) -> Result<(), String> {
        match (self.expected_user(), session.user_id()) {
            (Some(expected), Some(found)) if expected != found => Err(format!(
                "{} holds a session of user {}, not of account {:?} ({}); nothing was \
                 changed (pass --session or --account for the right one)",
                self.file.path().display(),
                escape(found),
                self.account,
                escape(expected)
            )),
            _ => Ok(()),
        }
    }

    /// "user AB1234 (Name)".
    pub fn whose(session: &Session) -> String {
        let mut who = format!("user {}", escape(session.user_id().unwrap_or("?")));
        if let Some(name) = session.account().user_name() {
            who.push_str(&format!(" ({})", escape(name)));
        }
        who
    }

    pub fn until(session: &Session) -> String {
        format_ist(session.expires_at())
    }
}
