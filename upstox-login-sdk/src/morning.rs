//! The morning in one call: a session valid for at least a margin, from the
//! session file if it holds one, else from one login, one program at a time.
//!
//! [`MorningLogin::run`]:
//! 1. returns the saved session when it is valid for the margin, with no
//!    request ([`Outcome::Reused`]);
//! 2. checks the place ([`SessionFile::check`]) before any code is spent;
//! 3. takes an exclusive lock on a file beside the session file
//!    ([`lock_path`]): a second program waits (bounded by
//!    [`MorningLogin::wait`], else [`Error::TimedOut`] with
//!    [`Waiting::SessionLock`]) and then returns what the first saved
//!    ([`Outcome::WaitedForAnother`]). The OS releases the lock of a program
//!    that dies, so nothing deadlocks;
//! 4. logs in the [`LoginWay`] given (its listener, the callback's or the
//!    notifier's, bound only now: never for a reused session, and a second
//!    program on the same port waits instead of colliding), saves the
//!    session, and only then returns it ([`Outcome::LoggedIn`]).
//!
//! ```no_run
//! # async fn demo(app: upstox_login_sdk::App) -> Result<(), upstox_login_sdk::Error> {
//! use upstox_login_sdk::morning::{LoginWay, MorningLogin, Step};
//! use upstox_login_sdk::store::SessionFile;
//! use upstox_login_sdk::LoginClient;
//!
//! let client = LoginClient::new()?;
//! let file = SessionFile::new("/home/me/.config/upstox-login/default.json");
//! let morning = MorningLogin::new(&file, &app)
//!     .run(&client, LoginWay::Browser, |step| {
//!         if let Step::OpenUrl(url) = step {
//!             eprintln!("open {url}");
//!         }
//!     })
//!     .await?;
//! println!("{:?}: valid until {:?}", morning.outcome, morning.session.expires_at());
//! # Ok(()) }
//! ```

use std::fmt;
use std::io::BufRead;
use std::time::{Duration, SystemTime};

use crate::error::{Listener, SetupError, Waiting};
use crate::lock;
use crate::loopback::{CallbackServer, LoopbackEvent};
use crate::paste::code_from_pasted;
use crate::store::SessionFile;
use crate::webhook::{NotifierAddress, NotifierEvent};
use crate::{
    App, Error, ErrorCode, IndieTokenOptions, IndieTokenRequest, LoginClient, NotifierVerifier,
    Session,
};

pub use crate::lock::lock_path;

/// A saved session closer than this to its expiry is not reused, by default.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(10 * 60);
/// How long a login may take (the browser, the paste, the approval), by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// How the session was had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The saved session was valid: nothing was sent.
    Reused,
    /// This program logged in and saved the session.
    LoggedIn,
    /// Another program was logging in; this one waited and took what it saved.
    WaitedForAnother,
}

/// A session valid for the margin, and how it was had.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Morning {
    /// The session (saved in the file).
    pub session: Session,
    /// How it was had.
    pub outcome: Outcome,
}

/// How to log in when no saved session will do.
#[non_exhaustive]
pub enum LoginWay {
    /// The loopback browser login: a listener on the app's redirect URI
    /// (which must be on this machine), bound only once the lock is held.
    Browser,
    /// For a browser on another device: the URL to open is handed to the
    /// caller ([`Step::PasteUrl`]), and the URL the browser was sent to is
    /// read as one line from the reader (stdin, say), and checked as the
    /// listener checks a callback (redirect URI, then state).
    Paste(Box<dyn BufRead + Send>),
    /// The indie-user flow: a token request, approved by the account holder
    /// in the Upstox app, whose payload a receiver on `notifier` takes. It
    /// is bound only once the lock is held (so a second program on the same
    /// port waits rather than fails), and its URL told
    /// ([`Step::NotifierUrl`]) before the request is made.
    Indie {
        /// Where the receiver of the notifier POST listens.
        notifier: NotifierAddress,
        /// The request's options.
        options: IndieTokenOptions,
    },
}

impl fmt::Debug for LoginWay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginWay::Browser => f.write_str("Browser"),
            LoginWay::Paste(_) => f.write_str("Paste"),
            LoginWay::Indie { notifier, options } => f
                .debug_struct("Indie")
                .field("notifier", notifier)
                .field("options", options)
                .finish(),
        }
    }
}

