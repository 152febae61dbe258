//! The concierge marketplace: vendors, client requests, who was contacted, offers (relayed and
//! held), per-vendor outreach counters and call consent.
//!
//! Personal data lives in three columns only: `marketplace_requests.client_phone` (needed to
//! relay offers and to call), `marketplace_requests.text` / `masked_text` (what the client
//! asked for) and `market_offers.held_text` (a vendor reply kept for operator review). Vendor
//! phone numbers are business contacts, registered by an operator.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Vendors {
    Table,
    Id,
    BusinessName,
    /// The pseudonymous sender id of `phone` (as inbound messages carry it): routing key.
    Sender,
    Phone,
    Tags,
    Active,
    CreatedMs,
    UpdatedMs,
}

#[derive(DeriveIden)]
enum MarketplaceRequests {
    Table,
    Id,
    Reference,
    Client,
    ClientPhone,
    ClientProvider,
    Text,
    MaskedText,
    Tags,
    Status,
    AcceptedOffer,
    CreatedMs,
    NextBatchMs,
}

#[derive(DeriveIden)]
enum MarketContacts {
    Table,
    RequestId,
    VendorId,
    ContactedMs,
}

#[derive(DeriveIden)]
enum MarketOffers {
    Table,
    Id,
    RequestId,
    VendorId,
    OfferNo,
    Status,
    Reasons,
    HeldText,
    CreatedMs,
    ReleasedMs,
}

#[derive(DeriveIden)]
enum VendorCounters {
    Table,
    VendorId,
    Day,
    SentToday,
    LastSentMs,
}

#[derive(DeriveIden)]
enum CallConsents {
    Table,
    Client,
    State,
    GrantedMs,
    ExpiresMs,
    RevokedMs,
    UpdatedMs,
}

/// An auto-incrementing 64-bit key: on SQLite exactly `INTEGER PRIMARY KEY` (the rowid).
fn serial(backend: DbBackend, col: impl IntoIden) -> ColumnDef {
    let mut c = ColumnDef::new(col);
    if backend == DbBackend::Sqlite {
        c.integer();
    } else {
        c.big_integer();
    }
    c.not_null().primary_key().auto_increment().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Vendors::Table)
                    .col(serial(backend, Vendors::Id))
                    .col(
                        ColumnDef::new(Vendors::BusinessName)
                            .string_len(320)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Vendors::Sender)
                            .string_len(32)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Vendors::Phone)
                            .string_len(32)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Vendors::Tags).text().not_null())
                    .col(ColumnDef::new(Vendors::Active).boolean().not_null())
                    .col(ColumnDef::new(Vendors::CreatedMs).big_integer().not_null())
                    .col(ColumnDef::new(Vendors::UpdatedMs).big_integer().not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MarketplaceRequests::Table)
                    // Allocated by the store under the audit-head lock (the reference is derived
                    // from it before the row exists).
                    .col(
                        ColumnDef::new(MarketplaceRequests::Id)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(MarketplaceRequests::Reference)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MarketplaceRequests::Client)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MarketplaceRequests::ClientPhone)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MarketplaceRequests::ClientProvider)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(MarketplaceRequests::Text).text().not_null())
                    .col(
                        ColumnDef::new(MarketplaceRequests::MaskedText)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(MarketplaceRequests::Tags).text().not_null())
                    .col(
                        ColumnDef::new(MarketplaceRequests::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MarketplaceRequests::AcceptedOffer)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(MarketplaceRequests::CreatedMs)
                            .big_integer()
                            .not_null(),
                    )
                    // When the scheduler plans the next outreach batch; NULL once exhausted.
                    .col(
                        ColumnDef::new(MarketplaceRequests::NextBatchMs)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "marketplace_requests_client",
                vec![MarketplaceRequests::Client, MarketplaceRequests::Status],
            ),
            (
                "marketplace_requests_reference",
                vec![MarketplaceRequests::Reference],
            ),
            (
                "marketplace_requests_due",
                vec![MarketplaceRequests::NextBatchMs],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(MarketplaceRequests::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(MarketContacts::Table)
                    .col(
                        ColumnDef::new(MarketContacts::RequestId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MarketContacts::VendorId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MarketContacts::ContactedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(MarketContacts::RequestId)
                            .col(MarketContacts::VendorId),
                    )
                    .to_owned(),
            )
            .await?;
        // A vendor's reply is matched among the requests it was contacted about.
        manager
            .create_index(
                Index::create()
                    .name("market_contacts_vendor")
                    .table(MarketContacts::Table)
                    .col(MarketContacts::VendorId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MarketOffers::Table)
                    .col(serial(backend, MarketOffers::Id))
                    .col(ColumnDef::new(MarketOffers::RequestId).big_integer().null())
                    .col(
                        ColumnDef::new(MarketOffers::VendorId)
                            .big_integer()
                            .not_null(),
                    )
                    // Set once relayed (per request, from 1).
                    .col(ColumnDef::new(MarketOffers::OfferNo).integer().null())
                    // relayed | held | released
                    .col(
                        ColumnDef::new(MarketOffers::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(MarketOffers::Reasons).string_len(256).null())
                    // A held vendor reply, unredacted, for operator review only.
                    .col(ColumnDef::new(MarketOffers::HeldText).text().null())
                    .col(
                        ColumnDef::new(MarketOffers::CreatedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MarketOffers::ReleasedMs)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("market_offers_request", MarketOffers::RequestId),
            ("market_offers_status", MarketOffers::Status),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(MarketOffers::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(VendorCounters::Table)
                    .col(
                        ColumnDef::new(VendorCounters::VendorId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(VendorCounters::Day).big_integer().not_null())
                    .col(
                        ColumnDef::new(VendorCounters::SentToday)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VendorCounters::LastSentMs)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CallConsents::Table)
                    .col(
                        ColumnDef::new(CallConsents::Client)
                            .string_len(32)
                            .not_null()
                            .primary_key(),
                    )
                    // none | granted | revoked
                    .col(
                        ColumnDef::new(CallConsents::State)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CallConsents::GrantedMs).big_integer().null())
                    .col(ColumnDef::new(CallConsents::ExpiresMs).big_integer().null())
                    .col(ColumnDef::new(CallConsents::RevokedMs).big_integer().null())
                    .col(
                        ColumnDef::new(CallConsents::UpdatedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
