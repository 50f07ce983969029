//! The simulated service's answers: each request checked against the login
//! contract as Upstox checks it, then answered from what the simulated
//! service knows (its app, the codes and tokens it handed out, the failures
//! a test scripted).
//!
//! Which UDAPI code and status answer each mistake is this module's reading
//! of the contract; the table is in [`super`]'s documentation.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::accounts::{account, Code, Issued};
use super::checks::{
    accepts_json, bearer, content_type, not_chunked, params, percent_decode, refuse, required,
    route, v2_headers, Refusal, DIALOG, INDIE,
};
use super::{usual_status, Endpoint, Problem, USER_ID};
use crate::serve::Request;
use crate::{App, ErrorCode, State};

/// How long an indie-user request waits for approval (as `authorization_expiry`).
const APPROVAL_WINDOW: Duration = Duration::from_secs(10 * 60);

/// The message of a failure the test scripted.
const SCRIPTED: &str = "a failure scripted by the test";

fn scripted_problem(request: String, code: ErrorCode) -> Problem {
    Problem::Refused {
        request,
        status: usual_status(&code),
        code,
        reason: SCRIPTED.to_string(),
    }
}

/// What the simulated service knows.
pub(super) struct Service {
    pub(super) app: App,
    /// Redirect URIs registered besides the app's (a listener's real port).
    pub(super) redirect_uris: Vec<String>,
    /// Codes handed out.
    pub(super) codes: HashMap<String, Code>,
    /// Access tokens issued and not revoked (they still expire).
    pub(super) tokens: HashMap<String, Issued>,
    pub(super) scripted: VecDeque<(Endpoint, ErrorCode)>,
    pub(super) problems: Vec<Problem>,
    pub(super) notifier_url: Option<String>,
    pub(super) approval: Option<Duration>,
    /// The clock a test set; `None`: the system's.
    pub(super) now: Option<SystemTime>,
    /// For values when the random source fails: unique, if guessable.
    pub(super) counter: u64,
    /// Requests routed to each endpoint (the logins of `log_in` as
    /// `Authorize`), refused ones included.
    pub(super) calls: HashMap<Endpoint, usize>,
}

/// An HTTP answer.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) location: Option<String>,
    pub(super) body: Vec<u8>,
}

/// A notifier POST to make once the account holder "approves".
pub(super) struct Delivery {
    pub(super) url: String,
    pub(super) payload: Value,
    pub(super) after: Duration,
}

impl Service {
    /// A service with `app` registered, nothing handed out yet.
    pub(super) fn new(app: App) -> Self {
        Service {
            app,
            redirect_uris: Vec::new(),
            codes: HashMap::new(),
            tokens: HashMap::new(),
            scripted: VecDeque::new(),
            problems: Vec::new(),
            notifier_url: None,
            approval: Some(Duration::ZERO),
            now: None,
            counter: 0,
            calls: HashMap::new(),
        }
    }

    /// The simulated service's clock.
    pub(super) fn now(&self) -> SystemTime {
        self.now.unwrap_or_else(SystemTime::now)
    }

    /// Answers one request, recording a problem when it breaks the contract.
    pub(super) fn handle(&mut self, request: &Request) -> (Answer, Option<Delivery>) {
        let what = format!("{} {}", request.method, request.path());
        let outcome = route(request).and_then(|endpoint| {
            *self.calls.entry(endpoint).or_default() += 1;
            // Upstox spends a code on any exchange that presents it,
            // whatever else is wrong with the request.
            let fresh = match endpoint {
                Endpoint::Token => self.spend_codes(request),
                _ => Vec::new(),
            };
            not_chunked(request)?;
            let checked = match endpoint {
                Endpoint::Authorize => self
                    .authorize(request.query().unwrap_or(""))
                    .map(|(redirect, state)| Passed::Login(redirect, state)),
                Endpoint::Token => self.token(request, &fresh),
                Endpoint::IndieRequest => self.indie(request),
                Endpoint::Logout => self.logout(request),
                Endpoint::Profile => self.profile(request),
            };
            checked.map(|ok| (endpoint, ok))
        });
        match outcome {
            Ok((endpoint, ok)) => match self.take_scripted(endpoint) {
                Some(code) => (error_answer(usual_status(&code), &code, SCRIPTED), None),
                None => self.succeed(ok),
            },
            Err(refusal) => {
                let answer = error_answer(refusal.status, &refusal.code, &refusal.reason);
                self.problems.push(Problem::Refused {
                    request: what,
                    status: refusal.status,
                    code: refusal.code,
                    reason: refusal.reason,
                });
                (answer, None)
            }
        }
    }

