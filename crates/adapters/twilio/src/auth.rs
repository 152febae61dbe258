//! Authenticating a webhook: the signature, then (when configured) the account it claims.

use secrecy::SecretString;

use crate::{account_sid, SignatureError, SignatureVerifier};

/// Why a webhook was not accepted as Twilio's. Carries no input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookAuthError {
    #[error("webhook signature: {0}")]
    Signature(#[from] SignatureError),
    /// Signed by an account whose auth token we hold, but not the configured account (or the
    /// `AccountSid` field is absent or repeated).
    #[error("webhook is for another Twilio account")]
    AccountMismatch,
}

impl WebhookAuthError {
    /// A stable code for the audit log.
    pub fn reason(self) -> &'static str {
        match self {
            WebhookAuthError::Signature(SignatureError::Missing) => "missing",
            WebhookAuthError::Signature(SignatureError::Malformed) => "malformed",
            WebhookAuthError::Signature(SignatureError::Mismatch) => "mismatch",
            WebhookAuthError::AccountMismatch => "account_mismatch",
        }
    }
}

/// Everything needed to decide whether a webhook really comes from our Twilio account.
#[derive(Debug)]
pub struct WebhookAuthenticator {
    verifier: SignatureVerifier,
    account_sid: Option<String>,
}

impl WebhookAuthenticator {
    /// `account_sid`: when set, a correctly signed webhook for another account is refused too.
    pub fn new(auth_token: SecretString, account_sid: Option<String>) -> Self {
        Self {
            verifier: SignatureVerifier::new(auth_token),
            account_sid,
        }
    }

    /// `url`: the full public URL Twilio posted to (configured base + path + query).
    pub fn authenticate(
        &self,
        url: &str,
        params: &[(String, String)],
        signature: Option<&str>,
    ) -> Result<(), WebhookAuthError> {
        self.verifier.verify(url, params, signature)?;
        match &self.account_sid {
            Some(expected) if account_sid(params) != Some(expected.as_str()) => {
                Err(WebhookAuthError::AccountMismatch)
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://warden.example.com/webhooks/twilio";

    fn form(account: &str) -> Vec<(String, String)> {
        vec![
            ("AccountSid".to_owned(), account.to_owned()),
            ("Body".to_owned(), "hi".to_owned()),
        ]
    }

    #[test]
    fn webhook_for_another_account_is_refused_even_when_signed() {
        let token = SecretString::from("token-0123".to_owned());
        let auth = WebhookAuthenticator::new(token.clone(), Some("AC1".to_owned()));
        let signer = SignatureVerifier::new(token);
        let other = form("AC2");
        let sig = signer.sign(URL, &other);
        assert_eq!(
            auth.authenticate(URL, &other, Some(&sig)),
            Err(WebhookAuthError::AccountMismatch)
        );
        let ours = form("AC1");
        let sig = signer.sign(URL, &ours);
        assert_eq!(auth.authenticate(URL, &ours, Some(&sig)), Ok(()));
    }

    #[test]
    fn signature_is_checked_before_the_account() {
        let auth =
            WebhookAuthenticator::new(SecretString::from("t".repeat(16)), Some("AC1".into()));
        assert_eq!(
            auth.authenticate(URL, &form("AC1"), None)
                .map_err(WebhookAuthError::reason),
            Err("missing")
        );
    }
}
