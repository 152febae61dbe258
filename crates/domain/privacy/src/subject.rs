//! One data subject (a phone number) as an export document and as an erasure report.
//!
//! The store reads a subject's rows table by table as plain [`Row`]s; which columns are free
//! text ([`Value::Text`]) is the store's to say, since it knows the columns, and whether a
//! reader sees that text is decided here ([`SubjectExport::withhold_text`]). The JSON shape is a
//! contract (described in the README); [`SCHEMA_VERSION`] changes whenever it does.

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use warden_audit::{AuditEvent, Detail, EventKind};
use warden_types::{PhoneNumber, SenderId, UnixMillis};

/// The version of the export document's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// Who an export or erasure is about: the number, and its pseudonym under the gateway's key
/// (how most tables and the audit chain name it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub phone: PhoneNumber,
    pub pseudonym: SenderId,
}

/// One stored value as the export shows it.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// A short value that is not free text: a status, a code, an id, a reference, a number.
    Str(String),
    /// Free text a person wrote or was sent (task titles, request and message text, held
    /// offers): shown only to readers who may read text.
    Text(String),
    /// Text that was withheld: only its length in characters.
    Withheld {
        chars: usize,
    },
}

impl Value {
    /// `Some(v)` as [`Value::Int`], `None` as [`Value::Null`].
    pub fn int(v: Option<i64>) -> Self {
        v.map_or(Value::Null, Value::Int)
    }

    /// `Some(s)` as [`Value::Str`], `None` as [`Value::Null`].
    pub fn str(v: Option<String>) -> Self {
        v.map_or(Value::Null, Value::Str)
    }

    /// `Some(s)` as [`Value::Text`], `None` as [`Value::Null`].
    pub fn text(v: Option<String>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }

    fn withheld(self) -> Self {
        match self {
            Value::Text(t) => Value::Withheld {
                chars: t.chars().count(),
            },
            other => other,
        }
    }
}

/// Never prints text: the export may hold message bodies.
impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Int(i) => write!(f, "Int({i})"),
            Value::Str(_) => f.write_str("Str(..)"),
            Value::Text(t) => write!(f, "Text({} chars)", t.chars().count()),
            Value::Withheld { chars } => write!(f, "Withheld({chars} chars)"),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Str(v) | Value::Text(v) => s.serialize_str(v),
            Value::Withheld { chars } => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("withheld_chars", chars)?;
                m.end()
            }
        }
    }
}

/// One stored row: its columns in the table's order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row(pub Vec<(&'static str, Value)>);

impl Row {
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn with(mut self, column: &'static str, value: Value) -> Self {
        self.0.push((column, value));
        self
    }

    pub fn get(&self, column: &str) -> Option<&Value> {
        self.0.iter().find(|(c, _)| *c == column).map(|(_, v)| v)
    }
}

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (column, value) in &self.0 {
            m.serialize_entry(column, value)?;
        }
        m.end()
    }
}

/// The rows one table holds about the subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    pub table: &'static str,
    pub rows: Vec<Row>,
}

/// One audit row whose sender is the subject's pseudonym. Audit rows hold no text and no number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub kind: String,
    /// The decoded detail (`{"key": "value"}`); the stored string when it does not decode.
    pub detail: AuditDetail,
}

/// An audit row's detail as the export shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AuditDetail {
    Pairs(BTreeMap<String, String>),
    Raw(String),
}

impl AuditDetail {
    /// Decodes a stored detail string.
    pub fn from_stored(raw: &str) -> Self {
        match Detail::decode(raw) {
            Ok(d) => AuditDetail::Pairs(
                d.iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            ),
            Err(_) => AuditDetail::Raw(raw.to_owned()),
        }
    }
}

/// What the store holds about a subject, before visibility is applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubjectRows {
    /// Every table that can hold data about a subject, in the store's order, even when empty.
    pub tables: Vec<TableRows>,
    pub audit: Vec<AuditEntry>,
}

/// Everything Warden holds about one phone number, as one JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectExport {
    pub schema_version: u32,
    /// RFC 3339, UTC, milliseconds.
    pub generated_at: String,
    /// E.164.
    pub phone: String,
    /// The keyed pseudonym the tables and the audit chain know the number by.
    pub pseudonym: String,
    /// `false`: every free-text value is `{"withheld_chars": N}`.
    pub text_included: bool,
    /// Table name → rows (every subject table, empty ones included).
    pub tables: BTreeMap<&'static str, Vec<Row>>,
    /// Audit events whose sender is the pseudonym, in chain order.
    pub audit_events: Vec<AuditEntry>,
}

impl SubjectExport {
    /// The document for `subject` at `now`, text included.
    pub fn new(subject: &Subject, rows: SubjectRows, now: UnixMillis) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            generated_at: rfc3339(now),
            phone: subject.phone.as_e164().to_owned(),
            pseudonym: subject.pseudonym.as_str().to_owned(),
            text_included: true,
            tables: rows.tables.into_iter().map(|t| (t.table, t.rows)).collect(),
            audit_events: rows.audit,
        }
    }

    /// Every free-text value replaced by its length in characters.
    #[must_use]
    pub fn withhold_text(mut self) -> Self {
        for rows in self.tables.values_mut() {
            for row in rows {
                for (_, value) in &mut row.0 {
                    *value = std::mem::replace(value, Value::Null).withheld();
                }
            }
        }
        self.text_included = false;
        self
    }

    /// No table holds a row about the subject (audit events aside: the chain keeps them).
    pub fn holds_no_rows(&self) -> bool {
        self.tables.values().all(Vec::is_empty)
    }
}

