//! Where a listener listens: every address its host stands for, and, for
//! the notifier receiver, the TLS it may serve.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
#[cfg(feature = "webhook-tls")]
use std::sync::Arc;

use tokio::net::TcpListener;

/// How many ports a listener on port `0` of `localhost` tries, for one
/// free on both loopback addresses.
const PICK_ATTEMPTS: usize = 8;

/// Where to listen: one address, or `localhost`, both loopbacks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Host {
    /// This address alone.
    Ip(IpAddr),
    /// `127.0.0.1` and `[::1]` on the same port (where the machine has
    /// IPv6): whoever resolves `localhost` to either reaches this listener,
    /// and no other program can take the requests on the other.
    Localhost,
}

/// Listens on every address `host` stands for, at `port` (`0`: one free on
/// all of them), or fails naming the address that could not be had.
pub(crate) async fn bind(
    host: Host,
    port: u16,
) -> Result<(TcpListener, Option<TcpListener>), (SocketAddr, std::io::Error)> {
    let (first, second) = match host {
        Host::Ip(ip) => (ip, None),
        Host::Localhost => (
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        ),
    };
    let listen = |address: SocketAddr| async move {
        TcpListener::bind(address)
            .await
            .map_err(|error| (address, error))
    };
    // With port 0 the system picks a port free on the first address; if
    // the second has it taken, another pick is tried.
    let mut attempts = if port == 0 { PICK_ATTEMPTS } else { 1 };
    loop {
        attempts -= 1;
        let address = SocketAddr::new(first, port);
        let listener = listen(address).await?;
        let bound = listener.local_addr().map_err(|e| (address, e))?.port();
        let Some(second) = second else {
            return Ok((listener, None));
        };
        match listen(SocketAddr::new(second, bound)).await {
            Ok(other) => return Ok((listener, Some(other))),
            // No IPv6 loopback on this machine (not even a free port of it
            // can be had): nothing can listen there either.
            Err(_) if TcpListener::bind(SocketAddr::new(second, 0)).await.is_err() => {
                return Ok((listener, None))
            }
            Err(e) if attempts > 0 => drop(e),
            Err(e) => return Err(e),
        }
    }
}

/// A TLS acceptor from a PEM certificate chain and private key, speaking
/// HTTP/1.1 alone.
#[cfg(feature = "webhook-tls")]
pub(crate) fn tls_acceptor(
    cert_pem: &std::path::Path,
    key_pem: &std::path::Path,
) -> std::io::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let invalid = |what: &str, path: &std::path::Path, e: &dyn std::fmt::Display| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the TLS {what} {}: {e}", path.display()),
        )
    };
    let certs = CertificateDer::pem_file_iter(cert_pem)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid("certificate", cert_pem, &e))?;
    if certs.is_empty() {
        return Err(invalid("certificate", cert_pem, &"no certificate in it"));
    }
    let key = PrivateKeyDer::from_pem_file(key_pem).map_err(|e| invalid("key", key_pem, &e))?;
    // ring, whichever provider reqwest was built with: the rustls of this
    // feature has it, and naming it never depends on a process default.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| invalid("certificate and key", cert_pem, &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
