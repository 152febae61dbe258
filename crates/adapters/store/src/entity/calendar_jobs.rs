use sea_orm::entity::prelude::*;

/// No `Debug` of the row's text: `title`, `done_reply` and `recipient` are personal data.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reply_key: String,
    /// `insert` or `delete`.
    pub action: String,
    pub event_id: String,
    pub sender: String,
    pub provider: String,
    pub recipient: Option<String>,
    pub title: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub zone: Option<String>,
    pub done_reply: Option<String>,
    /// `pending`, `done` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_ms: i64,
    pub claimed_until_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarJob")
            .field("id", &self.id)
            .field("action", &self.action)
            .field("event_id", &self.event_id)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
