//! Starting a login in the browser and checking the redirect that ends it.

use std::fmt;

use crate::redact;
use crate::terminal::escape;
use crate::{AuthorizationCode, ClientId, ClientSecret, RedirectUri, State};

/// An app registered with Upstox: its client id, secret and redirect URI.
///
/// `Debug` shows the id and redirect URI, never the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    client_id: ClientId,
    client_secret: ClientSecret,
    redirect_uri: RedirectUri,
}

impl App {
    /// An app from its credentials, as registered with Upstox. Nothing is
    /// checked or sent; the redirect URI was checked when it was made.
    pub fn new(
        client_id: ClientId,
        client_secret: ClientSecret,
        redirect_uri: RedirectUri,
    ) -> Self {
        Self {
            client_id,
            client_secret,
            redirect_uri,
        }
    }

    /// The client id.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The client secret.
    pub fn client_secret(&self) -> &ClientSecret {
        &self.client_secret
    }

    /// The registered redirect URI.
    pub fn redirect_uri(&self) -> &RedirectUri {
        &self.redirect_uri
    }
}

/// Builds the URL that starts a login (`GET /v2/login/authorization/dialog`)
/// for the account holder's browser. Nothing is sent.
///
/// The query is `response_type=code`, `client_id`, `redirect_uri`
/// (percent-encoded), `state` and, if given, `scope`.
///
/// ```
/// use upstox_login_sdk::{authorization_url, ClientId, RedirectUri, State};
///
/// let base = url::Url::parse("https://api.upstox.com").unwrap();
/// let url = authorization_url(
///     &base,
///     &ClientId::new("my-app"),
///     &RedirectUri::new("http://127.0.0.1:5055/callback").unwrap(),
///     &State::new("xyz"),
///     None,
/// );
/// assert_eq!(
///     url.as_str(),
///     "https://api.upstox.com/v2/login/authorization/dialog?response_type=code\
///      &client_id=my-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A5055%2Fcallback&state=xyz"
/// );
/// ```
pub fn authorization_url(
    base_url: &url::Url,
    client_id: &ClientId,
    redirect_uri: &RedirectUri,
    state: &State,
    scope: Option<&str>,
) -> url::Url {
    let mut url = base_url.clone();
    {
        let mut path = url.path().trim_end_matches('/').to_string();
        path.push_str("/v2/login/authorization/dialog");
        url.set_path(&path);
    }
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", client_id.as_str())
            .append_pair("redirect_uri", redirect_uri.as_str())
            .append_pair("state", state.as_str());
        if let Some(scope) = scope {
            q.append_pair("scope", scope);
        }
    }
    url
}

