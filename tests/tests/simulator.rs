//! The simulated Upstox (feature `simulator`) as a user's test uses it: the
//! SDK's own calls pass its checks, scripted failures come back as typed
//! errors, and requests that break the contract (sent raw, as a drifting
//! client would) are answered with Upstox's UDAPI error and a reason.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use upstox_login_sdk::simulator::{usual_status, Endpoint, Problem, Simulator, USER_ID};
use upstox_login_sdk::{
    App, AuthorizationCode, ClientId, ClientSecret, Error, ErrorCode, IndieTokenOptions,
    LoginClient, NotifierPayload, RedirectUri,
};
use upstox_login_tests::raw::read_request;
use upstox_login_tests::raw_server::RawServer;
use upstox_login_tests::*;

async fn start() -> (Simulator, LoginClient) {
    let sim = Simulator::start(&app()).await.expect("simulator starts");
    let client = client(sim.base_url());
    (sim, client)
}

/// A login through the simulator: the code from the callback URL it sends
/// the browser to.
fn log_in(sim: &Simulator, client: &LoginClient) -> AuthorizationCode {
    let login = client.start_login(&app()).expect("login starts");
    let callback = sim.log_in(login.url()).expect("the account holder logs in");
    login
        .code_from_callback(callback.as_str())
        .expect("the callback carries this login's state and a code")
}

/// The first code, and the refusal's reason, of what the simulator recorded.
fn refused(problem: &Problem) -> (u16, &ErrorCode, &str) {
    match problem {
        Problem::Refused {
            status,
            code,
            reason,
            ..
        } => (*status, code, reason),
        other => panic!("not a refusal: {other:?}"),
    }
}

fn api_code(e: &Error) -> (Option<u16>, Vec<&ErrorCode>) {
    (e.status(), e.codes())
}

/// The whole login with the SDK: code, session, logout; the SDK's requests
/// break nothing, and a logged-out token no longer works.
#[tokio::test]
async fn a_login_succeeds_and_the_sdk_breaks_no_rule() {
    let (sim, client) = start().await;
    let code = log_in(&sim, &client);
    let session = client.exchange_code(&app(), code).await.expect("a session");
    assert_eq!(session.user_id(), Some(USER_ID));
    assert!(session.access_token().secret().starts_with("sim-access-"));
    assert!(session.extended_token().is_some());
    let again = client.exchange_code(&app(), log_in(&sim, &client)).await;
    let other = again.expect("a second login");
    assert_ne!(other.access_token(), session.access_token(), "fresh tokens");
    assert!(client.logout(session.access_token()).await.unwrap().revoked);
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());

    let e = client.logout(session.access_token()).await.unwrap_err();
    assert_eq!(
        api_code(&e),
        (Some(401), vec![&ErrorCode::InvalidToken]),
        "{e}"
    );
    let problems = sim.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let (_, _, reason) = refused(&problems[0]);
    assert!(reason.contains("logged out"), "{reason}");
    assert!(problems[0].to_string().starts_with("DELETE /v2/logout: "));
}

/// What a browser sees: the login dialog answers 302 to the redirect URI
/// (its own query kept) with a code and the state.
#[tokio::test]
async fn the_login_dialog_redirects_the_browser_with_a_code_and_the_state() {
    let (sim, client) = start().await;
    let login = client.start_login(&app()).unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(login.url().as_str()).send().await.unwrap();
    assert_eq!(page.status(), 302);
    let location = page.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("http://127.0.0.1:5055/callback?x=1&code=sim-code-"),
        "{location}"
    );
    let code = login.code_from_callback(&location).expect("state matches");
    client.exchange_code(&app(), code).await.expect("a session");
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
}

