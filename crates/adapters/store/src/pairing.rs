//! Pairing requests for the operator ([`PairingStore`]) with sea-orm on both backends.
//!
//! The message path writes new requests through the ledger's writer (`batch.rs`); this module
//! lists them and writes an operator's decision. A decision's transaction takes the audit
//! chain's head lock first (as the marketplace's operator actions do), so it is serialised with
//! the writer and with every other instance. The phone number is personal data: never logged,
//! never in an error, and cleared once the request is decided.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use warden_assistant::pairing::{
    PairingRequest, PairingStore, PairingStoreError, PairingTxn, Settlement,
};
use warden_audit::ChainHead;
use warden_gates::{IssuedCode, PairingCode, RequestStatus};
use warden_types::{PhoneNumber, Provider, SenderId, UnixMillis};

use crate::entity::{allowlist, pairing_requests};
use crate::outbox::{commit_step, lock_head};
use crate::Store;

fn db_err(e: DbErr) -> PairingStoreError {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => PairingStoreError::Unavailable(Box::new(e)),
        other => PairingStoreError::Failed(Box::new(other)),
    }
}

/// The operator's [`PairingStore`] on the store's pool.
#[derive(Debug, Clone)]
pub struct SqlPairing {
    store: Store,
}

impl SqlPairing {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// A stored row as the use case sees it; a value that does not parse is `Corrupt`.
fn from_row(r: pairing_requests::Model) -> Result<PairingRequest, PairingStoreError> {
    Ok(PairingRequest {
        code: PairingCode::parse(&r.code).map_err(|_| PairingStoreError::Corrupt("code"))?,
        sender: SenderId::from_hex(&r.sender).map_err(|_| PairingStoreError::Corrupt("sender"))?,
        phone: r
            .phone
            .as_deref()
            .map(PhoneNumber::parse)
            .transpose()
            .map_err(|_| PairingStoreError::Corrupt("phone"))?,
        provider: Provider::from_str_opt(&r.provider)
            .ok_or(PairingStoreError::Corrupt("provider"))?,
        status: RequestStatus::parse(&r.status).ok_or(PairingStoreError::Corrupt("status"))?,
        requested_at: UnixMillis(r.requested_ms),
        expires_at: UnixMillis(r.expires_ms),
    })
}

/// A row the ledger loaded for the limits. `None` for one that does not parse: it cannot be
/// repeated to its sender, and still counts as far as the caller counts it.
pub(crate) fn issued_code(
    code: &str,
    status: &str,
    requested_ms: i64,
    expires_ms: i64,
) -> Option<IssuedCode> {
    Some(IssuedCode {
        code: PairingCode::parse(code).ok()?,
        requested_at: UnixMillis(requested_ms),
        expires_at: UnixMillis(expires_ms),
        status: RequestStatus::parse(status)?,
    })
}

#[async_trait]
impl PairingStore for SqlPairing {
    async fn pending(&self) -> Result<Vec<PairingRequest>, PairingStoreError> {
        pairing_requests::Entity::find()
            .filter(pairing_requests::Column::Status.eq(RequestStatus::Pending.as_str()))
            .order_by_asc(pairing_requests::Column::RequestedMs)
            .order_by_asc(pairing_requests::Column::Code)
            .all(self.store.connection())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(from_row)
            .collect()
    }

    async fn begin(&self) -> Result<Box<dyn PairingTxn>, PairingStoreError> {
        let txn = self.store.connection().begin().await.map_err(db_err)?;
        let head = lock_head(&txn).await.map_err(db_err)?;
        Ok(Box::new(SqlPairingTxn {
            txn,
            store: self.store.clone(),
            head,
        }))
    }
}

/// One decision: the head it locked, for the audit rows it appends at commit.
struct SqlPairingTxn {
    txn: DatabaseTransaction,
    store: Store,
    head: ChainHead,
}

#[async_trait]
impl PairingTxn for SqlPairingTxn {
    async fn request(
        &mut self,
        code: &PairingCode,
    ) -> Result<Option<PairingRequest>, PairingStoreError> {
        pairing_requests::Entity::find_by_id(code.as_str())
            .one(&self.txn)
            .await
            .map_err(db_err)?
            .map(from_row)
            .transpose()
    }

    async fn commit(
        self: Box<Self>,
        s: Settlement,
        now: UnixMillis,
    ) -> Result<(), PairingStoreError> {
        let Self { txn, store, head } = *self;
        let at = now.as_i64();
        pairing_requests::Entity::update_many()
            .col_expr(
                pairing_requests::Column::Status,
                Expr::value(s.status.as_str()),
            )
            .col_expr(pairing_requests::Column::DecidedMs, Expr::value(at))
            .col_expr(
                pairing_requests::Column::DecidedBy,
                Expr::value(s.decided_by.clone()),
            )
            .col_expr(
                pairing_requests::Column::Phone,
                Expr::value(Option::<String>::None),
            )
            .filter(pairing_requests::Column::Code.eq(s.code.as_str()))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if s.allowlist {
            allowlist::Entity::insert(allowlist::ActiveModel {
                sender: Set(s.sender.as_str().to_owned()),
                added_ms: Set(at),
            })
            .on_conflict(
                OnConflict::column(allowlist::Column::Sender)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .map_err(db_err)?;
        }
        commit_step(
            txn,
            store.audit_redactor(),
            head,
            now,
            &s.audit,
            s.reply.into_iter().collect(),
        )
        .await
        .map_err(db_err)
    }
}
