use sea_orm::entity::prelude::*;

/// No `Debug`: the client's number and text are personal data.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "marketplace_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub reference: String,
    pub client: String,
    pub client_phone: String,
    pub client_provider: String,
    pub text: String,
    pub masked_text: String,
    pub tags: String,
    pub status: String,
    pub accepted_offer: Option<i32>,
    pub created_ms: i64,
    pub next_batch_ms: Option<i64>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketRequest")
            .field("id", &self.id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