/// A code is single-use, even when its exchange fails.
#[tokio::test]
async fn a_code_is_spent_by_its_first_exchange_even_a_failed_one() {
    let (sim, client) = start().await;
    let code = log_in(&sim, &client);
    client
        .exchange_code(&app(), code.clone())
        .await
        .expect("first");
    let e = client.exchange_code(&app(), code).await.unwrap_err();
    assert_eq!(
        api_code(&e),
        (Some(401), vec![&ErrorCode::InvalidCodeOrCredentials])
    );
    assert!(
        refused(&sim.problems()[0]).2.contains("already presented"),
        "{:?}",
        sim.problems()
    );

    // A wrong secret fails the exchange, and spends the code all the same.
    let code = log_in(&sim, &client);
    let wrong = App::new(
        ClientId::new(CLIENT_ID),
        ClientSecret::new("not-the-secret"),
        RedirectUri::new(REDIRECT_URI).unwrap(),
    );
    let e = client
        .exchange_code(&wrong, code.clone())
        .await
        .unwrap_err();
    assert!(e.has_code(&ErrorCode::InvalidCodeOrCredentials), "{e}");
    let e = client.exchange_code(&app(), code).await.unwrap_err();
    assert!(e.has_code(&ErrorCode::InvalidCodeOrCredentials), "{e}");
    let reasons: Vec<String> = sim.problems().iter().map(|p| p.to_string()).collect();
    assert!(
        reasons[1].contains("client_secret is not the app's"),
        "{reasons:?}"
    );
    assert!(reasons[2].contains("already presented"), "{reasons:?}");
    // A reason never holds the secret sent.
    assert!(!reasons.concat().contains("not-the-secret"), "{reasons:?}");
}

