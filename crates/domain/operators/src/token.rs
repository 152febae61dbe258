//! Access tokens: short-lived JWTs (HS256), verified by the same service that issues them.
//!
//! Hand-written rather than a JWT library: the service needs one algorithm, one key type and six
//! claims, which is ~100 lines on hmac + sha2 + base64 + serde_json (all already in the tree),
//! while `jsonwebtoken` brings its own crypto backend, PEM and ASN.1 parsing for algorithms we
//! refuse anyway. Owning the verifier also makes "HS256 only, never `none`" a line we can read.
//!
//! Keys rotate by `kid`: the header names the key, the verifier holds the current key and the
//! previous ones until their tokens have expired (at most [`ACCESS_TTL_MS`] later).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use warden_types::UnixMillis;

use crate::{OperatorId, Role};

/// An access token lives 15 minutes; the refresh token renews it.
pub const ACCESS_TTL_MS: i64 = 15 * 60 * 1000;
/// Tolerated clock skew between the issuing and the verifying instance.
const IAT_SKEW_MS: i64 = 60_000;
/// HMAC-SHA-256 keys shorter than its output weaken it (RFC 7518 §3.2).
const MIN_KEY_BYTES: usize = 32;
/// Far above any token we issue; refuses absurd inputs before decoding them.
const MAX_TOKEN_BYTES: usize = 4096;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the signing key must have at least 32 bytes")]
    WeakKey,
    /// Not a JWT we could have issued: bad shape, bad encoding, missing or inconsistent claims
    /// (including `iat` more than 60 s ahead of the verifier's clock, or a lifetime above 15 min).
    #[error("malformed access token")]
    Malformed,
    #[error("access token signature does not verify")]
    BadSignature,
    #[error("access token signed by an unknown key")]
    UnknownKey,
    #[error("access token expired")]
    Expired,
    #[error("access token algorithm is not HS256")]
    WrongAlgorithm,
    #[error("access token could not be encoded")]
    Encode,
}

/// A named HMAC key.
pub struct SigningKey {
    kid: String,
    secret: SecretSlice<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl SigningKey {
    /// Fewer than 32 bytes: `TokenError::WeakKey`.
    pub fn new(kid: impl Into<String>, secret: SecretSlice<u8>) -> Result<Self, TokenError> {
        if secret.expose_secret().len() < MIN_KEY_BYTES {
            return Err(TokenError::WeakKey);
        }
        Ok(Self {
            kid: kid.into(),
            secret,
        })
    }

    /// kid derived from the key (first 8 hex of sha256(key)) when the operator gives none, so
    /// a rotated key gets a new kid without anyone naming it. 32 bits of a hash reveal nothing
    /// useful about a 256-bit key.
    pub fn derived(secret: SecretSlice<u8>) -> Result<Self, TokenError> {
        let digest = Sha256::digest(secret.expose_secret());
        let kid = hex::encode(&digest[..4]);
        Self::new(kid, secret)
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    fn mac(&self) -> Result<HmacSha256, TokenError> {
        HmacSha256::new_from_slice(self.secret.expose_secret()).map_err(|_| TokenError::WeakKey)
    }
}

/// The claims of an access token, times in milliseconds (the token itself carries seconds, as
/// JWT requires; sub-second parts are dropped on issue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub sub: OperatorId,
    pub role: Role,
    /// The refresh family this token was issued under: revoking the family ends the session.
    pub sid: String,
    pub iat: UnixMillis,
    pub exp: UnixMillis,
    pub jti: String,
}

impl AccessClaims {
    /// Claims issued at `now` that expire [`ACCESS_TTL_MS`] later.
    pub fn new(
        sub: OperatorId,
        role: Role,
        sid: impl Into<String>,
        jti: impl Into<String>,
        now: UnixMillis,
    ) -> Self {
        Self {
            sub,
            role,
            sid: sid.into(),
            iat: now,
            exp: now.plus_ms(ACCESS_TTL_MS),
            jti: jti.into(),
        }
    }
}

#[derive(Serialize)]
struct HeaderOut<'a> {
    alg: &'static str,
    typ: &'static str,
    kid: &'a str,
}

