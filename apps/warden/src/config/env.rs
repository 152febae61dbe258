//! The one reader every configuration variable goes through.

use std::path::PathBuf;

use secrecy::SecretString;
use warden_types::PhoneNumber;

use super::vars::{SecretVar, Var};
use super::ConfigError;

/// Wraps the variable lookup. It takes only declared variables ([`super::vars`]), so each one
/// read is known, and keeps every secret it returns, so each one is redacted: a new secret
/// setting cannot be forgotten in a second list.
pub(super) struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    secrets: Vec<SecretString>,
}

impl<'a> Env<'a> {
    pub(super) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            lookup,
            secrets: Vec::new(),
        }
    }

    /// Every secret value read so far, for exact-match redaction.
    pub(super) fn into_secrets(self) -> Vec<SecretString> {
        self.secrets
    }

    /// The value as set.
    pub(super) fn get(&self, var: Var) -> Option<String> {
        (self.lookup)(var.name())
    }

    /// The value as set, unless it is blank.
    pub(super) fn non_blank(&self, var: Var) -> Option<String> {
        self.get(var).filter(|v| !v.trim().is_empty())
    }

    /// The trimmed value, unless it is blank.
    pub(super) fn trimmed(&self, var: Var) -> Option<String> {
        self.get(var)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn required(&self, var: Var) -> Result<String, ConfigError> {
        self.required_name(var.name())
    }

    fn required_name(&self, name: &'static str) -> Result<String, ConfigError> {
        (self.lookup)(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or(ConfigError::Missing(name))
    }

    /// Whether the secret is set, in either form.
    pub(super) fn is_set(&self, var: SecretVar) -> bool {
        let set = |name| (self.lookup)(name).is_some_and(|v| !v.trim().is_empty());
        set(var.name()) || set(var.file())
    }

    /// `true` or `false`; unset or blank is `false`.
    pub(super) fn flag(&self, var: Var) -> Result<bool, ConfigError> {
        match self.get(var).as_deref().map(str::trim) {
            None | Some("") | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(ConfigError::Invalid {
                var: var.name(),
                why: "expected true or false".into(),
            }),
        }
    }

    pub(super) fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy>(
        &self,
        var: Var,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, ConfigError> {
        let Some(raw) = self.get(var) else {
            return Ok(default);
        };
        let n: T = raw.trim().parse().map_err(|_| ConfigError::Invalid {
            var: var.name(),
            why: "not a whole number".into(),
        })?;
        if !range.contains(&n) {
            return Err(ConfigError::Invalid {
                var: var.name(),
                why: format!("must be between {} and {}", range.start(), range.end()),
            });
        }
        Ok(n)
    }

    /// An optional E.164 number that libphonenumber knows as valid; the error names the
    /// variable, never the value.
    pub(super) fn phone(&self, var: Var) -> Result<Option<PhoneNumber>, ConfigError> {
        self.non_blank(var)
            .map(|raw| {
                let why = match PhoneNumber::parse(raw.trim()) {
                    Ok(n) if super::phone::is_valid(&n) => return Ok(n),
                    Ok(_) => "not a valid phone number".to_owned(),
                    Err(e) => format!("not an E.164 number: {e}"),
                };
                Err(ConfigError::Invalid {
                    var: var.name(),
                    why,
                })
            })
            .transpose()
    }

    /// A required secret, from its file when `NAME_FILE` is set; kept for redaction.
    pub(super) fn secret(&mut self, var: SecretVar) -> Result<SecretString, ConfigError> {
        let value = match self.file_value(var)? {
            Some(value) => value,
            None => self.required_name(var.name())?,
        };
        Ok(self.keep(value))
    }

    /// An optional secret with a default (which is kept for redaction like any value).
    pub(super) fn secret_or(
        &mut self,
        var: SecretVar,
        default: &str,
    ) -> Result<SecretString, ConfigError> {
        let value = match self.file_value(var)? {
            Some(value) => value,
            None => (self.lookup)(var.name()).unwrap_or_else(|| default.to_owned()),
        };
        Ok(self.keep(value))
    }

    /// An optional secret, from its file when `NAME_FILE` is set; kept for redaction.
    pub(super) fn optional_secret(
        &mut self,
        var: SecretVar,
    ) -> Result<Option<SecretString>, ConfigError> {
        let value = match self.file_value(var)? {
            Some(value) => Some(value),
            None => (self.lookup)(var.name()).filter(|v| !v.trim().is_empty()),
        };
        Ok(value.map(|v| self.keep(v)))
    }

    fn keep(&mut self, value: String) -> SecretString {
        let secret = SecretString::from(value);
        self.secrets.push(secret.clone());
        secret
    }

    /// The trimmed content of the file `NAME_FILE` names, if it is set.
    fn file_value(&self, var: SecretVar) -> Result<Option<String>, ConfigError> {
        let Some(path) = (self.lookup)(var.file()).filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        let raw =
            std::fs::read_to_string(PathBuf::from(path)).map_err(|source| ConfigError::File {
                var: var.file(),
                source,
            })?;
        let value = raw.trim().to_owned();
        if value.is_empty() {
            return Err(ConfigError::Invalid {
                var: var.file(),
                why: "file is empty".into(),
            });
        }
        Ok(Some(value))
    }
}
