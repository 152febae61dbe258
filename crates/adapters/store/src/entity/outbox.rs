use sea_orm::entity::prelude::*;

/// No `Debug`: `recipient` and `body` are personal data.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub idempotency_key: String,
    pub provider: String,
    pub sender: String,
    pub recipient: Option<String>,
    pub body: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_ms: i64,
    pub claimed_until_ms: Option<i64>,
    pub last_error: Option<String>,
    pub provider_message_id: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
