//! `X-Twilio-Signature` verification (Twilio's "webhook security" algorithm).
//!
//! The signed string is the full public URL Twilio requested (query string included, as is),
//! followed, for a form POST, by every POST parameter as `key` immediately followed by `value`,
//! sorted by key and then by value. The signature is `base64(HMAC-SHA1(auth_token, string))`,
//! standard alphabet, padded (always 28 characters).
//!
//! Port handling follows Twilio's official validators (twilio-python `RequestValidator`,
//! twilio-node `validateRequest`): a request verifies if the signature matches the URL as given
//! **or** the URL with its port toggled: an explicit port (any port, as those validators do) is
//! removed, and a missing port is replaced by the scheme's default (`https` → `:443`,
//! `http` → `:80`). Accepting the port-stripped form of a non-default port only lets a signature
//! made for `host/path` verify at `host:port/path`, which is the same host of the same account.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<Sha1>;

/// Length of an HMAC-SHA1 tag.
const MAC_LEN: usize = 20;
/// Length of a padded standard base64 encoding of [`MAC_LEN`] bytes.
const SIGNATURE_LEN: usize = 28;

/// Why a webhook signature was refused. Never carries the header, the URL or a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Twilio-Signature` header, or an empty one.
    #[error("webhook signature is missing")]
    Missing,
    /// The header is not 28 characters of canonical, padded, standard base64 for 20 bytes.
    #[error("webhook signature is not a base64 HMAC-SHA1 tag")]
    Malformed,
    /// Well-formed, but not made with our auth token over this URL and these parameters.
    #[error("webhook signature does not match")]
    Mismatch,
}

/// Checks that a webhook request was signed by Twilio with the account's auth token.
///
/// This is the control against webhook spoofing: anyone on the internet can POST to the
/// public webhook URL, only Twilio knows the auth token.
pub struct SignatureVerifier {
    auth_token: SecretString,
}

impl fmt::Debug for SignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureVerifier")
            .field("auth_token", &"[redacted]")
            .finish()
    }
}

impl SignatureVerifier {
    pub fn new(auth_token: SecretString) -> Self {
        Self { auth_token }
    }

    /// Verifies `signature` (the `X-Twilio-Signature` header) for a form POST to `url`.
    ///
    /// `url` is the full public URL Twilio posted to: the base URL from config (proxies rewrite
    /// scheme, host and port, so the request's own `Host` cannot be trusted) + path + query.
    /// `params` are the decoded form fields in any order, duplicates included; pass an empty
    /// slice for a request without a form body.
    ///
    /// The tag comparison is constant time. A verifier built with an empty auth token rejects
    /// everything: anyone could compute an HMAC under the empty key.
    pub fn verify(
        &self,
        url: &str,
        params: &[(String, String)],
        signature: Option<&str>,
    ) -> Result<(), SignatureError> {
        let presented = decode_signature(signature)?;
        let Some(keyed) = self.keyed_mac() else {
            return Err(SignatureError::Mismatch);
        };
        let sorted = sorted_params(params);
        let url = UrlParts::split(url);

        // The MAC state after the part common to both candidates is computed once.
        let mut common = keyed;
        common.update(url.head.as_bytes());

        let as_given = mac_of(common.clone(), &[url.port.unwrap_or(""), url.tail], &sorted);
        if bool::from(as_given.ct_eq(&presented)) {
            return Ok(());
        }
        let toggled_port = match (url.port, url.default_port) {
            (Some(_), _) => "",
            (None, Some(default)) => default,
            // Not http(s): there is no other spelling of the URL to try.
            (None, None) => return Err(SignatureError::Mismatch),
        };
        let toggled = mac_of(common, &[toggled_port, url.tail], &sorted);
        if bool::from(toggled.ct_eq(&presented)) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// The signature Twilio would send for a form POST of `params` to `url` (exactly as given,
    /// no port rewriting). For tests, the demo and the load generator.
    pub fn sign(&self, url: &str, params: &[(String, String)]) -> String {
        let Some(keyed) = self.keyed_mac() else {
            // Unreachable: HMAC accepts keys of any length. An empty string never verifies.
            return String::new();
        };
        let tag = mac_of(keyed, &[url], &sorted_params(params));
        STANDARD.encode(tag)
    }

    /// HMAC-SHA1 keyed with the auth token, or `None` if the token is empty.
    fn keyed_mac(&self) -> Option<HmacSha1> {
        let key = self.auth_token.expose_secret().as_bytes();
        if key.is_empty() {
            return None;
        }
        HmacSha1::new_from_slice(key).ok()
    }
}

/// Decodes the header into the 20-byte tag, without allocating.
fn decode_signature(signature: Option<&str>) -> Result<[u8; MAC_LEN], SignatureError> {
    let sig = signature
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::Missing)?;
    if sig.len() != SIGNATURE_LEN {
        return Err(SignatureError::Malformed);
    }
    let mut tag = [0u8; MAC_LEN];
    // The standard engine rejects non-canonical trailing bits, so each tag has one spelling.
    match STANDARD.decode_slice(sig, &mut tag) {
        Ok(MAC_LEN) => Ok(tag),
        _ => Err(SignatureError::Malformed),
    }
}

