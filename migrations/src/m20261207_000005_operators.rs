//! The operator plane: accounts with a role, their second factor, and their sessions.
//!
//! Nothing here is reversible into a secret: passwords are argon2id PHC strings, recovery codes
//! and refresh tokens are SHA-256 hashes. The TOTP seed must be usable to check a code, so it is
//! stored as it is (field-level encryption at rest is a separate control).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Operators {
    Table,
    Id,
    Username,
    Role,
    PasswordHash,
    TotpSecret,
    TotpLastStep,
    Phone,
    Enabled,
    Failures,
    LockedUntilMs,
    CreatedMs,
    UpdatedMs,
}

#[derive(DeriveIden)]
enum OperatorRecoveryCodes {
    Table,
    Id,
    OperatorId,
    CodeHash,
    UsedMs,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TokenHash,
    Family,
    OperatorId,
    FamilyStartedMs,
    CreatedMs,
    Spent,
    Revoked,
}

/// A primary key that is the rowid on SQLite and a 64-bit identity on Postgres.
fn id_column(backend: DbBackend, iden: impl IntoIden) -> ColumnDef {
    let mut id = ColumnDef::new(iden);
    if backend == DbBackend::Sqlite {
        id.integer();
    } else {
        id.big_integer();
    }
    id.not_null().primary_key().auto_increment();
    id
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Operators::Table)
                    .col(id_column(backend, Operators::Id))
                    .col(
                        ColumnDef::new(Operators::Username)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Operators::Role).string_len(16).not_null())
                    .col(ColumnDef::new(Operators::PasswordHash).text().not_null())
                    .col(
                        ColumnDef::new(Operators::TotpSecret)
                            .string_len(64)
                            .not_null(),
                    )
                    // The last TOTP step accepted: a code is never accepted twice.
                    .col(ColumnDef::new(Operators::TotpLastStep).big_integer().null())
                    // The operator's own WhatsApp number, for security alerts.
                    .col(ColumnDef::new(Operators::Phone).string_len(32).null())
                    .col(ColumnDef::new(Operators::Enabled).boolean().not_null())
                    .col(
                        ColumnDef::new(Operators::Failures)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Operators::LockedUntilMs)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Operators::CreatedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Operators::UpdatedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OperatorRecoveryCodes::Table)
                    .col(id_column(backend, OperatorRecoveryCodes::Id))
                    .col(
                        ColumnDef::new(OperatorRecoveryCodes::OperatorId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OperatorRecoveryCodes::CodeHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OperatorRecoveryCodes::UsedMs)
                            .big_integer()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                OperatorRecoveryCodes::Table,
                                OperatorRecoveryCodes::OperatorId,
                            )
                            .to(Operators::Table, Operators::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("operator_recovery_codes_operator")
                    .table(OperatorRecoveryCodes::Table)
                    .col(OperatorRecoveryCodes::OperatorId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(
                        ColumnDef::new(RefreshTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::Family)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::OperatorId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::FamilyStartedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::CreatedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RefreshTokens::Spent).boolean().not_null())
                    .col(ColumnDef::new(RefreshTokens::Revoked).boolean().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::OperatorId)
                            .to(Operators::Table, Operators::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Revocation and every authenticated call look a session up by its family.
        manager
            .create_index(
                Index::create()
                    .name("refresh_tokens_family")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::Family)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("refresh_tokens_operator")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::OperatorId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
