//! Adversarial single-line inputs for the `linear` benches of the guard, the redactor and the
//! output guard (issue 16): shapes that make a detector re-scan from every start position if it
//! can. Shared by path (`#[path = …]`) so every crate measures the same bytes.

/// The sizes every shape is measured at: 1 KB, 100 KB, 1 MB, 10 MB.
pub const SIZES: [(&str, usize); 4] = [
    ("1KB", 1_000),
    ("100KB", 100_000),
    ("1MB", 1_000_000),
    ("10MB", 10_000_000),
];

/// `(name, unit)`: each shape is its unit repeated to the size (cut on a char boundary).
pub const SHAPES: [(&str, Unit); 11] = [
    // Single digits and spaces: the guard's spaced-letter joiner and the phone span reader.
    ("digit_space", Unit::Fixed("1 3 5 7 0 ")),
    // Digit groups and spaces that look like phone numbers to every span reader.
    ("digit_groups", Unit::Fixed("0612 345 678 91 2345 67 ")),
    ("plus_one", Unit::Fixed("+1 ")),
    ("plus_run", Unit::Fixed("+")),
    ("digits", Unit::Fixed("4915123456789")),
    ("base64", Unit::Base64),
    (
        "url",
        Unit::Fixed("https://example.com/a/b.c?d=e&f=g%2B1-h_i.j/"),
    ),
    ("brackets", Unit::Fixed("([{<")),
    ("spaced_letters", Unit::Fixed("i g n o r e 1 ")),
    // Half an e-mail address and half a key/value pair, over and over: the secret patterns.
    ("email_ish", Unit::Fixed("a.b@c.d-")),
    ("pairs", Unit::Fixed("token=Bearer x://u:")),
];

/// How a shape's bytes are made.
#[derive(Clone, Copy)]
pub enum Unit {
    /// This text, repeated.
    Fixed(&'static str),
    /// Base64 of pseudo-random bytes (a fixed seed): one unbroken token run.
    Base64,
}

/// `unit` repeated to exactly `size` bytes (ASCII, so any cut is a char boundary).
#[must_use]
pub fn make(unit: Unit, size: usize) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(size);
    match unit {
        Unit::Fixed(text) => {
            while out.len() < size {
                out.push_str(text);
            }
        }
        Unit::Base64 => {
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
            while out.len() < size {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                out.push(char::from(B64[(x % 64) as usize]));
            }
        }
    }
    out.truncate(size);
    out
}
