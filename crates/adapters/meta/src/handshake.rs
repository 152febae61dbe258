//! The webhook subscription handshake (Meta's `GET` "verification request").
//!
//! When an operator registers the webhook URL, Meta sends
//! `GET ?hub.mode=subscribe&hub.verify_token=<token>&hub.challenge=<challenge>` and expects the
//! challenge back as the body. Answering only when the token matches stops a stranger from
//! pointing their own Meta app at Warden's URL. The challenge is reflected into a response, and
//! Meta only ever sends a number, so nothing but 1–[`MAX_CHALLENGE_LEN`] ASCII digits is
//! reflected: no markup, no header injection, whatever the token. The edge serves it as
//! `text/plain` and answers a malformed challenge with 400.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Query parameter names Meta uses.
pub const MODE_PARAM: &str = "hub.mode";
pub const VERIFY_TOKEN_PARAM: &str = "hub.verify_token";
pub const CHALLENGE_PARAM: &str = "hub.challenge";

/// Meta's challenges are short integers (ten digits today); anything longer is not from Meta.
pub const MAX_CHALLENGE_LEN: usize = 64;

/// Why a subscription handshake was refused. Never carries the token or the challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// `hub.mode` is absent or not `subscribe`.
    #[error("handshake mode is not subscribe")]
    WrongMode,
    /// `hub.verify_token` is absent or empty.
    #[error("handshake verify token is missing")]
    MissingToken,
    /// The verify token is not the configured one (or none is configured).
    #[error("handshake verify token does not match")]
    TokenMismatch,
    /// `hub.challenge` is absent, empty, longer than [`MAX_CHALLENGE_LEN`] or not all ASCII
    /// digits. The request is malformed (400) rather than unauthenticated (403).
    #[error("handshake challenge is missing or malformed")]
    BadChallenge,
}

impl HandshakeError {
    /// A stable code for the audit log.
    pub fn reason(self) -> &'static str {
        match self {
            Self::WrongMode => "wrong_mode",
            Self::MissingToken => "missing_token",
            Self::TokenMismatch => "token_mismatch",
            Self::BadChallenge => "bad_challenge",
        }
    }
}

/// Answers Meta's subscription handshake for the configured verify token.
pub struct SubscriptionVerifier {
    /// SHA-256 of the configured token, so the comparison is constant time whatever the
    /// presented token's length. `None` when the configured token is empty.
    expected: Option<[u8; 32]>,
}

impl fmt::Debug for SubscriptionVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriptionVerifier")
            .field("verify_token", &"[redacted]")
            .finish()
    }
}

impl SubscriptionVerifier {
    /// An empty `verify_token` makes every handshake fail: it would match an empty parameter.
    pub fn new(verify_token: SecretString) -> Self {
        let token = verify_token.expose_secret();
        Self {
            expected: (!token.is_empty()).then(|| digest(token)),
        }
    }

