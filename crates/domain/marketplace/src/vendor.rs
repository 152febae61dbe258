//! Vendors: businesses an operator registered. Clients never register vendors and vendors never
//! register themselves.

use std::fmt;

use warden_audit::{AuditEvent, Detail, EventKind};
use warden_types::PhoneNumber;

use crate::tags::TagSet;
use crate::text::{screen, TextError};

/// The store's id of a vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VendorId(pub i64);

impl fmt::Display for VendorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why a business name was refused. Never carries the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BusinessNameError {
    #[error(transparent)]
    Text(#[from] TextError),
    /// Six or more digits, or an `@`: the name could smuggle a phone number or an address to a
    /// client before the client accepted an offer, around the masking.
    #[error("a business name may not contain contact details")]
    ContactDetails,
}

/// The name a client sees for a vendor before accepting an offer: 1..=80 characters, no control,
/// bidi or invisible characters, at most five digits and no `@`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BusinessName(String);

impl BusinessName {
    pub const MAX_CHARS: usize = 80;
    /// More digits than this could spell a phone number.
    pub const MAX_DIGITS: usize = 5;

    pub fn new(raw: &str) -> Result<Self, BusinessNameError> {
        let name = screen(raw, Self::MAX_CHARS)?;
        let digits = name.chars().filter(char::is_ascii_digit).count();
        if digits > Self::MAX_DIGITS || name.contains('@') {
            return Err(BusinessNameError::ContactDetails);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BusinessName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BusinessName({:?})", self.0)
    }
}

/// A registered vendor, as the store loads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    pub id: VendorId,
    pub business_name: BusinessName,
    /// Where outreach goes. Shown to a client only after they accepted this vendor's offer.
    pub phone: PhoneNumber,
    /// What the vendor offers (`van`, `wheelchair`, `city:lisbon`…).
    pub tags: TagSet,
    /// Inactive vendors are never contacted and their replies are held.
    pub active: bool,
}

/// What an operator did to a vendor, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorChange {
    Registered,
    Updated,
    Deactivated,
    Reactivated,
}

impl VendorChange {
    /// Classifies an operator's edit: `before` is `None` for a new vendor.
    pub fn between(before: Option<&Vendor>, after: &Vendor) -> Self {
        match before {
            None => Self::Registered,
            Some(b) if b.active && !after.active => Self::Deactivated,
            Some(b) if !b.active && after.active => Self::Reactivated,
            Some(_) => Self::Updated,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Updated => "updated",
            Self::Deactivated => "deactivated",
            Self::Reactivated => "reactivated",
        }
    }
}

/// The audit event of an operator's vendor edit: `vendor.changed` with `vendor_id`, `action`,
/// `active`, `tags` (count) and `phone_changed`. Neither the name nor the number is recorded.
pub fn vendor_changed_event(before: Option<&Vendor>, after: &Vendor) -> AuditEvent {
    let change = VendorChange::between(before, after);
    let phone_changed = before.is_some_and(|b| b.phone != after.phone);
    AuditEvent {
        kind: EventKind::VendorChanged,
        sender: None,
        detail: Detail::new()
            .with("vendor_id", after.id)
            .with("action", change.as_str())
            .with("active", after.active)
            .with("tags", after.tags.len())
            .with("phone_changed", phone_changed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tags::Tag;

    fn vendor(active: bool, phone: &str) -> Vendor {
        Vendor {
            id: VendorId(7),
            business_name: BusinessName::new("Lisboa Vans").unwrap(),
            phone: PhoneNumber::parse(phone).unwrap(),
            tags: [Tag::new("van").unwrap()].into_iter().collect(),
            active,
        }
    }

    #[test]
    fn business_name_cannot_smuggle_a_phone_number_or_email() {
        assert!(BusinessName::new("Taxi 24").is_ok());
        assert_eq!(
            BusinessName::new("Call 912345678"),
            Err(BusinessNameError::ContactDetails)
        );
        assert_eq!(
            BusinessName::new("vans@example.com"),
            Err(BusinessNameError::ContactDetails)
        );
        assert!(BusinessName::new("Vans\u{202E}").is_err());
        assert!(BusinessName::new(&"a".repeat(81)).is_err());
    }

    #[test]
    fn vendor_change_audit_names_no_number() {
        let before = vendor(true, "+351912345678");
        let after = vendor(false, "+351912345679");
        let e = vendor_changed_event(Some(&before), &after);
        assert_eq!(e.kind, EventKind::VendorChanged);
        assert_eq!(e.detail.get("action"), Some("deactivated"));
        assert_eq!(e.detail.get("phone_changed"), Some("true"));
        assert!(!e.detail.encode().contains("91234"));
        assert_eq!(
            vendor_changed_event(None, &after).detail.get("action"),
            Some("registered")
        );
    }
}
