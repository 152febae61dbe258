//! `X-Hub-Signature-256` verification for Meta webhooks.
//!
//! Meta signs every webhook POST with `sha256=<hex>`, the HMAC-SHA256 of the **raw request
//! body** under the app secret. The check must run on the bytes as received: `"\u00e9"` and
//! `"é"` decode to the same JSON string but are different bytes with different signatures, so
//! parsing and re-serialising the body before verifying would reject Meta's own requests (and
//! verifying a re-serialisation would accept bodies Meta never signed).

use std::fmt;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header Meta puts the signature in.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

const PREFIX: &str = "sha256=";
/// Length of an HMAC-SHA256 tag.
const MAC_LEN: usize = 32;

/// Why a webhook was not accepted as Meta's. Never carries the header or the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HubSignatureError {
    /// No `X-Hub-Signature-256` header, or an empty one.
    #[error("webhook signature is missing")]
    Missing,
    /// Not `sha256=` followed by exactly 64 hex digits.
    #[error("webhook signature is not a sha256 HMAC tag")]
    Malformed,
    /// Well-formed, but not made with our app secret over this body.
    #[error("webhook signature does not match")]
    Mismatch,
}

impl HubSignatureError {
    /// A stable code for the audit log (the same codes as the Twilio adapter's).
    pub fn reason(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Mismatch => "mismatch",
        }
    }
}

/// Checks that a webhook body was signed by Meta with the app secret: the control against
/// forged webhooks, since the webhook URL is public and only Meta knows the secret.
pub struct SignatureVerifier {
    app_secret: SecretString,
}

impl fmt::Debug for SignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureVerifier")
            .field("app_secret", &"[redacted]")
            .finish()
    }
}

impl SignatureVerifier {
    pub fn new(app_secret: SecretString) -> Self {
        Self { app_secret }
    }

    /// Verifies `header` (the `X-Hub-Signature-256` value) for `raw_body`, the request body
    /// exactly as received. Hex digits may be upper or lower case.
    ///
    /// The tag comparison is constant time. A verifier built with an empty app secret rejects
    /// everything: anyone can compute an HMAC under the empty key.
    pub fn verify(&self, raw_body: &[u8], header: Option<&str>) -> Result<(), HubSignatureError> {
        let presented = decode_header(header)?;
        let Some(mut mac) = self.keyed_mac() else {
            return Err(HubSignatureError::Mismatch);
        };
        mac.update(raw_body);
        mac.verify_slice(&presented)
            .map_err(|_| HubSignatureError::Mismatch)
    }

    /// The header value Meta would send for `raw_body`. For tests, the demo and simulators.
    pub fn sign(&self, raw_body: &[u8]) -> String {
        let Some(mut mac) = self.keyed_mac() else {
            // An empty secret never verifies; an empty header says so.
            return String::new();
        };
        mac.update(raw_body);
        format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
    }

    /// HMAC-SHA256 keyed with the app secret, or `None` if the secret is empty.
    fn keyed_mac(&self) -> Option<HmacSha256> {
        let key = self.app_secret.expose_secret().as_bytes();
        if key.is_empty() {
            return None;
        }
        HmacSha256::new_from_slice(key).ok()
    }
}