/// Parameters sorted by key, then value: the order Twilio concatenates them in.
fn sorted_params(params: &[(String, String)]) -> Vec<&(String, String)> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_unstable();
    sorted
}

/// Finishes `mac` over the URL pieces, then each parameter's key and value.
fn mac_of(mut mac: HmacSha1, url_pieces: &[&str], sorted: &[&(String, String)]) -> [u8; MAC_LEN] {
    for piece in url_pieces {
        mac.update(piece.as_bytes());
    }
    for (key, value) in sorted {
        mac.update(key.as_bytes());
        mac.update(value.as_bytes());
    }
    mac.finalize().into_bytes().into()
}

/// A URL cut around its port: `head` + `port` + `tail` is the original string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UrlParts<'a> {
    /// Scheme, `://`, optional userinfo and the host.
    head: &'a str,
    /// `:` and the port digits, if the URL has an explicit port.
    port: Option<&'a str>,
    /// Path, query and fragment.
    tail: &'a str,
    /// `:443` for https, `:80` for http, `None` for any other scheme or no scheme.
    default_port: Option<&'static str>,
}

impl<'a> UrlParts<'a> {
    fn split(url: &'a str) -> Self {
        let whole = Self {
            head: url,
            port: None,
            tail: "",
            default_port: None,
        };
        let Some(scheme_end) = url.find("://") else {
            return whole;
        };
        let (scheme, rest) = url.split_at(scheme_end);
        let default_port = if scheme.eq_ignore_ascii_case("https") {
            Some(":443")
        } else if scheme.eq_ignore_ascii_case("http") {
            Some(":80")
        } else {
            None
        };
        let authority_start = scheme_end + "://".len();
        let authority_len = rest["://".len()..]
            .find(['/', '?', '#'])
            .unwrap_or(rest.len() - "://".len());
        let authority_end = authority_start + authority_len;
        let (before_tail, tail) = url.split_at(authority_end);
        let authority = &before_tail[authority_start..];
        let host_start = authority.rfind('@').map_or(0, |at| at + 1);
        let host_and_port = &authority[host_start..];
        // A ':' inside an IPv6 literal ("[::1]") is not a port separator.
        let colon = host_and_port
            .rfind(':')
            .filter(|&c| host_and_port.rfind(']').is_none_or(|b| b < c));
        match colon {
            Some(c) if host_and_port[c + 1..].bytes().all(|b| b.is_ascii_digit()) => {
                let (head, port) = before_tail.split_at(authority_start + host_start + c);
                Self {
                    head,
                    port: Some(port),
                    tail,
                    default_port,
                }
            }
            _ => Self {
                head: before_tail,
                port: None,
                tail,
                default_port,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn verifier(token: &str) -> SignatureVerifier {
        SignatureVerifier::new(SecretString::from(token.to_owned()))
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    // Published vectors. Source: twilio-python, tests/unit/test_request_validator.py
    // (`ValidationTest.setUp` and the tests named in each comment below); the same token, URL,
    // parameters and expected signature appear in Twilio's docs snippets
    // (TwilioDevEd/api-snippets security/signature_validation/signature_validation.2.x.js).
    const TWILIO_TOKEN: &str = "12345";
    const TWILIO_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const TWILIO_EXPECTED: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

    fn twilio_params() -> Vec<(String, String)> {
        pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ])
    }

    #[test]
    fn accepts_twilio_published_example_vector() {
        let v = verifier(TWILIO_TOKEN);
        // test_compute_signature
        assert_eq!(v.sign(TWILIO_URL, &twilio_params()), TWILIO_EXPECTED);
        // test_validation
        assert_eq!(
            v.verify(TWILIO_URL, &twilio_params(), Some(TWILIO_EXPECTED)),
            Ok(())
        );
    }

    #[test]
    fn accepts_twilio_docs_snippet_vector() {
        // Source: TwilioDevEd/api-snippets security/signature_validation/signature_validation.3.x.js
        // (twilio-node `validateRequest` example): same token and URL, Caller/From ...5310.
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]);
        let v = verifier(TWILIO_TOKEN);
        assert_eq!(
            v.verify(TWILIO_URL, &params, Some("GvWf1cFY/Q7PnoempGyD5oXAezc=")),
            Ok(())
        );
    }

