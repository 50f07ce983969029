//! The three calls that read an answer from the service, for tests that run
//! the same case against each: what each sends, where, and how to make it.
//!
//! `Op::name` is the operation's name as errors carry it today; when the SDK
//! names its operations with an enum of its own, `Op` maps onto it here and
//! nowhere else.

use httpmock::Method;
use upstox_login_sdk::{
    AccessToken, AuthorizationCode, Error, IndieTokenOptions, IndieTokenRequest, LoginClient,
    LogoutOutcome, Session,
};

use crate::{app, token_response, url_encode, ACCESS_TOKEN, CLIENT_SECRET, CODE};

/// One of the calls that read a response body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// The token exchange (`POST /v2/login/authorization/token`).
    Token,
    /// The logout (`DELETE /v2/logout`).
    Logout,
    /// The indie-user token request (`POST /v3/login/auth/token/request/..`).
    Indie,
}

/// What a call returned.
#[derive(Debug)]
pub enum Outcome {
    /// The token exchange's session.
    Session(Box<Session>),
    /// The logout's outcome.
    Logout(LogoutOutcome),
    /// The indie-user token request's answer.
    Indie(IndieTokenRequest),
}

impl Op {
    /// Every call, in a fixed order.
    pub const ALL: [Op; 3] = [Op::Token, Op::Logout, Op::Indie];

    /// The HTTP method the call uses.
    pub fn method(self) -> Method {
        match self {
            Op::Token | Op::Indie => Method::POST,
            Op::Logout => Method::DELETE,
        }
    }

    /// The path the call sends to, for [`crate::app`].
    pub fn path(self) -> &'static str {
        match self {
            Op::Token => "/v2/login/authorization/token",
            Op::Logout => "/v2/logout",
            Op::Indie => "/v3/login/auth/token/request/a1b2-c3%20d4",
        }
    }

    /// The operation's name as errors carry it.
    pub fn name(self) -> &'static str {
        match self {
            Op::Token => "token",
            Op::Logout => "logout",
            Op::Indie => "init_token_request_for_indie_user",
        }
    }

    /// A well-formed success body for this call.
    pub fn success_body(self) -> serde_json::Value {
        match self {
            Op::Token => token_response(),
            Op::Logout => serde_json::json!({"status": "success", "data": true}),
            Op::Indie => serde_json::json!({"status": "success", "data": {
                "authorization_expiry": "1795851000000", "notifier_url": "https://example.com/hook"}}),
        }
    }

    /// The secrets this call sends, in every spelling that could come back.
    pub fn sent_secrets(self) -> Vec<String> {
        let raw: &[&str] = match self {
            Op::Token => &[CLIENT_SECRET, CODE],
            Op::Logout => &[ACCESS_TOKEN],
            Op::Indie => &[CLIENT_SECRET],
        };
        raw.iter()
            .flat_map(|s| [s.to_string(), url_encode(s)])
            .collect()
    }

    /// Makes the call for [`crate::app`], [`CODE`] and [`ACCESS_TOKEN`].
    pub async fn call(self, client: &LoginClient) -> Result<Outcome, Error> {
        match self {
            Op::Token => client
                .exchange_code(&app(), AuthorizationCode::new(CODE))
                .await
                .map(|s| Outcome::Session(Box::new(s))),
            Op::Logout => client
                .logout(&AccessToken::new(ACCESS_TOKEN))
                .await
                .map(Outcome::Logout),
            Op::Indie => client
                .request_indie_token(&app(), IndieTokenOptions::default())
                .await
                .map(Outcome::Indie),
        }
    }
}
