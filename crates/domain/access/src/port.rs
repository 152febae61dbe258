//! What the access use cases need from the outside: a store, a source of randomness, and a
//! password hasher that may run off the async executor.

use async_trait::async_trait;
use warden_assistant::marketplace::OutboxMessage;
use warden_audit::AuditEvent;
use warden_operators::{LoginFailures, OperatorId, Role, StoredRefresh, TotpSecret, Username};
use warden_types::{PhoneNumber, UnixMillis};

/// Why the store could not do what a use case asked. Never names a secret or a person.
#[derive(Debug, thiserror::Error)]
pub enum AccessStoreError {
    /// Down, overloaded or shutting down. Nothing was written.
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else. Nothing was written.
    #[error("the store failed")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored value no longer passes its domain type (names the field only).
    #[error("a stored {0} is invalid")]
    Corrupt(&'static str),
    /// The username is taken.
    #[error("that username is taken")]
    DuplicateUsername,
}

/// One operator account as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub id: OperatorId,
    pub username: Username,
    pub role: Role,
    pub enabled: bool,
    /// argon2id PHC string.
    pub password_hash: String,
    pub totp: TotpSecret,
    /// The last TOTP step accepted (a code is accepted once).
    pub totp_last_step: Option<u64>,
    pub failures: LoginFailures,
    /// The operator's own WhatsApp number, for security alerts.
    pub phone: Option<PhoneNumber>,
    pub created_at: UnixMillis,
}

impl Account {
    /// Whether the current authenticator has been used: a code from it was accepted at a
    /// login (a reset of the second factor starts over).
    pub fn authenticator_used(&self) -> bool {
        self.totp_last_step.is_some()
    }

    /// When the account last logged in with a code from its current authenticator (the start
    /// of that code's 30-second step); logins with a recovery code are not counted.
    pub fn last_code_login(&self) -> Option<UnixMillis> {
        self.totp_last_step.map(warden_operators::step_start)
    }
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("enabled", &self.enabled)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

/// An account to create, with its second factor already drawn.
#[derive(Clone)]
pub struct NewAccount {
    pub username: Username,
    pub role: Role,
    pub password_hash: String,
    pub totp: TotpSecret,
    /// SHA-256 hex of each recovery code.
    pub recovery_hashes: Vec<String>,
    pub phone: Option<PhoneNumber>,
    pub created_at: UnixMillis,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The operator plane's store.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Reads without a lock (a login's first look, before the password is checked).
    async fn account_by_name(&self, name: &Username) -> Result<Option<Account>, AccessStoreError>;

    async fn account(&self, id: OperatorId) -> Result<Option<Account>, AccessStoreError>;

    /// Every account, by id.
    async fn accounts(&self) -> Result<Vec<Account>, AccessStoreError>;

    /// Whether a session (refresh-token family) of `operator` is still live: some token of the
    /// family is neither revoked nor past its absolute lifetime at `now`.
    async fn session_live(
        &self,
        family: &str,
        operator: OperatorId,
        now: UnixMillis,
    ) -> Result<bool, AccessStoreError>;

    /// MUST start a transaction whose first act takes the audit chain's head lock, so every
    /// change is serialised with the message path's writer and with other instances, and what
    /// it reads is read under that lock.
    async fn begin(&self) -> Result<Box<dyn AccessTxn>, AccessStoreError>;
}

/// One transaction of the operator plane. Dropped without [`AccessTxn::commit`]: nothing is
/// written.
#[async_trait]
pub trait AccessTxn: Send {
    async fn account(&mut self, id: OperatorId) -> Result<Option<Account>, AccessStoreError>;
    async fn enabled_owners(&mut self) -> Result<u32, AccessStoreError>;
    async fn insert_account(&mut self, new: &NewAccount) -> Result<OperatorId, AccessStoreError>;
    async fn set_failures(
        &mut self,
        id: OperatorId,
        failures: LoginFailures,
    ) -> Result<(), AccessStoreError>;
    async fn set_totp_step(&mut self, id: OperatorId, step: u64) -> Result<(), AccessStoreError>;
    async fn set_role(&mut self, id: OperatorId, role: Role) -> Result<(), AccessStoreError>;
    async fn set_enabled(&mut self, id: OperatorId, enabled: bool) -> Result<(), AccessStoreError>;
    /// Replaces the second factor: a new seed, no last step, these recovery codes only.
    async fn replace_mfa(
        &mut self,
        id: OperatorId,
        totp: &TotpSecret,
        recovery_hashes: &[String],
    ) -> Result<(), AccessStoreError>;
    /// Unused recovery codes: (row id, SHA-256 hex).
    async fn recovery_codes(
        &mut self,
        id: OperatorId,
    ) -> Result<Vec<(i64, String)>, AccessStoreError>;
    async fn spend_recovery_code(
        &mut self,
        row: i64,
        at: UnixMillis,
    ) -> Result<(), AccessStoreError>;
    async fn refresh_token(
        &mut self,
        hash: &str,
    ) -> Result<Option<StoredRefresh>, AccessStoreError>;
    async fn insert_refresh_token(
        &mut self,
        hash: &str,
        token: &StoredRefresh,
        at: UnixMillis,
    ) -> Result<(), AccessStoreError>;
    async fn spend_refresh_token(&mut self, hash: &str) -> Result<(), AccessStoreError>;
    /// Revokes every token of the family; how many were live.
    async fn revoke_family(&mut self, family: &str) -> Result<u64, AccessStoreError>;
    /// Revokes every session of the operator; how many tokens were live.
    async fn revoke_operator(&mut self, id: OperatorId) -> Result<u64, AccessStoreError>;
    /// The numbers of every enabled owner who registered one: where security alerts go.
    async fn owner_phones(&mut self) -> Result<Vec<PhoneNumber>, AccessStoreError>;
    /// Buffered; written in chain order at commit.
    fn audit(&mut self, event: AuditEvent);
    /// Buffered; written to the outbox at commit (its `outbox.enqueued` is audited by the
    /// caller).
    fn enqueue(&mut self, message: OutboxMessage);
    async fn commit(self: Box<Self>, now: UnixMillis) -> Result<(), AccessStoreError>;
}

/// Cryptographically secure random bytes (the OS's CSPRNG in production).
pub trait Entropy: Send + Sync {
    fn fill(&self, buf: &mut [u8]);
}

/// The password hasher, behind a seam because argon2id costs tens of milliseconds of CPU:
/// the app runs it off the async executor.
#[async_trait]
pub trait PasswordCheck: Send + Sync {
    /// `stored = None` (unknown user) costs the same as a real check and returns false.
    async fn verify(&self, password: secrecy::SecretString, stored: Option<String>) -> bool;
    async fn hash(&self, password: secrecy::SecretString, salt: [u8; 16]) -> Option<String>;
}
