//! Operator passwords: what we accept (NIST SP 800-63B style: length and a blocklist, no
//! composition rules) and how we store them (argon2id with OWASP's parameters).

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretSlice};

/// Mark Burnett's 10,000 most common passwords, as SecLists ships them; provenance and licence in
/// `data/README.md`.
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// The acceptance rule for a new password.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {min} characters")]
    TooShort { min: usize },
    #[error("the password must have at most {max} characters")]
    TooLong { max: usize },
    #[error("the password is one of the most common passwords")]
    Common,
    #[error("the password must not be the username")]
    SameAsUsername,
}

impl PasswordPolicy {
    /// Length in characters (not bytes, so a passphrase in any script counts fairly), then the
    /// common-password list and the username, both compared trimmed and case-insensitively:
    /// `" Password1 "` is as guessable as `password1`.
    pub fn check(password: &str, username: &str) -> Result<(), PasswordError> {
        let chars = password.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(PasswordError::TooShort {
                min: PASSWORD_MIN_CHARS,
            });
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(PasswordError::TooLong {
                max: PASSWORD_MAX_CHARS,
            });
        }
        let folded = password.trim().to_lowercase();
        if common_passwords().contains(folded.as_str()) || guessable(&folded) {
            return Err(PasswordError::Common);
        }
        if folded == username.trim().to_lowercase() {
            return Err(PasswordError::SameAsUsername);
        }
        Ok(())
    }
}

/// Keyboard and alphabet runs: a password inside one is as good as a listed one.
const RUNS: &[&str] = &[
    "012345678901234567890123456789",
    "987654321098765432109876543210",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
];

/// What guessers try right after the list: a listed password padded with digits and symbols
/// (`Password!2024`), one doubled (`passwordpassword`), a run (`123456789012`), or a few
/// characters repeated (`abababababab`). The list alone holds only ten passwords of 12 or more
/// characters, so without this the length rule would make it nearly useless.
fn guessable(folded: &str) -> bool {
    let distinct: std::collections::HashSet<char> = folded.chars().collect();
    if distinct.len() < 5 {
        return true;
    }
    if RUNS.iter().any(|run| run.contains(folded)) {
        return true;
    }
    let list = common_passwords();
    let core = folded.trim_matches(|c: char| !c.is_alphabetic());
    if core.chars().count() >= 4 {
        if list.contains(core) {
            return true;
        }
        let half = core.len() / 2;
        if core.len() % 2 == 0 && core.is_char_boundary(half) {
            let (a, b) = core.split_at(half);
            if a == b && list.contains(a) {
                return true;
            }
        }
    }
    false
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("argon2 rejected its parameters or secret: {0}")]
    Argon2(argon2::Error),
    #[error("argon2 hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
}

/// OWASP's argon2id minimum (2024): 19 MiB, two passes, one lane.
const M_COST_KIB: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

/// Hashes with argon2id; the optional pepper is argon2's secret input, kept out of the database,
/// so a stolen table alone cannot be cracked offline.
pub struct PasswordHasher {
    pepper: Option<SecretSlice<u8>>,
    params: Params,
    /// A hash of a fixed password, verified against when the user does not exist, so an unknown
    /// username costs as much time as a wrong password. Made on first use, not at start-up: a
    /// gateway that never serves a login never allocates argon2's 19 MiB (after which glibc
    /// keeps more freed memory resident, see `apps/warden/tests/edge_dos.rs`).
    dummy: std::sync::OnceLock<String>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("pepper", &self.pepper.as_ref().map(|_| "[redacted]"))
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    pub fn new(pepper: Option<SecretSlice<u8>>) -> Result<Self, HashError> {
        let params = Params::new(M_COST_KIB, T_COST, P_COST, None).map_err(HashError::Argon2)?;
        let hasher = Self {
            pepper,
            params,
            dummy: std::sync::OnceLock::new(),
        };
        // Fails now, not at the first login, if argon2 refuses the parameters or the pepper.
        hasher.argon2()?;
        Ok(hasher)
    }

