//! The simulator keeps the rules its documentation states: a chunked
//! body is refused, a code presented by a refused exchange is spent, and
//! `Accept` must name `application/json` itself.

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use upstox_login_sdk::simulator::{Problem, Simulator};
use upstox_login_sdk::{AuthorizationCode, ErrorCode, LoginClient};
use upstox_login_tests::raw::read_request;
use upstox_login_tests::*;

const TOKEN: &str = "/v2/login/authorization/token";
const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

async fn start() -> (Simulator, LoginClient) {
    let sim = Simulator::start(&app()).await.expect("simulator starts");
    let client = client(sim.base_url());
    (sim, client)
}

fn log_in(sim: &Simulator, client: &LoginClient) -> AuthorizationCode {
    let login = client.start_login(&app()).expect("login starts");
    let callback = sim.log_in(login.url()).expect("the account holder logs in");
    login.code_from_callback(callback.as_str()).expect("a code")
}

/// The exchange's form for `code`, as the SDK sends it.
fn form(code: &str) -> String {
    [
        ("code", code),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("redirect_uri", REDIRECT_URI),
        ("grant_type", "authorization_code"),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", url_encode(v)))
    .collect::<Vec<_>>()
    .join("&")
}

/// Sends a raw HTTP/1.1 request (head lines given) and returns the status
/// and the first error code of the answer.
async fn raw_http(sim: &Simulator, head: &str, body: &[u8]) -> (u16, Option<String>) {
    let address = sim.base_url().trim_start_matches("http://").to_string();
    let mut sock = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!("{head}host: {address}\r\nconnection: close\r\n\r\n");
    sock.write_all(request.as_bytes()).await.unwrap();
    sock.write_all(body).await.unwrap();
    let answer = read_request(&mut sock).await;
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body: Value = answer
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    let code = body["errors"][0]["error_code"].as_str().map(str::to_string);
    (status, code)
}

/// A refused exchange: what is wrong, its headers, what is added to the
/// form, and the status and code it gets.
type Refusal<'a> = (&'a str, Vec<(&'a str, &'a str)>, String, (u16, &'a str));

fn chunked(body: &str) -> Vec<u8> {
    format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len()).into_bytes()
}

fn last_reason(sim: &Simulator) -> String {
    match sim.problems().pop() {
        Some(Problem::Refused { reason, .. }) => reason,
        other => panic!("not a refusal: {other:?}"),
    }
}

/// A chunked token exchange or logout is answered 400, as documented;
/// the chunked exchange spends its code all the same.
#[tokio::test]
async fn chunked_token_and_logout_requests_are_refused_with_400() {
    let (sim, client) = start().await;
    let code = log_in(&sim, &client);
    let head = format!(
        "POST {TOKEN} HTTP/1.1\r\naccept: {JSON}\r\napi-version: 2.0\r\n\
         content-type: {FORM}\r\ntransfer-encoding: chunked\r\n"
    );
    assert_eq!(
        raw_http(&sim, &head, &chunked(&form(code.secret()))).await,
        (400, Some("UDAPI10000".into()))
    );
    assert!(last_reason(&sim).contains("Transfer-Encoding"));
    let e = client.exchange_code(&app(), code).await.unwrap_err();
    assert!(e.has_code(&ErrorCode::InvalidCodeOrCredentials), "{e}");

    let session = client
        .exchange_code(&app(), log_in(&sim, &client))
        .await
        .expect("a session");
    let head = format!(
        "DELETE /v2/logout HTTP/1.1\r\naccept: {JSON}\r\napi-version: 2.0\r\n\
         authorization: Bearer {}\r\ntransfer-encoding: chunked\r\n",
        session.access_token().secret()
    );
    assert_eq!(
        raw_http(&sim, &head, b"0\r\n\r\n").await,
        (400, Some("UDAPI10000".into()))
    );
    assert!(last_reason(&sim).contains("Transfer-Encoding"));
    // Refused: the token was not revoked.
    client
        .logout(session.access_token())
        .await
        .expect("still live");
}

/// Upstox spends a code on its first exchange even when that exchange is
/// refused: whatever the refusal, a later exchange of the code gets 401
/// `UDAPI100069`.
#[tokio::test]
async fn a_code_first_sent_in_a_refused_exchange_is_spent() {
    let (sim, client) = start().await;
    let http = reqwest::Client::new();
    let url = format!("{}{TOKEN}", sim.base_url());
    let v2 = [
        ("accept", JSON),
        ("api-version", "2.0"),
        ("content-type", FORM),
    ];
    let drop_header = |name: &str| -> Vec<(&str, &str)> {
        v2.iter().copied().filter(|(n, _)| *n != name).collect()
    };
    let refusals: Vec<Refusal> = vec![
        (
            "no Api-Version",
            drop_header("api-version"),
            String::new(),
            (400, "UDAPI100015"),
        ),
        (
            "no Accept",
            drop_header("accept"),
            String::new(),
            (406, "UDAPI10000"),
        ),
        (
            "an unknown field",
            v2.to_vec(),
            "&scope=x".into(),
            (400, "UDAPI10000"),
        ),
        (
            "a wrong grant",
            v2.to_vec(),
            "&grant_type=x".into(),
            (400, "UDAPI10000"),
        ),
    ];
    for (what, headers, extra, (status, udapi)) in refusals {
        let code = log_in(&sim, &client);
        let mut request = http.post(&url).body(form(code.secret()) + &extra);
        for (n, v) in &headers {
            request = request.header(*n, *v);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status().as_u16(), status, "{what}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["errors"][0]["error_code"], json!(udapi), "{what}");

        let e = client.exchange_code(&app(), code).await.unwrap_err();
        assert_eq!(e.status(), Some(401), "{what}: {e}");
        assert!(
            e.has_code(&ErrorCode::InvalidCodeOrCredentials),
            "{what}: {e}"
        );
        assert!(
            last_reason(&sim).contains("already presented"),
            "{what}: {:?}",
            sim.problems()
        );
    }
}

/// `Accept` must list the media type `application/json` itself:
/// `application/jsonp` is another type, and gets 406 on every call;
/// parameters and other entries around it are fine.
#[tokio::test]
async fn accept_must_name_application_json_exactly() {
    let (sim, client) = start().await;
    let base = sim.base_url().to_string();
    let http = reqwest::Client::new();
    let session = client
        .exchange_code(&app(), log_in(&sim, &client))
        .await
        .expect("a session");
    let bearer = format!("Bearer {}", session.access_token().secret());
    for accept in ["application/jsonp", "application/json-seq", "text/json"] {
        let calls = [
            http.post(format!("{base}{TOKEN}"))
                .header("content-type", FORM)
                .body(form("c")),
            http.delete(format!("{base}/v2/logout"))
                .header("authorization", &bearer),
            http.get(format!("{base}/v2/user/profile"))
                .header("authorization", &bearer),
        ];
        for call in calls {
            let answer = call
                .header("accept", accept)
                .header("api-version", "2.0")
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status().as_u16(), 406, "{accept}");
        }
        let answer = http
            .post(format!("{base}/v3/login/auth/token/request/a1b2-c3%20d4"))
            .header("accept", accept)
            .header("content-type", JSON)
            .body(json!({"client_secret": CLIENT_SECRET}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 406, "indie {accept}");
    }
    for accept in [
        "application/json",
        "Application/JSON; charset=utf-8",
        "text/html, application/json;q=0.9",
    ] {
        let answer = http
            .get(format!("{base}/v2/user/profile"))
            .header("authorization", &bearer)
            .header("accept", accept)
            .header("api-version", "2.0")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200, "{accept}");
    }
}
