//! The secrets each gateway is configured with, generated per gateway.

use secrecy::{ExposeSecret, SecretString};

/// Generated per gateway, so a leak test knows exactly which strings must never appear.
#[derive(Debug, Clone)]
pub struct Secrets {
    pub twilio_auth_token: SecretString,
    pub pair_token: SecretString,
    pub pseudonym_key: SecretString,
    /// Meta's secrets, generated whether or not the Meta channel is enabled.
    pub meta_app_secret: SecretString,
    pub meta_verify_token: SecretString,
    pub meta_access_token: SecretString,
    /// Gemini's API key, generated whether or not the advisor is enabled.
    pub gemini_api_key: SecretString,
    /// The marketplace's reference key, generated whether or not the marketplace is enabled.
    pub market_ref_key: SecretString,
    /// The admin API's signing key and the password pepper, generated whether or not the
    /// admin API is enabled.
    pub jwt_key: SecretString,
    pub password_pepper: SecretString,
    /// The Google OAuth client's secret and the calendar's refresh token, generated whether or
    /// not the calendar is enabled.
    pub google_client_secret: SecretString,
    pub google_refresh_token: SecretString,
    /// Set only when [`Settings::db_password`] is used on Postgres (trust auth ignores it).
    pub db_password: Option<SecretString>,
}

impl Secrets {
    pub fn generate() -> Self {
        Self {
            twilio_auth_token: warden::random_token(),
            pair_token: warden::random_token(),
            pseudonym_key: warden::random_token(),
            meta_app_secret: warden::random_token(),
            meta_verify_token: warden::random_token(),
            meta_access_token: warden::random_token(),
            gemini_api_key: warden::random_token(),
            market_ref_key: warden::random_token(),
            jwt_key: warden::random_token(),
            password_pepper: warden::random_token(),
            google_client_secret: warden::random_token(),
            google_refresh_token: warden::random_token(),
            db_password: None,
        }
    }

    pub fn all(&self) -> Vec<String> {
        let mut out = vec![
            self.twilio_auth_token.expose_secret().to_owned(),
            self.pair_token.expose_secret().to_owned(),
            self.pseudonym_key.expose_secret().to_owned(),
            self.meta_app_secret.expose_secret().to_owned(),
            self.meta_verify_token.expose_secret().to_owned(),
            self.meta_access_token.expose_secret().to_owned(),
            self.gemini_api_key.expose_secret().to_owned(),
            self.market_ref_key.expose_secret().to_owned(),
            self.jwt_key.expose_secret().to_owned(),
            self.password_pepper.expose_secret().to_owned(),
            self.google_client_secret.expose_secret().to_owned(),
            self.google_refresh_token.expose_secret().to_owned(),
        ];
        out.extend(
            self.db_password
                .iter()
                .map(|p| p.expose_secret().to_owned()),
        );
        out
    }
}