    fn dummy(&self) -> &str {
        self.dummy.get_or_init(|| {
            self.hash("warden dummy password for unknown users", [0x5a; 16])
                .unwrap_or_default()
        })
    }

    fn argon2(&self) -> Result<Argon2<'_>, HashError> {
        let params = self.params.clone();
        match &self.pepper {
            Some(pepper) => Argon2::new_with_secret(
                pepper.expose_secret(),
                Algorithm::Argon2id,
                Version::V0x13,
                params,
            )
            .map_err(HashError::Argon2),
            None => Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params)),
        }
    }

    /// PHC string. `salt` comes from the caller's CSPRNG.
    pub fn hash(&self, password: &str, salt: [u8; 16]) -> Result<String, HashError> {
        let salt = SaltString::encode_b64(&salt).map_err(HashError::Hash)?;
        let hash = self
            .argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(HashError::Hash)?;
        Ok(hash.to_string())
    }

    /// `stored = None` (unknown user): verifies against a fixed dummy hash with the same
    /// parameters so the call costs the same, then returns false. argon2's verify compares the
    /// outputs in constant time.
    ///
    /// The parameters are read from `stored`, so hashes made under older parameters still verify.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let Ok(argon2) = self.argon2() else {
            return false;
        };
        let parsed = stored.and_then(|s| PasswordHash::new(s).ok());
        match parsed {
            Some(hash) => argon2.verify_password(password.as_bytes(), &hash).is_ok(),
            None => {
                // Unknown user or an unreadable stored value: spend the same work, then refuse.
                if let Ok(dummy) = PasswordHash::new(self.dummy()) {
                    let _ = argon2.verify_password(password.as_bytes(), &dummy);
                }
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_list_is_the_full_ten_thousand() {
        assert_eq!(common_passwords().len(), 10_000);
        assert!(common_passwords().contains("password"));
        assert!(common_passwords().contains("unbelievable"));
    }

    #[test]
    fn common_passwords_of_twelve_or_more_are_refused_case_and_space_insensitively() {
        for pw in [
            "unbelievable",
            "Scandinavian",
            "  MOTHERFUCKER ",
            "masterbating",
        ] {
            assert_eq!(
                PasswordPolicy::check(pw, "alice"),
                Err(PasswordError::Common),
                "{pw}"
            );
        }
    }

    #[test]
    fn short_common_passwords_are_refused_as_too_short_first() {
        for pw in ["password", "123456", "qwerty", "password1"] {
            assert!(common_passwords().contains(pw));
            assert_eq!(
                PasswordPolicy::check(pw, "alice"),
                Err(PasswordError::TooShort { min: 12 })
            );
        }
    }

    #[test]
    fn a_strong_password_is_accepted() {
        assert_eq!(
            PasswordPolicy::check("correct horse battery staple", "alice"),
            Ok(())
        );
    }

    #[test]
    fn length_edges_are_eleven_refused_twelve_accepted_128_accepted_129_refused() {
        let pw = |n: usize| {
            "x7Kp!q2Rz9Lm#Vb4Tn8Wc"
                .repeat(7)
                .chars()
                .take(n)
                .collect::<String>()
        };
        assert_eq!(
            PasswordPolicy::check(&pw(11), "alice"),
            Err(PasswordError::TooShort { min: 12 })
        );
        assert_eq!(PasswordPolicy::check(&pw(12), "alice"), Ok(()));
        assert_eq!(PasswordPolicy::check(&pw(128), "alice"), Ok(()));
        assert_eq!(
            PasswordPolicy::check(&pw(129), "alice"),
            Err(PasswordError::TooLong { max: 128 })
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // Twelve characters, 36 bytes: accepted although the bytes alone would be "long".
        let twelve = "我的密码是一个很长的句子";
        assert_eq!(twelve.len(), 36);
        assert_eq!(PasswordPolicy::check(twelve, "alice"), Ok(()));
        // Eleven characters, 33 bytes: still too short.
        let eleven: String = twelve.chars().take(11).collect();
        assert_eq!(
            PasswordPolicy::check(&eleven, "alice"),
            Err(PasswordError::TooShort { min: 12 })
        );
        // 128 four-byte characters pass, 129 do not.
        let keys = "🔑🗝🔐🔒🔓".repeat(26);
        assert_eq!(
            PasswordPolicy::check(&keys.chars().take(128).collect::<String>(), "alice"),
            Ok(())
        );
        assert_eq!(
            PasswordPolicy::check(&"🔑".repeat(129), "alice"),
            Err(PasswordError::TooLong { max: 128 })
        );
    }

    #[test]
    fn the_username_is_refused_as_password_whatever_its_case() {
        assert_eq!(
            PasswordPolicy::check("Alice.Operator", "alice.operator"),
            Err(PasswordError::SameAsUsername)
        );
    }

    #[test]
    fn policy_errors_never_echo_the_password() {
        let secret = "unbelievable";
        let err = PasswordPolicy::check(secret, "alice").unwrap_err();
        assert!(!err.to_string().contains(secret));
        assert!(!format!("{err:?}").contains(secret));
    }

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(None).unwrap()
    }

    #[test]
    fn a_hash_is_argon2id_with_owasp_parameters_and_verifies_only_the_right_password() {
        let h = hasher();
        let phc = h.hash("correct horse battery", [7; 16]).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(h.verify("correct horse battery", Some(&phc)));
        assert!(!h.verify("correct horse batterY", Some(&phc)));
    }

    #[test]
    fn an_unknown_user_never_verifies_not_even_with_the_dummy_password() {
        let h = hasher();
        assert!(!h.verify("warden dummy password for unknown users", None));
        assert!(!h.verify("anything", Some("not a phc string")));
    }

    #[test]
    fn a_peppered_hash_does_not_verify_without_the_pepper() {
        let peppered =
            PasswordHasher::new(Some(SecretSlice::from(b"server-side pepper".to_vec()))).unwrap();
        let phc = peppered.hash("correct horse battery", [9; 16]).unwrap();
        assert!(peppered.verify("correct horse battery", Some(&phc)));
        assert!(!hasher().verify("correct horse battery", Some(&phc)));
        let other =
            PasswordHasher::new(Some(SecretSlice::from(b"another pepper".to_vec()))).unwrap();
        assert!(!other.verify("correct horse battery", Some(&phc)));
    }

    #[test]
    fn the_salt_changes_the_hash() {
        let h = hasher();
        assert_ne!(
            h.hash("correct horse battery", [1; 16]).unwrap(),
            h.hash("correct horse battery", [2; 16]).unwrap()
        );
    }

    #[test]
    fn hasher_debug_shows_no_pepper() {
        let h = PasswordHasher::new(Some(SecretSlice::from(b"pepper-bytes".to_vec()))).unwrap();
        let dbg = format!("{h:?}");
        assert!(dbg.contains("redacted"));
        assert!(!dbg.contains("pepper-bytes"));
        assert!(!dbg.contains("112, 101")); // the bytes of "pe"
    }

    #[test]
    fn a_listed_password_padded_doubled_or_a_keyboard_run_is_still_common() {
        for guessable in [
            "password1234",
            "Password!2024",
            "!!dragon2024!!",
            "passwordpassword",
            "123456789012",
            "qwertyuiopas",
            "aaaaaaaaaaaaaa",
            "abababababab",
        ] {
            assert!(
                matches!(
                    PasswordPolicy::check(guessable, "someone"),
                    Err(PasswordError::Common)
                ),
                "{guessable}"
            );
        }
        for fine in [
            "violet kettle mountain",
            "Tr0ub4dor&3xyz",
            "correct horse battery",
        ] {
            assert!(PasswordPolicy::check(fine, "someone").is_ok(), "{fine}");
        }
    }
}