/// Who asked for an erasure, as the audit event records it: an operator's name, `cli`…
/// Never a phone number (the audit redactor would mask one anyway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

/// The actor name was empty, too long or held control characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be 1–64 printable characters")]
pub struct BadActor;

impl Actor {
    pub fn new(raw: &str) -> Result<Self, BadActor> {
        let n = raw.chars().count();
        if n == 0 || n > 64 || raw.chars().any(char::is_control) || raw.trim() != raw {
            return Err(BadActor);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Rows removed or anonymised, by table, in the store's order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct TableCounts(pub BTreeMap<&'static str, u64>);

impl TableCounts {
    pub fn total(&self) -> u64 {
        self.0.values().fold(0u64, |sum, n| sum.saturating_add(*n))
    }

    pub fn get(&self, table: &str) -> u64 {
        self.0.get(table).copied().unwrap_or(0)
    }
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    /// Per table: rows deleted (or, for replay ids, unlinked from the subject).
    pub counts: TableCounts,
    /// Nothing was held about the number: the erasure succeeded with zero counts.
    pub nothing_held: bool,
}

impl ErasureReport {
    pub fn new(counts: TableCounts) -> Self {
        Self {
            nothing_held: counts.total() == 0,
            counts,
        }
    }
}

/// `subject.erased`: that an erasure happened, by whom, and how many rows per table. No sender,
/// no pseudonym, no number: the event must not undo what it records.
pub fn erased_event(counts: &TableCounts, actor: &Actor) -> AuditEvent {
    let detail = counts.0.iter().fold(
        Detail::new().with("actor", actor.as_str()),
        |d, (table, n)| match d.clone().try_with(table, n) {
            Ok(d) => d,
            // A table name that is not a detail key is the store's bug; keep the event.
            Err(_) => d,
        },
    );
    AuditEvent {
        kind: EventKind::SubjectErased,
        sender: None,
        detail,
    }
}

/// `at` as RFC 3339 in UTC with milliseconds (`2027-01-15T08:00:00.000Z`).
pub fn rfc3339(at: UnixMillis) -> String {
    let t = at.utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> Subject {
        Subject {
            phone: PhoneNumber::parse("+447700900123").unwrap(),
            pseudonym: SenderId::from_hex("0123456789abcdef0123456789abcdef").unwrap(),
        }
    }

    fn rows() -> SubjectRows {
        SubjectRows {
            tables: vec![
                TableRows {
                    table: "tasks",
                    rows: vec![Row::new()
                        .with("task_no", Value::Int(1))
                        .with("title", Value::Text("buy oat milk".into()))
                        .with("done_ms", Value::Null)],
                },
                TableRows {
                    table: "allowlist",
                    rows: vec![],
                },
            ],
            audit: vec![AuditEntry {
                seq: 4,
                at_ms: 9,
                kind: "task.added".into(),
                detail: AuditDetail::from_stored("task_id=1"),
            }],
        }
    }

    #[test]
    fn the_document_has_the_documented_shape() {
        let export = SubjectExport::new(&subject(), rows(), UnixMillis(1_800_000_000_123));
        let json = serde_json::to_value(&export).unwrap();
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["generated_at"], "2027-01-15T08:00:00.123Z");
        assert_eq!(json["phone"], "+447700900123");
        assert_eq!(json["pseudonym"], "0123456789abcdef0123456789abcdef");
        assert_eq!(json["text_included"], true);
        assert_eq!(json["tables"]["tasks"][0]["title"], "buy oat milk");
        assert_eq!(
            json["tables"]["tasks"][0]["done_ms"],
            serde_json::Value::Null
        );
        assert_eq!(json["tables"]["allowlist"], serde_json::json!([]));
        assert_eq!(json["audit_events"][0]["detail"]["task_id"], "1");
    }

    #[test]
    fn withheld_text_shows_only_its_length_and_keeps_every_other_value() {
        let export = SubjectExport::new(&subject(), rows(), UnixMillis(0)).withhold_text();
        let json = serde_json::to_string(&export).unwrap();
        assert!(!json.contains("oat milk"), "{json}");
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(json["tables"]["tasks"][0]["title"]["withheld_chars"], 12);
        assert_eq!(json["tables"]["tasks"][0]["task_no"], 1);
        assert_eq!(json["text_included"], false);
    }

    #[test]
    fn debug_of_a_row_never_prints_its_text() {
        let shown = format!("{:?}", rows());
        assert!(!shown.contains("oat milk"), "{shown}");
    }

    #[test]
    fn the_erasure_event_records_counts_and_actor_but_no_one_erased() {
        let counts = TableCounts(
            [("tasks", 2u64), ("allowlist", 1), ("outbox", 0)]
                .into_iter()
                .collect(),
        );
        let event = erased_event(&counts, &Actor::new("owner-ana").unwrap());
        assert_eq!(event.kind, EventKind::SubjectErased);
        assert_eq!(event.sender, None);
        assert_eq!(
            event.detail.encode(),
            "actor=owner-ana&allowlist=1&outbox=0&tasks=2"
        );
        assert!(!ErasureReport::new(counts).nothing_held);
        assert!(ErasureReport::new(TableCounts::default()).nothing_held);
    }

    #[test]
    fn an_actor_is_a_short_printable_name() {
        assert!(Actor::new("cli").is_ok());
        for bad in ["", " padded", "a\nb", &"x".repeat(65)] {
            assert_eq!(Actor::new(bad), Err(BadActor), "{bad:?}");
        }
    }

    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(rfc3339(UnixMillis(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(UnixMillis(951_782_400_000)),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(rfc3339(UnixMillis(-1)), "1969-12-31T23:59:59.999Z");
    }
}
