//! Warden's schema: one source of truth, written with sea-query builders so the same
//! migration produces valid DDL on SQLite and Postgres.
//!
//! The only dialect-specific SQL is the append-only triggers on `audit_log`: neither backend
//! shares a trigger syntax, and sea-query has no trigger builder.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_foundation;
mod m20261126_000002_outbox;
mod m20261127_000003_marketplace;
mod m20261207_000004_pairing;
mod m20261207_000005_operators;
mod m20261207_000006_retention;
mod m20261207_000007_audit_lookups;
mod m20261207_000008_calendar_jobs;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_foundation::Migration),
            Box::new(m20261126_000002_outbox::Migration),
            Box::new(m20261127_000003_marketplace::Migration),
            Box::new(m20261207_000004_pairing::Migration),
            Box::new(m20261207_000005_operators::Migration),
            Box::new(m20261207_000006_retention::Migration),
            Box::new(m20261207_000007_audit_lookups::Migration),
            Box::new(m20261207_000008_calendar_jobs::Migration),
        ]
    }
}

impl std::fmt::Debug for Migrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Migrator")
    }
}
