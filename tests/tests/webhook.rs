//! The notifier webhook receiver (`webhook::NotifierServer`): the payload
//! for this app becomes a session and ends the wait; everything else is
//! answered and ignored (another app's payload, a body that is not JSON,
//! other paths and methods, huge or slow bodies, a flood of idle
//! connections); the first payload ends it, so a second finds nobody.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use upstox_login_sdk::simulator::{Simulator, USER_ID};
use upstox_login_sdk::webhook::{NotifierEvent, NotifierServer};
use upstox_login_sdk::Error;
use upstox_login_sdk::{IndieTokenOptions, PayloadRefused, Session};
use upstox_login_tests::raw::read_request;
use upstox_login_tests::*;

const PATH: &str = "/upstox/notify/s3cret-path";
const WEBHOOK_TOKEN: &str = "webhook-access-token-0123";

fn payload(client_id: &str) -> Value {
    notifier::payload(client_id, "AB1234", WEBHOOK_TOKEN)
}

/// A receiver waiting in a task: its address, and what it ends with and
/// every event it saw on the way.
struct Waiting {
    url: String,
    address: String,
    done: tokio::task::JoinHandle<(Result<Session, Error>, Vec<NotifierEvent>)>,
    /// The profile endpoint vouching for every token as AB1234's.
    _profile: httpmock::MockServer,
}

async fn waiting(timeout: Duration) -> Waiting {
    let server = NotifierServer::bind("127.0.0.1:0".parse().unwrap(), PATH)
        .await
        .expect("listens");
    let url = server.url().unwrap();
    let address = server.local_addr().unwrap().to_string();
    let profile = httpmock::MockServer::start_async().await;
    notifier::vouching_profile(&profile, "AB1234").await;
    let verifier = notifier::verifier(&profile.base_url(), "AB1234");
    let done = tokio::spawn(async move {
        let mut events = Vec::new();
        let result = server
            .wait_for_session_with(&verifier, timeout, |e| events.push(e))
            .await;
        (result, events)
    });
    Waiting {
        url,
        address,
        done,
        _profile: profile,
    }
}

async fn post(url: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let answer = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("an answer");
    (answer.status().as_u16(), answer.text().await.unwrap())
}

async fn finished(w: Waiting) -> (Result<Session, Error>, Vec<NotifierEvent>) {
    tokio::time::timeout(Duration::from_secs(5), w.done)
        .await
        .expect("the receiver ends")
        .expect("no panic")
}

