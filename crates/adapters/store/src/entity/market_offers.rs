use sea_orm::entity::prelude::*;

/// No `Debug`: a held text is a vendor's unreviewed message.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "market_offers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: Option<i64>,
    pub vendor_id: i64,
    pub offer_no: Option<i32>,
    pub status: String,
    pub reasons: Option<String>,
    pub held_text: Option<String>,
    pub created_ms: i64,
    pub released_ms: Option<i64>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketOffer")
            .field("id", &self.id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
