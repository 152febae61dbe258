//! The use cases over an in-memory store: login with each factor, lockout, rotation, reuse,
//! logout, and the account rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use warden_audit::{AuditEvent, EventKind};
use warden_operators::{
    code_at, step_at, AccessTokens, Actor, LoginFailures, OperatorId, Role, SigningKey,
    StoredRefresh, TotpSecret, Username,
};
use warden_types::{Clock, UnixMillis};

use crate::*;

#[derive(Clone, Default)]
struct State {
    accounts: BTreeMap<i64, Account>,
    /// row id → (operator, hash, used)
    recovery: BTreeMap<i64, (i64, String, bool)>,
    refresh: HashMap<String, StoredRefresh>,
    audit: Vec<AuditEvent>,
    outbox: Vec<warden_assistant::marketplace::OutboxMessage>,
    next_id: i64,
}

#[derive(Clone, Default)]
struct MemStore(Arc<Mutex<State>>);

impl MemStore {
    fn kinds(&self) -> Vec<EventKind> {
        self.0
            .lock()
            .unwrap()
            .audit
            .iter()
            .map(|e| e.kind)
            .collect()
    }
}

#[async_trait]
impl AccessStore for MemStore {
    async fn account_by_name(&self, name: &Username) -> Result<Option<Account>, AccessStoreError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .accounts
            .values()
            .find(|a| a.username == *name)
            .cloned())
    }
    async fn account(&self, id: OperatorId) -> Result<Option<Account>, AccessStoreError> {
        Ok(self.0.lock().unwrap().accounts.get(&id.0).cloned())
    }
    async fn accounts(&self) -> Result<Vec<Account>, AccessStoreError> {
        Ok(self.0.lock().unwrap().accounts.values().cloned().collect())
    }
    async fn session_live(
        &self,
        family: &str,
        operator: OperatorId,
        now: UnixMillis,
    ) -> Result<bool, AccessStoreError> {
        Ok(self.0.lock().unwrap().refresh.values().any(|r| {
            r.family == family
                && r.operator == operator
                && !r.revoked
                && now.as_i64() - r.family_started.as_i64() < warden_operators::REFRESH_LIFETIME_MS
        }))
    }
    async fn begin(&self) -> Result<Box<dyn AccessTxn>, AccessStoreError> {
        let state = self.0.lock().unwrap().clone();
        Ok(Box::new(MemTxn {
            shared: self.0.clone(),
            state,
        }))
    }
}

struct MemTxn {
    shared: Arc<Mutex<State>>,
    state: State,
}

impl MemTxn {
    fn acct(&mut self, id: OperatorId) -> &mut Account {
        self.state.accounts.get_mut(&id.0).unwrap()
    }
}

