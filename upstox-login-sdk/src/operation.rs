//! The operations of the Upstox login API: one enum that the client, the
//! errors, the hooks and the simulator all name, so that nothing matches the
//! spec's text at run time.

use std::fmt;

/// An operation of the login API (and the one call outside it that checks
/// a token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `GET /v2/login/authorization/dialog`: the browser's login (never
    /// sent by this crate; the URL is built for the browser).
    Authorize,
    /// `POST /v2/login/authorization/token`: the code exchange.
    Token,
    /// `POST /v3/login/auth/token/request/{client_id}`: the indie-user
    /// token request.
    IndieTokenRequest,
    /// `DELETE /v2/logout`: revoking a token.
    Logout,
}

impl Operation {
    /// Every operation, in the order of the spec.
    pub const ALL: [Operation; 4] = [
        Operation::Authorize,
        Operation::Token,
        Operation::IndieTokenRequest,
        Operation::Logout,
    ];

    /// A short name for people and logs (`token`, `logout`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Operation::Authorize => "authorize",
            Operation::Token => "token",
            Operation::IndieTokenRequest => "indie token request",
            Operation::Logout => "logout",
        }
    }

    /// The HTTP method and path (below the base URL); `{client_id}` stands
    /// for the path parameter.
    pub fn route(self) -> (http::Method, &'static str) {
        match self {
            Operation::Authorize => (http::Method::GET, "/v2/login/authorization/dialog"),
            Operation::Token => (http::Method::POST, "/v2/login/authorization/token"),
            Operation::IndieTokenRequest => (
                http::Method::POST,
                "/v3/login/auth/token/request/{client_id}",
            ),
            Operation::Logout => (http::Method::DELETE, "/v2/logout"),
        }
    }

    /// Whether the request carries `Api-Version: 2.0`: the v2 calls do, as
    /// both official SDKs send it; the v3 call does not.
    pub fn sends_api_version(self) -> bool {
        !matches!(self, Operation::IndieTokenRequest)
    }

    /// Whether the call spends an authorization code: the code is
    /// single-use even when the exchange fails, so after a failure or a
    /// timeout of this call the login must start again.
    pub fn spends_code(self) -> bool {
        matches!(self, Operation::Token)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
