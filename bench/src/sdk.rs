//! The SDK variant: upstox-login-sdk's facade, one shared [`LoginClient`].

use std::sync::Arc;

use upstox_login_sdk::{
    AccessToken, App, AuthorizationCode, ClientId, ClientSecret, LoginClient, RedirectUri,
};

use crate::clients::{BenchClient, ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI};

/// The SDK client with its default settings (timeouts, user agent, body cap),
/// pointed at the stand-in.
#[derive(Clone)]
pub struct Sdk {
    client: LoginClient,
    app: Arc<App>,
    token: Arc<AccessToken>,
}

impl Sdk {
    /// Builds the client for `base_url` (`http://127.0.0.1:PORT`).
    pub fn new(base_url: &str) -> Result<Self, String> {
        let client = LoginClient::builder()
            .base_url(base_url)
            .build()
            .map_err(|e| format!("LoginClient: {e}"))?;
        let redirect_uri =
            RedirectUri::new(REDIRECT_URI).map_err(|e| format!("redirect URI: {e}"))?;
        let app = App::new(
            ClientId::new(CLIENT_ID),
            ClientSecret::new(CLIENT_SECRET),
            redirect_uri,
        );
        Ok(Sdk {
            client,
            app: Arc::new(app),
            token: Arc::new(AccessToken::new(ACCESS_TOKEN)),
        })
    }
}

impl BenchClient for Sdk {
    async fn token(&self, code: String) -> Result<(), String> {
        let session = self
            .client
            .exchange_code(&self.app, AuthorizationCode::new(code))
            .await
            .map_err(|e| format!("token: {e}"))?;
        match Some(session.access_token().secret()) {
            Some(ACCESS_TOKEN) => Ok(()),
            other => Err(format!(
                "token: unexpected access_token {:?}",
                other.map(|_| "(other)")
            )),
        }
    }

    async fn logout(&self) -> Result<(), String> {
        let outcome = self
            .client
            .logout(&self.token)
            .await
            .map_err(|e| format!("logout: {e}"))?;
        if outcome.revoked && outcome.status.as_deref() == Some("success") {
            Ok(())
        } else {
            Err(format!("logout: unexpected answer {outcome:?}"))
        }
    }
}
