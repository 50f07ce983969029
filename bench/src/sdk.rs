//! The SDK under test: one `LoginClient` with its default settings.

use upstox_login_sdk::{App, AuthorizationCode, ClientId, ClientSecret, LoginClient, RedirectUri};

use crate::{ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI};

/// The client and the app's credentials.
pub struct Sdk {
    client: LoginClient,
    app: App,
}

impl Sdk {
    /// Builds the client for `base_url` (`http://127.0.0.1:PORT`).
    pub fn new(base_url: &str) -> Result<Self, String> {
        let client = LoginClient::builder().base_url(base_url).build();
        let redirect = RedirectUri::new(REDIRECT_URI).map_err(|e| e.to_string())?;
        Ok(Sdk {
            client: client.map_err(|e| format!("LoginClient: {e}"))?,
            app: App::new(
                ClientId::new(CLIENT_ID),
                ClientSecret::new(CLIENT_SECRET),
                redirect,
            ),
        })
    }
}

impl crate::clients::Exchange for Sdk {
    async fn token(&self, code: String) -> Result<(), String> {
        let answer = self
            .client
            .exchange_code(&self.app, AuthorizationCode::new(code))
            .await;
        let session = answer.map_err(|e| e.to_string())?;
        match session.access_token().secret() {
            ACCESS_TOKEN => Ok(()),
            _ => Err("not the expected access_token".into()),
        }
    }
}
