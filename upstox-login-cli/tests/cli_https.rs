//! The command's own TLS (rustls with ring and the platform's verifier, as
//! `cargo install` builds it): a login over https to a server whose
//! certificate the machine trusts (`SSL_CERT_FILE`) completes; the same
//! server, when the machine does not trust its certificate, never sees the
//! code.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use upstox_login_sdk::simulator::Endpoint;

/// A TLS front for the simulator on 127.0.0.1: decrypts and forwards each
/// connection; counts the handshakes that completed.
struct TlsFront {
    base_url: String,
    handshakes: Arc<AtomicUsize>,
}

/// A self-signed certificate for 127.0.0.1; its PEM is written to
/// `dir/NAME.pem` (what `SSL_CERT_FILE` names to trust it).
fn certificate(dir: &Path, name: &str) -> (rcgen::CertifiedKey<rcgen::KeyPair>, PathBuf) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("a certificate");
    let pem = dir.join(format!("{name}.pem"));
    std::fs::write(&pem, certified.cert.pem()).expect("PEM written");
    (certified, pem)
}

async fn tls_front(upstox: &Upstox, certified: &rcgen::CertifiedKey<rcgen::KeyPair>) -> TlsFront {
    let backend: SocketAddr = upstox
        .sim
        .base_url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("the simulator's address");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let certs: Vec<CertificateDer<'static>> = vec![certified.cert.der().clone()];
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("the certificate and key");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = listener.local_addr().expect("its address").port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counted = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counted = counted.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut plain) = TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    TlsFront {
        base_url: format!("https://127.0.0.1:{port}"),
        handshakes,
    }
}

/// `login --no-browser` with the test's app on `front`, trusting the
/// certificates in `trusted`; the test plays the browser.
async fn log_in(home: &Home, upstox: &Upstox, front: &TlsFront, trusted: &Path) -> Running {
    let mut command = home.command(&["login", "--no-browser", "--timeout", "30"]);
    upstox.credentials(&mut command);
    command
        .env("UPSTOX_BASE_URL", &front.base_url)
        .env("SSL_CERT_FILE", trusted)
        .env_remove("SSL_CERT_DIR");
    for proxy in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        command.env_remove(proxy);
    }
    let mut running = Running::spawn(command);
    let url = running.authorization_url(&front.base_url).await;
    upstox.browse(&url).await;
    running
}

#[tokio::test]
async fn a_login_over_https_to_a_trusted_certificate_completes() {
    let home = Home::new("https");
    let upstox = Upstox::start().await;
    let (certified, pem) = certificate(&home.dir, "upstox");
    let front = tls_front(&upstox, &certified).await;

    let (ok, stderr, _) = log_in(&home, &upstox, &front, &pem).await.finish().await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("Logged in as"), "{stderr}");
    assert!(home.session("default").exists());
    // The exchange went through the TLS front.
    assert_eq!(upstox.sim.calls(Endpoint::Token), 1);
    assert!(front.handshakes.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn an_untrusted_certificate_never_sees_the_code() {
    let home = Home::new("https-untrusted");
    let upstox = Upstox::start().await;
    let (certified, _) = certificate(&home.dir, "upstox");
    // The machine trusts another certificate, not the server's.
    let (_, other) = certificate(&home.dir, "other");
    let front = tls_front(&upstox, &certified).await;

    let (ok, stderr, _) = log_in(&home, &upstox, &front, &other).await.finish().await;
    assert!(!ok, "{stderr}");
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    assert_eq!(front.handshakes.load(Ordering::SeqCst), 0);
    assert_eq!(upstox.sim.calls(Endpoint::Token), 0);
    assert!(!home.session("default").exists());
}
