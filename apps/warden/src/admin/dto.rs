//! The admin API's JSON bodies. Plain data: numbers are masked, texts are never included (but
//! for the one held offer an operator reveals, audited), and no secret is ever serialised
//! except the tokens a login hands to its own caller.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub username: String,
    #[schema(format = Password)]
    pub password: String,
    /// The 6-digit code from the authenticator app, or an unused recovery code.
    pub totp: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    pub refresh_token: String,
}

/// A new session.
#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single use: each refresh returns a new one; presenting a spent one revokes the session.
    pub refresh_token: String,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// `GET /api/v1/audit` query.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Rows after this sequence number (exclusive); default 0.
    pub after: Option<i64>,
    /// At most this many rows, 1–1000; default 100.
    pub limit: Option<u64>,
    /// Only this kind, e.g. `operator.login_failed`.
    pub kind: Option<String>,
    /// Only events at or after this time (Unix milliseconds).
    pub since_ms: Option<i64>,
    /// Only events before this time (Unix milliseconds); must be after `since_ms`.
    pub until_ms: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRow {
    pub seq: i64,
    pub at_ms: i64,
    pub kind: String,
    /// The pseudonymous sender, when the event concerns one.
    pub sender: Option<String>,
    /// The event's detail, `key=value` pairs as stored (already redacted).
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditRow>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainReport {
    pub valid: bool,
    pub events: u64,
    pub head_seq: i64,
    pub head_hash: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneBody {
    /// An E.164 number, e.g. `+447400900123`; it must also be a number that can exist
    /// (libphonenumber), which no pattern can say.
    #[schema(
        pattern = r"^(whatsapp:)?\+[1-9][0-9]{6,14}$",
        example = "+447400900123"
    )]
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AllowlistRow {
    /// The sender's pseudonym (the allowlist never stores a number).
    pub sender: String,
    pub added_at_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Changed {
    /// False when the request changed nothing (already so).
    pub changed: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorBody {
    /// 1–80 characters once trimmed, no contact details (at most 5 digits, no `@`).
    #[schema(min_length = 1)]
    pub name: String,
    /// The vendor's E.164 number; it must be a number that can exist (libphonenumber).
    #[schema(
        pattern = r"^(whatsapp:)?\+[1-9][0-9]{6,14}$",
        example = "+447400900123"
    )]
    pub phone: String,
    /// Comma-separated tags, e.g. `van,wheelchair,city:lisbon`.
    #[schema(example = "van,wheelchair,city:lisbon")]
    pub tags: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VendorRow {
    pub id: i64,
    pub name: String,
    /// Masked: country code and last two digits.
    pub phone: String,
    pub tags: Vec<String>,
    pub active: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// A held vendor reply; its text is never part of this API.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldOfferRow {
    pub id: i64,
    pub vendor: i64,
    /// The request's reference, when the reply named one.
    pub reference: Option<String>,
    /// Why it was held: reason codes.
    pub reasons: Vec<String>,
    pub created_at_ms: i64,
}

/// A held vendor reply's text, as an operator reviews it: unredacted, exactly as the vendor
/// wrote it. Every answer of this shape is preceded by an `offer.revealed` audit event.
#[derive(Serialize, ToSchema)]
pub struct RevealedOffer {
    pub id: i64,
    pub text: String,
}

impl std::fmt::Debug for RevealedOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevealedOffer")
            .field("id", &self.id)
            .field("text_chars", &self.text.chars().count())
            .finish()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentRow {
    /// The client's pseudonym.
    pub client: String,
    /// `none`, `granted` or `revoked`.
    pub status: String,
    pub granted_at_ms: Option<i64>,
    pub expires_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// `GET /api/v1/outbox` query.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// `failed` for failed messages only; absent for all.
    pub status: Option<String>,
    /// At most this many rows, 1–1000; default 100.
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxRow {
    pub id: i64,
    pub provider: String,
    /// The recipient's pseudonym.
    pub sender: String,
    /// Masked; absent once delivered.
    pub recipient: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_ms: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorRow {
    pub id: i64,
    pub username: String,
    /// `owner`, `operator` or `auditor`.
    pub role: String,
    pub enabled: bool,
    /// Set while the account is locked after failed logins.
    pub locked_until_ms: Option<i64>,
    pub created_at_ms: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOperatorBody {
    /// 3–64 characters of `a-z 0-9 . _ -` (upper case is lowered).
    #[schema(pattern = r"^[A-Za-z0-9._-]{3,64}$")]
    pub username: String,
    /// `owner`, `operator` or `auditor`.
    #[schema(pattern = r"^(owner|operator|auditor)$")]
    pub role: String,
    /// 12–128 characters, not a common password, not the username.
    #[schema(format = Password, min_length = 12, max_length = 128)]
    pub password: String,
    /// The operator's own WhatsApp number for security alerts (E.164), optional.
    #[schema(
        pattern = r"^(whatsapp:)?\+[1-9][0-9]{6,14}$",
        example = "+447400900123"
    )]
    pub phone: Option<String>,
}

/// A new second factor, shown once.
#[derive(Serialize, ToSchema)]
pub struct EnrolmentBody {
    pub id: i64,
    /// `otpauth://totp/...` for the authenticator app.
    pub totp_uri: String,
    pub recovery_codes: Vec<String>,
}

impl std::fmt::Debug for EnrolmentBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolmentBody")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// `owner`, `operator` or `auditor`.
    #[schema(pattern = r"^(owner|operator|auditor)$")]
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PairingRow {
    /// As the stranger was told it, e.g. `K7Q3-M2XP`.
    pub code: String,
    /// Masked; absent when the stored number is gone.
    pub phone: Option<String>,
    pub requested_at_ms: i64,
    pub expires_at_ms: i64,
}

/// What an erasure deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureBody {
    /// Per table: rows deleted (replay ids: unlinked from the subject).
    #[schema(value_type = Object)]
    pub counts: serde_json::Value,
    /// Nothing was held about the number (the erasure succeeded with zero counts).
    pub nothing_held: bool,
}