    /// The browser's visit to the login dialog, as [`super::Simulator::log_in`]
    /// makes it: where the browser is sent, or the problem.
    pub(super) fn log_in(&mut self, query: &str) -> Result<url::Url, Problem> {
        *self.calls.entry(Endpoint::Authorize).or_default() += 1;
        let refusal = match self.authorize(query) {
            Ok((redirect, state)) => match self.take_scripted(Endpoint::Authorize) {
                None => return Ok(self.redirect_with_code(redirect, state)),
                Some(code) => return Err(scripted_problem(format!("GET {DIALOG}"), code)),
            },
            Err(refusal) => refusal,
        };
        let problem = Problem::Refused {
            request: format!("GET {DIALOG}"),
            status: refusal.status,
            code: refusal.code,
            reason: refusal.reason,
        };
        self.problems.push(problem.clone());
        Err(problem)
    }

    fn other_redirect_uri(&self, sent: &str, expected: &str) -> String {
        format!("redirect_uri {sent:?} is not the registered {expected:?} (compared byte for byte)")
    }

    /// Whether `uri` is the app's redirect URI or one registered besides.
    fn is_registered(&self, uri: &str) -> bool {
        uri == self.app.redirect_uri().as_str() || self.redirect_uris.iter().any(|r| r == uri)
    }

    /// Marks every handed-out code the request's form presents as spent;
    /// the ones that were not spent before.
    fn spend_codes(&mut self, request: &Request) -> Vec<String> {
        let form = String::from_utf8_lossy(&request.body);
        let mut fresh = Vec::new();
        for (name, value) in url::form_urlencoded::parse(form.as_bytes()) {
            if name != "code" {
                continue;
            }
            if let Some(code) = self.codes.get_mut(value.as_ref()) {
                if !code.spent {
                    code.spent = true;
                    fresh.push(value.into_owned());
                }
            }
        }
        fresh
    }

    /// A fresh access token of `user_id`, live until the next 03:30 IST
    /// after the service's now, or its logout.
    pub(super) fn issue_token(&mut self, user_id: &str) -> String {
        let token = self.fresh("access");
        let expires_at = crate::expiry::expires_at(self.now());
        self.tokens.insert(
            token.clone(),
            Issued {
                user_id: user_id.to_string(),
                expires_at,
            },
        );
        token
    }

    /// The account of a live token: issued here, not logged out, not
    /// expired at the service's now.
    fn live(&self, token: &str) -> Result<&str, Refusal> {
        match self.tokens.get(token) {
            Some(issued) if self.now() < issued.expires_at => Ok(&issued.user_id),
            Some(_) => Err(refuse(
                ErrorCode::InvalidToken,
                "the bearer token expired (at 03:30 IST, by the simulator's clock)",
            )),
            None => Err(refuse(
                ErrorCode::InvalidToken,
                "the bearer token is not a live access token of this service \
                 (never issued, or logged out)",
            )),
        }
    }

    fn take_scripted(&mut self, endpoint: Endpoint) -> Option<ErrorCode> {
        let at = self.scripted.iter().position(|(e, _)| *e == endpoint)?;
        self.scripted.remove(at).map(|(_, code)| code)
    }

    fn fresh(&mut self, what: &str) -> String {
        self.counter += 1;
        match State::random() {
            Ok(random) => format!("sim-{what}-{}", random.as_str().get(..32).unwrap_or("")),
            Err(_) => format!("sim-{what}-{:016x}", self.counter),
        }
    }

    /// The login dialog's checks: where to send the browser back, and the
    /// state to send with it.
    fn authorize(&self, query: &str) -> Result<(url::Url, Option<String>), Refusal> {
        let params = params(
            query,
            &[
                "response_type",
                "client_id",
                "redirect_uri",
                "state",
                "scope",
            ],
        )?;
        let client_id = required(&params, "client_id", ErrorCode::ApiKeyRequired)?;
        let redirect_uri = required(&params, "redirect_uri", ErrorCode::RedirectUriRequired)?;
        match params.get("response_type").map(String::as_str) {
            Some("code") => {}
            Some(other) => {
                return Err(refuse(
                    ErrorCode::InvalidCredentials,
                    format!("response_type is {other:?}, not \"code\""),
                ))
            }
            None => {
                return Err(refuse(
                    ErrorCode::InvalidCredentials,
                    "response_type=code is missing",
                ))
            }
        }
        if client_id != self.app.client_id().as_str() {
            return Err(refuse(
                ErrorCode::RedirectUriMismatch,
                format!("client_id {client_id:?} is not the registered app's"),
            ));
        }
        if !self.is_registered(redirect_uri) {
            return Err(refuse(
                ErrorCode::RedirectUriMismatch,
                self.other_redirect_uri(redirect_uri, self.app.redirect_uri().as_str()),
            ));
        }
        let redirect = url::Url::parse(redirect_uri).map_err(|e| {
            refuse(
                ErrorCode::RedirectUriMismatch,
                format!("redirect_uri is not a URL: {e}"),
            )
        })?;
        Ok((redirect, params.get("state").cloned()))
    }

