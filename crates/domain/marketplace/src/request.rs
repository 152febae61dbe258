//! Client requests: validated text, tags, a non-enumerable reference, status and offers.

use std::fmt;

use sha2::{Digest, Sha256};
use warden_types::{PhoneNumber, SenderId, UnixMillis};

use crate::tags::TagSet;
use crate::text::{screen, TextError};
use crate::vendor::VendorId;

/// The store's id of a request (a sequence or a random number; it never leaves Warden).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub i64);

/// The key references are derived with. At least 16 bytes; `Debug` never prints it.
#[derive(Clone)]
pub struct RefKey(Vec<u8>);

/// The reference key is shorter than [`RefKey::MIN_LEN`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request reference key must be at least 16 bytes")]
pub struct WeakRefKey;

impl RefKey {
    pub const MIN_LEN: usize = 16;

    pub fn new(bytes: &[u8]) -> Result<Self, WeakRefKey> {
        if bytes.len() < Self::MIN_LEN {
            return Err(WeakRefKey);
        }
        Ok(Self(bytes.to_vec()))
    }
}

impl fmt::Debug for RefKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefKey(<redacted>)")
    }
}

/// Crockford's base32 alphabet: no I, L, O or U, so a reference survives being read aloud.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// What vendors and clients see instead of anyone's number: `R-` and six base32 characters
/// (30 bits) of a keyed hash of the request id, e.g. `R-7F3K2Q`.
///
/// Not enumerable: without the key, consecutive ids give unrelated references, and a guessed
/// reference is worth nothing anyway, because a reference is only ever resolved within one
/// client's own requests or within the requests one vendor was contacted about. Two requests may
/// share a reference (birthday bound: about 1 % at 4 600 live requests); the store resolves
/// references only in those scopes, where a clash is negligible, and may re-derive with a new id
/// on a clash if it wants uniqueness.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestRef(String);

/// The text is not a request reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a request reference looks like R-7F3K2Q")]
pub struct BadReference;

impl RequestRef {
    pub const CODE_LEN: usize = 6;

    /// The reference of request `id` under `key`. Pure and deterministic.
    pub fn derive(key: &RefKey, id: RequestId) -> Self {
        let mut h = Sha256::new();
        h.update(b"warden-marketplace-ref-v1\0");
        h.update((key.0.len() as u64).to_be_bytes());
        h.update(&key.0);
        h.update(id.0.to_be_bytes());
        let digest = h.finalize();
        let mut bits: u64 = 0;
        for b in digest.iter().take(8) {
            bits = (bits << 8) | u64::from(*b);
        }
        let mut code = String::from("R-");
        for i in 0..Self::CODE_LEN {
            let shift = 64 - 5 * (i + 1);
            let index = usize::try_from((bits >> shift) & 31).unwrap_or(0);
            code.push(char::from(ALPHABET[index]));
        }
        Self(code)
    }

    /// `R-` (or `r-`) and six base32 characters, case-insensitive, nothing else.
    pub fn parse(raw: &str) -> Result<Self, BadReference> {
        let bytes = raw.as_bytes();
        if bytes.len() != 2 + Self::CODE_LEN || !matches!(bytes[0], b'R' | b'r') || bytes[1] != b'-'
        {
            return Err(BadReference);
        }
        let mut out = String::from("R-");
        for &b in &bytes[2..] {
            let up = b.to_ascii_uppercase();
            if !ALPHABET.contains(&up) {
                return Err(BadReference);
            }
            out.push(char::from(up));
        }
        Ok(Self(out))
    }

    /// The references in free text (a vendor's reply), deduplicated, in order of appearance. A
    /// reference must stand alone: not glued to letters or digits on either side.
    pub fn find_all(text: &str) -> Vec<Self> {
        let bytes = text.as_bytes();
        let len = 2 + Self::CODE_LEN;
        let mut found: Vec<Self> = Vec::new();
        let mut i = 0;
        while i + len <= bytes.len() {
            let before_ok = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
            let after_ok = bytes
                .get(i + len)
                .is_none_or(|b| !b.is_ascii_alphanumeric());
            if before_ok && after_ok && matches!(bytes[i], b'R' | b'r') && bytes[i + 1] == b'-' {
                if let Some(Ok(r)) = text.get(i..i + len).map(Self::parse) {
                    if !found.contains(&r) {
                        found.push(r);
                    }
                    i += len;
                    continue;
                }
            }
            i += 1;
        }
        found
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RequestRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestRef({})", self.0)
    }
}

impl fmt::Display for RequestRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the client asked for: 3..=500 characters of one line, no control, bidi or invisible
/// characters. Personal data (it may name a disability, a hospital, a person): `Debug` prints
/// only the length, it never reaches the audit log, and it reaches vendors only redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestText(String);

