//! `RUST_LOG=trace`: every log line the command writes goes to stderr, and
//! none of them (nor anything on stdout) spells a secret, in any encoding a
//! log or a server's echo may carry it in: through a whole login, and
//! through a token exchange refused by a server that echoes what it got.

mod common;

use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The ways a secret may be spelled in a log line or an echo.
fn encodings(secret: &str) -> Vec<String> {
    let bytes = secret.as_bytes();
    let percent = |upper: bool| {
        bytes
            .iter()
            .map(|&b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    (b as char).to_string()
                } else if upper {
                    format!("%{b:02X}")
                } else {
                    format!("%{b:02x}")
                }
            })
            .collect::<String>()
    };
    let form: String = url::form_urlencoded::byte_serialize(bytes).collect();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let json_escaped: String = secret
        .encode_utf16()
        .map(|u| format!("\\u{u:04x}"))
        .collect();
    let standard = base64(bytes);
    let url_safe = standard.replace('+', "-").replace('/', "_");
    vec![
        secret.to_string(),
        percent(true),
        percent(false),
        form,
        standard.trim_end_matches('=').to_string(),
        url_safe.trim_end_matches('=').to_string(),
        hex.clone(),
        hex.to_uppercase(),
        json_escaped.clone(),
        json_escaped.to_uppercase().replace("\\U", "\\u"),
        secret.chars().rev().collect(),
        secret.to_uppercase(),
        secret.to_lowercase(),
    ]
}

/// Standard base64 (with padding), written here rather than taken from the
/// code under test.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Panics when `text` spells any of `secrets` in any encoding.
fn assert_unspelled(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        for spelled in encodings(secret) {
            assert!(
                !text.contains(&spelled),
                "{what} spells a secret as {spelled:?}:\n{text}"
            );
        }
    }
}

#[test]
fn the_encodings_are_right() {
    assert_eq!(base64(b"any carnal pleas"), "YW55IGNhcm5hbCBwbGVhcw==");
    assert_eq!(base64(b"any carnal pleasu"), "YW55IGNhcm5hbCBwbGVhc3U=");
    assert_eq!(base64(b"any carnal pleasur"), "YW55IGNhcm5hbCBwbGVhc3Vy");
    let all = encodings("a/b c");
    for wanted in [
        "a%2Fb%20c",
        "a%2fb%20c",
        "a%2Fb+c",
        "612f622063",
        "\\u0061\\u002f",
    ] {
        assert!(all.iter().any(|e| e.contains(wanted)), "{wanted}: {all:?}");
    }
}

