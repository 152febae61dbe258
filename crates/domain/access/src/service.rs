//! The access use cases. Each one that changes state runs in one store transaction, under the
//! audit chain's lock, and audits what happened with the operator's id, never their name.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use warden_assistant::marketplace::OutboxMessage;
use warden_assistant::outbox::enqueued_event;
use warden_audit::{AuditEvent, Detail, EventKind};
use warden_delivery::DeliveryWake;
use warden_operators::{
    authorize, AccessClaims, AccessTokens, Action, Actor, Denied, LockGate, LoginFailures,
    LoginLockout, OperatorId, PasswordPolicy, RefreshDecision, RefreshToken, Resource, Role,
    StoredRefresh, TotpSecret, Username, ACCESS_TTL_MS,
};
use warden_types::{Clock, PhoneNumber, Provider, UnixMillis};

/// What every owner is told about at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alert {
    Locked,
    SessionReused,
    MfaReset,
    RecoveryCodeUsed,
    RoleChanged(Role, Role),
    Disabled,
}

impl Alert {
    fn code(self) -> &'static str {
        match self {
            Alert::Locked => "account_locked",
            Alert::SessionReused => "refresh_token_reused",
            Alert::MfaReset => "mfa_reset",
            Alert::RecoveryCodeUsed => "recovery_code_used",
            Alert::RoleChanged(..) => "role_changed",
            Alert::Disabled => "account_disabled",
        }
    }

    /// What the owner reads on WhatsApp: the operator's id and what happened, no name, no
    /// address, nothing to phish with.
    fn message(self, operator: OperatorId) -> String {
        let what = match self {
            Alert::Locked => "was locked after repeated failed logins".to_owned(),
            Alert::SessionReused => {
                "presented a refresh token that was already used; the session was revoked \
                 (a copied token?)"
                    .to_owned()
            }
            Alert::MfaReset => "had its second factor reset".to_owned(),
            Alert::RecoveryCodeUsed => "logged in with a recovery code".to_owned(),
            Alert::RoleChanged(from, to) => format!("changed role from {from} to {to}"),
            Alert::Disabled => "was disabled".to_owned(),
        };
        format!(
            "Warden security alert: operator account {} {what}. Check the audit log.",
            operator.0
        )
    }
}

use crate::port::{
    AccessStore, AccessStoreError, AccessTxn, Account, Entropy, NewAccount, PasswordCheck,
};

/// The TOTP issuer shown in authenticator apps.
const TOTP_ISSUER: &str = "Warden";

/// Why an access use case refused. The messages are what a caller may be told: a failed login
/// never says which part was wrong.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("wrong username, password or code")]
    BadCredentials,
    #[error("the account is locked after too many failed logins; try again later")]
    Locked { until: UnixMillis },
    #[error("the session is invalid or has expired; log in again")]
    BadSession,
    #[error(transparent)]
    Denied(#[from] Denied),
    /// An argument failed its domain type; `field` names it, the value is never echoed.
    #[error("{field} {why}")]
    Invalid { field: &'static str, why: String },
    #[error("no operator with id {0}")]
    NotFound(OperatorId),
    #[error("hashing the password failed")]
    Hash,
    /// Sessions need a signing key; the CLI's account management does not.
    #[error("sessions are not configured (set WARDEN_JWT_KEY)")]
    NoTokens,
    #[error(transparent)]
    Store(#[from] AccessStoreError),
}

fn invalid(field: &'static str, why: impl std::fmt::Display) -> AccessError {
    AccessError::Invalid {
        field,
        why: why.to_string(),
    }
}

/// Who is changing an account: an authenticated operator, or the CLI on the database host
/// (trusted as an owner, but still bound by the last-owner rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting {
    Cli,
    Operator(Actor),
}

impl Acting {
    fn actor(self) -> Actor {
        match self {
            Acting::Cli => Actor {
                id: OperatorId(0),
                role: Role::Owner,
            },
            Acting::Operator(a) => a,
        }
    }

    /// How the audit log names the actor: an id, never a username.
    pub fn label(self) -> String {
        match self {
            Acting::Cli => "cli".to_owned(),
            Acting::Operator(a) => operator_label(a.id),
        }
    }
}

fn operator_label(id: OperatorId) -> String {
    format!("operator:{}", id.0)
}

/// A login attempt as the caller received it.
#[derive(Debug)]
pub struct LoginRequest {
    pub username: String,
    pub password: SecretString,
    /// A 6-digit TOTP code or a recovery code.
    pub second_factor: SecretString,
}

/// A new session: a short-lived access token and the refresh token that renews it.
#[derive(Debug)]
pub struct Session {
    pub access_token: SecretString,
    pub expires_in_secs: u64,
    pub refresh_token: RefreshToken,
    pub operator: OperatorId,
    pub role: Role,
}

/// A new second factor, shown once: the authenticator URI and the recovery codes.
#[derive(Debug)]
pub struct Enrolment {
    pub id: OperatorId,
    pub provisioning_uri: SecretString,
    /// The TOTP key in base32, for typing into an app that cannot scan the URI.
    pub secret: SecretString,
    pub recovery_codes: Vec<SecretString>,
}

/// An authenticated caller, with the role stored now (a role change applies at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionActor {
    pub actor: Actor,
    /// The session (refresh-token family) the access token belongs to.
    pub session: String,
}

