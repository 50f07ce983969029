//! Which calls may go through a proxy.
//!
//! reqwest takes proxies from the environment (`HTTP_PROXY`, `HTTPS_PROXY`,
//! `ALL_PROXY`, in either case, less whatever `NO_PROXY` names) and, on
//! macOS and Windows, from the system's settings. Whoever sets those for
//! the process decides where calls go, and a proxy sees a plain-http call
//! whole: the token form with the client secret and the code.
//!
//! - A loopback base URL (`127.0.0.0/8`, `localhost`, `[::1]`, plain http
//!   or https) never goes through a proxy: the call stays on this machine,
//!   whatever the environment says.
//! - An `https` base URL elsewhere may: the proxy is asked to `CONNECT` and
//!   sees the host and port only, TLS being end to end; `NO_PROXY` is
//!   honoured as reqwest does. (Plain http elsewhere is refused anyway.)

use crate::config::is_loopback;

/// Whether calls to `base_url` may go through a proxy: only an `https` one
/// off loopback. A base URL that does not parse gets none either.
pub(crate) fn allowed(base_url: &str) -> bool {
    url::Url::parse(base_url).is_ok_and(|url| url.scheme() == "https" && !is_loopback(&url))
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn only_https_off_loopback_may_use_a_proxy() {
        assert!(allowed("https://api.upstox.com"));
        assert!(allowed("https://api.upstox.com:8443/prefix/"));
        for base in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://localhost:1",
            "http://LOCALHOST",
            "http://[::1]:5",
            "https://127.0.0.1",
            "https://localhost",
            "https://[::1]",
            "http://api.upstox.com",
            "not a url",
            "",
        ] {
            assert!(!allowed(base), "{base}");
        }
    }
}
