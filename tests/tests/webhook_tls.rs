//! The notifier receiver serving HTTPS itself (feature `webhook-tls`), from
//! a PEM certificate and key: a POST over https that trusts the certificate
//! is taken; a plain-http POST to the TLS port is not.

use std::path::PathBuf;
use std::time::Duration;

use upstox_login_sdk::webhook::{NotifierAddress, NotifierServer};
use upstox_login_tests::*;

const PATH: &str = "/upstox/notify/s3cret-path";
const WEBHOOK_TOKEN: &str = "webhook-access-token-0123";

/// A self-signed certificate for `127.0.0.1` and `localhost`, made now:
/// the folder holding `cert.pem` and `key.pem`, and the certificate's PEM.
fn self_signed(name: &str) -> (PathBuf, String) {
    let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    let certified = rcgen::generate_simple_self_signed(names).unwrap();
    let dir = std::env::temp_dir().join(format!("webhook-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = certified.cert.pem();
    std::fs::write(dir.join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    (dir, cert)
}

#[tokio::test]
async fn https_with_a_self_signed_certificate_is_taken_and_plain_http_is_not() {
    let (dir, cert) = self_signed("serve");
    let server = NotifierServer::bind("127.0.0.1:0".parse().unwrap(), PATH)
        .await
        .unwrap()
        .with_tls(&dir.join("cert.pem"), &dir.join("key.pem"))
        .expect("the certificate and key load");
    let url = server.url().unwrap();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let profile = httpmock::MockServer::start_async().await;
    notifier::vouching_profile(&profile, "AB1234").await;
    let verifier = notifier::verifier(&profile.base_url(), "AB1234");
    let waiting = tokio::spawn(async move {
        let mut events = Vec::new();
        let result = server
            .wait_for_session_with(&verifier, Duration::from_secs(10), |e| events.push(e))
            .await;
        (result, events)
    });
    let payload = notifier::payload(CLIENT_ID, "AB1234", WEBHOOK_TOKEN).to_string();

    // Plain HTTP to the TLS port: no answer that takes it.
    let plain = url.replacen("https://", "http://", 1);
    let answer = reqwest::Client::new()
        .post(&plain)
        .timeout(Duration::from_secs(5))
        .body(payload.clone())
        .send()
        .await;
    assert!(
        !matches!(&answer, Ok(a) if a.status().is_success()),
        "{answer:?}"
    );
    assert!(!waiting.is_finished(), "a plain-http POST ended the wait");

    // HTTPS, trusting the self-signed certificate: taken.
    let https = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).unwrap())
        .build()
        .unwrap();
    let answer = https.post(&url).body(payload).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let (result, events) = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result.unwrap().access_token().secret(), WEBHOOK_TOKEN);
    assert!(events.is_empty(), "{events:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A certificate or key file that is missing, or not PEM, fails at once,
/// naming the file.
#[tokio::test]
async fn a_bad_certificate_or_key_is_refused_naming_the_file() {
    let (dir, _) = self_signed("bad");
    std::fs::write(dir.join("empty.pem"), "not a pem file\n").unwrap();
    for (cert, key, named) in [
        ("missing.pem", "key.pem", "missing.pem"),
        ("empty.pem", "key.pem", "empty.pem"),
        ("cert.pem", "empty.pem", "empty.pem"),
        ("cert.pem", "cert.pem", "cert.pem"),
    ] {
        let server = NotifierServer::bind("127.0.0.1:0".parse().unwrap(), PATH)
            .await
            .unwrap();
        let err = server
            .with_tls(&dir.join(cert), &dir.join(key))
            .unwrap_err();
        // Named in the error or its cause (each printed once by `Debug`).
        let shown = format!("{err:?}");
        assert!(shown.contains(named), "{cert} {key}: {shown}");
        // The same, before anything is bound, for a receiver bound later.
        let err = NotifierAddress::new("127.0.0.1:0".parse().unwrap(), PATH)
            .unwrap()
            .with_tls(&dir.join(cert), &dir.join(key))
            .unwrap_err();
        assert!(
            matches!(&err, upstox_login_sdk::Error::Listen { address: None, .. }),
            "{err:?}"
        );
        assert!(format!("{err:?}").contains(named), "{cert} {key}: {err:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
