//! The people in the tests: fictional numbers, and every spelling of them that must never be
//! stored or logged.

use warden_types::PhoneNumber;

/// A test person: the E.164 number and the national significant number (what a human would
/// type without the country code), both of which must never be stored or logged.
#[derive(Debug, Clone, Copy)]
pub struct Person {
    pub e164: &'static str,
    pub national: &'static str,
    /// With the national trunk prefix, as written locally (empty where there is none).
    pub local: &'static str,
}

/// Fictional numbers from ranges reserved for drama/testing, except Bob's: the UK drama range
/// (07700 900…) is not a valid number to libphonenumber, and configured allowlists must hold
/// valid numbers, so Bob has one from a valid mobile range. No test dials anyone: every
/// provider is a local mock.
pub const ALICE: Person = Person {
    e164: "+14155550101",
    national: "4155550101",
    local: "",
};
pub const BOB: Person = Person {
    e164: "+447400900123",
    national: "7400900123",
    local: "07400900123",
};
pub const CAROL: Person = Person {
    e164: "+61491570156",
    national: "491570156",
    local: "0491570156",
};
pub const EVERYONE: [Person; 3] = [ALICE, BOB, CAROL];

impl Person {
    pub fn phone(&self) -> PhoneNumber {
        PhoneNumber::parse(self.e164).unwrap_or_else(|e| panic!("test number is E.164: {e}"))
    }

    /// Every spelling of the number a leak could take.
    pub fn needles(&self) -> Vec<&'static str> {
        let mut out = vec![self.e164, &self.e164[1..], self.national];
        if !self.local.is_empty() {
            out.push(self.local);
        }
        out
    }
}

/// Every phone-number spelling of every test person.
pub fn phone_needles() -> Vec<String> {
    EVERYONE
        .iter()
        .flat_map(Person::needles)
        .map(str::to_owned)
        .collect()
}
