//! TOTP (RFC 6238) as every authenticator app speaks it: HMAC-SHA-1, 6 digits, 30-second steps,
//! one step of clock drift either way, and each step's code accepted at most once.

use std::fmt;

use hmac::{Hmac, Mac};
use secrecy::SecretString;
use sha1::Sha1;
use subtle::ConstantTimeEq;
use warden_types::UnixMillis;

const STEP_MS: i64 = 30_000;
const DIGITS: u32 = 6;

/// A 160-bit shared secret (RFC 4226's recommended length).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret([u8; 20]);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("the code must be 6 digits")]
    Malformed,
    #[error("the code is wrong")]
    Wrong,
    #[error("the code was already used")]
    Replayed,
    #[error("the TOTP secret is not 20 bytes of base32")]
    BadSecret,
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

impl TotpSecret {
    pub fn from_bytes(b: [u8; 20]) -> Self {
        Self(b)
    }

    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// RFC 4648 base32, upper case, no padding: what authenticator apps take when typed in.
    pub fn to_base32(&self) -> SecretString {
        let mut out = String::with_capacity(32);
        // 20 bytes = 160 bits = exactly 32 five-bit groups, so no padding or leftover bits.
        for chunk in self.0.chunks(5) {
            let mut buf = [0u8; 8];
            buf[3..8].copy_from_slice(chunk);
            let bits = u64::from_be_bytes(buf);
            for i in (0..8).rev() {
                let idx = ((bits >> (i * 5)) & 0x1f) as usize;
                out.push(char::from(BASE32[idx]));
            }
        }
        SecretString::from(out)
    }

    /// Accepts any case, spaces and `=` padding (as apps and people write it); anything that is
    /// not exactly 20 bytes is refused.
    pub fn from_base32(raw: &str) -> Result<Self, TotpError> {
        let mut bits: u64 = 0;
        let mut nbits = 0u32;
        let mut out = Vec::with_capacity(20);
        for c in raw.chars().filter(|c| !c.is_whitespace() && *c != '=') {
            let upper = c.to_ascii_uppercase();
            let value = BASE32
                .iter()
                .position(|&b| char::from(b) == upper)
                .ok_or(TotpError::BadSecret)?;
            bits = (bits << 5) | value as u64;
            nbits += 5;
            if nbits >= 8 {
                nbits -= 8;
                out.push((bits >> nbits) as u8);
                bits &= (1 << nbits) - 1;
            }
        }
        if bits != 0 {
            // Leftover non-zero bits: not the canonical encoding of any byte string.
            return Err(TotpError::BadSecret);
        }
        let bytes: [u8; 20] = out.try_into().map_err(|_| TotpError::BadSecret)?;
        Ok(Self(bytes))
    }
}

/// RFC 3986 unreserved characters pass; everything else is `%XX` per UTF-8 byte.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `otpauth://totp/{issuer}:{account}?secret=..&issuer=..&algorithm=SHA1&digits=6&period=30`,
/// percent-encoded (Google's Key URI format). A secret itself, since it contains the key.
pub fn provisioning_uri(secret: &TotpSecret, issuer: &str, account: &str) -> SecretString {
    use secrecy::ExposeSecret;
    let issuer = percent_encode(issuer);
    let account = percent_encode(account);
    let key = secret.to_base32();
    SecretString::from(format!(
        "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        key.expose_secret()
    ))
}

/// HOTP (RFC 4226): HMAC-SHA-1 of the counter, dynamic truncation, `digits` decimal digits.
fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes keys of any length; the Err arm cannot happen, and yields no valid code if it did.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    binary % 10u32.pow(digits)
}

/// The 6-digit code for one step, zero-padded.
pub fn code_at(secret: &TotpSecret, step: u64) -> String {
    format!("{:06}", hotp(&secret.0, step, DIGITS))
}

/// The 30-second step `now` falls in; times before 1970 count as step 0.
pub fn step_at(now: UnixMillis) -> u64 {
    u64::try_from(now.0.max(0) / STEP_MS).unwrap_or(0)
}

/// When `step` begins: the inverse of [`step_at`] to the step's first millisecond (a step too
/// large for the clock saturates).
pub fn step_start(step: u64) -> UnixMillis {
    UnixMillis(
        i64::try_from(step)
            .unwrap_or(i64::MAX)
            .saturating_mul(STEP_MS),
    )
}