/// Every UDAPI code of the contract, scripted for each operation, comes
/// back to the SDK as that code with Upstox's status; scripted failures
/// are not problems, and the next call succeeds again.
#[tokio::test]
async fn each_scripted_udapi_error_comes_back_typed() {
    let codes = [
        "UDAPI1017",
        "UDAPI1018",
        "UDAPI1022",
        "UDAPI1023",
        "UDAPI1024",
        "UDAPI100016",
        "UDAPI100068",
        "UDAPI100069",
        "UDAPI100050",
        "UDAPI100067",
        "UDAPI100073",
        "UDAPI100015",
        "UDAPI10005",
        "UDAPI100060",
        "UDAPI10000",
        "UDAPI100500",
    ]
    .map(ErrorCode::parse);
    let (sim, client) = start().await;
    for code in codes {
        assert!(!matches!(code, ErrorCode::Other(_)), "{code}");
        let expected = (Some(usual_status(&code)), vec![&code]);

        sim.fail_next(Endpoint::Token, code.clone());
        let e = client
            .exchange_code(&app(), log_in(&sim, &client))
            .await
            .unwrap_err();
        assert_eq!(api_code(&e), expected, "token {code}: {e}");

        let session = client
            .exchange_code(&app(), log_in(&sim, &client))
            .await
            .expect("the next exchange succeeds");
        sim.fail_next(Endpoint::Logout, code.clone());
        let e = client.logout(session.access_token()).await.unwrap_err();
        assert_eq!(api_code(&e), expected, "logout {code}: {e}");
        client
            .logout(session.access_token())
            .await
            .expect("a scripted failure revoked nothing");

        sim.fail_next(Endpoint::IndieRequest, code.clone());
        let e = client
            .request_indie_token(&app(), IndieTokenOptions::default())
            .await
            .unwrap_err();
        assert_eq!(api_code(&e), expected, "indie {code}: {e}");

        sim.fail_next(Endpoint::Authorize, code.clone());
        let login = client.start_login(&app()).unwrap();
        match sim.log_in(login.url()).unwrap_err() {
            Problem::Refused {
                code: c, status, ..
            } => {
                assert_eq!((Some(status), vec![&c]), expected, "authorize {code}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
}

/// Sends a request as given (no SDK), and returns the status and the first
/// error code of the envelope.
async fn raw(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Option<String>) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = http.request(method.parse().unwrap(), url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if !body.is_empty() {
        request = request.body(body.to_string());
    }
    let answer = request.send().await.expect("an answer");
    let status = answer.status().as_u16();
    let body: Value = answer.json().await.unwrap_or(Value::Null);
    let code = body["errors"][0]["error_code"].as_str().map(str::to_string);
    (status, code)
}

/// Header names and values.
type Headers<'a> = &'a [(&'a str, &'a str)];

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// Token exchanges that break the contract, sent raw: each answered with
/// the code Upstox answers it with, and recorded with its reason.
#[tokio::test]
async fn a_token_exchange_that_breaks_the_contract_is_refused_with_a_reason() {
    let (sim, client) = start().await;
    let url = format!("{}/v2/login/authorization/token", sim.base_url());
    let v2 = [
        ("accept", JSON),
        ("content-type", FORM),
        ("api-version", "2.0"),
    ];
    let form = |code: &str, leave_out: &str, change: (&str, &str)| -> String {
        let fields = [
            ("code", code),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("redirect_uri", REDIRECT_URI),
            ("grant_type", "authorization_code"),
        ];
        fields
            .iter()
            .filter(|(k, _)| *k != leave_out)
            .map(|(k, v)| {
                let v = if *k == change.0 { change.1 } else { v };
                format!("{k}={}", url_encode(v))
            })
            .collect::<Vec<_>>()
            .join("&")
    };
    let other_type = [
        ("accept", JSON),
        ("content-type", JSON),
        ("api-version", "2.0"),
    ];
    let no_accept = [("content-type", FORM), ("api-version", "2.0")];
    let whole = form("c", "", ("", ""));
    #[rustfmt::skip]
    let cases: Vec<(Headers, String, u16, &str, &str)> = vec![
        (&v2[..2], whole.clone(), 400, "UDAPI100015", "Api-Version"),
        (&other_type, whole.clone(), 400, "UDAPI10000", "Content-Type"),
        (&no_accept, whole.clone(), 406, "UDAPI10000", "Accept"),
        (&v2, form("c", "client_id", ("", "")), 400, "UDAPI1017", "client_id is missing"),
        (&v2, form("c", "redirect_uri", ("", "")), 400, "UDAPI1018", "redirect_uri is missing"),
        (&v2, form("c", "code", ("", "")), 400, "UDAPI1022", "code is missing"),
        (&v2, form("c", "grant_type", ("", "")), 400, "UDAPI1023", "grant_type is missing"),
        (&v2, form("c", "client_secret", ("", "")), 400, "UDAPI1024", "client_secret is missing"),
        (&v2, form("c", "", ("grant_type", "refresh_token")), 400, "UDAPI10000", "the only grant"),
        (&v2, whole.clone() + "&code=again", 400, "UDAPI10000", "more than once"),
        (&v2, whole.clone() + "&scope=x", 400, "UDAPI10000", "not a field"),
        (&v2, form("never-issued", "", ("", "")), 401, "UDAPI100069", "never handed out"),
    ];
    for (i, (headers, body, status, code, reason)) in cases.iter().enumerate() {
        assert_eq!(
            raw("POST", &url, headers, body).await,
            (*status, Some(code.to_string())),
            "case {i}: {body}"
        );
        let problems = sim.problems();
        let (s, c, r) = refused(&problems[i]);
        assert_eq!((s, c.as_str()), (*status, *code), "case {i}");
        assert!(r.contains(reason), "case {i}: {r:?} lacks {reason:?}");
    }
    // The redirect URI must be the registered one byte for byte: a real
    // code with a trailing slash added is refused (and spent).
    let login = client.start_login(&app()).unwrap();
    let callback = sim.log_in(login.url()).unwrap();
    let code = login.code_from_callback(callback.as_str()).unwrap();
    let body = form(
        code.secret(),
        "",
        ("redirect_uri", "http://127.0.0.1:5055/callback/?x=1"),
    );
    assert_eq!(
        raw("POST", &url, &v2, &body).await,
        (401, Some("UDAPI100016".into()))
    );
    let last = sim.problems().pop().unwrap();
    assert!(refused(&last).2.contains("byte for byte"), "{last}");
    assert!(!last.to_string().contains(CLIENT_SECRET), "{last}");
}

/// The other operations, sent raw: paths are case-sensitive, methods fixed,
/// the v3 call carries no Api-Version, logout no body, the login dialog
/// only the app's redirect URI and `response_type=code`.
#[tokio::test]
async fn the_other_operations_are_checked_as_upstox_checks_them() {
    let (sim, client) = start().await;
    let base = sim.base_url().to_string();
    let indie = format!("{base}/v3/login/auth/token/request/a1b2-c3%20d4");
    let secret = json!({"client_secret": CLIENT_SECRET}).to_string();
    let json_headers = [("accept", JSON), ("content-type", JSON)];
    let with_version = vec![
        ("accept", JSON),
        ("content-type", JSON),
        ("api-version", "2.0"),
    ];
    let v2 = vec![("accept", JSON), ("api-version", "2.0")];
    let forged = [
        v2.clone(),
        vec![("authorization", "Bearer sim-access-forged")],
    ]
    .concat();
    let with_body = [v2.clone(), vec![("content-type", JSON)]].concat();
    let other = format!("{base}/v3/login/auth/token/request/someone-else");
    let unknown_field = json!({"client_secret": CLIENT_SECRET, "otp": true}).to_string();
    let wrong_secret = json!({"client_secret": "wrong"}).to_string();
    let logout = format!("{base}/v2/logout");
    #[rustfmt::skip]
    let cases: Vec<(&str, String, Headers, String, u16, &str)> = vec![
        ("POST", format!("{base}/v2/Login/authorization/token"), &[], String::new(), 404, "UDAPI100060"),
        ("GET", format!("{base}/v2/login/authorization/token"), &[], String::new(), 405, "UDAPI10000"),
        ("POST", indie.clone(), &with_version, secret.clone(), 400, "UDAPI10000"),
        ("POST", indie.clone(), &json_headers, "{}".into(), 400, "UDAPI1024"),
        ("POST", indie.clone(), &json_headers, "client_secret=x".into(), 400, "UDAPI10000"),
        ("POST", indie.clone(), &json_headers, unknown_field, 400, "UDAPI10000"),
        ("POST", indie.clone(), &json_headers, wrong_secret, 401, "UDAPI100069"),
        ("POST", other, &json_headers, secret.clone(), 401, "UDAPI100069"),
        ("DELETE", logout.clone(), &v2, String::new(), 401, "UDAPI100050"),
        ("DELETE", logout.clone(), &forged, String::new(), 401, "UDAPI100050"),
        ("DELETE", logout, &with_body, "{}".into(), 400, "UDAPI10000"),
    ];
    for (i, (method, url, headers, body, status, code)) in cases.iter().enumerate() {
        assert_eq!(
            raw(method, url, headers, body).await,
            (*status, Some(code.to_string())),
            "case {i}: {method} {url}"
        );
    }
    assert_eq!(sim.problems().len(), cases.len());

    // The login dialog, as the browser reaches it.
    let login = client.start_login(&app()).unwrap();
    let dialog = |change: &dyn Fn(&mut url::Url)| {
        let mut url = login.url().clone();
        change(&mut url);
        sim.log_in(&url).unwrap_err()
    };
    let set = |name: &'static str, value: Option<&'static str>| {
        move |url: &mut url::Url| {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .into_owned()
                .filter(|(k, _)| k != name)
                .collect();
            let mut q = url.query_pairs_mut();
            q.clear().extend_pairs(pairs);
            if let Some(v) = value {
                q.append_pair(name, v);
            }
        }
    };
    for (change, status, code) in [
        (set("response_type", None), 401, "UDAPI100016"),
        (set("response_type", Some("token")), 401, "UDAPI100016"),
        (
            set("redirect_uri", Some("http://127.0.0.1:5055/callback")),
            400,
            "UDAPI100068",
        ),
        (set("client_id", Some("someone-else")), 400, "UDAPI100068"),
        (set("client_id", None), 400, "UDAPI1017"),
    ] {
        let problem = dialog(&change);
        let (s, c, _) = refused(&problem);
        assert_eq!((s, c.as_str()), (status, code), "{problem}");
    }
}

/// A request that is not HTTP, or too big, is answered 400 / 413 and
/// recorded; the simulator keeps serving.
#[tokio::test]
async fn an_unreadable_or_oversized_request_is_refused_and_recorded() {
    let (sim, client) = start().await;
    let address = sim.base_url().trim_start_matches("http://").to_string();
    let mut sock = tokio::net::TcpStream::connect(&address).await.unwrap();
    sock.write_all(b"HELLO\r\n\r\n").await.unwrap();
    let answer = String::from_utf8(read_request(&mut sock).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");

    let url = format!("{}/v2/login/authorization/token", sim.base_url());
    let big = "a".repeat(65 * 1024);
    let (status, _) = raw("POST", &url, &[("content-type", FORM)], &big).await;
    assert_eq!(status, 413);
    let problems: Vec<String> = sim.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[1].contains("a body over 65536 bytes"),
        "{problems:?}"
    );

    client
        .exchange_code(&app(), log_in(&sim, &client))
        .await
        .expect("still serving");
}

/// A notifier webhook (the shared raw server) answering one POST with
/// `status_line`.
async fn answering(status_line: &'static str) -> RawServer {
    RawServer::reply(format!("HTTP/1.1 {status_line}\r\ncontent-length: 0\r\n\r\n").into_bytes())
        .await
}

/// An approved indie-user request: the simulator POSTs the contract's
/// payload to the app's notifier URL, and its token works.
#[tokio::test]
async fn an_approved_indie_request_is_posted_to_the_notifier_url() {
    let (sim, client) = start().await;
    let webhook = answering("200 OK").await;
    let hook = format!("{}/upstox/notify", webhook.base_url());
    sim.set_notifier_url(&hook);
    let request = client
        .request_indie_token(&app(), IndieTokenOptions::default())
        .await
        .expect("the request is taken");
    assert_eq!(request.status.as_deref(), Some("success"));
    assert_eq!(request.notifier_url.as_deref(), Some(hook.as_str()));
    assert!(request.expires_at().unwrap() > std::time::SystemTime::now());

    let sent = webhook
        .wait_for_request(Duration::from_secs(5))
        .await
        .expect("the notifier POST comes");
    let text = String::from_utf8(sent).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("POST /upstox/notify HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("content-type: application/json"), "{head}");
    let payload: Value = serde_json::from_str(body).unwrap();
    let keys: Vec<&str> = payload
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "client_id",
            "expires_at",
            "issued_at",
            "message_type",
            "token_type",
            "user_id"
        ]
    );
    assert_eq!(payload["client_id"], CLIENT_ID);
    assert_eq!(payload["message_type"], "access_token");
    let session = NotifierPayload::parse(body.as_bytes())
        .unwrap()
        .into_session(&ClientId::new(CLIENT_ID))
        .expect("a session for this app");
    assert_eq!(session.user_id(), Some(USER_ID));
    assert_eq!(
        session.expires_at(),
        upstox_login_sdk::expiry::expires_at(session.issued_at())
    );
    client
        .logout(session.access_token())
        .await
        .expect("the notified token is live");
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
}

/// Without approval nothing is POSTed; a webhook that refuses the POST is
/// a problem.
#[tokio::test]
async fn an_unapproved_request_posts_nothing_and_a_refused_post_is_recorded() {
    let (sim, client) = start().await;
    let webhook = answering("500 Internal Server Error").await;
    let hook = format!("{}/hook", webhook.base_url());
    sim.set_notifier_url(&hook);
    sim.set_approval_delay(None);
    client
        .request_indie_token(&app(), IndieTokenOptions::default())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(webhook.accepted(), 0, "nothing is POSTed without approval");

    sim.set_approval_delay(Some(Duration::from_millis(10)));
    client
        .request_indie_token(&app(), IndieTokenOptions::default())
        .await
        .unwrap();
    webhook
        .wait_for_request(Duration::from_secs(5))
        .await
        .expect("the notifier POST comes once approved");
    for _ in 0..100 {
        if !sim.problems().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    match &sim.problems()[..] {
        [Problem::Delivery { url, reason }] => {
            assert_eq!(url, &hook);
            assert!(reason.contains("500"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