    #[test]
    fn accepts_twilio_published_duplicate_key_vector() {
        // twilio-python test_compute_signature_duplicate_multi_dict: repeated keys are sorted
        // by value too ("Digits1234" before "Digits5678").
        let params = pairs(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ]);
        let v = verifier(TWILIO_TOKEN);
        assert_eq!(v.sign(TWILIO_URL, &params), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
        assert_eq!(
            v.verify(TWILIO_URL, &params, Some("IK+Dwps556ElfBT0I3Rgjkr1wJU=")),
            Ok(())
        );
    }

    #[test]
    fn accepts_url_with_and_without_default_port() {
        let v = verifier(TWILIO_TOKEN);
        let p = twilio_params();
        // twilio-python test_validation_adds_port_on_https: hash of the URL with ":443".
        assert_eq!(
            v.verify(TWILIO_URL, &p, Some("kvajT1Ptam85bY51eRf/AJRuM3w=")),
            Ok(())
        );
        // twilio-python test_validation_adds_port_on_http: hash of the http URL with ":80".
        let http = TWILIO_URL.replace("https", "http");
        assert_eq!(
            v.verify(&http, &p, Some("0ZXoZLH/DfblKGATFgpif+LLRf4=")),
            Ok(())
        );
        // twilio-python test_validation_removes_port_on_https: configured URL has a port,
        // Twilio signed without it.
        let with_port = TWILIO_URL.replace(".com", ".com:1234");
        assert_eq!(v.verify(&with_port, &p, Some(TWILIO_EXPECTED)), Ok(()));
        // twilio-python test_validation_removes_port_on_http: hash of the http URL with ":1234".
        let http_port = with_port.replace("https", "http");
        assert_eq!(
            v.verify(&http_port, &p, Some("Zmvh+3yNM1Phv2jhDCwEM3q5ebU=")),
            Ok(())
        );
        // Both directions with :443 spelled out in the configured URL.
        let explicit = TWILIO_URL.replace(".com", ".com:443");
        assert_eq!(v.verify(&explicit, &p, Some(TWILIO_EXPECTED)), Ok(()));
        assert_eq!(
            v.verify(&explicit, &p, Some("kvajT1Ptam85bY51eRf/AJRuM3w=")),
            Ok(())
        );
    }