    /// Where a login sends the browser: the redirect URI with a fresh code
    /// and the state.
    fn redirect_with_code(&mut self, mut redirect: url::Url, state: Option<String>) -> url::Url {
        let code = self.fresh("code");
        self.codes.insert(
            code.clone(),
            Code {
                spent: false,
                redirect_uri: redirect.to_string(),
            },
        );
        let mut query = redirect.query_pairs_mut();
        query.append_pair("code", &code);
        if let Some(state) = state {
            query.append_pair("state", &state);
        }
        drop(query);
        redirect
    }

    /// The exchange's checks; `fresh` are the codes this request spent.
    fn token(&mut self, request: &Request, fresh: &[String]) -> Result<Passed, Refusal> {
        v2_headers(request)?;
        content_type(request, "application/x-www-form-urlencoded")?;
        let form = std::str::from_utf8(&request.body)
            .map_err(|_| refuse(ErrorCode::NotSupported, "the form is not UTF-8"))?;
        let fields = params(
            form,
            &[
                "code",
                "client_id",
                "client_secret",
                "redirect_uri",
                "grant_type",
                "refresh_extended_token",
            ],
        )?;
        let client_id = required(&fields, "client_id", ErrorCode::ApiKeyRequired)?;
        let redirect_uri = required(&fields, "redirect_uri", ErrorCode::RedirectUriRequired)?;
        let code = required(&fields, "code", ErrorCode::CodeRequired)?;
        let grant_type = required(&fields, "grant_type", ErrorCode::GrantTypeRequired)?;
        let secret = required(&fields, "client_secret", ErrorCode::SecretRequired)?;
        if grant_type != "authorization_code" {
            return Err(refuse(
                ErrorCode::NotSupported,
                format!("grant_type is {grant_type:?}; the only grant is \"authorization_code\""),
            ));
        }
        if let Some(flag) = fields.get("refresh_extended_token") {
            if flag != "true" && flag != "false" {
                return Err(refuse(
                    ErrorCode::NotSupported,
                    format!("refresh_extended_token is {flag:?}, not true or false"),
                ));
            }
        }
        // Spent by this attempt already (`spend_codes`), whatever else is
        // wrong with it.
        let login_redirect = match self.codes.get(code) {
            Some(issued) if fresh.iter().any(|f| f == code) => issued.redirect_uri.clone(),
            Some(_) => {
                return Err(refuse(
                    ErrorCode::InvalidCodeOrCredentials,
                    "the code was already presented once (codes are single-use, \
                     even when the exchange fails)",
                ))
            }
            None => {
                return Err(refuse(
                    ErrorCode::InvalidCodeOrCredentials,
                    "the code was never handed out by this service",
                ))
            }
        };
        if client_id != self.app.client_id().as_str() {
            return Err(refuse(
                ErrorCode::InvalidCodeOrCredentials,
                format!("client_id {client_id:?} is not the registered app's"),
            ));
        }
        if secret != self.app.client_secret().secret() {
            return Err(refuse(
                ErrorCode::InvalidCodeOrCredentials,
                "client_secret is not the app's",
            ));
        }
        if redirect_uri != login_redirect {
            return Err(refuse(
                ErrorCode::InvalidCredentials,
                self.other_redirect_uri(redirect_uri, &login_redirect),
            ));
        }
        Ok(Passed::Session)
    }

    fn indie(&mut self, request: &Request) -> Result<Passed, Refusal> {
        if request.header("api-version").is_some() {
            return Err(refuse(
                ErrorCode::NotSupported,
                "Api-Version is sent on the v3 call; only the v2 calls carry it",
            ));
        }
        accepts_json(request)?;
        content_type(request, "application/json")?;
        let segment = request.path().strip_prefix(INDIE).unwrap_or("");
        let path_id = percent_decode(segment).ok_or_else(|| {
            refuse(
                ErrorCode::NotSupported,
                "the client id in the path is not valid percent-encoded UTF-8",
            )
        })?;
        let body: Value = serde_json::from_slice(&request.body).map_err(|e| {
            refuse(
                ErrorCode::NotSupported,
                format!("the body is not JSON: {e}"),
            )
        })?;
        let Value::Object(body) = body else {
            return Err(refuse(
                ErrorCode::NotSupported,
                "the body is not a JSON object",
            ));
        };
        if let Some(unknown) = body.keys().find(|k| {
            !["client_secret", "client_id", "otp_verification_disabled"].contains(&k.as_str())
        }) {
            return Err(refuse(
                ErrorCode::NotSupported,
                format!("the body has a field the contract does not know: {unknown:?}"),
            ));
        }
        let secret = match body.get("client_secret") {
            Some(Value::String(s)) => s,
            Some(_) => {
                return Err(refuse(
                    ErrorCode::NotSupported,
                    "client_secret is not a string",
                ))
            }
            None => {
                return Err(refuse(
                    ErrorCode::SecretRequired,
                    "client_secret is missing",
                ))
            }
        };
        match body.get("client_id") {
            None => {}
            Some(Value::String(id)) if *id == path_id => {}
            Some(_) => {
                return Err(refuse(
                    ErrorCode::NotSupported,
                    "client_id in the body differs from the one in the path",
                ))
            }
        }
        if !matches!(
            body.get("otp_verification_disabled"),
            None | Some(Value::Bool(_))
        ) {
            return Err(refuse(
                ErrorCode::NotSupported,
                "otp_verification_disabled is not a boolean",
            ));
        }
        if path_id != self.app.client_id().as_str() {
            return Err(refuse(
                ErrorCode::InvalidCodeOrCredentials,
                format!("client_id {path_id:?} in the path is not the registered app's"),
            ));
        }
        if secret != self.app.client_secret().secret() {
            return Err(refuse(
                ErrorCode::InvalidCodeOrCredentials,
                "client_secret is not the app's",
            ));
        }
        Ok(Passed::IndieRequest)
    }