/// A login in progress: the URL to open, and the state to check on return.
///
/// Made by [`crate::LoginClient::start_login`]. Keep it until the browser
/// comes back to the redirect URI, then hand the callback to
/// [`PendingLogin::code_from_callback`].
#[derive(Clone)]
pub struct PendingLogin {
    url: url::Url,
    state: State,
    redirect_uri: RedirectUri,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        let query: Vec<(String, String)> = self
            .url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" {
                    "[redacted]".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(query);
        f.debug_struct("PendingLogin")
            .field("url", &shown.as_str())
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl PendingLogin {
    pub(crate) fn new(url: url::Url, state: State, redirect_uri: RedirectUri) -> Self {
        Self {
            url,
            state,
            redirect_uri,
        }
    }

    /// The URL to open in the account holder's browser.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// The state this login expects back.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The redirect URI the browser will come back to.
    pub fn redirect_uri(&self) -> &RedirectUri {
        &self.redirect_uri
    }

    /// Takes the callback (the full redirect URL, a path with query such as
    /// `/callback?code=…&state=…`, or just the query) and returns the code,
    /// only if the `state` matches this login's (compared in constant time).
    /// Nothing is sent. Fails with [`CallbackError`]: `Denied` when Upstox
    /// sent `error` instead of a code, `MissingState`/`StateMismatch` for a
    /// callback that is not this login's (possibly forged), `MissingCode`,
    /// or `Malformed`.
    pub fn code_from_callback(&self, callback: &str) -> Result<AuthorizationCode, CallbackError> {
        parse_callback(callback, &self.state)
    }
}

/// Checks a callback against the expected state; see
/// [`PendingLogin::code_from_callback`].
///
/// ```
/// use upstox_login_sdk::{parse_callback, CallbackError, State};
///
/// let state = State::new("xyz");
/// let code = parse_callback("http://127.0.0.1:5055/callback?code=abc&state=xyz", &state).unwrap();
/// assert_eq!(code.secret(), "abc");
/// assert_eq!(parse_callback("/callback?code=abc&state=forged", &state), Err(CallbackError::StateMismatch));
/// ```
pub fn parse_callback(
    callback: &str,
    expected: &State,
) -> Result<AuthorizationCode, CallbackError> {
    let callback = callback.trim();
    let query = if let Ok(url) = url::Url::parse(callback) {
        url.query().unwrap_or("").to_string()
    } else if let Some((_, q)) = callback.split_once('?') {
        q.to_string()
    } else if callback.starts_with('/') {
        String::new()
    } else {
        callback.to_string()
    };
    let query = query.split('#').next().unwrap_or("");
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match k.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => continue,
        };
        if slot.is_some() {
            return Err(CallbackError::Malformed(format!(
                "`{k}` appears more than once"
            )));
        }
        *slot = Some(v.into_owned());
    }
    let state_ok = state.as_ref().map(|s| expected.matches(s));
    if let Some(error) = error {
        // An error sent back is reported as such only with our state, so a
        // forged request cannot pass itself off as Upstox's refusal.
        return match state_ok {
            Some(true) => Err(CallbackError::Denied { error, description }),
            Some(false) => Err(CallbackError::StateMismatch),
            None => Err(CallbackError::MissingState),
        };
    }
    match state_ok {
        None => Err(CallbackError::MissingState),
        Some(false) => Err(CallbackError::StateMismatch),
        Some(true) => match code {
            Some(c) if !c.is_empty() => Ok(AuthorizationCode::new(c)),
            _ => Err(CallbackError::MissingCode),
        },
    }
}

/// Problems with the login callback (the redirect back to your app).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackError {
    /// The callback could not be parsed as a URL or query string.
    Malformed(String),
    /// Upstox sent back `error` (and maybe `error_description`) instead of
    /// a code. Both are as anyone who reached the redirect URI sent them;
    /// `Display` shows them only when they are short, printable words.
    Denied {
        /// The `error` parameter.
        error: String,
        /// The `error_description` parameter, if any.
        description: Option<String>,
    },
    /// No `state` came back.
    MissingState,
    /// The `state` that came back is not the one sent: possibly a forged
    /// request. The received value is not kept.
    StateMismatch,
    /// The state matched but no `code` came back.
    MissingCode,
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallbackError::Malformed(m) => {
                write!(f, "the callback is not a valid URL: {}", escape(m))
            }
            CallbackError::Denied { error, description } => {
                f.write_str("the login was refused")?;
                let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
                if (1..=64).contains(&error.len()) && error.chars().all(is_word) {
                    write!(f, ": {error}")?;
                }
                if let Some(d) = description.as_deref().and_then(|d| redact::shown(d, &[])) {
                    write!(f, " ({d})")?;
                }
                Ok(())
            }
            CallbackError::MissingState => {
                f.write_str("the callback carries no state; refusing it")
            }
            CallbackError::StateMismatch => f.write_str(
                "the callback's state does not match this login's; refusing it (possible forgery)",
            ),
            CallbackError::MissingCode => f.write_str("the callback carries no authorization code"),
        }
    }
}

impl std::error::Error for CallbackError {}
