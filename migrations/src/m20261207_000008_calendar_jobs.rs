//! Calendar writes waiting to be made: one row per `remind` (insert) or `unremind` (delete),
//! written in the transaction that decided it and worked off like the outbox (claim under a
//! lease, retry with backoff). Title, times, reply text and recipient are personal data: the
//! store clears them once a job is settled, and export, erasure and retention cover the table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CalendarJobs {
    Table,
    Id,
    ReplyKey,
    Action,
    EventId,
    Sender,
    Provider,
    Recipient,
    Title,
    StartMs,
    EndMs,
    Zone,
    DoneReply,
    Status,
    Attempts,
    NextAttemptMs,
    ClaimedUntilMs,
    LastError,
    CreatedMs,
    UpdatedMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut id = ColumnDef::new(CalendarJobs::Id);
        // SQLite: exactly `INTEGER PRIMARY KEY`, the rowid; Postgres: a 64-bit identity.
        if backend == DbBackend::Sqlite {
            id.integer();
        } else {
            id.big_integer();
        }
        manager
            .create_table(
                Table::create()
                    .table(CalendarJobs::Table)
                    .col(id.not_null().primary_key().auto_increment())
                    // The reply key of the message that asked: one job, and one reply, per
                    // message.
                    .col(
                        ColumnDef::new(CalendarJobs::ReplyKey)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(CalendarJobs::Action)
                            .string_len(8)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CalendarJobs::EventId)
                            .string_len(64)
                            .not_null(),
                    )
                    // Pseudonymous sender id: the event's owner.
                    .col(
                        ColumnDef::new(CalendarJobs::Sender)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CalendarJobs::Provider)
                            .string_len(16)
                            .not_null(),
                    )
                    // Where the final reply goes (NULL: the reply went in the webhook's response).
                    .col(
                        ColumnDef::new(CalendarJobs::Recipient)
                            .string_len(32)
                            .null(),
                    )
                    .col(ColumnDef::new(CalendarJobs::Title).text().null())
                    .col(ColumnDef::new(CalendarJobs::StartMs).big_integer().null())
                    .col(ColumnDef::new(CalendarJobs::EndMs).big_integer().null())
                    .col(ColumnDef::new(CalendarJobs::Zone).string_len(64).null())
                    .col(ColumnDef::new(CalendarJobs::DoneReply).text().null())
                    .col(
                        ColumnDef::new(CalendarJobs::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CalendarJobs::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(CalendarJobs::NextAttemptMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CalendarJobs::ClaimedUntilMs)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CalendarJobs::LastError)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CalendarJobs::CreatedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CalendarJobs::UpdatedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // The worker's query: due pending jobs, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("calendar_jobs_due")
                    .table(CalendarJobs::Table)
                    .col(CalendarJobs::Status)
                    .col(CalendarJobs::NextAttemptMs)
                    .to_owned(),
            )
            .await?;
        // Export and erasure find a subject's jobs by pseudonym.
        manager
            .create_index(
                Index::create()
                    .name("calendar_jobs_sender")
                    .table(CalendarJobs::Table)
                    .col(CalendarJobs::Sender)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CalendarJobs::Table).to_owned())
            .await
    }
}
