use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sender_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sender: String,
    pub pair_failures: i32,
    pub locked_until_ms: Option<i64>,
    pub rate_start_ms: Option<i64>,
    pub rate_count: i32,
    pub rate_notified: bool,
    pub next_task_no: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
