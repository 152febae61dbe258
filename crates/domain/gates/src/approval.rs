//! Owner-approved pairing: a stranger asks for a short code, an operator approves or rejects it.
//!
//! The rules live here once: which `/pair` forms a [`PairingMode`] accepts, what a
//! [`PairingCode`] looks like and how an operator may type it, how long a code lives and how
//! many a sender (and everyone together) may hold ([`ApprovalPolicy`]). Randomness is not
//! here: a code is built from entropy the caller drew ([`PairingCode::from_entropy`]).

use std::fmt;

use warden_types::UnixMillis;

/// How strangers may pair (`WARDEN_PAIRING_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PairingMode {
    /// `/pair TOKEN` with the shared token only (the default, and the behaviour before codes).
    #[default]
    Token,
    /// `/pair` (with or without an argument) asks for a code an operator approves; the token
    /// is never compared.
    Approval,
    /// `/pair TOKEN` pairs at once; a bare `/pair` asks for a code.
    Both,
}

impl PairingMode {
    /// The spellings `WARDEN_PAIRING_MODE` accepts, for error messages.
    pub const ALLOWED: &'static str = "token, approval or both";

    /// Exact, lowercase; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "token" => Some(Self::Token),
            "approval" => Some(Self::Approval),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Approval => "approval",
            Self::Both => "both",
        }
    }

    /// Whether `/pair TOKEN` is checked against the shared token.
    pub const fn accepts_token(self) -> bool {
        matches!(self, Self::Token | Self::Both)
    }

    /// Whether a stranger's `/pair` may ask for a code.
    pub const fn issues_codes(self) -> bool {
        matches!(self, Self::Approval | Self::Both)
    }
}

/// Crockford's base32 without `I`, `L`, `O` and `U`: no two symbols look alike, and no
/// accidental words.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A pairing code: 8 symbols of [`ALPHABET`] (40 bits), shown as `XXXX-XXXX`.
///
/// Not a long-lived secret (the stranger reads it to the owner), but it names one person's
/// request: `Debug` shows only the first half, and audit details carry only
/// [`PairingCode::prefix`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PairingCode([u8; 8]);

/// Why an operator's input is not a pairing code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidCode;

impl fmt::Display for InvalidCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("is not a pairing code (8 letters and digits, like K7Q3-M2XP)")
    }
}

impl std::error::Error for InvalidCode {}

impl PairingCode {
    /// Symbols in a code.
    pub const LEN: usize = 8;

    /// The code for 40 bits of entropy, 5 bits per symbol: every byte string gives a valid
    /// code, and every code comes from exactly one.
    pub fn from_entropy(bytes: [u8; 5]) -> Self {
        let mut bits = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let mut out = [0u8; Self::LEN];
        for slot in out.iter_mut().rev() {
            *slot = ALPHABET[usize::try_from(bits & 31).unwrap_or(0)];
            bits >>= 5;
        }
        Self(out)
    }

    /// What an operator typed: case-insensitive, with or without the one dash in the middle,
    /// surrounding whitespace ignored. Nothing else is forgiven.
    pub fn parse(raw: &str) -> Result<Self, InvalidCode> {
        let raw = raw.trim().as_bytes();
        let compact: Vec<u8> = match raw.len() {
            8 => raw.to_vec(),
            9 if raw[4] == b'-' => raw[..4].iter().chain(&raw[5..]).copied().collect(),
            _ => return Err(InvalidCode),
        };
        let mut out = [0u8; Self::LEN];
        for (slot, b) in out.iter_mut().zip(compact) {
            let upper = b.to_ascii_uppercase();
            if !ALPHABET.contains(&upper) {
                return Err(InvalidCode);
            }
            *slot = upper;
        }
        Ok(Self(out))
    }

