//! Assertions shared by the leak checks.

/// Asserts that none of `needles` occurs in `haystack`, naming the needle (not the haystack's
/// neighbourhood, which may be large) and where it was found.
pub fn assert_absent(haystack: &str, needles: &[String], what: &str) {
    for needle in needles {
        if let Some(at) = haystack.find(needle.as_str()) {
            let start = haystack[..at]
                .char_indices()
                .rev()
                .nth(120)
                .map_or(0, |(i, _)| i);
            let end = haystack[at..]
                .char_indices()
                .nth(needle.len() + 120)
                .map_or(haystack.len(), |(i, _)| at + i);
            panic!(
                "{what} contains {needle:?}; context:\n{}",
                &haystack[start..end]
            );
        }
    }
}