#[async_trait]
impl AccessTxn for MemTxn {
    async fn account(&mut self, id: OperatorId) -> Result<Option<Account>, AccessStoreError> {
        Ok(self.state.accounts.get(&id.0).cloned())
    }
    async fn enabled_owners(&mut self) -> Result<u32, AccessStoreError> {
        Ok(self
            .state
            .accounts
            .values()
            .filter(|a| a.enabled && a.role == Role::Owner)
            .count() as u32)
    }
    async fn insert_account(&mut self, new: &NewAccount) -> Result<OperatorId, AccessStoreError> {
        if self
            .state
            .accounts
            .values()
            .any(|a| a.username == new.username)
        {
            return Err(AccessStoreError::DuplicateUsername);
        }
        self.state.next_id += 1;
        let id = self.state.next_id;
        self.state.accounts.insert(
            id,
            Account {
                id: OperatorId(id),
                username: new.username.clone(),
                role: new.role,
                enabled: true,
                password_hash: new.password_hash.clone(),
                totp: new.totp.clone(),
                totp_last_step: None,
                failures: LoginFailures::default(),
                phone: new.phone.clone(),
                created_at: new.created_at,
            },
        );
        for h in &new.recovery_hashes {
            let row = self.state.recovery.len() as i64 + 1;
            self.state.recovery.insert(row, (id, h.clone(), false));
        }
        Ok(OperatorId(id))
    }
    async fn set_failures(
        &mut self,
        id: OperatorId,
        f: LoginFailures,
    ) -> Result<(), AccessStoreError> {
        self.acct(id).failures = f;
        Ok(())
    }
    async fn set_totp_step(&mut self, id: OperatorId, step: u64) -> Result<(), AccessStoreError> {
        self.acct(id).totp_last_step = Some(step);
        Ok(())
    }
    async fn set_role(&mut self, id: OperatorId, role: Role) -> Result<(), AccessStoreError> {
        self.acct(id).role = role;
        Ok(())
    }
    async fn set_enabled(&mut self, id: OperatorId, enabled: bool) -> Result<(), AccessStoreError> {
        self.acct(id).enabled = enabled;
        Ok(())
    }
    async fn replace_mfa(
        &mut self,
        id: OperatorId,
        totp: &TotpSecret,
        hashes: &[String],
    ) -> Result<(), AccessStoreError> {
        self.acct(id).totp = totp.clone();
        self.acct(id).totp_last_step = None;
        self.state.recovery.retain(|_, (op, _, _)| *op != id.0);
        for h in hashes {
            let row = self.state.recovery.keys().max().copied().unwrap_or(0) + 1;
            self.state.recovery.insert(row, (id.0, h.clone(), false));
        }
        Ok(())
    }
    async fn recovery_codes(
        &mut self,
        id: OperatorId,
    ) -> Result<Vec<(i64, String)>, AccessStoreError> {
        Ok(self
            .state
            .recovery
            .iter()
            .filter(|(_, (op, _, used))| *op == id.0 && !used)
            .map(|(row, (_, h, _))| (*row, h.clone()))
            .collect())
    }
    async fn spend_recovery_code(
        &mut self,
        row: i64,
        _at: UnixMillis,
    ) -> Result<(), AccessStoreError> {
        self.state.recovery.get_mut(&row).unwrap().2 = true;
        Ok(())
    }
    async fn refresh_token(
        &mut self,
        hash: &str,
    ) -> Result<Option<StoredRefresh>, AccessStoreError> {
        Ok(self.state.refresh.get(hash).cloned())
    }
    async fn insert_refresh_token(
        &mut self,
        hash: &str,
        token: &StoredRefresh,
        _at: UnixMillis,
    ) -> Result<(), AccessStoreError> {
        self.state.refresh.insert(hash.to_owned(), token.clone());
        Ok(())
    }
    async fn spend_refresh_token(&mut self, hash: &str) -> Result<(), AccessStoreError> {
        self.state.refresh.get_mut(hash).unwrap().spent = true;
        Ok(())
    }
    async fn revoke_family(&mut self, family: &str) -> Result<u64, AccessStoreError> {
        let mut n = 0;
        for r in self.state.refresh.values_mut() {
            if r.family == family && !r.revoked {
                r.revoked = true;
                n += 1;
            }
        }
        Ok(n)
    }
    async fn revoke_operator(&mut self, id: OperatorId) -> Result<u64, AccessStoreError> {
        let mut n = 0;
        for r in self.state.refresh.values_mut() {
            if r.operator == id && !r.revoked {
                r.revoked = true;
                n += 1;
            }
        }
        Ok(n)
    }
    async fn owner_phones(&mut self) -> Result<Vec<warden_types::PhoneNumber>, AccessStoreError> {
        Ok(self
            .state
            .accounts
            .values()
            .filter(|a| a.enabled && a.role == Role::Owner)
            .filter_map(|a| a.phone.clone())
            .collect())
    }
    fn audit(&mut self, event: AuditEvent) {
        self.state.audit.push(event);
    }
    fn enqueue(&mut self, message: warden_assistant::marketplace::OutboxMessage) {
        self.state.outbox.push(message);
    }
    async fn commit(self: Box<Self>, _now: UnixMillis) -> Result<(), AccessStoreError> {
        *self.shared.lock().unwrap() = self.state;
        Ok(())
    }
}

/// A counter, not randomness: the use cases only need distinct values here.
#[derive(Default)]
struct Counter(AtomicU64);

