//! Owner-approved pairing: the codes strangers asked for, and what an operator decided.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PairingRequests {
    Table,
    /// 8 symbols of Crockford base32, uppercase, no dash.
    Code,
    Sender,
    Phone,
    Provider,
    Status,
    RequestedMs,
    ExpiresMs,
    DecidedMs,
    DecidedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PairingRequests::Table)
                    .col(
                        ColumnDef::new(PairingRequests::Code)
                            .string_len(8)
                            .not_null()
                            .primary_key(),
                    )
                    // Pseudonymous sender id.
                    .col(
                        ColumnDef::new(PairingRequests::Sender)
                            .string_len(32)
                            .not_null(),
                    )
                    // Needed to reply on approval; cleared once the request is decided.
                    .col(ColumnDef::new(PairingRequests::Phone).string_len(32).null())
                    .col(
                        ColumnDef::new(PairingRequests::Provider)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PairingRequests::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PairingRequests::RequestedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PairingRequests::ExpiresMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PairingRequests::DecidedMs)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(PairingRequests::DecidedBy)
                            .string_len(64)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        // The per-sender limit: one sender's codes of the last 24 hours.
        manager
            .create_index(
                Index::create()
                    .name("pairing_requests_sender")
                    .table(PairingRequests::Table)
                    .col(PairingRequests::Sender)
                    .col(PairingRequests::RequestedMs)
                    .to_owned(),
            )
            .await?;
        // The global limit and the operator's list: pending codes not yet expired.
        manager
            .create_index(
                Index::create()
                    .name("pairing_requests_pending")
                    .table(PairingRequests::Table)
                    .col(PairingRequests::Status)
                    .col(PairingRequests::ExpiresMs)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