#[derive(Deserialize)]
struct HeaderIn {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// The wire form: `sub` is a string (RFC 7519 §4.1.2), times are seconds.
#[derive(Serialize, Deserialize)]
struct Payload {
    sub: String,
    role: Role,
    sid: String,
    iat: i64,
    exp: i64,
    jti: String,
}

/// Issues with the current key; verifies with the current or a previous one.
#[derive(Debug)]
pub struct AccessTokens {
    current: SigningKey,
    previous: Vec<SigningKey>,
}

impl AccessTokens {
    pub fn new(current: SigningKey, previous: Vec<SigningKey>) -> Self {
        Self { current, previous }
    }

    /// Signs `claims` with the current key. Refuses (`Encode`) claims whose lifetime is not
    /// within (0, 15 min], so no caller can mint a long-lived token by mistake.
    pub fn issue(&self, claims: &AccessClaims) -> Result<SecretString, TokenError> {
        let iat = claims.iat.0.div_euclid(1000);
        let exp = claims.exp.0.div_euclid(1000);
        if exp <= iat || (exp - iat) * 1000 > ACCESS_TTL_MS {
            return Err(TokenError::Encode);
        }
        let header = serde_json::to_vec(&HeaderOut {
            alg: "HS256",
            typ: "JWT",
            kid: &self.current.kid,
        })
        .map_err(|_| TokenError::Encode)?;
        let payload = serde_json::to_vec(&Payload {
            sub: claims.sub.0.to_string(),
            role: claims.role,
            sid: claims.sid.clone(),
            iat,
            exp,
            jti: claims.jti.clone(),
        })
        .map_err(|_| TokenError::Encode)?;
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let mut mac = self.current.mac()?;
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        Ok(SecretString::from(format!("{signing_input}.{signature}")))
    }

    fn key(&self, kid: &str) -> Option<&SigningKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.kid == kid)
    }

    /// Checks signature by `kid` (current or previous), alg == HS256 only (rejects "none" and
    /// others), exp against `now` (caller's clock, not the system's), iat not in the future
    /// beyond 60 s.
    ///
    /// Nothing from the payload is trusted before the signature verifies.
    pub fn verify(&self, token: &str, now: UnixMillis) -> Result<AccessClaims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: HeaderIn = decode_json(header_b64)?;
        if header.alg != "HS256" {
            return Err(TokenError::WrongAlgorithm);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.key(kid))
            .ok_or(TokenError::UnknownKey)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = key.mac()?;
        mac.update(header_b64.as_bytes());
        mac.update(b".");
        mac.update(payload_b64.as_bytes());
        // Constant-time comparison inside `verify_slice`.
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;

        let payload: Payload = decode_json(payload_b64)?;
        let sub = payload
            .sub
            .parse::<i64>()
            .map_err(|_| TokenError::Malformed)?;
        let iat = UnixMillis(payload.iat.checked_mul(1000).ok_or(TokenError::Malformed)?);
        let exp = UnixMillis(payload.exp.checked_mul(1000).ok_or(TokenError::Malformed)?);
        if exp <= iat || exp.0 - iat.0 > ACCESS_TTL_MS || iat > now.plus_ms(IAT_SKEW_MS) {
            return Err(TokenError::Malformed);
        }
        if now >= exp {
            return Err(TokenError::Expired);
        }
        Ok(AccessClaims {
            sub: OperatorId(sub),
            role: payload.role,
            sid: payload.sid,
            iat,
            exp,
            jti: payload.jti,
        })
    }
}