impl Entropy for Counter {
    fn fill(&self, buf: &mut [u8]) {
        let n = self.0.fetch_add(1, Ordering::Relaxed).to_le_bytes();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = n[i % 8] ^ (i as u8).wrapping_mul(31);
        }
    }
}

/// A cheap stand-in for argon2id: the use cases' ordering is what is under test here.
struct PlainCheck;

#[async_trait]
impl PasswordCheck for PlainCheck {
    async fn verify(&self, password: SecretString, stored: Option<String>) -> bool {
        stored.is_some_and(|s| s == format!("plain:{}", password.expose_secret()))
    }
    async fn hash(&self, password: SecretString, _salt: [u8; 16]) -> Option<String> {
        Some(format!("plain:{}", password.expose_secret()))
    }
}

struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.0.load(Ordering::Relaxed))
    }
}

struct World {
    store: MemStore,
    clock: Arc<TestClock>,
    access: Access,
}

const PASSWORD: &str = "correct horse battery staple";

impl World {
    fn new() -> Self {
        let store = MemStore::default();
        let clock = Arc::new(TestClock(AtomicI64::new(1_800_000_000_000)));
        let key = SigningKey::derived(secrecy::SecretSlice::from(vec![7u8; 32])).unwrap();
        let access = Access::new(
            Arc::new(store.clone()),
            Arc::new(PlainCheck),
            Arc::new(Counter::default()),
            clock.clone(),
        )
        .with_tokens(Arc::new(AccessTokens::new(key, Vec::new())));
        Self {
            store,
            clock,
            access,
        }
    }

    fn advance(&self, ms: i64) {
        self.clock.0.fetch_add(ms, Ordering::Relaxed);
    }

    async fn create(&self, name: &str, role: Role) -> (OperatorId, TotpSecret, Vec<SecretString>) {
        let e = self
            .access
            .create_account(Acting::Cli, name, role, SecretString::from(PASSWORD), None)
            .await
            .unwrap();
        let totp = self.store.0.lock().unwrap().accounts[&e.id.0].totp.clone();
        (e.id, totp, e.recovery_codes)
    }

    fn code(&self, totp: &TotpSecret) -> SecretString {
        SecretString::from(code_at(totp, step_at(self.clock.now())))
    }

    async fn login(
        &self,
        name: &str,
        password: &str,
        code: SecretString,
    ) -> Result<Session, AccessError> {
        self.access
            .login(LoginRequest {
                username: name.to_owned(),
                password: SecretString::from(password),
                second_factor: code,
            })
            .await
    }
}

#[tokio::test]
async fn login_needs_the_password_and_a_fresh_totp_code() {
    let w = World::new();
    let (id, totp, _) = w.create("alice", Role::Operator).await;
    let session = w.login("alice", PASSWORD, w.code(&totp)).await.unwrap();
    assert_eq!(session.operator, id);
    let who = w
        .access
        .authenticate(session.access_token.expose_secret())
        .await
        .unwrap();
    assert_eq!(
        who.actor,
        Actor {
            id,
            role: Role::Operator
        }
    );
    // The same code again is a replay, even with the right password.
    assert!(matches!(
        w.login("alice", PASSWORD, w.code(&totp)).await,
        Err(AccessError::BadCredentials)
    ));
    assert!(w.store.kinds().contains(&EventKind::OperatorLogin));
}

#[tokio::test]
async fn a_wrong_password_an_unknown_user_and_a_wrong_code_look_the_same() {
    let w = World::new();
    let (_, totp, _) = w.create("alice", Role::Owner).await;
    let wrong_code = SecretString::from("000000");
    for (name, pw, code) in [
        ("alice", "not the password!", w.code(&totp)),
        ("mallory", PASSWORD, w.code(&totp)),
        ("alice", PASSWORD, wrong_code),
    ] {
        let e = w.login(name, pw, code).await.unwrap_err();
        assert!(matches!(e, AccessError::BadCredentials), "{name}");
        assert_eq!(e.to_string(), "wrong username, password or code");
    }
}

