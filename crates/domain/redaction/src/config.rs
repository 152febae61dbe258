//! What a [`crate::Redactor`] is built from.

use std::fmt;
use std::str::FromStr;

use secrecy::SecretString;

/// How a phone number found in text is rewritten.
#[derive(Debug, Clone, Default)]
pub enum PhoneMask {
    /// `+44 ••• ••• ••89`: the country calling code (when known) and the last two digits, always
    /// in the same shape so the mask does not reveal the number's length or format.
    #[default]
    KeepCountryAndLast2,
    /// `phone#3fa1b2c4d5`: the first 40 bits of HMAC-SHA256(key, E.164 number), hex. The same
    /// number gives the same pseudonym in every format it was written in (when its country is
    /// known), so log lines about one person can be correlated without naming them.
    Pseudonym {
        /// Keep it secret and stable: anyone holding it can confirm a guessed number.
        key: SecretString,
    },
}

/// Settings of a [`crate::Redactor`].
#[derive(Debug, Clone, Default)]
pub struct RedactionConfig {
    /// How phone numbers are masked.
    pub phone_mask: PhoneMask,
    /// Every secret the app was configured with (provider tokens, signing keys, database
    /// passwords). Each is removed wherever it appears verbatim or percent-encoded. Values shorter
    /// than [`crate::Redactor::MIN_KNOWN_SECRET_LEN`] bytes are ignored: masking every `1234`
    /// would make logs unreadable and protects nothing.
    pub known_secrets: Vec<SecretString>,
    /// The country whose national formats (`020 7946 0958` for GB) are validated against its
    /// numbering plan. Numbers written with `+` or `00` need no region. Without one, national
    /// numbers are still caught by shape (trunk `0`, `(area) 123-4567`, phone words nearby), only
    /// less exhaustively.
    pub default_region: Option<Region>,
}

/// A country or region of the numbering plan, by its ISO 3166 alpha-2 code (`GB`, `DE`, `US`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region(pub(crate) phonenumber::country::Id);

impl Region {
    /// Parses an ISO 3166 alpha-2 code, case-insensitively.
    ///
    /// # Errors
    /// [`UnknownRegion`] when libphonenumber has no numbering plan for the code.
    pub fn parse(code: &str) -> Result<Self, UnknownRegion> {
        phonenumber::country::Id::from_str(&code.trim().to_ascii_uppercase())
            .map(Region)
            .map_err(|_| UnknownRegion)
    }

    /// The country of an international number (`+447700900123` → GB), as a hint for reading
    /// the national numbers its owner writes: the main country of its calling code (`+1` → US).
    /// `None` when the text is not `+` and a known calling code.
    #[must_use]
    pub fn of_number(e164: &str) -> Option<Self> {
        let digits = e164.strip_prefix('+')?;
        let code = crate::phone::country_code_of(digits)?;
        let regions = phonenumber::metadata::DATABASE.by_code(&code)?;
        let main = regions
            .iter()
            .find(|m| m.is_main_country_for_code())
            .or_else(|| regions.first())?;
        Self::parse(main.id()).ok()
    }

    /// The ISO 3166 alpha-2 code.
    #[must_use]
    pub fn code(&self) -> &str {
        self.0.as_ref()
    }
}

impl FromStr for Region {
    type Err = UnknownRegion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.code())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The region code names no numbering plan known to libphonenumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown region code: expected an ISO 3166 alpha-2 code such as GB or US")]
pub struct UnknownRegion;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_gives_the_country_of_its_calling_code() {
        let code = |n: &str| Region::of_number(n).map(|r| r.code().to_owned());
        assert_eq!(code("+447700900123").as_deref(), Some("GB"));
        assert_eq!(code("+14155550101").as_deref(), Some("US"));
        assert_eq!(code("+61412345678").as_deref(), Some("AU"));
        assert_eq!(code("447700900123"), None);
        assert_eq!(code("+999123456789"), None);
    }

    #[test]
    fn region_parses_case_insensitively_and_rejects_unknown_codes() {
        assert_eq!(
            Region::parse("gb").map(|r| r.code().to_owned()),
            Ok("GB".to_owned())
        );
        assert_eq!(Region::parse("ZZ"), Err(UnknownRegion));
        assert_eq!(Region::parse(""), Err(UnknownRegion));
    }
}
