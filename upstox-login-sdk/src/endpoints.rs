//! The request URLs, parsed once per client.

use std::sync::Arc;

use crate::generated::FIXED_PATHS;

/// The URLs the generated client sends requests to, parsed once when the
/// client is made rather than on every call.
///
/// progenitor would format `{base URL}{path}` into a string on every call for
/// reqwest to parse again; the `fixed-endpoint-urls` transform in xtask makes
/// the generated code ask this instead. A [`LoginClient`](crate::LoginClient)
/// makes its own; build one only to make a
/// [`generated::Client`](crate::generated::Client) by hand, from the same base
/// URL you give it.
#[derive(Clone)]
pub struct Endpoints {
    base: Arc<str>,
    fixed: Arc<[(&'static str, reqwest::Url)]>,
}

impl Endpoints {
    /// Parses the URL of every path in
    /// [`FIXED_PATHS`](crate::generated::FIXED_PATHS) under `base_url`
    /// (without a trailing `/`, as the generated client takes it). The base
    /// URL is held to the same rules as [`LoginClientBuilder::base_url`]
    /// (https except on loopback, no query, fragment or credentials), and
    /// must be the very string given to the generated client, which checks
    /// that on every call.
    ///
    /// [`LoginClientBuilder::base_url`]: crate::LoginClientBuilder::base_url
    pub fn new(base_url: &str) -> Result<Self, crate::Error> {
        crate::client::parse_base_url(base_url)?;
        let fixed = FIXED_PATHS
            .iter()
            .map(|path| Ok((*path, join(base_url, path)?)))
            .collect::<Result<Arc<[_]>, String>>()
            .map_err(crate::Error::InvalidInput)?;
        Ok(Endpoints {
            base: base_url.into(),
            fixed,
        })
    }

    /// The URL of `path` (which starts with `/`) under the base URL: the one
    /// parsed up front when `path` is fixed (a copy, no parsing), otherwise
    /// parsed now. The error is text, as progenitor's
    /// `Error::InvalidRequest` takes it.
    pub fn url(&self, path: &str) -> Result<reqwest::Url, String> {
        if !path.starts_with('/') {
            return Err(format!("request path {path:?} does not start with `/`"));
        }
        match self.fixed.iter().find(|(fixed, _)| *fixed == path) {
            Some((_, url)) => Ok(url.clone()),
            None => join(&self.base, path),
        }
    }

    /// The base URL, as given.
    pub fn base(&self) -> &str {
        &self.base
    }
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoints")
            .field("base", &self.base)
            .field("fixed_paths", &self.fixed.len())
            .finish()
    }
}

/// `{base}{path}` parsed, exactly the URL progenitor's own code would send to.
fn join(base: &str, path: &str) -> Result<reqwest::Url, String> {
    let joined = format!("{base}{path}");
    reqwest::Url::parse(&joined).map_err(|e| format!("{joined:?} is not a URL: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_paths_are_parsed_up_front_and_equal_a_fresh_parse() {
        let e = Endpoints::new("https://api.example.com/stem").unwrap();
        assert_eq!(e.fixed.len(), FIXED_PATHS.len());
        for path in FIXED_PATHS {
            let url = e.url(path).unwrap();
            assert_eq!(url.as_str(), format!("https://api.example.com/stem{path}"));
            assert_eq!(url, reqwest::Url::parse(url.as_str()).unwrap());
        }
        assert!(FIXED_PATHS.contains(&"/v2/login/authorization/token"));
        assert!(FIXED_PATHS.contains(&"/v2/logout"));
    }

    #[test]
    fn other_paths_are_parsed_on_demand() {
        let e = Endpoints::new("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            e.url("/v3/x/y").unwrap().as_str(),
            "http://127.0.0.1:8080/v3/x/y"
        );
        assert!(Endpoints::new("not a url").is_err());
        assert!(e.url("v2/logout").is_err());
    }

    #[test]
    fn the_base_url_follows_the_client_s_rules() {
        for bad in [
            "http://api.example.com",
            "https://user:pw@api.example.com",
            "https://api.example.com/?q=1",
        ] {
            assert!(Endpoints::new(bad).is_err(), "{bad}");
        }
        let e = Endpoints::new("https://api.example.com").unwrap();
        assert_eq!(
            format!("{e:?}"),
            "Endpoints { base: \"https://api.example.com\", fixed_paths: 3 }"
        );
    }
}
