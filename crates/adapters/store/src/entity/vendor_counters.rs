use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vendor_counters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub vendor_id: i64,
    pub day: i64,
    pub sent_today: i32,
    pub last_sent_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
