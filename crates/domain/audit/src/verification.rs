//! A verification of the chain is itself recorded in the chain (`audit.verified`), so the last
//! result is durable, the same on every instance, and the same whichever way it was asked for
//! (`warden audit verify`, `POST /api/v1/audit/verify`, the console): an operator who opens the
//! dashboard sees when the chain was last checked, by whom, and what was found.

use warden_types::UnixMillis;

use crate::chain::{AuditEvent, AuditRecord, ChainError, VerifiedChain};
use crate::detail::Detail;
use crate::kind::EventKind;

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every row links and the stored head is the last row's.
    Intact { rows: u64, head_seq: i64 },
    /// The first row that cannot be trusted, and what is wrong with it (a
    /// [`ChainError::code`]).
    Broken { first_bad_seq: i64, problem: String },
}

impl Verdict {
    /// The verdict of one verification's result.
    pub fn of(result: Result<&VerifiedChain, &ChainError>) -> Self {
        match result {
            Ok(chain) => Verdict::Intact {
                rows: chain.rows,
                head_seq: chain.head.seq,
            },
            Err(e) => Verdict::Broken {
                first_bad_seq: e.first_bad_seq(),
                problem: e.code().to_owned(),
            },
        }
    }

    /// `audit.verified`, asked for by `actor` (`cli`, `operator:<id>`). It joins the chain after
    /// the head it verified; a broken chain stays broken, the event only says so.
    pub fn event(&self, actor: &str) -> AuditEvent {
        let detail = Detail::new().with("actor", actor);
        let detail = match self {
            Verdict::Intact { rows, head_seq } => detail
                .with("result", "intact")
                .with("rows", rows)
                .with("head_seq", head_seq),
            Verdict::Broken {
                first_bad_seq,
                problem,
            } => detail
                .with("result", "broken")
                .with("first_bad_seq", first_bad_seq)
                .with("problem", problem),
        };
        AuditEvent {
            kind: EventKind::AuditVerified,
            sender: None,
            detail,
        }
    }
}

/// A verification as the chain recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The row that recorded it.
    pub seq: i64,
    pub at: UnixMillis,
    pub actor: String,
    pub verdict: Verdict,
}

impl Verification {
    /// Reads an `audit.verified` row; `None` for any other row, or a detail this release
    /// cannot read.
    pub fn from_record(row: &AuditRecord) -> Option<Self> {
        if row.kind != EventKind::AuditVerified.as_str() {
            return None;
        }
        let d = Detail::decode(&row.detail).ok()?;
        let int = |key: &str| d.get(key)?.parse::<i64>().ok();
        let verdict = match d.get("result")? {
            "intact" => Verdict::Intact {
                rows: d.get("rows")?.parse().ok()?,
                head_seq: int("head_seq")?,
            },
            "broken" => Verdict::Broken {
                first_bad_seq: int("first_bad_seq")?,
                problem: d.get("problem")?.to_owned(),
            },
            _ => return None,
        };
        Some(Self {
            seq: row.seq,
            at: UnixMillis(row.at_ms),
            actor: d.get("actor")?.to_owned(),
            verdict,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{append, ChainHead};

    fn recorded(verdict: &Verdict) -> Option<Verification> {
        let row = append(
            &ChainHead::genesis(),
            UnixMillis(42),
            &verdict.event("operator:7"),
        );
        Verification::from_record(&row)
    }

    #[test]
    fn an_intact_verdict_reads_back_from_its_row() {
        let chain = VerifiedChain {
            rows: 12,
            head: ChainHead {
                seq: 12,
                hash: "ab".repeat(32),
            },
        };
        let verdict = Verdict::of(Ok(&chain));
        assert_eq!(
            verdict,
            Verdict::Intact {
                rows: 12,
                head_seq: 12
            }
        );
        let v = recorded(&verdict).unwrap();
        assert_eq!(
            (v.seq, v.at, v.actor.as_str(), v.verdict),
            (1, UnixMillis(42), "operator:7", verdict)
        );
    }

    #[test]
    fn a_broken_verdict_names_the_first_bad_row_and_the_problem() {
        let verdict = Verdict::of(Err(&ChainError::HashMismatch { seq: 4 }));
        assert_eq!(
            verdict,
            Verdict::Broken {
                first_bad_seq: 4,
                problem: "hash_mismatch".to_owned()
            }
        );
        assert_eq!(recorded(&verdict).unwrap().verdict, verdict);
    }

    #[test]
    fn a_row_of_another_kind_is_no_verification() {
        let row = append(
            &ChainHead::genesis(),
            UnixMillis(1),
            &AuditEvent {
                kind: EventKind::OutboxSent,
                sender: None,
                detail: Detail::new().with("result", "intact"),
            },
        );
        assert_eq!(Verification::from_record(&row), None);
    }
}
