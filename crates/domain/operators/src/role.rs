//! Roles, the actions they may take, and the one function that decides.
//!
//! Every admin endpoint asks [`authorize`] before it acts, so the whole policy is the table in
//! [`Role::allows`] plus the last-owner rule, readable in one screen and tested as a matrix.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What an operator account may do. Serialised lowercase (`"owner"`), as stored and as sent in
/// access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including managing operator accounts and erasing a data subject.
    Owner,
    /// Runs the day-to-day queue; cannot touch operator accounts.
    Operator,
    /// Reads and verifies; changes nothing and never sees message, task or offer text.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Operator, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    /// Exact, lowercase names only: a role is a security decision, so `"Owner "` is not guessed at.
    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// Every role must pass TOTP at login. The issue requires it for owners and operators; we
    /// require it for auditors too, because an auditor reads the audit trail and every list of
    /// pairings, vendors and consents: a phished auditor password alone would leak who talks to
    /// whom. One rule for all roles also leaves no role-change path that silently drops MFA.
    pub fn requires_mfa(self) -> bool {
        match self {
            Role::Owner | Role::Operator | Role::Auditor => true,
        }
    }

    /// Whether message, task and offer text may be shown. Auditors see metadata only: they check
    /// that the gateway behaved, not what people wrote.
    pub fn may_read_text(self) -> bool {
        match self {
            Role::Owner | Role::Operator => true,
            Role::Auditor => false,
        }
    }

    /// The role table, without resource rules.
    fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Owner => true,
            Role::Operator => matches!(
                action,
                AuditRead
                    | AuditVerify
                    | PairingRead
                    | PairingDecide
                    | AllowlistRead
                    | AllowlistWrite
                    | VendorRead
                    | VendorWrite
                    | OfferRead
                    | OfferReveal
                    | OfferDecide
                    | ConsentRead
                    | OutboxRead
                    | OutboxRetry
                    | OperatorRead
            ),
            Role::Auditor => matches!(
                action,
                AuditRead
                    | AuditVerify
                    | SubjectExport
                    | PairingRead
                    | AllowlistRead
                    | VendorRead
                    | OfferRead
                    | ConsentRead
                    | OutboxRead
                    | OperatorRead
            ),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The database id of an operator account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OperatorId(pub i64);

impl fmt::Display for OperatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Who is asking: taken from a verified access token, never from the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: OperatorId,
    pub role: Role,
}

/// Everything the admin API can do, one variant per permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    AuditRead,
    AuditVerify,
    PairingRead,
    PairingDecide,
    AllowlistRead,
    AllowlistWrite,
    VendorRead,
    VendorWrite,
    OfferRead,
    OfferReveal,
    OfferDecide,
    ConsentRead,
    OutboxRead,
    OutboxRetry,
    OperatorRead,
    OperatorCreate,
    OperatorSetRole,
    OperatorDisable,
    OperatorEnable,
    OperatorResetMfa,
    SubjectExport,
    SubjectErase,
}

impl Action {
    pub const ALL: [Action; 22] = [
        Action::AuditRead,
        Action::AuditVerify,
        Action::PairingRead,
        Action::PairingDecide,
        Action::AllowlistRead,
        Action::AllowlistWrite,
        Action::VendorRead,
        Action::VendorWrite,
        Action::OfferRead,
        Action::OfferReveal,
        Action::OfferDecide,
        Action::ConsentRead,
        Action::OutboxRead,
        Action::OutboxRetry,
        Action::OperatorRead,
        Action::OperatorCreate,
        Action::OperatorSetRole,
        Action::OperatorDisable,
        Action::OperatorEnable,
        Action::OperatorResetMfa,
        Action::SubjectExport,
        Action::SubjectErase,
    ];

