//! Refresh tokens: 256 random bits, stored only as SHA-256, rotated on every use, and a reused
//! (already spent) token revokes its whole family, since one of its two holders is a thief.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use warden_types::UnixMillis;

use crate::OperatorId;

/// Absolute: counted from the family's first login, not extended by rotation, so a stolen
/// family dies within 30 days even if it is used every day.
pub const REFRESH_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;

const PREFIX: &str = "wrt_";
/// base64url without padding of 32 bytes.
const BODY_CHARS: usize = 43;

/// `"wrt_"` + base64url(32 bytes). The prefix lets secret scanners and log redaction spot it.
pub struct RefreshToken(SecretString);

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken([redacted])")
    }
}

impl RefreshToken {
    pub fn from_random(b: [u8; 32]) -> Self {
        Self(SecretString::from(format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(b)
        )))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Shape check only (prefix, length, canonical base64url of 32 bytes); whether it exists is
    /// the store's question.
    pub fn parse(raw: &str) -> Option<Self> {
        let body = raw.strip_prefix(PREFIX)?;
        if body.len() != BODY_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
        (bytes.len() == 32).then(|| Self(SecretString::from(raw.to_owned())))
    }

    /// Hex SHA-256 of the whole token: the only form the store keeps. A fast hash is enough for
    /// 256 random bits.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.expose().as_bytes()))
    }
}

/// What the store knows about a presented token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRefresh {
    /// Every token rotated from one login shares the family; it is also the session id (`sid`).
    pub family: String,
    pub operator: OperatorId,
    pub family_started: UnixMillis,
    /// Already exchanged for a newer token.
    pub spent: bool,
    /// The family was revoked (logout, reuse, account disabled).
    pub revoked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Mark this token spent, issue the next one in the family.
    Rotate,
    /// A spent token came back: revoke the family and audit it.
    Reused,
    Expired,
    Revoked,
    Unknown,
}

/// Decides what to do with a presented refresh token.
///
/// Order matters: a revoked family stays revoked (nothing more to do); reuse is reported even
/// after expiry, because a replayed spent token is a theft signal worth auditing either way.
pub fn assess(found: Option<&StoredRefresh>, now: UnixMillis) -> RefreshDecision {
    let Some(stored) = found else {
        return RefreshDecision::Unknown;
    };
    if stored.revoked {
        RefreshDecision::Revoked
    } else if stored.spent {
        RefreshDecision::Reused
    } else if now >= stored.family_started.plus_ms(REFRESH_LIFETIME_MS) {
        RefreshDecision::Expired
    } else {
        RefreshDecision::Rotate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(spent: bool, revoked: bool) -> StoredRefresh {
        StoredRefresh {
            family: "fam-1".into(),
            operator: OperatorId(4),
            family_started: UnixMillis(1_000_000),
            spent,
            revoked,
        }
    }

    #[test]
    fn tokens_have_the_prefix_and_parse_back() {
        let t = RefreshToken::from_random([0xab; 32]);
        assert!(t.expose().starts_with("wrt_"));
        assert_eq!(t.expose().len(), 4 + 43);
        let parsed = RefreshToken::parse(t.expose()).unwrap();
        assert_eq!(parsed.expose(), t.expose());
        assert_eq!(parsed.hash(), t.hash());
    }

    #[test]
    fn malformed_tokens_are_refused_by_shape() {
        let good = RefreshToken::from_random([7; 32]);
        let body = &good.expose()[4..];
        for bad in [
            String::new(),
            body.to_owned(),                 // no prefix
            format!("wrx_{body}"),           // wrong prefix
            format!("wrt_{}", &body[1..]),   // too short
            format!("wrt_{body}A"),          // too long
            format!("wrt_{}+", &body[..42]), // not url-safe
            format!("wrt_{}=", &body[..42]), // padding
        ] {
            assert!(RefreshToken::parse(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_hash_is_sha256_hex_of_the_token_and_differs_per_token() {
        let a = RefreshToken::from_random([1; 32]);
        let b = RefreshToken::from_random([2; 32]);
        assert_eq!(a.hash(), hex::encode(Sha256::digest(a.expose().as_bytes())));
        assert_ne!(a.hash(), b.hash());
        assert!(!a.hash().contains(&a.expose()[4..]));
    }

    #[test]
    fn refresh_token_debug_is_redacted() {
        let t = RefreshToken::from_random([3; 32]);
        let dbg = format!("{t:?}");
        assert!(!dbg.contains(&t.expose()[4..]));
        assert_eq!(dbg, "RefreshToken([redacted])");
    }

    #[test]
    fn a_fresh_token_in_a_live_family_rotates() {
        assert_eq!(
            assess(Some(&stored(false, false)), UnixMillis(1_000_001)),
            RefreshDecision::Rotate
        );
    }

    #[test]
    fn a_spent_refresh_token_is_reuse_and_revokes_its_family() {
        assert_eq!(
            assess(Some(&stored(true, false)), UnixMillis(1_000_001)),
            RefreshDecision::Reused
        );
        // Reuse is still reported after the family expired: it is evidence of theft.
        let late = UnixMillis(1_000_000 + REFRESH_LIFETIME_MS + 1);
        assert_eq!(
            assess(Some(&stored(true, false)), late),
            RefreshDecision::Reused
        );
    }

    #[test]
    fn a_revoked_family_stays_revoked_spent_or_not() {
        for spent in [false, true] {
            assert_eq!(
                assess(Some(&stored(spent, true)), UnixMillis(1_000_001)),
                RefreshDecision::Revoked
            );
        }
    }

    #[test]
    fn the_family_expires_thirty_days_after_it_started_not_after_rotation() {
        let s = stored(false, false);
        let end = s.family_started.plus_ms(REFRESH_LIFETIME_MS);
        assert_eq!(
            assess(Some(&s), UnixMillis(end.0 - 1)),
            RefreshDecision::Rotate
        );
        assert_eq!(assess(Some(&s), end), RefreshDecision::Expired);
    }

    #[test]
    fn an_unknown_token_is_unknown() {
        assert_eq!(assess(None, UnixMillis(0)), RefreshDecision::Unknown);
    }
}