impl RequestText {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 500;

    pub fn new(raw: &str) -> Result<Self, TextError> {
        let text = screen(raw, Self::MAX_CHARS)?;
        if text.chars().nth(Self::MIN_CHARS - 1).is_none() {
            return Err(TextError::Empty);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RequestText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestText(<{} chars>)", self.0.chars().count())
    }
}

/// Where a request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    /// Outreach may continue and offers are relayed.
    Open,
    /// The client accepted offer `offer_no`: no more outreach, no more relays.
    Accepted { offer_no: u32 },
    /// The client cancelled: no more outreach, no more relays.
    Cancelled,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted { .. } => "accepted",
            Self::Cancelled => "cancelled",
        }
    }
}

/// One offer relayed to the client, numbered per request from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub no: u32,
    pub vendor: VendorId,
    pub at: UnixMillis,
}

/// A request as the store loads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: RequestId,
    pub reference: RequestRef,
    /// The client, pseudonymous: what audit events carry.
    pub client: SenderId,
    /// Where replies to the client go. Never part of a vendor-bound text.
    pub client_phone: PhoneNumber,
    pub text: RequestText,
    /// The text as vendors may see it: redacted (phone numbers, e-mails, secrets), the client's
    /// own number and name removed. Computed once when the request is created
    /// ([`crate::relay::mask_for_vendor`]); the store keeps it beside `text`.
    pub masked_text: String,
    pub tags: TagSet,
    pub status: RequestStatus,
    pub created_at: UnixMillis,
    /// Vendors already contacted for this request, in order. Counts against `max_vendors`.
    pub contacted: Vec<VendorId>,
    pub offers: Vec<Offer>,
}

impl Request {
    pub fn is_open(&self) -> bool {
        self.status == RequestStatus::Open
    }

    /// The number the next relayed offer gets.
    pub fn next_offer_no(&self) -> u32 {
        self.offers
            .iter()
            .map(|o| o.no)
            .max()
            .unwrap_or(0)
            .saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> RefKey {
        RefKey::new(b"0123456789abcdef0123").unwrap()
    }

    #[test]
    fn reference_key_must_be_long_enough_and_is_never_printed() {
        assert_eq!(RefKey::new(b"short").unwrap_err(), WeakRefKey);
        assert_eq!(format!("{:?}", key()), "RefKey(<redacted>)");
    }

    #[test]
    fn consecutive_request_ids_give_unrelated_references() {
        let refs: Vec<_> = (1..=200)
            .map(|i| RequestRef::derive(&key(), RequestId(i)))
            .collect();
        let distinct: std::collections::HashSet<_> = refs.iter().collect();
        assert_eq!(distinct.len(), refs.len());
        for r in &refs {
            assert_eq!(RequestRef::parse(r.as_str()).as_ref(), Ok(r));
        }
        // No shared prefix pattern across neighbours.
        let shared = refs
            .windows(2)
            .filter(|w| w[0].as_str()[..4] == w[1].as_str()[..4])
            .count();
        assert!(shared < 5, "{shared}");
        let other = RefKey::new(b"another key, 20 bytes").unwrap();
        assert_ne!(RequestRef::derive(&other, RequestId(1)), refs[0]);
    }

    #[test]
    fn reference_parse_is_strict_but_case_insensitive() {
        assert_eq!(
            RequestRef::parse("r-7f3k2q").map(|r| r.0),
            Ok("R-7F3K2Q".to_owned())
        );
        for bad in [
            "R-7F3K2",
            "R-7F3K2QQ",
            "R7F3K2Q",
            "R-7F3K2U",
            "X-7F3K2Q",
            "R-7F3K2é",
        ] {
            assert!(RequestRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn references_are_found_in_vendor_text() {
        let found = RequestRef::find_all("Re: r-7f3k2q, 120 EUR. (R-7F3K2Q) also R-AAAAAA.");
        let codes: Vec<_> = found.iter().map(RequestRef::as_str).collect();
        assert_eq!(codes, ["R-7F3K2Q", "R-AAAAAA"]);
        assert!(RequestRef::find_all("XR-7F3K2Q R-7F3K2QX").is_empty());
    }

    #[test]
    fn request_text_is_bounded_and_hides_itself() {
        assert!(RequestText::new("ab").is_err());
        assert!(RequestText::new(&"a".repeat(501)).is_err());
        let t = RequestText::new("van for my mother, she uses a wheelchair").unwrap();
        assert_eq!(format!("{t:?}"), "RequestText(<40 chars>)");
    }

    proptest! {
        #[test]
        fn find_all_is_total(s in "\\PC{0,200}") {
            let _ = RequestRef::find_all(&s);
        }
    }
}