/// The contract's payload for this app: answered 200, and the session has
/// its token, user id and times.
#[tokio::test]
async fn the_payload_for_this_app_becomes_the_session() {
    let w = waiting(Duration::from_secs(10)).await;
    let url = w.url.clone();
    let sent = payload(CLIENT_ID);
    assert_eq!(
        post(&url, sent.to_string()).await,
        (200, r#"{"status":"success"}"#.to_string())
    );
    let (session, events) = finished(w).await;
    let session = session.expect("a session");
    assert_eq!(session.access_token().secret(), WEBHOOK_TOKEN);
    assert_eq!(session.user_id(), Some("AB1234"));
    let expires_ms: u64 = sent["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        session.expires_at(),
        std::time::UNIX_EPOCH + Duration::from_millis(expires_ms)
    );
    assert!(events.is_empty(), "{events:?}");
}

/// Another app's payload, a body that is not JSON, a payload without a
/// token: each answered 400 (never echoing the token) and reported, and
/// the receiver keeps waiting for the real one.
#[tokio::test]
async fn bad_payloads_are_refused_and_the_real_one_still_taken() {
    let w = waiting(Duration::from_secs(10)).await;
    let url = w.url.clone();
    for body in [
        payload("someone-else").to_string(),
        "<html>not json</html>".to_string(),
        json!({"client_id": CLIENT_ID}).to_string(),
        String::new(),
    ] {
        let (status, text) = post(&url, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(!text.contains(WEBHOOK_TOKEN), "{text}");
    }
    assert_eq!(post(&url, payload(CLIENT_ID).to_string()).await.0, 200);
    let (session, events) = finished(w).await;
    assert_eq!(session.unwrap().access_token().secret(), WEBHOOK_TOKEN);
    assert!(matches!(
        &events[..],
        [
            NotifierEvent::Rejected(PayloadRefused::ClientIdMismatch),
            NotifierEvent::Rejected(PayloadRefused::Malformed(_)),
            NotifierEvent::Rejected(PayloadRefused::UnusableToken),
            NotifierEvent::Rejected(PayloadRefused::Malformed(_)),
        ]
    ));
    let shown = format!("{events:?} {}", events[0]);
    assert!(!shown.contains(WEBHOOK_TOKEN), "{shown}");
}

/// Other paths (exactly: a trailing slash or a query is another path) and
/// other methods are answered 404/405 and ignored; a path full of terminal
/// escapes is refused, and not shown.
#[tokio::test]
async fn other_paths_and_methods_are_ignored() {
    let w = waiting(Duration::from_secs(10)).await;
    let base = format!("http://{}", w.address);
    let http = reqwest::Client::new();
    for (method, path, status) in [
        ("POST", format!("{PATH}/"), 404),
        ("POST", format!("{PATH}?x=1"), 404),
        ("POST", "/upstox/notify".to_string(), 404),
        ("GET", PATH.to_string(), 405),
        ("PUT", PATH.to_string(), 405),
    ] {
        let answer = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .body(payload(CLIENT_ID).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), status, "{method} {path}");
    }
    let mut sock = TcpStream::connect(&w.address).await.unwrap();
    sock.write_all(b"POST /\x1b[31mred HTTP/1.1\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
    // Refused by the HTTP parser (a target holds no control character).
    assert!(read_request(&mut sock).await.starts_with(b"HTTP/1.1 400 "));
    assert_eq!(post(&w.url, payload(CLIENT_ID).to_string()).await.0, 200);
    let (session, events) = finished(w).await;
    session.expect("a session");
    let shown: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        shown[..5],
        [
            format!("ignored a stray request: POST {PATH}/"),
            format!("ignored a stray request: POST {PATH}"),
            "ignored a stray request: POST /upstox/notify".to_string(),
            format!("ignored a stray request: GET {PATH}"),
            format!("ignored a stray request: PUT {PATH}"),
        ]
    );
    assert!(!shown[5].contains('\x1b'), "{:?}", shown[5]);
    assert!(shown[5].starts_with("refused a request"), "{:?}", shown[5]);
}

/// A body over 16 KiB is refused (413): before it is read when its length
/// is declared, at its 16,385th byte when it comes in chunks; a head over
/// 16 KiB too (431).
#[tokio::test]
async fn huge_bodies_and_heads_are_refused_unread() {
    let w = waiting(Duration::from_secs(10)).await;
    let head = |extra: &str| format!("POST {PATH} HTTP/1.1\r\nhost: x\r\n{extra}\r\n");
    let cases: [(String, &str); 3] = [
        // Declares a megabyte and sends none of it: answered all the same.
        (head("content-length: 1048576\r\n"), "HTTP/1.1 413 "),
        (
            head("transfer-encoding: chunked\r\n") + "4001\r\n" + &"a".repeat(0x4001),
            "HTTP/1.1 413 ",
        ),
        (
            format!(
                "POST {PATH} HTTP/1.1\r\nx-pad: {}\r\n",
                "a".repeat(17 * 1024)
            ),
            "HTTP/1.1 431 ",
        ),
    ];
    for (request, expected) in &cases {
        let mut sock = TcpStream::connect(&w.address).await.unwrap();
        let _ = sock.write_all(request.as_bytes()).await;
        let answer = tokio::time::timeout(Duration::from_secs(5), read_request(&mut sock))
            .await
            .expect("answered at once");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with(expected), "{answer}");
    }
    assert_eq!(post(&w.url, payload(CLIENT_ID).to_string()).await.0, 200);
    let (session, events) = finished(w).await;
    session.expect("a session");
    let shown: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        shown,
        [
            "refused a request: a body over 16384 bytes",
            "refused a request: a body over 16384 bytes",
            "refused a request: a head over 16384 bytes",
        ]
    );
}

