//! The operator plane's store ([`AccessStore`]) with sea-orm on both backends.
//!
//! Every transaction's first statement takes the audit chain's head lock, as the marketplace's
//! do (`market/mod.rs`), so account changes and their audit rows are serialised with the
//! message path's writer. Password hashes, TOTP seeds and phone numbers never reach a log or an
//! error.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use warden_access::{AccessStore, AccessStoreError, AccessTxn, Account, NewAccount};
use warden_assistant::marketplace::OutboxMessage;
use warden_audit::{AuditEvent, ChainHead};
use warden_operators::{
    LoginFailures, OperatorId, Role, StoredRefresh, TotpSecret, Username, REFRESH_LIFETIME_MS,
};
use warden_types::{PhoneNumber, UnixMillis};

use crate::entity::{operator_recovery_codes, operators, refresh_tokens};
use crate::outbox::{commit_step, lock_head};
use crate::Store;

fn db_err(e: DbErr) -> AccessStoreError {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => AccessStoreError::Unavailable(Box::new(e)),
        DbErr::RecordNotInserted => AccessStoreError::DuplicateUsername,
        other => {
            let unique = matches!(
                other.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            );
            if unique {
                AccessStoreError::DuplicateUsername
            } else {
                AccessStoreError::Failed(Box::new(other))
            }
        }
    }
}

fn account(row: operators::Model) -> Result<Account, AccessStoreError> {
    Ok(Account {
        id: OperatorId(row.id),
        username: Username::parse(&row.username)
            .map_err(|_| AccessStoreError::Corrupt("username"))?,
        role: Role::parse(&row.role).ok_or(AccessStoreError::Corrupt("role"))?,
        enabled: row.enabled,
        password_hash: row.password_hash,
        totp: TotpSecret::from_base32(&row.totp_secret)
            .map_err(|_| AccessStoreError::Corrupt("TOTP secret"))?,
        totp_last_step: row
            .totp_last_step
            .map(|s| u64::try_from(s).map_err(|_| AccessStoreError::Corrupt("TOTP step")))
            .transpose()?,
        failures: LoginFailures {
            count: u32::try_from(row.failures)
                .map_err(|_| AccessStoreError::Corrupt("failures"))?,
            locked_until: row.locked_until_ms.map(UnixMillis),
        },
        phone: row
            .phone
            .map(|p| PhoneNumber::parse(&p).map_err(|_| AccessStoreError::Corrupt("phone")))
            .transpose()?,
        created_at: UnixMillis(row.created_ms),
    })
}

fn refresh(row: refresh_tokens::Model) -> StoredRefresh {
    StoredRefresh {
        family: row.family,
        operator: OperatorId(row.operator_id),
        family_started: UnixMillis(row.family_started_ms),
        spent: row.spent,
        revoked: row.revoked,
    }
}

/// The operator plane's [`AccessStore`] on the store's pool.
#[derive(Debug, Clone)]
pub struct SqlAccess {
    store: Store,
}

impl SqlAccess {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

#[async_trait]
impl AccessStore for SqlAccess {
    async fn account_by_name(&self, name: &Username) -> Result<Option<Account>, AccessStoreError> {
        operators::Entity::find()
            .filter(operators::Column::Username.eq(name.as_str()))
            .one(self.store.connection())
            .await
            .map_err(db_err)?
            .map(account)
            .transpose()
    }

    async fn account(&self, id: OperatorId) -> Result<Option<Account>, AccessStoreError> {
        operators::Entity::find_by_id(id.0)
            .one(self.store.connection())
            .await
            .map_err(db_err)?
            .map(account)
            .transpose()
    }

    async fn accounts(&self) -> Result<Vec<Account>, AccessStoreError> {
        operators::Entity::find()
            .order_by_asc(operators::Column::Id)
            .all(self.store.connection())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(account)
            .collect()
    }

    async fn session_live(
        &self,
        family: &str,
        operator: OperatorId,
        now: UnixMillis,
    ) -> Result<bool, AccessStoreError> {
        let live = refresh_tokens::Entity::find()
            .filter(refresh_tokens::Column::Family.eq(family))
            .filter(refresh_tokens::Column::OperatorId.eq(operator.0))
            .filter(refresh_tokens::Column::Revoked.eq(false))
            .filter(refresh_tokens::Column::FamilyStartedMs.gt(now.as_i64() - REFRESH_LIFETIME_MS))
            .count(self.store.connection())
            .await
            .map_err(db_err)?;
        Ok(live > 0)
    }