/// The strings held under a key that names a token, at any depth.
fn tokens_in(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match value.as_str() {
                    Some(token) if key.contains("token") => found.push(token.to_string()),
                    _ => tokens_in(value, found),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| tokens_in(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn a_traced_login_spells_no_secret() {
    let home = Home::new("trace-login");
    let upstox = Upstox::start().await;
    let mut command = home.command(&["login", "--paste"]);
    upstox.credentials(&mut command);
    command.env("RUST_LOG", "trace").stdin(Stdio::piped());
    let mut running = Running::spawn(command);
    let url = running.authorization_url(upstox.sim.base_url()).await;
    let landed = upstox
        .sim
        .log_in(&url)
        .expect("the login page takes the URL");
    let code = landed
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let mut stdin = running.child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{landed}\n").as_bytes())
        .await
        .expect("pasted");
    drop(stdin);
    let (ok, stderr, stdout) = running.finish().await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "");

    let mut token = home.command(&["token"]);
    upstox.credentials(&mut token);
    token.env("RUST_LOG", "trace");
    let (token_ok, token_stdout, token_stderr) = run(token).await;
    assert!(token_ok, "{token_stderr}");
    let access_token = token_stdout.trim_end_matches('\n');
    assert!(!access_token.is_empty() && !access_token.contains('\n'));

    // The log lines are there (so the check below means something) ...
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "no log line at RUST_LOG=trace:\n{stderr}"
    );
    // ... and spell none of the secrets.
    // The extended token too: every token the session file holds.
    let saved = std::fs::read_to_string(home.session("default")).expect("the session file");
    let saved: serde_json::Value = serde_json::from_str(&saved).expect("JSON");
    let mut tokens = Vec::new();
    tokens_in(&saved, &mut tokens);
    assert!(tokens.iter().any(|t| t == access_token), "{tokens:?}");
    assert!(tokens.len() >= 2, "an extended token as well: {tokens:?}");
    let mut secrets = vec![CLIENT_SECRET, code.as_str()];
    secrets.extend(tokens.iter().map(String::as_str));
    assert_unspelled("login's stderr", &stderr, &secrets);
    assert_unspelled("token's stderr", &token_stderr, &secrets);
}

/// The client secret the echoing test uses: with characters every encoding
/// changes.
const ECHOED_SECRET: &str = "Ech0-s3cr&t/+=Zq";
/// The code pasted to it.
const ECHOED_CODE: &str = "C0de+/&=Wx9";

/// A server that refuses every request with an error envelope echoing,
/// in every encoding, each secret value of the form it was sent.
/// Also counts the forms it got that carried a client secret.
async fn echoing_server() -> (String, Arc<AtomicUsize>) {
    let exchanges = Arc::new(AtomicUsize::new(0));
    let counted = exchanges.clone();
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                // Reads the head, then as much body as Content-Length says.
                let body = loop {
                    let Ok(n) = sock.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got).into_owned();
                    let Some(end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let length = text[..end]
                        .lines()
                        .filter_map(|l| l.split_once(':'))
                        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if got.len() >= end + 4 + length {
                        break got[end + 4..end + 4 + length].to_vec();
                    }
                };
                let form: Vec<_> = url::form_urlencoded::parse(&body).collect();
                if form.iter().any(|(name, _)| name == "client_secret") {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
                let mut errors = Vec::new();
                for (name, value) in form {
                    for spelled in encodings(&value) {
                        errors.push(serde_json::json!({
                            "errorCode": "UDAPI100057",
                            "message": format!("Invalid {name}: {spelled} ({value})"),
                            "propertyPath": name,
                            "invalidValue": spelled,
                            "invalid_value": value,
                        }));
                    }
                }
                let envelope = serde_json::json!({ "status": "error", "errors": errors });
                let body = envelope.to_string();
                let answer = format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(answer.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (base_url, exchanges)
}

#[tokio::test]
async fn a_traced_refusal_echoing_the_secrets_spells_none() {
    let home = Home::new("trace-echo");
    let (base_url, exchanges) = echoing_server().await;
    let redirect = "http://127.0.0.1:5999/callback";
    let mut command = home.command(&["login", "--paste"]);
    command
        .env("UPSTOX_CLIENT_ID", CLIENT_ID)
        .env("UPSTOX_CLIENT_SECRET", ECHOED_SECRET)
        .env("UPSTOX_REDIRECT_URI", redirect)
        .env("UPSTOX_BASE_URL", &base_url)
        .env("RUST_LOG", "trace")
        .stdin(Stdio::piped());
    let mut running = Running::spawn(command);
    let url = running.authorization_url(&base_url).await;
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state");
    let mut pasted = url::Url::parse(redirect).expect("redirect");
    pasted
        .query_pairs_mut()
        .append_pair("code", ECHOED_CODE)
        .append_pair("state", &state);
    let mut stdin = running.child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{pasted}\n").as_bytes())
        .await
        .expect("pasted");
    drop(stdin);
    let (ok, stderr, stdout) = running.finish().await;
    assert!(!ok, "the echoing server refused the exchange:\n{stderr}");
    // The exchange was reached (and refused), and logged.
    assert_eq!(exchanges.load(Ordering::SeqCst), 1, "{stderr}");
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "no log line at RUST_LOG=trace:\n{stderr}"
    );
    let secrets = [ECHOED_SECRET, ECHOED_CODE];
    assert_unspelled("stderr", &stderr, &secrets);
    assert_unspelled("stdout", &stdout, &secrets);
}

/// `RUST_LOG` chooses by target and level: the SDK's debug lines and no
/// others; `off`, none; a directive that does not parse is said to be
/// ignored, and the command still runs.
#[tokio::test]
async fn rust_log_selects_by_target_and_level() {
    let home = Home::new("trace-targets");
    let login = |rust_log: &str| {
        let mut command = home.command(&["login", "--no-browser", "--timeout", "30"]);
        command.env("RUST_LOG", rust_log);
        run(command)
    };
    let (ok, _, stderr) = login("upstox_login_sdk=debug").await;
    assert!(ok, "{stderr}");
    let logged: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            [" TRACE ", " DEBUG ", " INFO ", " WARN ", " ERROR "]
                .iter()
                .any(|k| l.contains(k))
        })
        .collect();
    assert!(!logged.is_empty(), "no log line:\n{stderr}");
    for line in &logged {
        assert!(line.contains(" DEBUG upstox_login_sdk"), "{line}");
    }

    let _ = std::fs::remove_dir_all(home.dir.join("upstox-login"));
    let (ok, _, stderr) = login("off").await;
    assert!(ok, "{stderr}");
    assert!(
        !stderr.contains(" DEBUG ") && !stderr.contains(" TRACE "),
        "{stderr}"
    );

    let (ok, _, stderr) = login("upstox_login_sdk=loud").await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("RUST_LOG ignored"), "{stderr}");
}