/// Accepts the code for step-1, step, step+1 at `now`, refusing any step <= `last_used_step`
/// (replay). Returns the matched step, which the caller stores as the new `last_used_step`.
///
/// All three candidates are computed and compared in constant time, whatever matches, so the
/// timing does not say which step (if any) the code belongs to. Spaces are ignored
/// (`"123 456"`), as apps display codes that way.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    now: UnixMillis,
    last_used_step: Option<u64>,
) -> Result<u64, TotpError> {
    let digits: String = code.chars().filter(|c| *c != ' ').collect();
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::Malformed);
    }
    let step = step_at(now);
    let mut fresh: Option<u64> = None;
    let mut replayed = false;
    for candidate in [step.checked_sub(1), Some(step), step.checked_add(1)]
        .into_iter()
        .flatten()
    {
        let matches: bool = code_at(secret, candidate)
            .as_bytes()
            .ct_eq(digits.as_bytes())
            .into();
        if matches {
            if last_used_step.is_some_and(|last| candidate <= last) {
                replayed = true;
            } else {
                // Candidates ascend, so the newest fresh match wins.
                fresh = Some(candidate);
            }
        }
    }
    match fresh {
        Some(s) => Ok(s),
        None if replayed => Err(TotpError::Replayed),
        None => Err(TotpError::Wrong),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    /// RFC 6238 Appendix B's SHA-1 seed: ASCII "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    /// (unix seconds, 8-digit TOTP) from RFC 6238 Appendix B, SHA-1 rows.
    const RFC_VECTORS: [(i64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn hotp_core_matches_rfc_6238_appendix_b_eight_digits() {
        let s = rfc_secret();
        for (secs, expected) in RFC_VECTORS {
            let step = step_at(UnixMillis(secs * 1000));
            assert_eq!(format!("{:08}", hotp(s.as_bytes(), step, 8)), expected);
        }
    }

    #[test]
    fn six_digit_codes_are_the_rfc_vectors_last_six_digits() {
        let s = rfc_secret();
        for (secs, expected) in RFC_VECTORS {
            let now = UnixMillis(secs * 1000);
            assert_eq!(code_at(&s, step_at(now)), expected[2..]);
            assert_eq!(verify(&s, &expected[2..], now, None), Ok(step_at(now)));
        }
    }

    #[test]
    fn rfc_4226_hotp_vectors_hold_for_small_counters() {
        // RFC 4226 Appendix D, same seed, counters 0..=3.
        let s = rfc_secret();
        for (counter, expected) in ["755224", "287082", "359152", "969429"].iter().enumerate() {
            assert_eq!(code_at(&s, counter as u64), *expected);
        }
    }

    const NOW: UnixMillis = UnixMillis(1_700_000_015_000);

    #[test]
    fn codes_one_step_either_side_are_accepted_two_steps_are_not() {
        let s = rfc_secret();
        let step = step_at(NOW);
        for accepted in [step - 1, step, step + 1] {
            assert_eq!(verify(&s, &code_at(&s, accepted), NOW, None), Ok(accepted));
        }
        for refused in [step - 2, step + 2] {
            let code = code_at(&s, refused);
            // Skip the 1-in-a-million case where the far code equals a near one.
            if [step - 1, step, step + 1]
                .iter()
                .all(|n| code_at(&s, *n) != code)
            {
                assert_eq!(verify(&s, &code, NOW, None), Err(TotpError::Wrong));
            }
        }
    }

    #[test]
    fn window_edges_follow_the_thirty_second_boundary() {
        let s = rfc_secret();
        let step = step_at(NOW);
        let start_of_step = UnixMillis(i64::try_from(step).unwrap() * STEP_MS);
        // In the last millisecond of `step`, the previous step's code is one step old: accepted ...
        let code_prev = code_at(&s, step - 1);
        assert_eq!(
            verify(&s, &code_prev, start_of_step.plus_ms(STEP_MS - 1), None),
            Ok(step - 1)
        );
        // ... one millisecond later the clock is in step+1, the code two steps old: refused (unless,
        // one time in a million, it equals a code inside the new window).
        if code_at(&s, step + 2) != code_prev
            && code_at(&s, step) != code_prev
            && code_at(&s, step + 1) != code_prev
        {
            assert_eq!(
                verify(&s, &code_prev, start_of_step.plus_ms(STEP_MS), None),
                Err(TotpError::Wrong)
            );
        }
    }

    #[test]
    fn a_step_starts_at_the_first_millisecond_step_at_maps_to_it() {
        for ms in [0, 29_999, 30_000, 1_709_164_812_345] {
            let step = step_at(UnixMillis(ms));
            assert!(step_start(step).0 <= ms && ms < step_start(step).0 + STEP_MS);
            assert_eq!(step_at(step_start(step)), step);
        }
        assert_eq!(step_start(u64::MAX), UnixMillis(i64::MAX));
    }

    #[test]
    fn the_same_code_is_refused_the_second_time() {
        let s = rfc_secret();
        let code = code_at(&s, step_at(NOW));
        let used = verify(&s, &code, NOW, None).unwrap();
        assert_eq!(verify(&s, &code, NOW, Some(used)), Err(TotpError::Replayed));
        assert_eq!(
            verify(&s, &code, NOW.plus_ms(STEP_MS), Some(used)),
            Err(TotpError::Replayed)
        );
    }

    #[test]
    fn an_older_step_is_refused_after_a_newer_one_was_used() {
        let s = rfc_secret();
        let step = step_at(NOW);
        let newer = verify(&s, &code_at(&s, step + 1), NOW, None).unwrap();
        assert_eq!(newer, step + 1);
        assert_eq!(
            verify(&s, &code_at(&s, step), NOW, Some(newer)),
            Err(TotpError::Replayed)
        );
        assert_eq!(
            verify(&s, &code_at(&s, step - 1), NOW, Some(newer)),
            Err(TotpError::Replayed)
        );
    }

    #[test]
    fn a_later_step_is_still_accepted_after_an_earlier_one() {
        let s = rfc_secret();
        let step = step_at(NOW);
        assert_eq!(
            verify(&s, &code_at(&s, step + 1), NOW, Some(step - 1)),
            Ok(step + 1)
        );
    }

    #[test]
    fn malformed_codes_are_refused_before_any_comparison() {
        let s = rfc_secret();
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", "-12345"] {
            assert_eq!(
                verify(&s, bad, NOW, None),
                Err(TotpError::Malformed),
                "{bad:?}"
            );
        }
        let code = code_at(&s, step_at(NOW));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(&s, &spaced, NOW, None), Ok(step_at(NOW)));
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        // RFC 4648 test vector: "12345678901234567890" is GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ.
        let s = rfc_secret();
        let b32 = s.to_base32();
        assert_eq!(b32.expose_secret(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(TotpSecret::from_base32(b32.expose_secret()), Ok(s.clone()));
        assert_eq!(
            TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"),
            Ok(s)
        );
    }

    #[test]
    fn secrets_of_the_wrong_length_or_alphabet_are_refused() {
        for bad in [
            "",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ", // 31 chars: 19 bytes and leftover bits
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE", // 21 bytes
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1", // '1' is not base32
        ] {
            assert_eq!(
                TotpSecret::from_base32(bad),
                Err(TotpError::BadSecret),
                "{bad}"
            );
        }
    }

    #[test]
    fn provisioning_uri_is_percent_encoded_and_carries_the_parameters() {
        let uri = provisioning_uri(&rfc_secret(), "Warden Gateway", "ana@example.org");
        assert_eq!(
            uri.expose_secret(),
            "otpauth://totp/Warden%20Gateway:ana%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Warden%20Gateway&algorithm=SHA1&digits=6&period=30"
        );
        let tricky = provisioning_uri(&rfc_secret(), "A&B", "x:y?z=é");
        assert!(tricky
            .expose_secret()
            .starts_with("otpauth://totp/A%26B:x%3Ay%3Fz%3D%C3%A9?"));
    }

    #[test]
    fn secret_debug_is_redacted() {
        let dbg = format!("{:?}", rfc_secret());
        assert_eq!(dbg, "TotpSecret([redacted])");
    }

    #[test]
    fn times_before_the_epoch_are_step_zero() {
        assert_eq!(step_at(UnixMillis(-1)), 0);
        assert_eq!(step_at(UnixMillis(29_999)), 0);
        assert_eq!(step_at(UnixMillis(30_000)), 1);
    }
}
