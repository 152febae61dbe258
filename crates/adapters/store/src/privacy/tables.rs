//! Every table that can hold data about a data subject, and for each how its rows are found,
//! exported and erased.
//!
//! **To cover a new table**, add a variant to [`SubjectTable`] and to [`SubjectTable::ALL`]: the
//! compiler then asks for its name, its export and its erasure, here and nowhere else. Export
//! marks free text as [`Value::Text`] (withheld from readers who may not read text).

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use warden_assistant::marketplace::OfferStatus;
use warden_privacy::{Row, Subject, Value};

use crate::entity::{
    allowlist, calendar_jobs, call_consents, inbound, market_contacts, market_offers,
    market_requests, operators, outbox, pairing_requests, sender_state, tasks, vendor_counters,
    vendors,
};

/// The subject as the tables name it: its number, its pseudonym, and the ids of the rows other
/// tables hang off (its marketplace requests as a client, its vendor records). Loaded once, at
/// the start of an export or erasure, so the tables may be visited in any order.
pub(super) struct Keys<'a> {
    pub subject: &'a Subject,
    /// `marketplace_requests.id` where the subject is the client.
    pub requests: Vec<i64>,
    /// `vendors.id` where the subject is the vendor.
    pub vendors: Vec<i64>,
}

impl<'a> Keys<'a> {
    pub async fn load(db: &impl ConnectionTrait, subject: &'a Subject) -> Result<Self, DbErr> {
        let requests = market_requests::Entity::find()
            .select_only()
            .column(market_requests::Column::Id)
            .filter(
                Condition::any()
                    .add(market_requests::Column::Client.eq(pseudonym(subject)))
                    .add(market_requests::Column::ClientPhone.eq(phone(subject))),
            )
            .into_tuple::<i64>()
            .all(db)
            .await?;
        let vendors = vendors::Entity::find()
            .select_only()
            .column(vendors::Column::Id)
            .filter(
                Condition::any()
                    .add(vendors::Column::Sender.eq(pseudonym(subject)))
                    .add(vendors::Column::Phone.eq(phone(subject))),
            )
            .into_tuple::<i64>()
            .all(db)
            .await?;
        Ok(Self {
            subject,
            requests,
            vendors,
        })
    }

    fn pseudonym(&self) -> &str {
        pseudonym(self.subject)
    }

    fn phone(&self) -> &str {
        phone(self.subject)
    }
}

fn pseudonym(s: &Subject) -> &str {
    s.pseudonym.as_str()
}

fn phone(s: &Subject) -> &str {
    s.phone.as_e164()
}

/// A table that can hold data about a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SubjectTable {
    Allowlist,
    SenderState,
    Tasks,
    InboundMessages,
    MarketplaceRequests,
    MarketContacts,
    MarketOffers,
    CallConsents,
    Vendors,
    VendorCounters,
    Outbox,
    PairingRequests,
    Operators,
    CalendarJobs,
}

impl SubjectTable {
    pub const ALL: [Self; 14] = [
        Self::Allowlist,
        Self::SenderState,
        Self::Tasks,
        Self::InboundMessages,
        Self::MarketplaceRequests,
        Self::MarketContacts,
        Self::MarketOffers,
        Self::CallConsents,
        Self::Vendors,
        Self::VendorCounters,
        Self::Outbox,
        Self::PairingRequests,
        Self::Operators,
        Self::CalendarJobs,
    ];

