use sea_orm::entity::prelude::*;

/// No `Debug` of the secrets: the hash, the TOTP seed and the phone stay out of logs.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    pub role: String,
    pub password_hash: String,
    pub totp_secret: String,
    pub totp_last_step: Option<i64>,
    pub phone: Option<String>,
    pub enabled: bool,
    pub failures: i32,
    pub locked_until_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