fn decode_json<T: for<'de> Deserialize<'de>>(segment: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, byte: u8) -> SigningKey {
        SigningKey::new(kid, SecretSlice::from(vec![byte; 32])).unwrap()
    }

    const NOW: UnixMillis = UnixMillis(1_700_000_000_000);

    fn claims() -> AccessClaims {
        AccessClaims::new(OperatorId(42), Role::Operator, "fam-9", "jti-1", NOW)
    }

    fn issue(tokens: &AccessTokens, c: &AccessClaims) -> String {
        tokens.issue(c).unwrap().expose_secret().to_owned()
    }

    fn segments(token: &str) -> Vec<String> {
        token.split('.').map(str::to_owned).collect()
    }

    fn json_segment(v: serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap())
    }

    #[test]
    fn a_token_round_trips_its_claims() {
        let tokens = AccessTokens::new(key("k1", 1), vec![]);
        let token = issue(&tokens, &claims());
        assert_eq!(tokens.verify(&token, NOW.plus_ms(1)), Ok(claims()));
    }

    #[test]
    fn the_header_is_hs256_jwt_with_the_kid_and_times_are_seconds() {
        let tokens = AccessTokens::new(key("k1", 1), vec![]);
        let token = issue(&tokens, &claims());
        let parts = segments(&token);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": "k1"})
        );
        let payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        assert_eq!(payload["sub"], "42");
        assert_eq!(payload["role"], "operator");
        assert_eq!(payload["iat"], 1_700_000_000);
        assert_eq!(payload["exp"], 1_700_000_000 + 900);
    }

    #[test]
    fn sub_second_times_are_truncated_not_extended() {
        let tokens = AccessTokens::new(key("k1", 1), vec![]);
        let c = AccessClaims::new(OperatorId(1), Role::Owner, "f", "j", NOW.plus_ms(999));
        let got = tokens
            .verify(&issue(&tokens, &c), NOW.plus_ms(999))
            .unwrap();
        assert_eq!(got.iat, NOW);
        assert_eq!(got.exp, NOW.plus_ms(ACCESS_TTL_MS));
    }

    #[test]
    fn a_token_is_expired_at_exp_and_valid_just_before() {
        let tokens = AccessTokens::new(key("k1", 1), vec![]);
        let token = issue(&tokens, &claims());
        let exp = NOW.plus_ms(ACCESS_TTL_MS);
        assert!(tokens.verify(&token, UnixMillis(exp.0 - 1)).is_ok());
        assert_eq!(tokens.verify(&token, exp), Err(TokenError::Expired));
    }

    #[test]
    fn a_tampered_payload_fails_the_signature() {
        let tokens = AccessTokens::new(key("k1", 1), vec![]);
        let parts = segments(&issue(&tokens, &claims()));
        let forged_payload = json_segment(serde_json::json!({
            "sub": "42", "role": "owner", "sid": "fam-9",
            "iat": 1_700_000_000, "exp": 1_700_000_900, "jti": "jti-1"
        }));
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(tokens.verify(&forged, NOW), Err(TokenError::BadSignature));
    }

    #[test]
    fn a_token_signed_with_another_secret_under_our_kid_fails() {
        let ours = AccessTokens::new(key("k1", 1), vec![]);
        let theirs = AccessTokens::new(key("k1", 2), vec![]);
        let token = issue(&theirs, &claims());
        assert_eq!(ours.verify(&token, NOW), Err(TokenError::BadSignature));
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused() {
        let tokens = AccessTokens::new(key("k1", 1), vec![]);
        let parts = segments(&issue(&tokens, &claims()));
        for alg in ["none", "None", "HS512", "RS256", "hs256"] {
            let header = json_segment(serde_json::json!({"alg": alg, "typ": "JWT", "kid": "k1"}));
            for sig in ["", parts[2].as_str()] {
                let forged = format!("{header}.{}.{sig}", parts[1]);
                assert_eq!(
                    tokens.verify(&forged, NOW),
                    Err(TokenError::WrongAlgorithm),
                    "{alg}"
                );
            }
        }
    }

    #[test]
    fn an_unknown_or_missing_kid_is_refused() {
        let tokens = AccessTokens::new(key("k1", 1), vec![]);
        let other = AccessTokens::new(key("k2", 1), vec![]);
        assert_eq!(
            tokens.verify(&issue(&other, &claims()), NOW),
            Err(TokenError::UnknownKey)
        );
        let parts = segments(&issue(&tokens, &claims()));
        let no_kid = json_segment(serde_json::json!({"alg": "HS256", "typ": "JWT"}));
        let forged = format!("{no_kid}.{}.{}", parts[1], parts[2]);
        assert_eq!(tokens.verify(&forged, NOW), Err(TokenError::UnknownKey));
    }

    #[test]
    fn a_previous_key_verifies_after_rotation_and_not_after_it_is_dropped() {
        let before = AccessTokens::new(key("old", 1), vec![]);
        let token = issue(&before, &claims());
        let rotated = AccessTokens::new(key("new", 2), vec![key("old", 1)]);
        assert_eq!(rotated.verify(&token, NOW), Ok(claims()));
        // New tokens carry the new kid and verify too.
        let fresh = issue(&rotated, &claims());
        assert_eq!(rotated.verify(&fresh, NOW), Ok(claims()));
        let dropped = AccessTokens::new(key("new", 2), vec![]);
        assert_eq!(dropped.verify(&token, NOW), Err(TokenError::UnknownKey));
    }

    #[test]
    fn a_token_issued_in_the_future_beyond_sixty_seconds_is_refused() {
        let tokens = AccessTokens::new(key("k1", 1), vec![]);
        let ahead = AccessClaims::new(OperatorId(1), Role::Owner, "f", "j", NOW.plus_ms(60_000));
        assert!(tokens.verify(&issue(&tokens, &ahead), NOW).is_ok());
        let too_far = AccessClaims::new(OperatorId(1), Role::Owner, "f", "j", NOW.plus_ms(61_000));
        assert_eq!(
            tokens.verify(&issue(&tokens, &too_far), NOW),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn no_token_outlives_fifteen_minutes() {
        let tokens = AccessTokens::new(key("k1", 1), vec![]);
        let mut long = claims();
        long.exp = long.iat.plus_ms(ACCESS_TTL_MS + 1000);
        assert!(matches!(tokens.issue(&long), Err(TokenError::Encode)));
        let mut backwards = claims();
        backwards.exp = backwards.iat;
        assert!(matches!(tokens.issue(&backwards), Err(TokenError::Encode)));
        // A forged long-lived payload is refused even with a valid signature.
        let k = key("k1", 1);
        let header = json_segment(serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": "k1"}));
        let payload = json_segment(serde_json::json!({
            "sub": "1", "role": "owner", "sid": "f",
            "iat": 1_700_000_000, "exp": 1_700_086_400, "jti": "j"
        }));
        let mut mac = k.mac().unwrap();
        mac.update(format!("{header}.{payload}").as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        let token = format!("{header}.{payload}.{sig}");
        assert_eq!(tokens.verify(&token, NOW), Err(TokenError::Malformed));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let tokens = AccessTokens::new(key("k1", 1), vec![]);
        let good = issue(&tokens, &claims());
        let long = "a".repeat(5000);
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "!!!.???.***",
            long.as_str(),
            &format!("{good}.x"),
        ] {
            assert_eq!(tokens.verify(bad, NOW), Err(TokenError::Malformed), "{bad}");
        }
    }

    #[test]
    fn keys_shorter_than_32_bytes_are_weak() {
        assert!(matches!(
            SigningKey::new("k", SecretSlice::from(vec![1u8; 31])),
            Err(TokenError::WeakKey)
        ));
        assert!(matches!(
            SigningKey::derived(SecretSlice::from(vec![1u8; 31])),
            Err(TokenError::WeakKey)
        ));
    }

    #[test]
    fn a_derived_kid_is_the_first_eight_hex_of_the_key_hash() {
        let secret = vec![7u8; 32];
        let expected = hex::encode(&Sha256::digest(&secret)[..4]);
        let k = SigningKey::derived(SecretSlice::from(secret)).unwrap();
        assert_eq!(k.kid(), expected);
        assert_eq!(k.kid().len(), 8);
    }

    #[test]
    fn signing_key_debug_shows_the_kid_not_the_secret() {
        let k = SigningKey::new("k1", SecretSlice::from(vec![0x41; 32])).unwrap();
        let dbg = format!("{:?}", AccessTokens::new(k, vec![]));
        assert!(dbg.contains("k1"));
        assert!(dbg.contains("redacted"));
        assert!(!dbg.contains("65, 65"));
        assert!(!dbg.contains("AAAA"));
    }
}