    /// The canonical stored form: 8 uppercase symbols, no dash.
    pub fn as_str(&self) -> &str {
        // Only ALPHABET bytes (ASCII) are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The first four symbols: enough to tell requests apart in the audit log, not enough to
    /// name a code.
    pub fn prefix(&self) -> &str {
        self.as_str().get(..4).unwrap_or("")
    }

    /// `XXXX-XXXX`, as shown to the stranger and the operator.
    pub fn display(&self) -> String {
        let s = self.as_str();
        format!("{}-{}", &s[..4], &s[4..])
    }
}

impl fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PairingCode({}-****)", self.prefix())
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
}

impl RequestStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Rejected]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// A code a sender was issued, as the limits see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    pub code: PairingCode,
    pub requested_at: UnixMillis,
    pub expires_at: UnixMillis,
    pub status: RequestStatus,
}

impl IssuedCode {
    /// Pending and not yet expired: an expired code is treated as absent.
    pub fn is_live(&self, now: UnixMillis) -> bool {
        self.status == RequestStatus::Pending && now < self.expires_at
    }
}

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeLimit {
    /// The sender asked for too many codes in the window.
    Sender,
    /// Too many codes are pending across all senders.
    Global,
}

impl CodeLimit {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sender => "sender",
            Self::Global => "global",
        }
    }
}

/// What a stranger's request for a code comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeDecision {
    /// The sender already holds a live code: answer with it again, store nothing.
    Pending {
        code: PairingCode,
        expires_at: UnixMillis,
    },
    /// Issue a new code (the caller supplies it), valid until `expires_at`.
    Issue { expires_at: UnixMillis },
    /// Refused: try later.
    Limited(CodeLimit),
}

/// Why an operator cannot decide a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undecidable {
    Expired,
    AlreadyDecided(RequestStatus),
}

/// Code lifetime and limits. Defaults are the documented ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalPolicy {
    /// How long a code may be approved.
    pub code_ttl_ms: i64,
    /// Codes one sender may be issued per [`ApprovalPolicy::window_ms`].
    pub per_sender: u32,
    /// The per-sender window. At least `code_ttl_ms`, so a live code is always in it.
    pub window_ms: i64,
    /// Pending, unexpired codes across all senders: bounds what one flood can make an
    /// operator scroll through (and store).
    pub max_pending: u32,
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        Self {
            code_ttl_ms: 60 * 60_000,
            per_sender: 3,
            window_ms: 24 * 60 * 60_000,
            max_pending: 100,
        }
    }
}

impl ApprovalPolicy {
    /// Since when a sender's codes count against [`ApprovalPolicy::per_sender`]: the store
    /// loads the codes requested after it.
    pub fn window_start(&self, now: UnixMillis) -> UnixMillis {
        now.plus_ms(-self.window_ms.max(self.code_ttl_ms))
    }

    /// A stranger asks for a code. `issued` are the sender's codes (any requested before
    /// [`ApprovalPolicy::window_start`] are ignored); `pending` counts every sender's live codes.
    pub fn request(&self, issued: &[IssuedCode], pending: u32, now: UnixMillis) -> CodeDecision {
        if let Some(live) = issued.iter().find(|c| c.is_live(now)) {
            return CodeDecision::Pending {
                code: live.code.clone(),
                expires_at: live.expires_at,
            };
        }
        let since = self.window_start(now);
        let recent = issued.iter().filter(|c| c.requested_at > since).count();
        if recent >= usize::try_from(self.per_sender).unwrap_or(usize::MAX) {
            return CodeDecision::Limited(CodeLimit::Sender);
        }
        if pending >= self.max_pending {
            return CodeDecision::Limited(CodeLimit::Global);
        }
        CodeDecision::Issue {
            expires_at: now.plus_ms(self.code_ttl_ms),
        }
    }

