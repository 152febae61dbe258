//! Retention: replay ids are pruned by age, so their table gets an index on arrival time (the
//! largest table, pruned every pass; without it each pass would read all of it under the
//! audit chain's write lock).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InboundMessages {
    Table,
    ReceivedMs,
}

const INDEX: &str = "inbound_messages_received";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(InboundMessages::Table)
                    .col(InboundMessages::ReceivedMs)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(InboundMessages::Table)
                    .to_owned(),
            )
            .await
    }
}