    fn logout(&mut self, request: &Request) -> Result<Passed, Refusal> {
        v2_headers(request)?;
        if !request.body.is_empty() || request.header("content-type").is_some() {
            return Err(refuse(ErrorCode::NotSupported, "logout carries no body"));
        }
        let token = bearer(request)?;
        self.live(token)?;
        Ok(Passed::LoggedOut(token.to_string()))
    }

    fn profile(&mut self, request: &Request) -> Result<Passed, Refusal> {
        v2_headers(request)?;
        if !request.body.is_empty() || request.header("content-type").is_some() {
            return Err(refuse(
                ErrorCode::NotSupported,
                "the profile request carries no body",
            ));
        }
        let user_id = self.live(bearer(request)?)?;
        Ok(Passed::Profile(user_id.to_string()))
    }

    fn succeed(&mut self, passed: Passed) -> (Answer, Option<Delivery>) {
        match passed {
            Passed::Login(redirect, state) => (
                Answer {
                    status: 302,
                    location: Some(self.redirect_with_code(redirect, state).to_string()),
                    body: Vec::new(),
                },
                None,
            ),
            Passed::Session => {
                let access = self.issue_token(USER_ID);
                let extended = self.fresh("extended");
                let mut body = account(USER_ID);
                body["access_token"] = json!(access);
                body["extended_token"] = json!(extended);
                (json_answer(200, &body), None)
            }
            Passed::Profile(user_id) => (
                json_answer(
                    200,
                    &json!({"status": "success", "data": account(&user_id)}),
                ),
                None,
            ),
            Passed::LoggedOut(token) => {
                self.tokens.remove(&token);
                (
                    json_answer(200, &json!({"status": "success", "data": true})),
                    None,
                )
            }
            Passed::IndieRequest => {
                let now = self.now();
                let body = json!({"status": "success", "data": {
                    "authorization_expiry": millis(now + APPROVAL_WINDOW).to_string(),
                    "notifier_url": self.notifier_url,
                }});
                let delivery = match (self.notifier_url.clone(), self.approval) {
                    (Some(url), Some(after)) => {
                        let access = self.issue_token(USER_ID);
                        Some(Delivery {
                            url,
                            after,
                            payload: json!({
                                "client_id": self.app.client_id().as_str(), "user_id": USER_ID,
                                "access_token": access, "token_type": "Bearer",
                                "expires_at": millis(crate::expiry::expires_at(now)).to_string(),
                                "issued_at": millis(now).to_string(), "message_type": "access_token"
                            }),
                        })
                    }
                    _ => None,
                };
                (json_answer(200, &body), delivery)
            }
        }
    }
}

/// A request that passed the checks, before it is answered.
enum Passed {
    /// To the redirect URI, with the state if one was sent.
    Login(url::Url, Option<String>),
    Session,
    /// This token.
    LoggedOut(String),
    IndieRequest,
    /// The profile of this account.
    Profile(String),
}

fn millis(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

fn json_answer(status: u16, body: &Value) -> Answer {
    Answer {
        status,
        location: None,
        body: body.to_string().into_bytes(),
    }
}

/// Upstox's error envelope, both spellings of each field, as the gateway sends it.
fn error_answer(status: u16, code: &ErrorCode, message: &str) -> Answer {
    json_answer(
        status,
        &json!({"status": "error", "errors": [{
            "error_code": code.as_str(), "message": message,
            "property_path": null, "invalid_value": null,
            "errorCode": code.as_str(), "propertyPath": null, "invalidValue": null
        }]}),
    )
}
