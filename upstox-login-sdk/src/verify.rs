//! Trusting the indie-user notifier's payload only once its token verifies:
//! nothing authenticates Upstox's POST, so anyone who knows the notifier URL
//! can post a made-up token, or a real token of an account of their own.

use std::time::{Duration, SystemTime};

use crate::{AccessToken, ClientId, LoginClient, NotifierPayload, PayloadRefused, Session};

/// How long [`NotifierVerifier::verify`] waits for the profile call by default.
pub const VERIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// Checks a [`NotifierPayload`] before its token is trusted: the payload
/// itself first (no call is made for one that fails), then the token, with
/// one bounded call of [`LoginClient::profile`], which must name the
/// expected account.
///
/// The expected account is the user id given with
/// [`expected_user_id`](Self::expected_user_id); without one, the payload's
/// own `user_id` (so a token of any account that says whose it is passes:
/// pin the account when you know it).
#[derive(Debug, Clone)]
pub struct NotifierVerifier {
    client: LoginClient,
    client_id: ClientId,
    expected_user_id: Option<String>,
    timeout: Duration,
}

/// What the checks before the call leave to verify.
struct Claimed<'p> {
    token: &'p AccessToken,
    user_id: String,
    issued_at: SystemTime,
    expires_at: SystemTime,
}

impl NotifierVerifier {
    /// Verifies payloads for the app `client_id` with `client`, within
    /// [`VERIFY_TIMEOUT`].
    pub fn new(client: LoginClient, client_id: ClientId) -> Self {
        NotifierVerifier {
            client,
            client_id,
            expected_user_id: None,
            timeout: VERIFY_TIMEOUT,
        }
    }

    /// The account the token must belong to (its UCC, the profile's
    /// `user_id`).
    pub fn expected_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.expected_user_id = Some(user_id.into());
        self
    }

    /// How long the profile call may take (and the bound on how long one
    /// verification waits).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The session `payload` hands over, once it is checked, at `now`:
    ///
    /// 1. without any call: it names this app's client id; its token is
    ///    there, not blank, without white space or control characters; its
    ///    expiry (or, without one, the 03:30 IST after its `issued_at`) is
    ///    after `now` and no later than the next 03:30 IST after `now`; it
    ///    claims no other account than the expected one;
    /// 2. one call of [`LoginClient::profile`], within the timeout;
    /// 3. the profile's user id is the expected one (or, with none
    ///    expected, the payload's own).
    ///
    /// The session's user id is the verified one; its times are the
    /// payload's, an `issued_at` after `now` taken as `now`.
    pub async fn verify(
        &self,
        payload: &NotifierPayload,
        now: SystemTime,
    ) -> Result<Session, PayloadRefused> {
        let claimed = self.check(payload, now)?;
        let profile = tokio::time::timeout(self.timeout, self.client.profile(claimed.token))
            .await
            .map_err(|_| PayloadRefused::TimedOut(self.timeout))?
            .map_err(|e| PayloadRefused::Unverified(Box::new(e)))?;
        if profile.user_id() != Some(claimed.user_id.as_str()) {
            return Err(PayloadRefused::OtherAccount {
                expected: claimed.user_id,
                actual: profile.user_id().map(str::to_owned),
            });
        }
        Ok(Session::from_token(
            claimed.token.clone(),
            payload.token_type.clone(),
            Some(claimed.user_id),
            claimed.issued_at,
            claimed.expires_at,
        ))
    }

    /// The checks of [`verify`](Self::verify) that need no call.
    pub(crate) fn check_payload(
        &self,
        payload: &NotifierPayload,
        now: SystemTime,
    ) -> Result<(), PayloadRefused> {
        self.check(payload, now).map(|_| ())
    }

    /// The checks that need no call.
    fn check<'p>(
        &self,
        payload: &'p NotifierPayload,
        now: SystemTime,
    ) -> Result<Claimed<'p>, PayloadRefused> {
        let token = payload.verify_client_id(&self.client_id)?;
        if token
            .secret()
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(PayloadRefused::UnusableToken);
        }
        let issued_at = payload.issued_at().filter(|t| *t <= now).unwrap_or(now);
        let expires_at = match (&payload.expires_at, payload.expires_at()) {
            (_, Some(at)) => at,
            (Some(_), None) => return Err(PayloadRefused::UnreadableExpiry),
            (None, None) => crate::expiry::expires_at(issued_at),
        };
        if expires_at <= now {
            return Err(PayloadRefused::Expired { expires_at });
        }
        let latest = crate::expiry::expires_at(now);
        if expires_at > latest {
            return Err(PayloadRefused::ExpiresTooLate { expires_at, latest });
        }
        let user_id = match (&self.expected_user_id, &payload.user_id) {
            (Some(expected), Some(claimed)) if claimed != expected => {
                return Err(PayloadRefused::ClaimsOtherAccount {
                    expected: expected.clone(),
                    claimed: claimed.clone(),
                })
            }
            (Some(expected), _) => expected.clone(),
            (None, Some(claimed)) => claimed.clone(),
            (None, None) => return Err(PayloadRefused::NoUserId),
        };
        Ok(Claimed {
            token,
            user_id,
            issued_at,
            expires_at,
        })
    }
}