#[tokio::test]
async fn the_fifth_failure_locks_the_account_for_fifteen_minutes() {
    let w = World::new();
    let (_, totp, _) = w.create("alice", Role::Owner).await;
    for _ in 0..5 {
        assert!(matches!(
            w.login("alice", "wrong password!!", w.code(&totp)).await,
            Err(AccessError::BadCredentials)
        ));
    }
    // Locked: even the right password and code are refused, with 423's error.
    assert!(matches!(
        w.login("alice", PASSWORD, w.code(&totp)).await,
        Err(AccessError::Locked { .. })
    ));
    assert!(w.store.kinds().contains(&EventKind::OperatorLocked));
    w.advance(15 * 60_000);
    w.login("alice", PASSWORD, w.code(&totp)).await.unwrap();
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let w = World::new();
    let (_, _, codes) = w.create("alice", Role::Owner).await;
    let code = codes[3].expose_secret().to_owned();
    w.login("alice", PASSWORD, SecretString::from(code.clone()))
        .await
        .unwrap();
    assert!(matches!(
        w.login("alice", PASSWORD, SecretString::from(code)).await,
        Err(AccessError::BadCredentials)
    ));
    assert!(w.store.kinds().contains(&EventKind::OperatorMfaChanged));
}

#[tokio::test]
async fn a_spent_refresh_token_presented_again_revokes_its_family() {
    let w = World::new();
    let (_, totp, _) = w.create("alice", Role::Operator).await;
    let first = w.login("alice", PASSWORD, w.code(&totp)).await.unwrap();
    let second = w
        .access
        .refresh(first.refresh_token.expose())
        .await
        .unwrap();
    // The thief replays the first token: refused, and the whole session dies.
    assert!(matches!(
        w.access.refresh(first.refresh_token.expose()).await,
        Err(AccessError::BadSession)
    ));
    assert!(matches!(
        w.access.refresh(second.refresh_token.expose()).await,
        Err(AccessError::BadSession)
    ));
    assert!(matches!(
        w.access
            .authenticate(second.access_token.expose_secret())
            .await,
        Err(AccessError::BadSession)
    ));
    assert!(w.store.kinds().contains(&EventKind::OperatorSessionRevoked));
}

#[tokio::test]
async fn a_session_ends_thirty_days_after_login_however_often_it_is_refreshed() {
    let w = World::new();
    let (_, totp, _) = w.create("alice", Role::Operator).await;
    let mut session = w.login("alice", PASSWORD, w.code(&totp)).await.unwrap();
    for _ in 0..29 {
        w.advance(24 * 3600 * 1000);
        session = w
            .access
            .refresh(session.refresh_token.expose())
            .await
            .unwrap();
    }
    w.advance(24 * 3600 * 1000);
    assert!(matches!(
        w.access.refresh(session.refresh_token.expose()).await,
        Err(AccessError::BadSession)
    ));
}

#[tokio::test]
async fn logout_kills_the_access_token_at_once() {
    let w = World::new();
    let (_, totp, _) = w.create("alice", Role::Operator).await;
    let s = w.login("alice", PASSWORD, w.code(&totp)).await.unwrap();
    let who = w
        .access
        .authenticate(s.access_token.expose_secret())
        .await
        .unwrap();
    w.access.logout(&who).await.unwrap();
    assert!(w
        .access
        .authenticate(s.access_token.expose_secret())
        .await
        .is_err());
    assert!(w.access.refresh(s.refresh_token.expose()).await.is_err());
}

#[tokio::test]
async fn nobody_can_disable_or_demote_the_last_owner() {
    let w = World::new();
    let (owner, _, _) = w.create("olivia", Role::Owner).await;
    let me = Acting::Operator(Actor {
        id: owner,
        role: Role::Owner,
    });
    assert!(matches!(
        w.access.set_enabled(me, owner, false).await,
        Err(AccessError::Denied(_))
    ));
    assert!(matches!(
        w.access.set_role(Acting::Cli, owner, Role::Auditor).await,
        Err(AccessError::Denied(_))
    ));
    // With a second owner, the first may step down.
    w.create("oscar", Role::Owner).await;
    w.access.set_role(me, owner, Role::Auditor).await.unwrap();
}