/// What the call is doing, for the caller to show.
#[derive(Debug)]
#[non_exhaustive]
pub enum Step<'a> {
    /// Another program holds the lock (its process id, if known); waiting.
    Waiting {
        /// The holder's process id.
        holder: Option<u32>,
    },
    /// The browser login: open this URL; the listener waits for its callback.
    OpenUrl(&'a url::Url),
    /// The paste login: open this URL on any device, then paste where the
    /// browser was sent.
    PasteUrl(&'a url::Url),
    /// A request the callback listener ignored or rejected.
    Callback(LoopbackEvent),
    /// The indie-user flow's receiver listens at this URL (its real port):
    /// where the registered notifier URL must reach. Told before the
    /// request is made.
    NotifierUrl(&'a str),
    /// The indie-user request was accepted: the account holder approves it.
    IndieRequested(&'a IndieTokenRequest),
    /// A request the notifier receiver ignored or rejected.
    Notifier(NotifierEvent),
    /// The indie-user flow knows no account to expect (none given with
    /// [`MorningLogin::user_id`], no saved session naming one): the first
    /// payload whose token verifies as the account it names is trusted.
    NoExpectedAccount,
    /// The saved session's token was checked ([`MorningLogin::verify`]) and
    /// is not live (revoked, expired, made up, or another account's): a
    /// new login follows.
    SavedSessionDead(&'a Error),
}

/// The morning for one session file and app. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct MorningLogin<'a> {
    file: &'a SessionFile,
    app: &'a App,
    margin: Duration,
    wait: Duration,
    timeout: Duration,
    user_id: Option<String>,
    verify: bool,
}

impl<'a> MorningLogin<'a> {
    /// The morning for `file` and `app`, with the default margin (10 min),
    /// login timeout (5 min), and wait for another program (the timeout
    /// and one minute more).
    pub fn new(file: &'a SessionFile, app: &'a App) -> Self {
        Self {
            file,
            app,
            margin: DEFAULT_MARGIN,
            wait: DEFAULT_TIMEOUT + Duration::from_secs(60),
            timeout: DEFAULT_TIMEOUT,
            user_id: None,
            verify: false,
        }
    }

    /// The account (its UCC) a new indie-user session must belong to. Without
    /// it, the user id of the saved session, even an expired one; with
    /// neither, see [`Step::NoExpectedAccount`].
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// Whether a saved session's token is checked with one bounded
    /// [`LoginClient::profile`] call before it is reused (default: no, the
    /// clock alone). A token Upstox refuses (revoked by a logout or a login
    /// elsewhere) or of another account is then not reused: this logs in
    /// again ([`Step::SavedSessionDead`]).
    pub fn verify(mut self, verify: bool) -> Self {
        self.verify = verify;
        self
    }

    /// A saved session is reused only when valid for at least `margin` more.
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// How long to wait for another program's login.
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// How long this program's login may take.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The saved session, when valid for the margin. A file that is not a
    /// session is an error, and is never overwritten.
    pub fn saved(&self) -> Result<Option<Session>, Error> {
        Ok(self.file.load()?.filter(|s| !s.expires_within(self.margin)))
    }

    /// Returns a session valid for the margin, logging in `way` only when
    /// needed and when no other program is. Calls `on_step` at each step.
    pub async fn run(
        self,
        client: &LoginClient,
        way: LoginWay,
        mut on_step: impl FnMut(Step<'_>),
    ) -> Result<Morning, Error> {
        if let Some(session) = self.live(client, &mut on_step).await? {
            return Ok(Morning {
                session,
                outcome: Outcome::Reused,
            });
        }
        // Before any code is spent: the place must keep the session.
        self.file.check()?;
        let lock_file = lock_path(self.file.path());
        let (_lock, waited) = lock::acquire(&lock_file, self.wait, tokio::time::sleep, |holder| {
            on_step(Step::Waiting { holder })
        })
        .await?;
        // The program that held the lock may have saved a session.
        if let Some(session) = self.live(client, &mut on_step).await? {
            let outcome = if waited {
                Outcome::WaitedForAnother
            } else {
                Outcome::Reused
            };
            return Ok(Morning { session, outcome });
        }
        let session = self.log_in(client, way, &mut on_step).await?;
        self.file.save(&session)?;
        Ok(Morning {
            session,
            outcome: Outcome::LoggedIn,
        })
    }

    /// The saved session valid for the margin, and, when asked, live.
    async fn live(
        &self,
        client: &LoginClient,
        on_step: &mut impl FnMut(Step<'_>),
    ) -> Result<Option<Session>, Error> {
        let Some(session) = self.saved()? else {
            return Ok(None);
        };
        if !self.verify {
            return Ok(Some(session));
        }
        match check_live(client, &session).await {
            Ok(()) => Ok(Some(session)),
            Err(e) if is_dead(&e) => {
                on_step(Step::SavedSessionDead(&e));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn log_in(
        &self,
        client: &LoginClient,
        way: LoginWay,
        on_step: &mut impl FnMut(Step<'_>),
    ) -> Result<Session, Error> {
        let app = self.app;
        match way {
            LoginWay::Browser => {
                let server = CallbackServer::bind(app.redirect_uri()).await?;
                let pending = server.start_login(client, app)?;
                on_step(Step::OpenUrl(pending.url()));
                Ok(server
                    .complete_login_with(client, app, &pending, self.timeout, |event| {
                        on_step(Step::Callback(event))
                    })
                    .await?)
            }
            LoginWay::Paste(mut reader) => {
                let pending = client.start_login(app)?;
                on_step(Step::PasteUrl(pending.url()));
                // A std reader blocks: read it on the runtime's blocking pool.
                let read = tokio::task::spawn_blocking(move || {
                    let mut line = String::new();
                    reader.read_line(&mut line).map(|_| line)
                });
                let unreadable =
                    |e| Error::Setup(SetupError::new("could not read the pasted URL", e));
                let line = match tokio::time::timeout(self.timeout, read).await {
                    Err(_) => {
                        return Err(Error::TimedOut {
                            waiting_for: Waiting::LoginCallback,
                            after: self.timeout,
                        })
                    }
                    Ok(Err(join)) => return Err(unreadable(std::io::Error::other(join))),
                    Ok(Ok(read)) => read.map_err(unreadable)?,
                };
                let code = code_from_pasted(&pending, &line)?;
                Ok(client.exchange_code(app, code).await?)
            }
            LoginWay::Indie { notifier, options } => {
                // Bound under the lock, before anything is spent: a port another
                // program holds fails here, and the lock is released on return.
                let server = notifier.bind().await?;
                let url = server
                    .url()
                    .map_err(|e| Error::listen(Listener::NotifierWebhook, None, e))?;
                on_step(Step::NotifierUrl(&url));
                let expected = match &self.user_id {
                    Some(user_id) => Some(user_id.clone()),
                    None => self.file.load_user_id()?,
                };
                let mut verifier = NotifierVerifier::new(client.clone(), app.client_id().clone());
                match expected {
                    Some(user_id) => verifier = verifier.expected_user_id(user_id),
                    None => on_step(Step::NoExpectedAccount),
                }
                let request = client.request_indie_token(app, options).await?;
                on_step(Step::IndieRequested(&request));
                // The wait ends with the request: no payload comes after it lapses.
                let timeout = request
                    .expires_at()
                    .and_then(|at| at.duration_since(SystemTime::now()).ok())
                    .map_or(self.timeout, |left| left.min(self.timeout));
                Ok(server
                    .wait_for_session_with(&verifier, timeout, |event| {
                        on_step(Step::Notifier(event))
                    })
                    .await?)
            }
        }
    }

    /// [`run`](Self::run) for programs without an async runtime, on the
    /// blocking client's own runtime.
    #[cfg(feature = "blocking")]
    #[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
    pub fn run_blocking(
        self,
        client: &crate::blocking::LoginClient,
        way: LoginWay,
        on_step: impl FnMut(Step<'_>),
    ) -> Result<Morning, Error> {
        client.block_on(self.run(client.as_async(), way, on_step))
    }
}

/// Checks `session`'s token with one profile call (bounded by the client's
/// timeout): live, and of the account the session names.
pub async fn check_live(client: &LoginClient, session: &Session) -> Result<(), Error> {
    let profile = client.profile(session.access_token()).await?;
    match (session.user_id(), profile.user_id()) {
        (Some(saved), Some(live)) if saved != live => Err(Error::InvalidInput(format!(
            "the saved session's token belongs to {}, not to {}",
            crate::terminal::escape(live),
            crate::terminal::escape(saved)
        ))),
        _ => Ok(()),
    }
}

/// Whether `e` (from [`check_live`]) says the token is no good (refused by
/// Upstox, or another account's), rather than that it could not be checked.
pub fn is_dead(e: &Error) -> bool {
    e.has_code(&ErrorCode::InvalidToken) || matches!(e, Error::InvalidInput(_))
}