    async fn begin(&self) -> Result<Box<dyn AccessTxn>, AccessStoreError> {
        let txn = self.store.connection().begin().await.map_err(db_err)?;
        let head = lock_head(&txn).await.map_err(db_err)?;
        Ok(Box::new(SqlAccessTxn {
            txn,
            store: self.store.clone(),
            head,
            audit: Vec::new(),
            touched: Default::default(),
            outbox: Vec::new(),
        }))
    }
}

struct SqlAccessTxn {
    txn: DatabaseTransaction,
    store: Store,
    head: ChainHead,
    audit: Vec<AuditEvent>,
    /// Accounts changed in this transaction.
    touched: std::collections::BTreeSet<i64>,
    outbox: Vec<OutboxMessage>,
}

impl SqlAccessTxn {
    /// Updates one account's columns; its `updated_ms` is set at commit.
    async fn update(
        &mut self,
        id: OperatorId,
        mut row: operators::ActiveModel,
    ) -> Result<(), AccessStoreError> {
        row.id = Set(id.0);
        self.touched.insert(id.0);
        operators::Entity::update(row)
            .exec(&self.txn)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

#[async_trait]
impl AccessTxn for SqlAccessTxn {
    async fn account(&mut self, id: OperatorId) -> Result<Option<Account>, AccessStoreError> {
        operators::Entity::find_by_id(id.0)
            .one(&self.txn)
            .await
            .map_err(db_err)?
            .map(account)
            .transpose()
    }

    async fn enabled_owners(&mut self) -> Result<u32, AccessStoreError> {
        let n = operators::Entity::find()
            .filter(operators::Column::Role.eq(Role::Owner.as_str()))
            .filter(operators::Column::Enabled.eq(true))
            .count(&self.txn)
            .await
            .map_err(db_err)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn insert_account(&mut self, new: &NewAccount) -> Result<OperatorId, AccessStoreError> {
        let at = new.created_at.as_i64();
        let exists = operators::Entity::find()
            .filter(operators::Column::Username.eq(new.username.as_str()))
            .count(&self.txn)
            .await
            .map_err(db_err)?;
        if exists > 0 {
            return Err(AccessStoreError::DuplicateUsername);
        }
        let row = operators::ActiveModel {
            id: NotSet,
            username: Set(new.username.as_str().to_owned()),
            role: Set(new.role.as_str().to_owned()),
            password_hash: Set(new.password_hash.clone()),
            totp_secret: Set(secrecy::ExposeSecret::expose_secret(&new.totp.to_base32()).to_owned()),
            totp_last_step: Set(None),
            phone: Set(new.phone.as_ref().map(|p| p.as_e164().to_owned())),
            enabled: Set(true),
            failures: Set(0),
            locked_until_ms: Set(None),
            created_ms: Set(at),
            updated_ms: Set(at),
        };
        let id = operators::Entity::insert(row)
            .exec(&self.txn)
            .await
            .map_err(db_err)?
            .last_insert_id;
        self.insert_recovery(OperatorId(id), &new.recovery_hashes)
            .await?;
        Ok(OperatorId(id))
    }

    async fn set_failures(
        &mut self,
        id: OperatorId,
        failures: LoginFailures,
    ) -> Result<(), AccessStoreError> {
        self.update(
            id,
            operators::ActiveModel {
                failures: Set(i32::try_from(failures.count).unwrap_or(i32::MAX)),
                locked_until_ms: Set(failures.locked_until.map(|t| t.as_i64())),
                ..Default::default()
            },
        )
        .await
    }

    async fn set_totp_step(&mut self, id: OperatorId, step: u64) -> Result<(), AccessStoreError> {
        self.update(
            id,
            operators::ActiveModel {
                totp_last_step: Set(Some(i64::try_from(step).unwrap_or(i64::MAX))),
                ..Default::default()
            },
        )
        .await
    }

    async fn set_role(&mut self, id: OperatorId, role: Role) -> Result<(), AccessStoreError> {
        self.update(
            id,
            operators::ActiveModel {
                role: Set(role.as_str().to_owned()),
                ..Default::default()
            },
        )
        .await
    }

    async fn set_enabled(&mut self, id: OperatorId, enabled: bool) -> Result<(), AccessStoreError> {
        self.update(
            id,
            operators::ActiveModel {
                enabled: Set(enabled),
                ..Default::default()
            },
        )
        .await
    }

    async fn replace_mfa(
        &mut self,
        id: OperatorId,
        totp: &TotpSecret,
        recovery_hashes: &[String],
    ) -> Result<(), AccessStoreError> {
        self.update(
            id,
            operators::ActiveModel {
                totp_secret: Set(secrecy::ExposeSecret::expose_secret(&totp.to_base32()).to_owned()),
                totp_last_step: Set(None),
                ..Default::default()
            },
        )
        .await?;
        operator_recovery_codes::Entity::delete_many()
            .filter(operator_recovery_codes::Column::OperatorId.eq(id.0))
            .exec(&self.txn)
            .await
            .map_err(db_err)?;
        self.insert_recovery(id, recovery_hashes).await
    }

    async fn recovery_codes(
        &mut self,
        id: OperatorId,
    ) -> Result<Vec<(i64, String)>, AccessStoreError> {
        Ok(operator_recovery_codes::Entity::find()
            .filter(operator_recovery_codes::Column::OperatorId.eq(id.0))
            .filter(operator_recovery_codes::Column::UsedMs.is_null())
            .order_by_asc(operator_recovery_codes::Column::Id)
            .all(&self.txn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|r| (r.id, r.code_hash))
            .collect())
    }

    async fn spend_recovery_code(
        &mut self,
        row: i64,
        at: UnixMillis,
    ) -> Result<(), AccessStoreError> {
        operator_recovery_codes::Entity::update_many()
            .col_expr(
                operator_recovery_codes::Column::UsedMs,
                Expr::value(at.as_i64()),
            )
            .filter(operator_recovery_codes::Column::Id.eq(row))
            .exec(&self.txn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn refresh_token(
        &mut self,
        hash: &str,
    ) -> Result<Option<StoredRefresh>, AccessStoreError> {
        Ok(refresh_tokens::Entity::find_by_id(hash.to_owned())
            .one(&self.txn)
            .await
            .map_err(db_err)?
            .map(refresh))
    }

    async fn insert_refresh_token(
        &mut self,
        hash: &str,
        token: &StoredRefresh,
        at: UnixMillis,
    ) -> Result<(), AccessStoreError> {
        refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
            token_hash: Set(hash.to_owned()),
            family: Set(token.family.clone()),
            operator_id: Set(token.operator.0),
            family_started_ms: Set(token.family_started.as_i64()),
            created_ms: Set(at.as_i64()),
            spent: Set(token.spent),
            revoked: Set(token.revoked),
        })
        .exec_without_returning(&self.txn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn spend_refresh_token(&mut self, hash: &str) -> Result<(), AccessStoreError> {
        refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::Spent, Expr::value(true))
            .filter(refresh_tokens::Column::TokenHash.eq(hash))
            .exec(&self.txn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn revoke_family(&mut self, family: &str) -> Result<u64, AccessStoreError> {
        Ok(refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::Revoked, Expr::value(true))
            .filter(refresh_tokens::Column::Family.eq(family))
            .filter(refresh_tokens::Column::Revoked.eq(false))
            .exec(&self.txn)
            .await
            .map_err(db_err)?
            .rows_affected)
    }

    async fn revoke_operator(&mut self, id: OperatorId) -> Result<u64, AccessStoreError> {
        Ok(refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::Revoked, Expr::value(true))
            .filter(refresh_tokens::Column::OperatorId.eq(id.0))
            .filter(refresh_tokens::Column::Revoked.eq(false))
            .exec(&self.txn)
            .await
            .map_err(db_err)?
            .rows_affected)
    }

    async fn owner_phones(&mut self) -> Result<Vec<PhoneNumber>, AccessStoreError> {
        operators::Entity::find()
            .filter(operators::Column::Role.eq(Role::Owner.as_str()))
            .filter(operators::Column::Enabled.eq(true))
            .filter(operators::Column::Phone.is_not_null())
            .order_by_asc(operators::Column::Id)
            .all(&self.txn)
            .await
            .map_err(db_err)?
            .into_iter()
            .filter_map(|r| r.phone)
            .map(|p| PhoneNumber::parse(&p).map_err(|_| AccessStoreError::Corrupt("phone")))
            .collect()
    }

    fn audit(&mut self, event: AuditEvent) {
        self.audit.push(event);
    }

    fn enqueue(&mut self, message: OutboxMessage) {
        self.outbox.push(message);
    }

    async fn commit(self: Box<Self>, now: UnixMillis) -> Result<(), AccessStoreError> {
        let this = *self;
        if !this.touched.is_empty() {
            operators::Entity::update_many()
                .col_expr(operators::Column::UpdatedMs, Expr::value(now.as_i64()))
                .filter(operators::Column::Id.is_in(this.touched.iter().copied()))
                .exec(&this.txn)
                .await
                .map_err(db_err)?;
        }
        commit_step(
            this.txn,
            this.store.audit_redactor(),
            this.head,
            now,
            &this.audit,
            this.outbox,
        )
        .await
        .map_err(db_err)
    }
}

impl SqlAccessTxn {
    async fn insert_recovery(
        &self,
        id: OperatorId,
        hashes: &[String],
    ) -> Result<(), AccessStoreError> {
        if hashes.is_empty() {
            return Ok(());
        }
        operator_recovery_codes::Entity::insert_many(hashes.iter().map(|h| {
            operator_recovery_codes::ActiveModel {
                id: NotSet,
                operator_id: Set(id.0),
                code_hash: Set(h.clone()),
                used_ms: Set(None),
            }
        }))
        .exec(&self.txn)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
