//! Inbound replay keys, allowlist, per-sender gate state, tasks and the audit hash chain.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InboundMessages {
    Table,
    Provider,
    MessageId,
    Sender,
    ReceivedMs,
}

#[derive(DeriveIden)]
enum Allowlist {
    Table,
    Sender,
    AddedMs,
}

#[derive(DeriveIden)]
enum SenderState {
    Table,
    Sender,
    PairFailures,
    LockedUntilMs,
    RateStartMs,
    RateCount,
    RateNotified,
    NextTaskNo,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Sender,
    TaskNo,
    Title,
    CreatedMs,
    DoneMs,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Seq,
    AtMs,
    Kind,
    Sender,
    Detail,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(keyed(
                backend,
                Table::create()
                    .table(InboundMessages::Table)
                    .col(
                        ColumnDef::new(InboundMessages::Provider)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InboundMessages::MessageId)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InboundMessages::Sender)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InboundMessages::ReceivedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(InboundMessages::Provider)
                            .col(InboundMessages::MessageId),
                    )
                    .to_owned(),
            ))
            .await?;

        manager
            .create_table(keyed(
                backend,
                Table::create()
                    .table(Allowlist::Table)
                    .col(
                        ColumnDef::new(Allowlist::Sender)
                            .string_len(32)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Allowlist::AddedMs).big_integer().not_null())
                    .to_owned(),
            ))
            .await?;

        manager
            .create_table(keyed(
                backend,
                Table::create()
                    .table(SenderState::Table)
                    .col(
                        ColumnDef::new(SenderState::Sender)
                            .string_len(32)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SenderState::PairFailures)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(SenderState::LockedUntilMs)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SenderState::RateStartMs)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SenderState::RateCount)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(SenderState::RateNotified)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(SenderState::NextTaskNo)
                            .big_integer()
                            .not_null()
                            .default(1),
                    )
                    .to_owned(),
            ))
            .await?;

        manager
            .create_table(keyed(
                backend,
                Table::create()
                    .table(Tasks::Table)
                    .col(ColumnDef::new(Tasks::Sender).string_len(32).not_null())
                    .col(ColumnDef::new(Tasks::TaskNo).big_integer().not_null())
                    .col(ColumnDef::new(Tasks::Title).string_len(1024).not_null())
                    .col(ColumnDef::new(Tasks::CreatedMs).big_integer().not_null())
                    .col(ColumnDef::new(Tasks::DoneMs).big_integer().null())
                    .primary_key(Index::create().col(Tasks::Sender).col(Tasks::TaskNo))
                    .to_owned(),
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(seq_column(backend))
                    .col(ColumnDef::new(AuditLog::AtMs).big_integer().not_null())
                    .col(ColumnDef::new(AuditLog::Kind).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLog::Sender).string_len(32).null())
                    .col(ColumnDef::new(AuditLog::Detail).text().not_null())
                    .col(ColumnDef::new(AuditLog::PrevHash).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLog::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .col(
                        ColumnDef::new(AuditHead::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AuditHead::Seq).big_integer().not_null())
                    .col(ColumnDef::new(AuditHead::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditHead::Table)
                    .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                    .values_panic([1.into(), 0i64.into(), GENESIS_HASH.into()])
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        for sql in append_only_triggers(manager.get_database_backend()) {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "DROP FUNCTION IF EXISTS warden_audit_append_only() CASCADE; \
                     DROP FUNCTION IF EXISTS warden_audit_head_forward_only() CASCADE;",
                )
                .await?;
        }
        for table in [
            AuditHead::Table.into_iden(),
            AuditLog::Table.into_iden(),
            Tasks::Table.into_iden(),
            SenderState::Table.into_iden(),
            Allowlist::Table.into_iden(),
            InboundMessages::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Tables keyed by text are `WITHOUT ROWID` on SQLite: one B-tree per table instead of a
/// rowid table plus a primary-key index, which halves the pages each insert dirties.
fn keyed(backend: DbBackend, mut table: TableCreateStatement) -> TableCreateStatement {
    if backend == DbBackend::Sqlite {
        table.extra("WITHOUT ROWID");
    }
    table
}

/// `audit_log.seq`: on SQLite exactly `INTEGER PRIMARY KEY`, so it is the rowid itself
/// (64-bit) and needs no separate index; `BIGINT` elsewhere.
fn seq_column(backend: DbBackend) -> ColumnDef {
    let mut col = ColumnDef::new(AuditLog::Seq);
    if backend == DbBackend::Sqlite {
        col.integer();
    } else {
        col.big_integer();
    }
    col.not_null().primary_key().to_owned()
}

/// The database itself refuses to rewrite history: no UPDATE or DELETE (or TRUNCATE) on
/// `audit_log`, and the head may only move forward.
fn append_only_triggers(backend: DbBackend) -> &'static [&'static str] {
    match backend {
        DbBackend::Sqlite => &[
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
            "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head \
             WHEN NEW.seq < OLD.seq OR NEW.id <> OLD.id \
             BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END;",
            "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head \
             BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;",
        ],
        DbBackend::Postgres | DbBackend::MySql => &[
            "CREATE FUNCTION warden_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$;",
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION warden_audit_append_only();",
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log \
             FOR EACH STATEMENT EXECUTE FUNCTION warden_audit_append_only();",
            "CREATE FUNCTION warden_audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
               IF TG_OP = 'DELETE' OR NEW.seq < OLD.seq OR NEW.id <> OLD.id THEN \
                 RAISE EXCEPTION 'audit_head only moves forward'; \
               END IF; \
               RETURN NEW; \
             END; $$;",
            "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head \
             FOR EACH ROW EXECUTE FUNCTION warden_audit_head_forward_only();",
            "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head \
             FOR EACH STATEMENT EXECUTE FUNCTION warden_audit_append_only();",
        ],
    }
}