    #[test]
    fn default_port_of_other_scheme_is_not_accepted() {
        let v = verifier(TWILIO_TOKEN);
        let p = twilio_params();
        // The https URL signed with ":80" is a different URL.
        let signed_port_80 = v.sign("https://mycompany.com:80/myapp.php?foo=1&bar=2", &p);
        assert_eq!(
            v.verify(TWILIO_URL, &p, Some(&signed_port_80)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn rejects_forged_signature() {
        let p = twilio_params();
        let forged = verifier("not-the-token").sign(TWILIO_URL, &p);
        assert_eq!(
            verifier(TWILIO_TOKEN).verify(TWILIO_URL, &p, Some(&forged)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn signature_over_reordered_params_is_same() {
        let v = verifier(TWILIO_TOKEN);
        let mut p = twilio_params();
        p.reverse();
        assert_eq!(v.sign(TWILIO_URL, &p), TWILIO_EXPECTED);
        p.swap(0, 3);
        assert_eq!(v.verify(TWILIO_URL, &p, Some(TWILIO_EXPECTED)), Ok(()));
    }

    #[test]
    fn rejects_signature_for_other_url() {
        let v = verifier(TWILIO_TOKEN);
        let p = twilio_params();
        for other in [
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            "https://mycompany.com/myapp.php",
            "https://mycompany.com/other.php?foo=1&bar=2",
            "https://evil.example/myapp.php?foo=1&bar=2",
            "http://mycompany.com/myapp.php?foo=1&bar=2",
        ] {
            assert_eq!(
                v.verify(other, &p, Some(TWILIO_EXPECTED)),
                Err(SignatureError::Mismatch),
                "{other}"
            );
        }
    }

    #[test]
    fn rejects_missing_signature() {
        let v = verifier(TWILIO_TOKEN);
        let p = twilio_params();
        assert_eq!(v.verify(TWILIO_URL, &p, None), Err(SignatureError::Missing));
        assert_eq!(
            v.verify(TWILIO_URL, &p, Some("")),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn rejects_malformed_signature() {
        let v = verifier(TWILIO_TOKEN);
        let p = twilio_params();
        for bad in [
            "RSOYDt4T1cUTdK1PDd93/VVr8B8",      // unpadded
            " RSOYDt4T1cUTdK1PDd93/VVr8B8=",    // whitespace
            "RSOYDt4T1cUTdK1PDd93_VVr8B8=",     // URL-safe alphabet
            "RSOYDt4T1cUTdK1PDd93/VVr8B9=",     // non-canonical trailing bits
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=AAAA", // too long
            "not base64 at all, 28 chars!",     // garbage of the right length
        ] {
            assert_eq!(
                v.verify(TWILIO_URL, &p, Some(bad)),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn rejects_param_added_or_removed() {
        let v = verifier(TWILIO_TOKEN);
        let mut more = twilio_params();
        more.push(("Body".into(), "hi".into()));
        assert_eq!(
            v.verify(TWILIO_URL, &more, Some(TWILIO_EXPECTED)),
            Err(SignatureError::Mismatch)
        );
        let mut fewer = twilio_params();
        fewer.pop();
        assert_eq!(
            v.verify(TWILIO_URL, &fewer, Some(TWILIO_EXPECTED)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn empty_auth_token_never_verifies() {
        let v = verifier("");
        let p = twilio_params();
        // What an attacker computes when the operator left the token empty.
        let tag = mac_of(
            HmacSha1::new_from_slice(b"").unwrap(),
            &[TWILIO_URL],
            &sorted_params(&p),
        );
        let sig = STANDARD.encode(tag);
        assert_eq!(v.sign(TWILIO_URL, &p), "");
        assert_eq!(
            v.verify(TWILIO_URL, &p, Some(&sig)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn debug_never_shows_the_auth_token() {
        let shown = format!("{:?}", verifier("0123456789abcdef-secret"));
        assert!(!shown.contains("secret"), "{shown}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }

    #[test]
    fn errors_never_echo_input() {
        for e in [
            SignatureError::Missing,
            SignatureError::Malformed,
            SignatureError::Mismatch,
        ] {
            let text = format!("{e} {e:?}");
            assert!(
                !text.contains("RSOY") && !text.contains("mycompany"),
                "{text}"
            );
        }
    }

    #[test]
    fn url_split_finds_the_port() {
        let p = UrlParts::split("https://user:pw@host.example:8443/a:b?c=d:1");
        assert_eq!(p.head, "https://user:pw@host.example");
        assert_eq!(p.port, Some(":8443"));
        assert_eq!(p.tail, "/a:b?c=d:1");
        let p = UrlParts::split("http://[::1]/x");
        assert_eq!((p.head, p.port, p.tail), ("http://[::1]", None, "/x"));
        assert_eq!(p.default_port, Some(":80"));
        let p = UrlParts::split("http://[::1]:8080?q");
        assert_eq!(
            (p.head, p.port, p.tail),
            ("http://[::1]", Some(":8080"), "?q")
        );
        let p = UrlParts::split("HTTPS://host");
        assert_eq!((p.head, p.port, p.tail), ("HTTPS://host", None, ""));
        assert_eq!(p.default_port, Some(":443"));
        let p = UrlParts::split("not a url");
        assert_eq!((p.head, p.port, p.tail), ("not a url", None, ""));
        assert_eq!(UrlParts::split("ftp://host/x").default_port, None);
    }

    fn arb_params() -> impl Strategy<Value = Vec<(String, String)>> {
        prop::collection::vec(("[A-Za-z0-9]{0,12}", "\\PC{0,24}"), 0..16)
    }

    proptest! {
        #[test]
        fn sign_then_verify_round_trips(
            token in "[0-9a-f]{32}",
            path in "/[a-z0-9/]{0,20}",
            params in arb_params(),
        ) {
            let v = verifier(&token);
            let url = format!("https://warden.example{path}");
            let sig = v.sign(&url, &params);
            prop_assert_eq!(v.verify(&url, &params, Some(&sig)), Ok(()));
        }

        #[test]
        fn flipping_any_param_value_breaks_verification(
            params in arb_params().prop_filter("non-empty", |p| !p.is_empty()),
            index in any::<prop::sample::Index>(),
            extra in "\\PC{1,4}",
        ) {
            let v = verifier("0123456789abcdef0123456789abcdef");
            let url = "https://warden.example/twilio/inbound";
            let sig = v.sign(url, &params);
            let mut tampered = params.clone();
            let i = index.index(tampered.len());
            tampered[i].1.push_str(&extra);
            prop_assert_eq!(
                v.verify(url, &tampered, Some(&sig)),
                Err(SignatureError::Mismatch)
            );
        }

        #[test]
        fn verify_is_total(url in "\\PC{0,60}", sig in "\\PC{0,40}") {
            let _ = verifier("t").verify(&url, &[], Some(&sig));
        }

        #[test]
        fn url_split_reassembles(url in "\\PC{0,60}") {
            let p = UrlParts::split(&url);
            prop_assert_eq!(format!("{}{}{}", p.head, p.port.unwrap_or(""), p.tail), url);
        }
    }
}
