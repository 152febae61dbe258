//! Single-use recovery codes for an operator who lost their authenticator. Shown once, stored
//! only as SHA-256: 50 random bits each are far beyond online guessing (login lockout applies),
//! and a fast hash suffices because a code is random, not chosen by a person.

use secrecy::SecretString;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const RECOVERY_CODES: usize = 10;

/// Crockford's base32 alphabet, lower case: no `i`, `l`, `o` or `u`, so nothing reads as `1`/`0`.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const CODE_CHARS: usize = 10;

/// The stored form: hex SHA-256 of the normalised code (no dash).
fn hash_normalised(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// From 10 × 10 random bytes: codes like `k7q3m-2xp9a` (10 base32 characters, 50 bits each).
/// Returns the codes to show once and their hashes to store, in the same order.
pub fn generate(random: [[u8; 10]; RECOVERY_CODES]) -> (Vec<SecretString>, Vec<String>) {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(RECOVERY_CODES);
    for bytes in random {
        let mut head = [0u8; 8];
        head[..7].copy_from_slice(&bytes[..7]);
        // The top 50 of the first 56 bits, five at a time.
        let bits = u64::from_be_bytes(head);
        let plain: String = (0..CODE_CHARS)
            .map(|i| {
                let idx = ((bits >> (59 - 5 * i)) & 0x1f) as usize;
                char::from(ALPHABET[idx])
            })
            .collect();
        hashes.push(hash_normalised(&plain));
        codes.push(SecretString::from(format!(
            "{}-{}",
            &plain[..5],
            &plain[5..]
        )));
    }
    (codes, hashes)
}

/// Lower case, without spaces or dashes, with Crockford's look-alikes folded (`o`→`0`,
/// `i`/`l`→`1`), so a code read aloud or retyped from paper still matches.
fn normalise(code: &str) -> Option<String> {
    let plain: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect();
    let valid = plain.len() == CODE_CHARS && plain.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(plain)
}

/// Normalises (case, spaces, dashes) and returns the index of the matching unused hash.
/// Every stored hash is compared, in constant time, so timing does not reveal which one matched.
pub fn find(code: &str, hashes: &[String]) -> Option<usize> {
    let hashed = hash_normalised(&normalise(code)?);
    let mut found = None;
    for (i, stored) in hashes.iter().enumerate() {
        if bool::from(stored.as_bytes().ct_eq(hashed.as_bytes())) {
            found = found.or(Some(i));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn random() -> [[u8; 10]; RECOVERY_CODES] {
        let mut r = [[0u8; 10]; RECOVERY_CODES];
        for (i, row) in r.iter_mut().enumerate() {
            for (j, b) in row.iter_mut().enumerate() {
                *b = (i * 31 + j * 17 + 5) as u8;
            }
        }
        r
    }

    #[test]
    fn ten_codes_of_the_documented_shape_and_their_hashes() {
        let (codes, hashes) = generate(random());
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(hashes.len(), RECOVERY_CODES);
        for c in &codes {
            let c = c.expose_secret();
            assert_eq!(c.len(), 11, "{c}");
            assert_eq!(&c[5..6], "-");
            assert!(c
                .bytes()
                .filter(|b| *b != b'-')
                .all(|b| ALPHABET.contains(&b)));
        }
        for h in &hashes {
            assert_eq!(h.len(), 64);
            assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }

    #[test]
    fn codes_carry_fifty_bits_each_bit_changes_the_code() {
        // Flipping any one of the first 50 input bits changes the code.
        let base = generate([[0u8; 10]; RECOVERY_CODES]).0[0]
            .expose_secret()
            .to_owned();
        for bit in 0..50 {
            let mut r = [[0u8; 10]; RECOVERY_CODES];
            r[0][bit / 8] ^= 0x80 >> (bit % 8);
            let code = generate(r).0[0].expose_secret().to_owned();
            assert_ne!(code, base, "bit {bit} is not used");
        }
    }

    #[test]
    fn each_code_finds_its_own_index() {
        let (codes, hashes) = generate(random());
        for (i, c) in codes.iter().enumerate() {
            assert_eq!(find(c.expose_secret(), &hashes), Some(i));
        }
    }

    #[test]
    fn codes_match_despite_case_spaces_dashes_and_look_alikes() {
        let (codes, hashes) = generate(random());
        let code = codes[3].expose_secret();
        let plain: String = code.chars().filter(|c| *c != '-').collect();
        assert_eq!(find(&plain, &hashes), Some(3));
        assert_eq!(find(&code.to_uppercase(), &hashes), Some(3));
        let spaced = format!(" {} {} ", &plain[..5], &plain[5..]);
        assert_eq!(find(&spaced, &hashes), Some(3));
        let lookalike: String = plain
            .chars()
            .map(|c| match c {
                '0' => 'O',
                '1' => 'l',
                other => other,
            })
            .collect();
        assert_eq!(find(&lookalike, &hashes), Some(3));
    }

    #[test]
    fn a_used_code_whose_hash_was_removed_is_not_found() {
        let (codes, mut hashes) = generate(random());
        let used = find(codes[0].expose_secret(), &hashes).unwrap();
        hashes.remove(used);
        assert_eq!(find(codes[0].expose_secret(), &hashes), None);
        // The others shift down by one but are still found.
        assert_eq!(find(codes[1].expose_secret(), &hashes), Some(0));
    }

    #[test]
    fn wrong_or_malformed_codes_are_not_found() {
        let (_, hashes) = generate(random());
        for bad in [
            "",
            "k7q3m-2xp9",
            "k7q3m-2xp9aa",
            "k7q3m-2xp9u",
            "zzzzz-zzzzz",
        ] {
            assert_eq!(find(bad, &hashes), None, "{bad}");
        }
    }

    #[test]
    fn hashes_are_sha256_of_the_code_without_its_dash() {
        let (codes, hashes) = generate(random());
        let plain: String = codes[0]
            .expose_secret()
            .chars()
            .filter(|c| *c != '-')
            .collect();
        assert_eq!(hashes[0], hex::encode(Sha256::digest(plain.as_bytes())));
    }
}