/// Decodes `sha256=<64 hex>` into the 32-byte tag.
fn decode_header(header: Option<&str>) -> Result<[u8; MAC_LEN], HubSignatureError> {
    let header = header
        .filter(|h| !h.is_empty())
        .ok_or(HubSignatureError::Missing)?;
    let hex_tag = header
        .strip_prefix(PREFIX)
        .ok_or(HubSignatureError::Malformed)?;
    let mut tag = [0u8; MAC_LEN];
    // Rejects any length other than 64 digits and any non-hex character.
    hex::decode_to_slice(hex_tag, &mut tag).map_err(|_| HubSignatureError::Malformed)?;
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn verifier(secret: &str) -> SignatureVerifier {
        SignatureVerifier::new(SecretString::from(secret.to_owned()))
    }

    // Published vector for the same `X-Hub-Signature-256` scheme: GitHub's "Validating webhook
    // deliveries" guide (secret, payload and expected header as printed there).
    const GITHUB_SECRET: &str = "It's a Secret to Everybody";
    const GITHUB_PAYLOAD: &[u8] = b"Hello, World!";
    const GITHUB_SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn accepts_published_hub_signature_vector() {
        let v = verifier(GITHUB_SECRET);
        assert_eq!(v.sign(GITHUB_PAYLOAD), GITHUB_SIGNATURE);
        assert_eq!(v.verify(GITHUB_PAYLOAD, Some(GITHUB_SIGNATURE)), Ok(()));
    }

    #[test]
    fn accepts_uppercase_hex() {
        let upper = format!("sha256={}", GITHUB_SIGNATURE[7..].to_ascii_uppercase());
        assert_eq!(
            verifier(GITHUB_SECRET).verify(GITHUB_PAYLOAD, Some(&upper)),
            Ok(())
        );
    }

    #[test]
    fn rejects_signature_made_with_another_secret() {
        let forged = verifier("not the app secret").sign(GITHUB_PAYLOAD);
        assert_eq!(
            verifier(GITHUB_SECRET).verify(GITHUB_PAYLOAD, Some(&forged)),
            Err(HubSignatureError::Mismatch)
        );
    }

    #[test]
    fn rejects_body_tampered_by_one_byte() {
        let v = verifier(GITHUB_SECRET);
        let mut body = GITHUB_PAYLOAD.to_vec();
        body[0] ^= 0x01;
        assert_eq!(
            v.verify(&body, Some(GITHUB_SIGNATURE)),
            Err(HubSignatureError::Mismatch)
        );
        let mut longer = GITHUB_PAYLOAD.to_vec();
        longer.push(b'\n');
        assert_eq!(
            v.verify(&longer, Some(GITHUB_SIGNATURE)),
            Err(HubSignatureError::Mismatch)
        );
    }

    #[test]
    fn verifies_unicode_bodies_byte_for_byte() {
        let v = verifier("app-secret");
        let body = r#"{"text":{"body":"Café – 東京 🎉"}}"#.as_bytes();
        let sig = v.sign(body);
        assert_eq!(v.verify(body, Some(&sig)), Ok(()));
    }

    #[test]
    fn escaped_and_literal_unicode_are_different_signed_bodies() {
        // Meta sends non-ASCII text escaped (`\u00e9`). Re-serialising the parsed JSON would
        // produce `é` and break verification, so the edge must verify the raw bytes.
        let v = verifier("app-secret");
        let escaped = br#"{"text":{"body":"caf\u00e9"}}"#;
        let literal = r#"{"text":{"body":"café"}}"#.as_bytes();
        let sig_escaped = v.sign(escaped);
        assert_ne!(sig_escaped, v.sign(literal));
        assert_eq!(v.verify(escaped, Some(&sig_escaped)), Ok(()));
        assert_eq!(
            v.verify(literal, Some(&sig_escaped)),
            Err(HubSignatureError::Mismatch)
        );
    }

    #[test]
    fn rejects_missing_signature() {
        let v = verifier(GITHUB_SECRET);
        assert_eq!(
            v.verify(GITHUB_PAYLOAD, None),
            Err(HubSignatureError::Missing)
        );
        assert_eq!(
            v.verify(GITHUB_PAYLOAD, Some("")),
            Err(HubSignatureError::Missing)
        );
    }

    #[test]
    fn rejects_malformed_signature() {
        let v = verifier(GITHUB_SECRET);
        let hex = &GITHUB_SIGNATURE[7..];
        for bad in [
            hex.to_owned(),                    // no prefix
            format!("sha1={hex}"),             // X-Hub-Signature (SHA-1) prefix
            format!("SHA256={hex}"),           // prefix is case-sensitive
            format!("sha256= {hex}"),          // whitespace
            format!("sha256={}", &hex[..63]),  // truncated by one digit
            format!("sha256={}", &hex[..62]),  // truncated by one byte
            format!("sha256={hex}00"),         // too long
            format!("sha256={}g", &hex[..63]), // not hex
            "sha256=".to_owned(),              // empty tag
        ] {
            assert_eq!(
                v.verify(GITHUB_PAYLOAD, Some(&bad)),
                Err(HubSignatureError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn empty_app_secret_never_verifies() {
        let v = verifier("");
        // What an attacker computes when the operator left the secret empty.
        let mut mac = HmacSha256::new_from_slice(b"").unwrap();
        mac.update(GITHUB_PAYLOAD);
        let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(v.sign(GITHUB_PAYLOAD), "");
        assert_eq!(
            v.verify(GITHUB_PAYLOAD, Some(&sig)),
            Err(HubSignatureError::Mismatch)
        );
    }

    #[test]
    fn debug_never_shows_the_app_secret() {
        let shown = format!("{:?}", verifier("0123456789abcdef-secret"));
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }

    #[test]
    fn reasons_are_stable_codes() {
        assert_eq!(HubSignatureError::Missing.reason(), "missing");
        assert_eq!(HubSignatureError::Malformed.reason(), "malformed");
        assert_eq!(HubSignatureError::Mismatch.reason(), "mismatch");
    }

    proptest! {
        #[test]
        fn sign_then_verify_round_trips(
            secret in "[ -~]{1,40}",
            body in prop::collection::vec(any::<u8>(), 0..256),
        ) {
            let v = verifier(&secret);
            let sig = v.sign(&body);
            prop_assert_eq!(v.verify(&body, Some(&sig)), Ok(()));
        }

        #[test]
        fn verify_is_total(header in "\\PC{0,80}", body in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = verifier("s").verify(&body, Some(&header));
        }
    }
}
