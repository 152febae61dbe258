//! The outbox: every message Warden sends, written in the transaction that decided to send it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    IdempotencyKey,
    Provider,
    Sender,
    Recipient,
    Body,
    Status,
    Attempts,
    NextAttemptMs,
    ClaimedUntilMs,
    LastError,
    ProviderMessageId,
    CreatedMs,
    UpdatedMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut id = ColumnDef::new(Outbox::Id);
        // SQLite: exactly `INTEGER PRIMARY KEY`, the rowid; Postgres: a 64-bit identity.
        if backend == DbBackend::Sqlite {
            id.integer();
        } else {
            id.big_integer();
        }
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(id.not_null().primary_key().auto_increment())
                    .col(
                        ColumnDef::new(Outbox::IdempotencyKey)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Outbox::Provider).string_len(16).not_null())
                    // Pseudonymous sender id, for audit and operator views.
                    .col(ColumnDef::new(Outbox::Sender).string_len(32).not_null())
                    // Needed to deliver; cleared once the provider accepted the message.
                    .col(ColumnDef::new(Outbox::Recipient).string_len(32).null())
                    .col(ColumnDef::new(Outbox::Body).text().null())
                    .col(ColumnDef::new(Outbox::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Outbox::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Outbox::NextAttemptMs)
                            .big_integer()
                            .not_null(),
                    )
                    // A worker's lease: until then no other worker may claim the message.
                    .col(ColumnDef::new(Outbox::ClaimedUntilMs).big_integer().null())
                    .col(ColumnDef::new(Outbox::LastError).string_len(64).null())
                    .col(
                        ColumnDef::new(Outbox::ProviderMessageId)
                            .string_len(128)
                            .null(),
                    )
                    .col(ColumnDef::new(Outbox::CreatedMs).big_integer().not_null())
                    .col(ColumnDef::new(Outbox::UpdatedMs).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // The worker's query: due pending messages, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptMs)
                    .to_owned(),
            )
            .await?;
        // Status callbacks find their message by the provider's id.
        manager
            .create_index(
                Index::create()
                    .name("outbox_provider_message")
                    .table(Outbox::Table)
                    .col(Outbox::Provider)
                    .col(Outbox::ProviderMessageId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