    /// Returns the challenge to send back (HTTP 200) when `mode` is `subscribe`, `token`
    /// equals the configured verify token and the challenge is 1–[`MAX_CHALLENGE_LEN`] ASCII
    /// digits. The edge answers 400 for [`HandshakeError::BadChallenge`] (checked last, so only
    /// a token holder learns it) and 403 for every other error.
    pub fn verify<'a>(
        &self,
        mode: Option<&str>,
        token: Option<&str>,
        challenge: Option<&'a str>,
    ) -> Result<&'a str, HandshakeError> {
        if mode != Some("subscribe") {
            return Err(HandshakeError::WrongMode);
        }
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(HandshakeError::MissingToken)?;
        let Some(expected) = &self.expected else {
            return Err(HandshakeError::TokenMismatch);
        };
        if !bool::from(digest(token).ct_eq(expected)) {
            return Err(HandshakeError::TokenMismatch);
        }
        challenge
            .filter(|c| is_valid_challenge(c))
            .ok_or(HandshakeError::BadChallenge)
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn is_valid_challenge(challenge: &str) -> bool {
    !challenge.is_empty()
        && challenge.len() <= MAX_CHALLENGE_LEN
        && challenge.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOKEN: &str = "verify-0123456789abcdef";

    fn verifier(token: &str) -> SubscriptionVerifier {
        SubscriptionVerifier::new(SecretString::from(token.to_owned()))
    }

    #[test]
    fn answers_meta_handshake_with_the_challenge() {
        let v = verifier(TOKEN);
        assert_eq!(
            v.verify(Some("subscribe"), Some(TOKEN), Some("1158201444")),
            Ok("1158201444")
        );
    }

    #[test]
    fn rejects_wrong_verify_token() {
        let v = verifier(TOKEN);
        for wrong in [
            "verify-0123456789abcdeF",
            "verify",
            "x",
            &format!("{TOKEN}x"),
        ] {
            assert_eq!(
                v.verify(Some("subscribe"), Some(wrong), Some("1")),
                Err(HandshakeError::TokenMismatch),
                "{wrong}"
            );
        }
    }

    #[test]
    fn rejects_missing_or_empty_token() {
        let v = verifier(TOKEN);
        for token in [None, Some("")] {
            assert_eq!(
                v.verify(Some("subscribe"), token, Some("1")),
                Err(HandshakeError::MissingToken)
            );
        }
    }

    #[test]
    fn rejects_mode_other_than_subscribe() {
        let v = verifier(TOKEN);
        for mode in [None, Some(""), Some("unsubscribe"), Some("Subscribe")] {
            assert_eq!(
                v.verify(mode, Some(TOKEN), Some("1")),
                Err(HandshakeError::WrongMode)
            );
        }
    }

    #[test]
    fn empty_configured_token_never_verifies() {
        let v = verifier("");
        assert_eq!(
            v.verify(Some("subscribe"), Some(""), Some("1")),
            Err(HandshakeError::MissingToken)
        );
        assert_eq!(
            v.verify(Some("subscribe"), Some("anything"), Some("1")),
            Err(HandshakeError::TokenMismatch)
        );
    }

    #[test]
    fn refuses_to_reflect_anything_but_a_bounded_number() {
        let v = verifier(TOKEN);
        let long = "1".repeat(MAX_CHALLENGE_LEN + 1);
        for bad in [
            None,
            Some(""),
            Some(long.as_str()),
            Some("<script>alert(1)</script>"),
            Some("abc"),
            Some("12a"),
            Some("-1"),
            Some("+1"),
            Some("1.5"),
            Some(" 1"),
            Some("1 "),
            Some("a b"),
            Some("1\r\nSet-Cookie: x=1"),
            Some("١٢٣"),
            Some("é"),
            Some("\u{0}"),
        ] {
            assert_eq!(
                v.verify(Some("subscribe"), Some(TOKEN), bad),
                Err(HandshakeError::BadChallenge),
                "{bad:?}"
            );
        }
        for good in ["0", "1158201444", &"9".repeat(MAX_CHALLENGE_LEN)] {
            assert_eq!(
                v.verify(Some("subscribe"), Some(TOKEN), Some(good)),
                Ok(good)
            );
        }
    }

    #[test]
    fn a_bad_challenge_with_a_wrong_token_is_a_token_failure() {
        let v = verifier(TOKEN);
        assert_eq!(
            v.verify(Some("subscribe"), Some("wrong"), Some("<b>")),
            Err(HandshakeError::TokenMismatch)
        );
    }

    #[test]
    fn debug_never_shows_the_verify_token() {
        let shown = format!("{:?}", verifier(TOKEN));
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }

    proptest! {
        #[test]
        fn only_digit_challenges_are_reflected(challenge in "\\PC{0,80}") {
            let v = verifier(TOKEN);
            let result = v.verify(Some("subscribe"), Some(TOKEN), Some(&challenge));
            let digits = !challenge.is_empty()
                && challenge.len() <= MAX_CHALLENGE_LEN
                && challenge.chars().all(|c| c.is_ascii_digit());
            if digits {
                prop_assert_eq!(result, Ok(challenge.as_str()));
            } else {
                prop_assert_eq!(result, Err(HandshakeError::BadChallenge));
            }
        }

        #[test]
        fn only_the_configured_token_verifies(
            token in "[ -~]{1,40}",
            presented in "\\PC{0,40}",
        ) {
            let v = verifier(&token);
            let result = v.verify(Some("subscribe"), Some(&presented), Some("42"));
            if presented == token {
                prop_assert_eq!(result, Ok("42"));
            } else {
                prop_assert!(result.is_err());
            }
        }
    }
}