    /// The table's name: the export's key and the erasure event's detail key.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Allowlist => "allowlist",
            Self::SenderState => "sender_state",
            Self::Tasks => "tasks",
            Self::InboundMessages => "inbound_messages",
            Self::MarketplaceRequests => "marketplace_requests",
            Self::MarketContacts => "market_contacts",
            Self::MarketOffers => "market_offers",
            Self::CallConsents => "call_consents",
            Self::Vendors => "vendors",
            Self::VendorCounters => "vendor_counters",
            Self::Outbox => "outbox",
            Self::PairingRequests => "pairing_requests",
            Self::Operators => "operators",
            Self::CalendarJobs => "calendar_jobs",
        }
    }

    /// The subject's rows in this table, oldest first.
    pub async fn export(self, db: &impl ConnectionTrait, k: &Keys<'_>) -> Result<Vec<Row>, DbErr> {
        Ok(match self {
            Self::Allowlist => allowlist::Entity::find()
                .filter(allowlist::Column::Sender.eq(k.pseudonym()))
                .all(db)
                .await?
                .into_iter()
                .map(|r| Row::new().with("added_ms", Value::Int(r.added_ms)))
                .collect(),
            Self::SenderState => sender_state::Entity::find()
                .filter(sender_state::Column::Sender.eq(k.pseudonym()))
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("pair_failures", Value::Int(r.pair_failures.into()))
                        .with("locked_until_ms", Value::int(r.locked_until_ms))
                        .with("rate_start_ms", Value::int(r.rate_start_ms))
                        .with("rate_count", Value::Int(r.rate_count.into()))
                        .with("rate_notified", Value::Bool(r.rate_notified))
                        .with("next_task_no", Value::Int(r.next_task_no))
                })
                .collect(),
            Self::Tasks => tasks::Entity::find()
                .filter(tasks::Column::Sender.eq(k.pseudonym()))
                .order_by_asc(tasks::Column::TaskNo)
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("task_no", Value::Int(r.task_no))
                        .with("title", Value::Text(r.title))
                        .with("created_ms", Value::Int(r.created_ms))
                        .with("done_ms", Value::int(r.done_ms))
                })
                .collect(),
            Self::InboundMessages => inbound::Entity::find()
                .filter(inbound::Column::Sender.eq(k.pseudonym()))
                .order_by_asc(inbound::Column::ReceivedMs)
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("provider", Value::Str(r.provider))
                        .with("message_id", Value::Str(r.message_id))
                        .with("received_ms", Value::Int(r.received_ms))
                })
                .collect(),
            Self::MarketplaceRequests => market_requests::Entity::find()
                .filter(market_requests::Column::Id.is_in(k.requests.clone()))
                .order_by_asc(market_requests::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("id", Value::Int(r.id))
                        .with("reference", Value::Str(r.reference))
                        .with("client_phone", Value::Str(r.client_phone))
                        .with("client_provider", Value::Str(r.client_provider))
                        .with("text", Value::Text(r.text))
                        .with("masked_text", Value::Text(r.masked_text))
                        .with("tags", Value::Str(r.tags))
                        .with("status", Value::Str(r.status))
                        .with(
                            "accepted_offer",
                            Value::int(r.accepted_offer.map(i64::from)),
                        )
                        .with("created_ms", Value::Int(r.created_ms))
                        .with("next_batch_ms", Value::int(r.next_batch_ms))
                })
                .collect(),
            Self::MarketContacts => market_contacts::Entity::find()
                .filter(
                    Condition::any()
                        .add(market_contacts::Column::RequestId.is_in(k.requests.clone()))
                        .add(market_contacts::Column::VendorId.is_in(k.vendors.clone())),
                )
                .order_by_asc(market_contacts::Column::ContactedMs)
                .order_by_asc(market_contacts::Column::RequestId)
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("request_id", Value::Int(r.request_id))
                        .with("vendor_id", Value::Int(r.vendor_id))
                        .with("contacted_ms", Value::Int(r.contacted_ms))
                })
                .collect(),
            Self::MarketOffers => market_offers::Entity::find()
                .filter(
                    Condition::any()
                        .add(market_offers::Column::RequestId.is_in(k.requests.clone()))
                        .add(market_offers::Column::VendorId.is_in(k.vendors.clone())),
                )
                .order_by_asc(market_offers::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("id", Value::Int(r.id))
                        .with("request_id", Value::int(r.request_id))
                        .with("vendor_id", Value::Int(r.vendor_id))
                        .with("offer_no", Value::int(r.offer_no.map(i64::from)))
                        .with("status", Value::Str(r.status))
                        .with("reasons", Value::str(r.reasons))
                        .with("held_text", Value::text(r.held_text))
                        .with("created_ms", Value::Int(r.created_ms))
                        .with("released_ms", Value::int(r.released_ms))
                })
                .collect(),
            Self::CallConsents => call_consents::Entity::find()
                .filter(call_consents::Column::Client.eq(k.pseudonym()))
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("state", Value::Str(r.state))
                        .with("granted_ms", Value::int(r.granted_ms))
                        .with("expires_ms", Value::int(r.expires_ms))
                        .with("revoked_ms", Value::int(r.revoked_ms))
                        .with("updated_ms", Value::Int(r.updated_ms))
                })
                .collect(),
            Self::Vendors => vendors::Entity::find()
                .filter(vendors::Column::Id.is_in(k.vendors.clone()))
                .order_by_asc(vendors::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("id", Value::Int(r.id))
                        .with("business_name", Value::Str(r.business_name))
                        .with("phone", Value::Str(r.phone))
                        .with("tags", Value::Str(r.tags))
                        .with("active", Value::Bool(r.active))
                        .with("created_ms", Value::Int(r.created_ms))
                        .with("updated_ms", Value::Int(r.updated_ms))
                })
                .collect(),
            Self::VendorCounters => vendor_counters::Entity::find()
                .filter(vendor_counters::Column::VendorId.is_in(k.vendors.clone()))
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("vendor_id", Value::Int(r.vendor_id))
                        .with("day", Value::Int(r.day))
                        .with("sent_today", Value::Int(r.sent_today.into()))
                        .with("last_sent_ms", Value::int(r.last_sent_ms))
                })
                .collect(),
            Self::CalendarJobs => calendar_jobs::Entity::find()
                .filter(calendar_jobs_of(k))
                .order_by_asc(calendar_jobs::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("id", Value::Int(r.id))
                        .with("action", Value::Str(r.action))
                        .with("event_id", Value::Str(r.event_id))
                        .with("provider", Value::Str(r.provider))
                        .with("recipient", Value::str(r.recipient))
                        .with("title", Value::text(r.title))
                        .with("start_ms", Value::int(r.start_ms))
                        .with("end_ms", Value::int(r.end_ms))
                        .with("zone", Value::str(r.zone))
                        .with("reply", Value::text(r.done_reply))
                        .with("status", Value::Str(r.status))
                        .with("attempts", Value::Int(r.attempts.into()))
                        .with("last_error", Value::str(r.last_error))
                        .with("created_ms", Value::Int(r.created_ms))
                        .with("updated_ms", Value::Int(r.updated_ms))
                })
                .collect(),
            Self::Outbox => outbox::Entity::find()
                .filter(outbox_of(k))
                .order_by_asc(outbox::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("id", Value::Int(r.id))
                        .with("provider", Value::Str(r.provider))
                        .with("recipient", Value::str(r.recipient))
                        .with("status", Value::Str(r.status))
                        .with("attempts", Value::Int(r.attempts.into()))
                        .with("body", Value::text(r.body))
                        .with("last_error", Value::str(r.last_error))
                        .with("provider_message_id", Value::str(r.provider_message_id))
                        .with("created_ms", Value::Int(r.created_ms))
                        .with("updated_ms", Value::Int(r.updated_ms))
                })
                .collect(),
            Self::PairingRequests => pairing_requests::Entity::find()
                .filter(
                    Condition::any()
                        .add(pairing_requests::Column::Sender.eq(k.pseudonym()))
                        .add(pairing_requests::Column::Phone.eq(k.phone())),
                )
                .order_by_asc(pairing_requests::Column::RequestedMs)
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("code", Value::Str(r.code))
                        .with("phone", Value::str(r.phone))
                        .with("provider", Value::Str(r.provider))
                        .with("status", Value::Str(r.status))
                        .with("requested_ms", Value::Int(r.requested_ms))
                        .with("expires_ms", Value::Int(r.expires_ms))
                        .with("decided_ms", Value::int(r.decided_ms))
                        .with("decided_by", Value::str(r.decided_by))
                })
                .collect(),
            // An operator account that registered the number for security alerts.
            Self::Operators => operators::Entity::find()
                .filter(operators::Column::Phone.eq(k.phone()))
                .order_by_asc(operators::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|r| {
                    Row::new()
                        .with("id", Value::Int(r.id))
                        .with("username", Value::Str(r.username))
                        .with("role", Value::Str(r.role))
                        .with("phone", Value::str(r.phone))
                        .with("created_ms", Value::Int(r.created_ms))
                })
                .collect(),
        })
    }

    /// Deletes the subject's rows in this table (for replay ids: unlinks them), returning how
    /// many. Rows that belong to someone else's history stay (see each arm).
    pub async fn erase(self, db: &impl ConnectionTrait, k: &Keys<'_>) -> Result<u64, DbErr> {
        let affected = match self {
            Self::Allowlist => {
                allowlist::Entity::delete_many()
                    .filter(allowlist::Column::Sender.eq(k.pseudonym()))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            Self::SenderState => {
                sender_state::Entity::delete_many()
                    .filter(sender_state::Column::Sender.eq(k.pseudonym()))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            Self::Tasks => {
                tasks::Entity::delete_many()
                    .filter(tasks::Column::Sender.eq(k.pseudonym()))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            // Unlinked, not deleted: the (provider, message id) pair keeps a provider's retried
            // webhook from acting twice (e.g. re-pairing the erased number) until retention
            // prunes it; without the pseudonym it names no one.
            Self::InboundMessages => {
                inbound::Entity::update_many()
                    .col_expr(inbound::Column::Sender, Expr::value(""))
                    .filter(inbound::Column::Sender.eq(k.pseudonym()))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            Self::MarketplaceRequests => {
                market_requests::Entity::delete_many()
                    .filter(market_requests::Column::Id.is_in(k.requests.clone()))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            // The subject's requests' contacts go. A vendor's contacts stay with the clients'
            // requests they belong to (they count against each request's outreach budget) and,
            // once the vendor row is gone, name only a number-less vendor id.
            Self::MarketContacts => {
                market_contacts::Entity::delete_many()
                    .filter(market_contacts::Column::RequestId.is_in(k.requests.clone()))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            // Offers on the subject's requests go; a vendor's held (unreviewed) texts go; a
            // vendor's relayed offers stay with the clients' requests (their numbering is what
            // a client accepts by), and hold no text.
            Self::MarketOffers => {
                market_offers::Entity::delete_many()
                    .filter(
                        Condition::any()
                            .add(market_offers::Column::RequestId.is_in(k.requests.clone()))
                            .add(
                                Condition::all()
                                    .add(market_offers::Column::VendorId.is_in(k.vendors.clone()))
                                    .add(
                                        market_offers::Column::Status
                                            .eq(OfferStatus::Held.as_str()),
                                    ),
                            ),
                    )
                    .exec(db)
                    .await?
                    .rows_affected
            }
            Self::CallConsents => {
                call_consents::Entity::delete_many()
                    .filter(call_consents::Column::Client.eq(k.pseudonym()))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            Self::Vendors => {
                vendors::Entity::delete_many()
                    .filter(vendors::Column::Id.is_in(k.vendors.clone()))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            Self::VendorCounters => {
                vendor_counters::Entity::delete_many()
                    .filter(vendor_counters::Column::VendorId.is_in(k.vendors.clone()))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            // Pending messages to the subject are cancelled with the rest.
            // The events themselves are in the owner's calendar, which Warden does not erase
            // (an operator deletes them there); Warden forgets its copy of them.
            Self::CalendarJobs => {
                calendar_jobs::Entity::delete_many()
                    .filter(calendar_jobs_of(k))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            Self::Outbox => {
                outbox::Entity::delete_many()
                    .filter(outbox_of(k))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            Self::PairingRequests => {
                pairing_requests::Entity::delete_many()
                    .filter(
                        Condition::any()
                            .add(pairing_requests::Column::Sender.eq(k.pseudonym()))
                            .add(pairing_requests::Column::Phone.eq(k.phone())),
                    )
                    .exec(db)
                    .await?
                    .rows_affected
            }
            // The account stays (it may be the last owner; an owner removes accounts): only
            // the number it registered for alerts is forgotten.
            Self::Operators => {
                operators::Entity::update_many()
                    .col_expr(
                        operators::Column::Phone,
                        Expr::value(Option::<String>::None),
                    )
                    .filter(operators::Column::Phone.eq(k.phone()))
                    .exec(db)
                    .await?
                    .rows_affected
            }
        };
        Ok(affected)
    }
}

/// Calendar jobs of the subject: by pseudonym (the owner), or by number (the reply's recipient).
fn calendar_jobs_of(k: &Keys<'_>) -> Condition {
    Condition::any()
        .add(calendar_jobs::Column::Sender.eq(k.pseudonym()))
        .add(calendar_jobs::Column::Recipient.eq(k.phone()))
}

/// Outbox rows to the subject: by pseudonym (kept after sending), or by number (a message to a
/// vendor whose pseudonym was not stored, until it is sent).
fn outbox_of(k: &Keys<'_>) -> Condition {
    Condition::any()
        .add(outbox::Column::Sender.eq(k.pseudonym()))
        .add(outbox::Column::Recipient.eq(k.phone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exhaustive: a new variant does not compile until it has a place here, and then the
    /// test below fails until it is in `ALL` too.
    fn position(t: SubjectTable) -> usize {
        match t {
            SubjectTable::Allowlist => 0,
            SubjectTable::SenderState => 1,
            SubjectTable::Tasks => 2,
            SubjectTable::InboundMessages => 3,
            SubjectTable::MarketplaceRequests => 4,
            SubjectTable::MarketContacts => 5,
            SubjectTable::MarketOffers => 6,
            SubjectTable::CallConsents => 7,
            SubjectTable::Vendors => 8,
            SubjectTable::VendorCounters => 9,
            SubjectTable::Outbox => 10,
            SubjectTable::PairingRequests => 11,
            SubjectTable::Operators => 12,
            SubjectTable::CalendarJobs => 13,
        }
    }

    #[test]
    fn every_subject_table_is_exported_and_erased() {
        for (i, t) in SubjectTable::ALL.iter().enumerate() {
            assert_eq!(position(*t), i, "{} out of place in ALL", t.name());
        }
    }

    #[test]
    fn every_table_name_is_distinct_and_an_audit_detail_key() {
        let mut seen = std::collections::BTreeSet::new();
        for t in SubjectTable::ALL {
            assert!(seen.insert(t.name()), "{} twice", t.name());
            assert!(
                warden_audit::Detail::new().try_with(t.name(), 0).is_ok(),
                "{}",
                t.name()
            );
        }
    }
}
