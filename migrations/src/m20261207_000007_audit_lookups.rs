//! The console reads the audit log by kind and time on every dashboard view: the last
//! `audit.verified`, the recent security events and the messages per hour of the last day. An
//! index on `(kind, at_ms)` turns each into a range read instead of a walk of the whole chain.
//! One index, not more: every audit row written on the message path pays for it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Kind,
    AtMs,
}

const INDEX: &str = "audit_log_kind_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(AuditLog::Table)
                    .col(AuditLog::Kind)
                    .col(AuditLog::AtMs)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(AuditLog::Table).to_owned())
            .await
    }
}