    /// The stable name used in audit details and error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::AuditRead => "audit.read",
            Action::AuditVerify => "audit.verify",
            Action::PairingRead => "pairing.read",
            Action::PairingDecide => "pairing.decide",
            Action::AllowlistRead => "allowlist.read",
            Action::AllowlistWrite => "allowlist.write",
            Action::VendorRead => "vendor.read",
            Action::VendorWrite => "vendor.write",
            Action::OfferRead => "offer.read",
            Action::OfferReveal => "offer.reveal",
            Action::OfferDecide => "offer.decide",
            Action::ConsentRead => "consent.read",
            Action::OutboxRead => "outbox.read",
            Action::OutboxRetry => "outbox.retry",
            Action::OperatorRead => "operator.read",
            Action::OperatorCreate => "operator.create",
            Action::OperatorSetRole => "operator.set_role",
            Action::OperatorDisable => "operator.disable",
            Action::OperatorEnable => "operator.enable",
            Action::OperatorResetMfa => "operator.reset_mfa",
            Action::SubjectExport => "subject.export",
            Action::SubjectErase => "subject.erase",
        }
    }

    /// Whether the action changes state. Verifying the audit chain, exporting a subject's data
    /// and revealing an offer's contact change nothing, so they are not writes; revealing is still
    /// kept from auditors by the role table, since it shows text.
    pub fn is_write(self) -> bool {
        match self {
            Action::AuditRead
            | Action::AuditVerify
            | Action::PairingRead
            | Action::AllowlistRead
            | Action::VendorRead
            | Action::OfferRead
            | Action::OfferReveal
            | Action::ConsentRead
            | Action::OutboxRead
            | Action::OperatorRead
            | Action::SubjectExport => false,
            Action::PairingDecide
            | Action::AllowlistWrite
            | Action::VendorWrite
            | Action::OfferDecide
            | Action::OutboxRetry
            | Action::OperatorCreate
            | Action::OperatorSetRole
            | Action::OperatorDisable
            | Action::OperatorEnable
            | Action::OperatorResetMfa
            | Action::SubjectErase => true,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an action is applied to, as far as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// No resource-level rule applies (lists, global actions).
    Any,
    /// An operator account: its id, its current role, the role it would get (for SetRole), and
    /// how many enabled owners exist now.
    Account {
        id: OperatorId,
        role: Role,
        new_role: Option<Role>,
        enabled_owners: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("the {role} role may not {action}")]
    RoleLacks { role: Role, action: Action },
    #[error("the last enabled owner cannot be disabled or demoted")]
    LastOwner,
    #[error("this action applies to your own account only")]
    NotYourAccount,
}

/// The single authorization decision: the role table first, then the resource rules.
///
/// The last-owner rule binds owners too (and so an owner acting on themselves): without an
/// enabled owner nobody can manage accounts any more, and recovering would need database surgery.
pub fn authorize(actor: &Actor, action: Action, resource: &Resource) -> Result<(), Denied> {
    if !actor.role.allows(action) {
        return Err(Denied::RoleLacks {
            role: actor.role,
            action,
        });
    }
    if let Resource::Account {
        role: Role::Owner,
        new_role,
        enabled_owners,
        ..
    } = *resource
    {
        let removes_an_owner = match action {
            Action::OperatorDisable => true,
            Action::OperatorSetRole => new_role.is_some_and(|r| r != Role::Owner),
            _ => false,
        };
        if removes_an_owner && enabled_owners <= 1 {
            return Err(Denied::LastOwner);
        }
    }
    Ok(())
}

/// For self-service actions (changing one's own password, enrolling one's own TOTP): the account
/// acted on must be the caller's, whatever the role.
pub fn ensure_own_account(actor: &Actor, account: OperatorId) -> Result<(), Denied> {
    if actor.id == account {
        Ok(())
    } else {
        Err(Denied::NotYourAccount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    const OWNER: Actor = Actor {
        id: OperatorId(1),
        role: Role::Owner,
    };

    /// The expected policy, written out by hand: (action, owner, operator, auditor).
    const EXPECTED: [(Action, bool, bool, bool); 22] = [
        (AuditRead, true, true, true),
        (AuditVerify, true, true, true),
        (PairingRead, true, true, true),
        (PairingDecide, true, true, false),
        (AllowlistRead, true, true, true),
        (AllowlistWrite, true, true, false),
        (VendorRead, true, true, true),
        (VendorWrite, true, true, false),
        (OfferRead, true, true, true),
        (OfferReveal, true, true, false),
        (OfferDecide, true, true, false),
        (ConsentRead, true, true, true),
        (OutboxRead, true, true, true),
        (OutboxRetry, true, true, false),
        (OperatorRead, true, true, true),
        (OperatorCreate, true, false, false),
        (OperatorSetRole, true, false, false),
        (OperatorDisable, true, false, false),
        (OperatorEnable, true, false, false),
        (OperatorResetMfa, true, false, false),
        (SubjectExport, true, false, true),
        (SubjectErase, true, false, false),
    ];

    #[test]
    fn every_role_and_action_matches_the_written_policy() {
        assert_eq!(EXPECTED.len(), Action::ALL.len());
        for action in Action::ALL {
            let &(_, owner, operator, auditor) = EXPECTED
                .iter()
                .find(|row| row.0 == action)
                .unwrap_or_else(|| panic!("{action} missing from the expected table"));
            for (role, allowed) in [
                (Role::Owner, owner),
                (Role::Operator, operator),
                (Role::Auditor, auditor),
            ] {
                let actor = Actor {
                    id: OperatorId(7),
                    role,
                };
                let got = authorize(&actor, action, &Resource::Any);
                if allowed {
                    assert_eq!(got, Ok(()), "{role} should be allowed {action}");
                } else {
                    assert_eq!(
                        got,
                        Err(Denied::RoleLacks { role, action }),
                        "{role} should be denied {action}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_auditor_is_never_allowed_a_write_or_a_reveal() {
        let auditor = Actor {
            id: OperatorId(3),
            role: Role::Auditor,
        };
        for action in Action::ALL {
            if action.is_write() || action == OfferReveal {
                assert!(
                    authorize(&auditor, action, &Resource::Any).is_err(),
                    "{action}"
                );
            }
        }
    }

    #[test]
    fn an_operator_cannot_change_any_account_even_its_own() {
        let operator = Actor {
            id: OperatorId(5),
            role: Role::Operator,
        };
        let own = Resource::Account {
            id: OperatorId(5),
            role: Role::Operator,
            new_role: Some(Role::Owner),
            enabled_owners: 3,
        };
        for action in [
            OperatorCreate,
            OperatorSetRole,
            OperatorDisable,
            OperatorEnable,
            OperatorResetMfa,
        ] {
            assert!(matches!(
                authorize(&operator, action, &own),
                Err(Denied::RoleLacks { .. })
            ));
        }
    }

    fn owner_account(id: i64, new_role: Option<Role>, enabled_owners: u32) -> Resource {
        Resource::Account {
            id: OperatorId(id),
            role: Role::Owner,
            new_role,
            enabled_owners,
        }
    }

    #[test]
    fn the_last_enabled_owner_cannot_be_disabled_even_by_themselves() {
        let other = owner_account(2, None, 1);
        let me = owner_account(1, None, 1);
        assert_eq!(
            authorize(&OWNER, OperatorDisable, &other),
            Err(Denied::LastOwner)
        );
        assert_eq!(
            authorize(&OWNER, OperatorDisable, &me),
            Err(Denied::LastOwner)
        );
        assert_eq!(
            authorize(&OWNER, OperatorDisable, &owner_account(1, None, 0)),
            Err(Denied::LastOwner)
        );
    }

    #[test]
    fn the_last_enabled_owner_cannot_be_demoted_to_any_other_role() {
        for new_role in [Role::Operator, Role::Auditor] {
            assert_eq!(
                authorize(
                    &OWNER,
                    OperatorSetRole,
                    &owner_account(1, Some(new_role), 1)
                ),
                Err(Denied::LastOwner)
            );
        }
        // Setting an owner to owner removes nobody.
        assert_eq!(
            authorize(
                &OWNER,
                OperatorSetRole,
                &owner_account(1, Some(Role::Owner), 1)
            ),
            Ok(())
        );
    }

    #[test]
    fn an_owner_may_be_disabled_or_demoted_while_another_owner_remains() {
        assert_eq!(
            authorize(&OWNER, OperatorDisable, &owner_account(1, None, 2)),
            Ok(())
        );
        assert_eq!(
            authorize(
                &OWNER,
                OperatorSetRole,
                &owner_account(2, Some(Role::Auditor), 2)
            ),
            Ok(())
        );
    }

    #[test]
    fn the_last_owner_rule_does_not_block_other_accounts_or_actions() {
        let operator_account = Resource::Account {
            id: OperatorId(9),
            role: Role::Operator,
            new_role: Some(Role::Auditor),
            enabled_owners: 1,
        };
        assert_eq!(
            authorize(&OWNER, OperatorDisable, &operator_account),
            Ok(())
        );
        assert_eq!(
            authorize(&OWNER, OperatorSetRole, &operator_account),
            Ok(())
        );
        assert_eq!(
            authorize(&OWNER, OperatorResetMfa, &owner_account(1, None, 1)),
            Ok(())
        );
    }

    #[test]
    fn self_service_is_refused_on_someone_elses_account() {
        assert_eq!(ensure_own_account(&OWNER, OperatorId(1)), Ok(()));
        assert_eq!(
            ensure_own_account(&OWNER, OperatorId(2)),
            Err(Denied::NotYourAccount)
        );
    }

    #[test]
    fn role_names_round_trip_and_reject_near_misses() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        for bad in ["Owner", "owner ", "admin", ""] {
            assert_eq!(Role::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn mfa_is_required_for_every_role_and_auditors_see_no_text() {
        assert!(Role::ALL.into_iter().all(Role::requires_mfa));
        assert!(Role::Owner.may_read_text());
        assert!(Role::Operator.may_read_text());
        assert!(!Role::Auditor.may_read_text());
    }

    #[test]
    fn action_names_are_unique() {
        let names: std::collections::HashSet<_> = Action::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), Action::ALL.len());
    }
}