/// A payload sent in chunks (as some webhook senders do) is taken.
#[tokio::test]
async fn a_chunked_payload_is_taken() {
    let w = waiting(Duration::from_secs(10)).await;
    let body = payload(CLIENT_ID).to_string();
    let (a, b) = body.split_at(40);
    let request = format!(
        "POST {PATH} HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n{:x};ext=1\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\nx-trailer: 1\r\n\r\n",
        a.len(),
        b.len()
    );
    let mut sock = TcpStream::connect(&w.address).await.unwrap();
    sock.write_all(request.as_bytes()).await.unwrap();
    let answer = read_request(&mut sock).await;
    assert!(answer.starts_with(b"HTTP/1.1 200 "), "{answer:?}");
    let (session, _) = finished(w).await;
    assert_eq!(session.unwrap().access_token().secret(), WEBHOOK_TOKEN);
}

/// Another local process holds 300 idle connections and trickles a body a
/// byte at a time on another: Upstox's POST is still taken at once.
#[tokio::test]
async fn idle_and_slow_connections_do_not_keep_the_payload_out() {
    let w = waiting(Duration::from_secs(30)).await;
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(&w.address).await.unwrap());
    }
    let mut slow = TcpStream::connect(&w.address).await.unwrap();
    let forged = payload(CLIENT_ID).to_string();
    slow.write_all(
        format!(
            "POST {PATH} HTTP/1.1\r\ncontent-length: {}\r\n\r\n",
            forged.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let trickle = tokio::spawn(async move {
        for byte in forged.bytes() {
            if slow.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        post(&w.url, payload(CLIENT_ID).to_string()),
    )
    .await
    .expect("answered despite the flood");
    assert_eq!(answer.0, 200);
    finished(w).await.0.expect("a session");
    trickle.abort();
    drop(idle);
}

/// The first payload ends the wait and closes the listener: a second one
/// (a replay, or a forger's) finds nobody.
#[tokio::test]
async fn a_second_payload_after_the_first_finds_nobody() {
    let w = waiting(Duration::from_secs(10)).await;
    let url = w.url.clone();
    assert_eq!(post(&url, payload(CLIENT_ID).to_string()).await.0, 200);
    finished(w).await.0.expect("a session");
    let second = reqwest::Client::new()
        .post(&url)
        .body(payload(CLIENT_ID).to_string())
        .send()
        .await;
    assert!(second.unwrap_err().is_connect(), "the listener is closed");
}

#[tokio::test]
async fn no_payload_times_out_and_a_bad_path_is_refused() {
    let server = NotifierServer::bind("127.0.0.1:0".parse().unwrap(), PATH)
        .await
        .unwrap();
    let e = server
        .wait_for_session(
            &notifier::verifier("http://127.0.0.1:9", "AB1234"),
            Duration::from_millis(200),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::TimedOut {
                waiting_for: upstox_login_sdk::Waiting::NotifierPayload,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("within 200ms"), "{e}");
    for bad in ["hook", "/a b", "/a\nb", ""] {
        let e = NotifierServer::bind("127.0.0.1:0".parse().unwrap(), bad)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{bad:?}: {e:?}");
    }
}

/// The whole indie flow against the simulated Upstox: the request, the
/// approval, the POST to the receiver, the session, whose token is live.
#[tokio::test]
async fn the_indie_flow_end_to_end_against_the_simulator() {
    let sim = Simulator::start(&app()).await.unwrap();
    let server = NotifierServer::bind("127.0.0.1:0".parse().unwrap(), PATH)
        .await
        .unwrap();
    sim.set_notifier_url(server.url().unwrap());
    let client = client(sim.base_url());
    let request = client
        .request_indie_token(&app(), IndieTokenOptions::default())
        .await
        .expect("the request is taken");
    assert_eq!(request.notifier_url, Some(server.url().unwrap()));
    let session = server
        .wait_for_session(
            &notifier::verifier_with(client.clone(), USER_ID),
            Duration::from_secs(5),
        )
        .await
        .expect("the approved token arrives");
    assert_eq!(session.user_id(), Some(USER_ID));
    client
        .logout(session.access_token())
        .await
        .expect("the token is live");
    assert!(sim.problems().is_empty(), "{:?}", sim.problems());
}