    /// Whether an operator may approve or reject a request now: only a pending, unexpired one.
    pub fn decidable(
        &self,
        status: RequestStatus,
        expires_at: UnixMillis,
        now: UnixMillis,
    ) -> Result<(), Undecidable> {
        match status {
            RequestStatus::Pending if now < expires_at => Ok(()),
            RequestStatus::Pending => Err(Undecidable::Expired),
            decided => Err(Undecidable::AlreadyDecided(decided)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: UnixMillis = UnixMillis(1_800_000_000_000);
    const HOUR: i64 = 60 * 60_000;

    fn code(s: &str) -> PairingCode {
        PairingCode::parse(s).unwrap()
    }

    fn issued(c: &str, requested_at: UnixMillis, status: RequestStatus) -> IssuedCode {
        IssuedCode {
            code: code(c),
            requested_at,
            expires_at: requested_at.plus_ms(HOUR),
            status,
        }
    }

    #[test]
    fn code_is_eight_unambiguous_symbols_shown_with_a_dash() {
        let c = PairingCode::from_entropy([0xFF; 5]);
        assert_eq!(c.as_str(), "ZZZZZZZZ");
        assert_eq!(c.display(), "ZZZZ-ZZZZ");
        assert_eq!(PairingCode::from_entropy([0; 5]).as_str(), "00000000");
        for symbol in ["I", "L", "O", "U"] {
            assert!(!ALPHABET.contains(&symbol.as_bytes()[0]), "{symbol}");
        }
    }

    proptest! {
        #[test]
        fn every_code_parses_back_in_any_case_with_or_without_dash(bytes in any::<[u8; 5]>()) {
            let c = PairingCode::from_entropy(bytes);
            prop_assert_eq!(c.as_str().len(), 8);
            prop_assert_eq!(PairingCode::parse(c.as_str()), Ok(c.clone()));
            prop_assert_eq!(PairingCode::parse(&c.display()), Ok(c.clone()));
            prop_assert_eq!(PairingCode::parse(&c.display().to_lowercase()), Ok(c.clone()));
        }

        #[test]
        fn distinct_entropy_gives_distinct_codes(a in any::<[u8; 5]>(), b in any::<[u8; 5]>()) {
            prop_assume!(a != b);
            prop_assert_ne!(PairingCode::from_entropy(a), PairingCode::from_entropy(b));
        }

        #[test]
        fn parse_never_panics(raw in ".{0,20}") {
            let _ = PairingCode::parse(&raw);
        }
    }

    #[test]
    fn operator_typing_is_normalised_but_nothing_else_is_forgiven() {
        let c = code("K7Q3-M2XP");
        assert_eq!(code("k7q3m2xp"), c);
        assert_eq!(code("  K7q3-m2Xp\n"), c);
        for bad in [
            "",
            "K7Q3-M2X",
            "K7Q3-M2XPP",
            "K7Q-3M2XP",
            "K7Q3--M2XP",
            "K7Q3 M2XP",
            "K7Q3-M2XO", // O is not in the alphabet
            "K7Q3-M2XU",
            "K7Q3_M2XP",
            "K7Q3-M2X\u{D0}",
        ] {
            assert_eq!(PairingCode::parse(bad), Err(InvalidCode), "{bad:?}");
        }
    }

    #[test]
    fn debug_of_a_code_shows_only_its_first_half() {
        let c = code("K7Q3-M2XP");
        assert_eq!(format!("{c:?}"), "PairingCode(K7Q3-****)");
        assert_eq!(c.prefix(), "K7Q3");
    }

    #[test]
    fn mode_parses_only_its_three_spellings() {
        for m in [PairingMode::Token, PairingMode::Approval, PairingMode::Both] {
            assert_eq!(PairingMode::parse(m.as_str()), Some(m));
        }
        for bad in ["", "Token", "approve", " both", "token,approval"] {
            assert_eq!(PairingMode::parse(bad), None, "{bad:?}");
        }
        assert_eq!(PairingMode::default(), PairingMode::Token);
        assert!(PairingMode::Token.accepts_token() && !PairingMode::Token.issues_codes());
        assert!(!PairingMode::Approval.accepts_token() && PairingMode::Approval.issues_codes());
        assert!(PairingMode::Both.accepts_token() && PairingMode::Both.issues_codes());
    }

    #[test]
    fn first_request_issues_a_code_valid_for_one_hour() {
        let p = ApprovalPolicy::default();
        assert_eq!(
            p.request(&[], 0, NOW),
            CodeDecision::Issue {
                expires_at: NOW.plus_ms(HOUR)
            }
        );
    }

    #[test]
    fn repeat_request_while_pending_gets_the_same_code() {
        let p = ApprovalPolicy::default();
        let live = issued("K7Q3-M2XP", NOW.plus_ms(-10), RequestStatus::Pending);
        assert_eq!(
            p.request(std::slice::from_ref(&live), p.max_pending, NOW),
            CodeDecision::Pending {
                code: live.code.clone(),
                expires_at: live.expires_at
            },
            "even at the global limit: nothing new is stored"
        );
    }

    #[test]
    fn a_code_expires_at_its_expiry_instant_not_a_millisecond_later() {
        let p = ApprovalPolicy::default();
        let c = issued("K7Q3-M2XP", NOW, RequestStatus::Pending);
        let last = c.expires_at.plus_ms(-1);
        assert!(c.is_live(last));
        assert!(!c.is_live(c.expires_at));
        assert_eq!(p.decidable(c.status, c.expires_at, last), Ok(()));
        assert_eq!(
            p.decidable(c.status, c.expires_at, c.expires_at),
            Err(Undecidable::Expired)
        );
        // Expired is absent: the next request issues a new code.
        assert!(matches!(
            p.request(std::slice::from_ref(&c), 0, c.expires_at),
            CodeDecision::Issue { .. }
        ));
    }

    #[test]
    fn decided_requests_cannot_be_decided_again() {
        let p = ApprovalPolicy::default();
        for s in [RequestStatus::Approved, RequestStatus::Rejected] {
            assert_eq!(
                p.decidable(s, NOW.plus_ms(HOUR), NOW),
                Err(Undecidable::AlreadyDecided(s))
            );
        }
    }

    #[test]
    fn fourth_code_in_a_day_is_refused_until_the_first_leaves_the_window() {
        let p = ApprovalPolicy::default();
        let day = 24 * HOUR;
        let first = NOW;
        let codes = [
            issued("AAAA-AAAA", first, RequestStatus::Rejected),
            issued("BBBB-BBBB", first.plus_ms(2 * HOUR), RequestStatus::Pending),
            issued(
                "CCCC-CCCC",
                first.plus_ms(4 * HOUR),
                RequestStatus::Approved,
            ),
        ];
        // A code counts for 24 hours from its request, to the millisecond.
        let at = first.plus_ms(day - 1);
        assert_eq!(
            p.request(&codes, 0, at),
            CodeDecision::Limited(CodeLimit::Sender)
        );
        assert!(matches!(
            p.request(&codes, 0, first.plus_ms(day)),
            CodeDecision::Issue { .. }
        ));
        assert!(matches!(
            p.request(&codes[..2], 0, first.plus_ms(5 * HOUR)),
            CodeDecision::Issue { .. }
        ));
    }

    #[test]
    fn hundred_pending_codes_refuse_the_next_stranger() {
        let p = ApprovalPolicy::default();
        assert!(matches!(
            p.request(&[], 99, NOW),
            CodeDecision::Issue { .. }
        ));
        assert_eq!(
            p.request(&[], 100, NOW),
            CodeDecision::Limited(CodeLimit::Global)
        );
    }

    #[test]
    fn status_round_trips_through_its_stored_name() {
        for s in [
            RequestStatus::Pending,
            RequestStatus::Approved,
            RequestStatus::Rejected,
        ] {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RequestStatus::parse("Pending"), None);
    }
}