#[tokio::test]
async fn an_operator_cannot_touch_accounts() {
    let w = World::new();
    let (op, _, _) = w.create("alice", Role::Operator).await;
    let (other, _, _) = w.create("bob", Role::Operator).await;
    let alice = Acting::Operator(Actor {
        id: op,
        role: Role::Operator,
    });
    assert!(w.access.set_role(alice, other, Role::Owner).await.is_err());
    assert!(w.access.set_role(alice, op, Role::Owner).await.is_err());
    assert!(w.access.set_enabled(alice, other, false).await.is_err());
    assert!(w
        .access
        .create_account(
            alice,
            "carol",
            Role::Owner,
            SecretString::from(PASSWORD),
            None
        )
        .await
        .is_err());
}

#[tokio::test]
async fn a_disabled_operator_loses_every_session() {
    let w = World::new();
    let (_, _, _) = w.create("olivia", Role::Owner).await;
    let (op, totp, _) = w.create("alice", Role::Operator).await;
    let s = w.login("alice", PASSWORD, w.code(&totp)).await.unwrap();
    w.access.set_enabled(Acting::Cli, op, false).await.unwrap();
    assert!(w
        .access
        .authenticate(s.access_token.expose_secret())
        .await
        .is_err());
    w.advance(60_000);
    assert!(matches!(
        w.login("alice", PASSWORD, w.code(&totp)).await,
        Err(AccessError::BadCredentials)
    ));
}

#[tokio::test]
async fn a_role_change_applies_to_the_next_call_not_the_next_login() {
    let w = World::new();
    w.create("olivia", Role::Owner).await;
    let (op, totp, _) = w.create("alice", Role::Operator).await;
    let s = w.login("alice", PASSWORD, w.code(&totp)).await.unwrap();
    w.access
        .set_role(Acting::Cli, op, Role::Auditor)
        .await
        .unwrap();
    let who = w
        .access
        .authenticate(s.access_token.expose_secret())
        .await
        .unwrap();
    assert_eq!(who.actor.role, Role::Auditor);
}

#[tokio::test]
async fn a_weak_or_common_password_is_refused_at_creation() {
    let w = World::new();
    for pw in ["short", "unbelievable"] {
        assert!(matches!(
            w.access
                .create_account(
                    Acting::Cli,
                    "alice",
                    Role::Owner,
                    SecretString::from(pw),
                    None
                )
                .await,
            Err(AccessError::Invalid {
                field: "password",
                ..
            })
        ));
    }
}

#[tokio::test]
async fn reset_mfa_invalidates_the_old_authenticator_and_codes() {
    let w = World::new();
    let (id, old, codes) = w.create("alice", Role::Owner).await;
    let e = w.access.reset_mfa(Acting::Cli, id).await.unwrap();
    assert!(e
        .provisioning_uri
        .expose_secret()
        .starts_with("otpauth://totp/"));
    assert!(w.login("alice", PASSWORD, w.code(&old)).await.is_err());
    assert!(w.login("alice", PASSWORD, codes[0].clone()).await.is_err());
    w.login("alice", PASSWORD, e.recovery_codes[0].clone())
        .await
        .unwrap();
}

#[tokio::test]
async fn every_owner_with_a_number_hears_of_a_lockout_on_whatsapp() {
    let mut w = World::new();
    w.access = w.access.clone().with_alerts(warden_types::Provider::Twilio);
    let phone = warden_types::PhoneNumber::parse("+14155550123").unwrap();
    w.access
        .create_account(
            Acting::Cli,
            "olivia",
            Role::Owner,
            SecretString::from(PASSWORD),
            Some(phone.clone()),
        )
        .await
        .unwrap();
    let (_, totp, _) = w.create("alice", Role::Operator).await;
    for _ in 0..5 {
        let _ = w.login("alice", "wrong password!!", w.code(&totp)).await;
    }
    let state = w.store.0.lock().unwrap();
    assert_eq!(
        state.outbox.len(),
        1,
        "one alert, to the one owner with a number"
    );
    let alert = &state.outbox[0];
    assert_eq!(alert.to, phone);
    assert!(alert.body.contains("locked"), "{}", alert.body);
    assert!(!alert.body.contains("alice"), "no username in the alert");
    assert!(state
        .audit
        .iter()
        .any(|e| e.kind == EventKind::OutboxEnqueued));
}