impl SessionActor {
    /// As the account rules see the caller.
    pub fn acting(&self) -> Acting {
        Acting::Operator(self.actor)
    }

    /// How the audit log names the caller (`operator:<id>`).
    pub fn label(&self) -> String {
        self.acting().label()
    }
}

/// Which second factor a login passed.
enum Factor {
    Totp(u64),
    Recovery(i64),
}

/// The access use cases.
#[derive(Clone)]
pub struct Access {
    store: Arc<dyn AccessStore>,
    passwords: Arc<dyn PasswordCheck>,
    entropy: Arc<dyn Entropy>,
    tokens: Option<Arc<AccessTokens>>,
    clock: Arc<dyn Clock>,
    lockout: LoginLockout,
    /// The channel security alerts go out on to owners' WhatsApp numbers (`None`: no channel
    /// can send; alerts go to the audit log and the `warn` log only).
    alerts: Option<Provider>,
    wake: Option<Arc<dyn DeliveryWake>>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("lockout", &self.lockout)
            .finish_non_exhaustive()
    }
}

impl Access {
    pub fn new(
        store: Arc<dyn AccessStore>,
        passwords: Arc<dyn PasswordCheck>,
        entropy: Arc<dyn Entropy>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            passwords,
            entropy,
            tokens: None,
            clock,
            lockout: LoginLockout::default(),
            alerts: None,
            wake: None,
        }
    }

    /// Sends security alerts to every owner's registered WhatsApp number through `provider`.
    pub fn with_alerts(mut self, provider: Provider) -> Self {
        self.alerts = Some(provider);
        self
    }

    /// Wakes the delivery worker when an alert was enqueued.
    pub fn with_wake(mut self, wake: Arc<dyn DeliveryWake>) -> Self {
        self.wake = Some(wake);
        self
    }

    /// A security alert: the `warn` log always; every owner's WhatsApp, through the outbox in
    /// this transaction, when a channel can send. Its audit event is the caller's.
    async fn alert(
        &self,
        txn: &mut Box<dyn AccessTxn>,
        what: Alert,
        operator: OperatorId,
    ) -> Result<bool, AccessError> {
        tracing::warn!(alert = what.code(), operator = operator.0, "security alert");
        let Some(provider) = self.alerts else {
            return Ok(false);
        };
        let phones = txn.owner_phones().await?;
        for to in &phones {
            let key = format!("alert-{}", hex::encode(self.random::<16>()));
            txn.enqueue(OutboxMessage {
                key: key.clone(),
                provider,
                sender: None,
                to: to.clone(),
                body: what.message(operator),
            });
            txn.audit(enqueued_event(None, &key, provider));
        }
        Ok(!phones.is_empty())
    }

    fn wake(&self, enqueued: bool) {
        if enqueued {
            if let Some(w) = &self.wake {
                w.wake();
            }
        }
    }

    /// Enables sessions (login, refresh, authentication), signed with `tokens`.
    pub fn with_tokens(mut self, tokens: Arc<AccessTokens>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    fn tokens(&self) -> Result<&AccessTokens, AccessError> {
        self.tokens.as_deref().ok_or(AccessError::NoTokens)
    }

    fn random<const N: usize>(&self) -> [u8; N] {
        let mut b = [0u8; N];
        self.entropy.fill(&mut b);
        b
    }

    fn new_mfa(&self) -> (TotpSecret, Vec<SecretString>, Vec<String>) {
        let totp = TotpSecret::from_bytes(self.random::<20>());
        let mut random = [[0u8; 10]; warden_operators::RECOVERY_CODES];
        for r in &mut random {
            self.entropy.fill(r);
        }
        let (codes, hashes) = warden_operators::recovery::generate(random);
        (totp, codes, hashes)
    }

    // ---- accounts ----

    /// Creates an account with its second factor; the enrolment is shown once.
    pub async fn create_account(
        &self,
        acting: Acting,
        username: &str,
        role: Role,
        password: SecretString,
        phone: Option<PhoneNumber>,
    ) -> Result<Enrolment, AccessError> {
        authorize(&acting.actor(), Action::OperatorCreate, &Resource::Any)?;
        let username = Username::parse(username).map_err(|e| invalid("username", e))?;
        PasswordPolicy::check(password.expose_secret(), username.as_str())
            .map_err(|e| invalid("password", e))?;
        let password_hash = self
            .passwords
            .hash(password, self.random::<16>())
            .await
            .ok_or(AccessError::Hash)?;
        let (totp, recovery_codes, recovery_hashes) = self.new_mfa();
        let now = self.clock.now();
        let mut txn = self.store.begin().await?;
        let id = txn
            .insert_account(&NewAccount {
                username: username.clone(),
                role,
                password_hash,
                totp: totp.clone(),
                recovery_hashes,
                phone,
                created_at: now,
            })
            .await?;
        txn.audit(event(
            EventKind::OperatorCreated,
            Detail::new()
                .with("actor", acting.label())
                .with("operator", id.0)
                .with("role", role.as_str()),
        ));
        txn.commit(now).await?;
        Ok(Enrolment {
            id,
            provisioning_uri: warden_operators::provisioning_uri(
                &totp,
                TOTP_ISSUER,
                username.as_str(),
            ),
            secret: totp.to_base32(),
            recovery_codes,
        })
    }

    /// Every account, by id.
    pub async fn accounts(&self) -> Result<Vec<Account>, AccessError> {
        Ok(self.store.accounts().await?)
    }

    /// Loads `id` under the lock and checks `action` on it.
    async fn guarded(
        &self,
        txn: &mut Box<dyn AccessTxn>,
        acting: Acting,
        action: Action,
        id: OperatorId,
        new_role: Option<Role>,
    ) -> Result<Account, AccessError> {
        let account = txn.account(id).await?.ok_or(AccessError::NotFound(id))?;
        let enabled_owners = txn.enabled_owners().await?;
        authorize(
            &acting.actor(),
            action,
            &Resource::Account {
                id,
                role: account.role,
                new_role,
                enabled_owners,
            },
        )?;
        Ok(account)
    }

    /// Changes an operator's role (audited). Nobody can demote the last owner.
    pub async fn set_role(
        &self,
        acting: Acting,
        id: OperatorId,
        role: Role,
    ) -> Result<(), AccessError> {
        let now = self.clock.now();
        let mut txn = self.store.begin().await?;
        let account = self
            .guarded(&mut txn, acting, Action::OperatorSetRole, id, Some(role))
            .await?;
        if account.role == role {
            return Ok(());
        }
        txn.set_role(id, role).await?;
        txn.audit(event(
            EventKind::OperatorRoleChanged,
            Detail::new()
                .with("actor", acting.label())
                .with("operator", id.0)
                .with("from", account.role.as_str())
                .with("to", role.as_str()),
        ));
        let sent = self
            .alert(&mut txn, Alert::RoleChanged(account.role, role), id)
            .await?;
        txn.commit(now).await?;
        self.wake(sent);
        Ok(())
    }

    /// Disables (revoking every session) or enables an account (audited). Nobody can disable
    /// the last owner.
    pub async fn set_enabled(
        &self,
        acting: Acting,
        id: OperatorId,
        enabled: bool,
    ) -> Result<(), AccessError> {
        let action = if enabled {
            Action::OperatorEnable
        } else {
            Action::OperatorDisable
        };
        let now = self.clock.now();
        let mut txn = self.store.begin().await?;
        let account = self.guarded(&mut txn, acting, action, id, None).await?;
        if account.enabled == enabled {
            return Ok(());
        }
        txn.set_enabled(id, enabled).await?;
        let kind = if enabled {
            EventKind::OperatorEnabled
        } else {
            EventKind::OperatorDisabled
        };
        txn.audit(event(
            kind,
            Detail::new()
                .with("actor", acting.label())
                .with("operator", id.0),
        ));
        let mut sent = false;
        if !enabled {
            sent = self.alert(&mut txn, Alert::Disabled, id).await?;
            let revoked = txn.revoke_operator(id).await?;
            if revoked > 0 {
                txn.audit(event(
                    EventKind::OperatorSessionRevoked,
                    Detail::new()
                        .with("actor", acting.label())
                        .with("operator", id.0)
                        .with("reason", "account_disabled")
                        .with("tokens", revoked),
                ));
            }
        } else {
            // A fresh start: a re-enabled account's lockout is cleared too.
            txn.set_failures(id, LoginFailures::default()).await?;
        }
        txn.commit(now).await?;
        self.wake(sent);
        Ok(())
    }

    /// A new TOTP seed and recovery codes (the old ones stop working) and every session
    /// revoked; audited. For a lost authenticator.
    pub async fn reset_mfa(
        &self,
        acting: Acting,
        id: OperatorId,
    ) -> Result<Enrolment, AccessError> {
        let now = self.clock.now();
        let mut txn = self.store.begin().await?;
        let account = self
            .guarded(&mut txn, acting, Action::OperatorResetMfa, id, None)
            .await?;
        let (totp, recovery_codes, recovery_hashes) = self.new_mfa();
        txn.replace_mfa(id, &totp, &recovery_hashes).await?;
        let revoked = txn.revoke_operator(id).await?;
        txn.audit(event(
            EventKind::OperatorMfaChanged,
            Detail::new()
                .with("actor", acting.label())
                .with("operator", id.0)
                .with("reason", "reset")
                .with("sessions_revoked_tokens", revoked),
        ));
        let sent = self.alert(&mut txn, Alert::MfaReset, id).await?;
        txn.commit(now).await?;
        self.wake(sent);
        Ok(Enrolment {
            id,
            provisioning_uri: warden_operators::provisioning_uri(
                &totp,
                TOTP_ISSUER,
                account.username.as_str(),
            ),
            secret: totp.to_base32(),
            recovery_codes,
        })
    }

    // ---- sessions ----

    /// Password, then the second factor. Any failure costs the same and says the same; the
    /// fifth in a row locks the account (audited).
    pub async fn login(&self, request: LoginRequest) -> Result<Session, AccessError> {
        self.tokens()?;
        let name = Username::parse(&request.username).ok();
        let found = match &name {
            Some(n) => self.store.account_by_name(n).await?,
            None => None,
        };
        // Always one argon2id verification, whether or not the account exists.
        let password_ok = self
            .passwords
            .verify(
                request.password,
                found.as_ref().map(|a| a.password_hash.clone()),
            )
            .await;
        let Some(found) = found.filter(|a| a.enabled) else {
            return Err(AccessError::BadCredentials);
        };
        let now = self.clock.now();
        let mut txn = self.store.begin().await?;
        let Some(account) = txn.account(found.id).await?.filter(|a| a.enabled) else {
            return Err(AccessError::BadCredentials);
        };
        if let LockGate::Locked { until } = self.lockout.gate(account.failures, now) {
            return Err(AccessError::Locked { until });
        }
        let factor = if password_ok {
            self.second_factor(&mut txn, &account, &request.second_factor, now)
                .await?
                .ok_or("second_factor")
        } else {
            Err("password")
        };
        let factor = match factor {
            Ok(f) => f,
            Err(reason) => {
                let (failures, locked) = self.lockout.on_failure(account.failures, now);
                txn.set_failures(account.id, failures).await?;
                txn.audit(event(
                    EventKind::OperatorLoginFailed,
                    Detail::new()
                        .with("operator", account.id.0)
                        .with("reason", reason)
                        .with("failures", failures.count),
                ));
                let mut sent = false;
                if locked {
                    txn.audit(event(
                        EventKind::OperatorLocked,
                        Detail::new()
                            .with("operator", account.id.0)
                            .with("minutes", self.lockout.lock_ms / 60_000),
                    ));
                    sent = self.alert(&mut txn, Alert::Locked, account.id).await?;
                }
                txn.commit(now).await?;
                self.wake(sent);
                return Err(AccessError::BadCredentials);
            }
        };
        txn.set_failures(account.id, LoginFailures::default())
            .await?;
        let mut sent = false;
        let factor_name = match factor {
            Factor::Totp(step) => {
                txn.set_totp_step(account.id, step).await?;
                "totp"
            }
            Factor::Recovery(row) => {
                txn.spend_recovery_code(row, now).await?;
                let left = txn.recovery_codes(account.id).await?.len();
                txn.audit(event(
                    EventKind::OperatorMfaChanged,
                    Detail::new()
                        .with("operator", account.id.0)
                        .with("reason", "recovery_code_used")
                        .with("recovery_codes_left", left),
                ));
                sent = self
                    .alert(&mut txn, Alert::RecoveryCodeUsed, account.id)
                    .await?;
                "recovery_code"
            }
        };
        let family = hex::encode(self.random::<16>());
        let refresh = RefreshToken::from_random(self.random::<32>());
        txn.insert_refresh_token(
            &refresh.hash(),
            &StoredRefresh {
                family: family.clone(),
                operator: account.id,
                family_started: now,
                spent: false,
                revoked: false,
            },
            now,
        )
        .await?;
        txn.audit(event(
            EventKind::OperatorLogin,
            Detail::new()
                .with("operator", account.id.0)
                .with("factor", factor_name),
        ));
        txn.commit(now).await?;
        self.wake(sent);
        self.session(account.id, account.role, family, refresh, now)
    }

    /// The second factor: a 6-digit TOTP code (each accepted once) or an unused recovery code.
    async fn second_factor(
        &self,
        txn: &mut Box<dyn AccessTxn>,
        account: &Account,
        code: &SecretString,
        now: UnixMillis,
    ) -> Result<Option<Factor>, AccessError> {
        let code = code.expose_secret().trim();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(warden_operators::totp::verify(
                &account.totp,
                code,
                now,
                account.totp_last_step,
            )
            .ok()
            .map(Factor::Totp));
        }
        let codes = txn.recovery_codes(account.id).await?;
        let hashes: Vec<String> = codes.iter().map(|(_, h)| h.clone()).collect();
        Ok(warden_operators::recovery::find(code, &hashes).map(|i| Factor::Recovery(codes[i].0)))
    }

    fn session(
        &self,
        operator: OperatorId,
        role: Role,
        family: String,
        refresh_token: RefreshToken,
        now: UnixMillis,
    ) -> Result<Session, AccessError> {
        let claims = AccessClaims {
            sub: operator,
            role,
            sid: family,
            iat: now,
            exp: now.plus_ms(ACCESS_TTL_MS),
            jti: hex::encode(self.random::<16>()),
        };
        let access_token = self
            .tokens()?
            .issue(&claims)
            .map_err(|_| AccessError::BadSession)?;
        Ok(Session {
            access_token,
            expires_in_secs: u64::try_from(ACCESS_TTL_MS / 1000).unwrap_or(900),
            refresh_token,
            operator,
            role,
        })
    }

    /// A new pair for a live refresh token, which is spent. Presenting a spent one again means
    /// it was copied: the whole family is revoked (audited).
    pub async fn refresh(&self, raw: &str) -> Result<Session, AccessError> {
        let token = RefreshToken::parse(raw).ok_or(AccessError::BadSession)?;
        let hash = token.hash();
        let now = self.clock.now();
        let mut txn = self.store.begin().await?;
        let found = txn.refresh_token(&hash).await?;
        match (
            warden_operators::refresh::assess(found.as_ref(), now),
            found,
        ) {
            (RefreshDecision::Rotate, Some(stored)) => {
                let account = txn
                    .account(stored.operator)
                    .await?
                    .filter(|a| a.enabled)
                    .ok_or(AccessError::BadSession)?;
                txn.spend_refresh_token(&hash).await?;
                let next = RefreshToken::from_random(self.random::<32>());
                txn.insert_refresh_token(
                    &next.hash(),
                    &StoredRefresh {
                        spent: false,
                        revoked: false,
                        ..stored.clone()
                    },
                    now,
                )
                .await?;
                txn.commit(now).await?;
                self.session(account.id, account.role, stored.family, next, now)
            }
            (RefreshDecision::Reused, Some(stored)) => {
                let tokens = txn.revoke_family(&stored.family).await?;
                txn.audit(event(
                    EventKind::OperatorSessionRevoked,
                    Detail::new()
                        .with("operator", stored.operator.0)
                        .with("reason", "refresh_token_reused")
                        .with("tokens", tokens),
                ));
                let sent = self
                    .alert(&mut txn, Alert::SessionReused, stored.operator)
                    .await?;
                txn.commit(now).await?;
                self.wake(sent);
                Err(AccessError::BadSession)
            }
            _ => Err(AccessError::BadSession),
        }
    }

    /// Ends the caller's session: every token of its family is revoked (audited).
    pub async fn logout(&self, who: &SessionActor) -> Result<(), AccessError> {
        let now = self.clock.now();
        let mut txn = self.store.begin().await?;
        let tokens = txn.revoke_family(&who.session).await?;
        txn.audit(event(
            EventKind::OperatorSessionRevoked,
            Detail::new()
                .with("operator", who.actor.id.0)
                .with("reason", "logout")
                .with("tokens", tokens),
        ));
        txn.commit(now).await?;
        Ok(())
    }

    /// The caller behind a bearer token: a valid signature, unexpired, its session live and
    /// its account enabled; the role is the one stored now.
    pub async fn authenticate(&self, bearer: &str) -> Result<SessionActor, AccessError> {
        let now = self.clock.now();
        let claims = self
            .tokens()?
            .verify(bearer, now)
            .map_err(|_| AccessError::BadSession)?;
        if !self
            .store
            .session_live(&claims.sid, claims.sub, now)
            .await?
        {
            return Err(AccessError::BadSession);
        }
        let account = self
            .store
            .account(claims.sub)
            .await?
            .filter(|a| a.enabled)
            .ok_or(AccessError::BadSession)?;
        Ok(SessionActor {
            actor: Actor {
                id: account.id,
                role: account.role,
            },
            session: claims.sid,
        })
    }
}

fn event(kind: EventKind, detail: Detail) -> AuditEvent {
    AuditEvent {
        kind,
        sender: None,
        detail,
    }
}
