//! Pure operator identity: who may sign in to the admin API, how they prove it, and what each
//! role may do.
//!
//! Like the other domain crates this is values and functions only: no clock, no randomness, no
//! store. Time (`UnixMillis`) and random bytes come in as arguments, so lockouts, token expiry
//! and TOTP windows are tested at their exact edges, and the store and HTTP layers hold no
//! policy of their own.
//!
//! Every module is public (`warden_operators::totp::verify`, `recovery::generate`), and its types
//! and unambiguous functions are re-exported at the root.

pub mod lockout;
pub mod names;
pub mod password;
pub mod recovery;
pub mod refresh;
pub mod role;
pub mod token;
pub mod totp;

pub use lockout::{LockGate, LoginFailures, LoginLockout};
pub use names::{NameError, Username, USERNAME_MAX, USERNAME_MIN};
pub use password::{
    HashError, PasswordError, PasswordHasher, PasswordPolicy, PASSWORD_MAX_CHARS,
    PASSWORD_MIN_CHARS,
};
pub use recovery::RECOVERY_CODES;
pub use refresh::{assess, RefreshDecision, RefreshToken, StoredRefresh, REFRESH_LIFETIME_MS};
pub use role::{authorize, ensure_own_account, Action, Actor, Denied, OperatorId, Resource, Role};
pub use token::{AccessClaims, AccessTokens, SigningKey, TokenError, ACCESS_TTL_MS};
pub use totp::{code_at, provisioning_uri, step_at, step_start, TotpError, TotpSecret};
