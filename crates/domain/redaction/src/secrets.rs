//! Secrets by shape and by value, and e-mail addresses.
//!
//! The patterns are constants compiled once; [`compiled`] reports a pattern that failed to compile
//! so that [`crate::Redactor::new`] fails at start-up instead of letting secrets through.

use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Regex, RegexBuilder};

use crate::redactor::SecretKind;

/// A secret or address found in text, with the bytes that replace it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) range: Range<usize>,
    pub(crate) kind: SecretKind,
    pub(crate) replacement: String,
}

/// The placeholder for a secret value.
pub(crate) fn placeholder(kind: SecretKind) -> String {
    format!("[REDACTED:{}]", kind.as_str())
}

/// Token-shaped secrets: the whole match is replaced.
const TOKEN_PATTERNS: &[(SecretKind, &str)] = &[
    (
        SecretKind::PemPrivateKey,
        // Up to the END line, or to the end of the text when a log line cut the key short.
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\z)",
    ),
    (
        SecretKind::Jwt,
        r"(?-u:\b)eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
    ),
    (SecretKind::MetaAccessToken, r"(?-u:\b)EAA[A-Za-z0-9]{20,}"),
    (SecretKind::GoogleApiKey, r"(?-u:\b)AIza[0-9A-Za-z_-]{35}"),
    (
        SecretKind::GoogleOauthToken,
        r"(?-u:\b)ya29\.[0-9A-Za-z_-]{20,}|(?-u:\b)1//0[0-9A-Za-z_-]{20,}|(?-u:\b)GOCSPX-[0-9A-Za-z_-]{20,}",
    ),
    (
        SecretKind::ProviderToken,
        // GitHub, Slack, Stripe (secret, restricted, webhook), AWS access key ids, GitLab, npm,
        // PyPI, Hugging Face, Shopify, DigitalOcean, Linear, SendGrid, Square, OpenAI,
        // Anthropic, Groq, xAI, age, Mailgun, Mailchimp, Atlassian, Telegram bots: key shapes with
        // a fixed prefix or suffix; Slack and Discord webhook URLs' secret path.
        r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9+/=]{20,}|(?:AKIA|ASIA)[0-9A-Z]{16}|glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{30,}|pypi-[A-Za-z0-9_-]{30,}|hf_[A-Za-z0-9]{30,}|shp(?:at|ss|ca|pa)_[A-Fa-f0-9]{32}|dop_v1_[a-f0-9]{64}|lin_api_[A-Za-z0-9]{30,}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|sq0(?:atp|csp)-[A-Za-z0-9_-]{20,}|sk-(?:proj-|ant-[a-z0-9]+-)?[A-Za-z0-9_-]{20,}|gsk_[A-Za-z0-9]{30,}|xai-[A-Za-z0-9]{30,}|xoxe[.-][A-Za-z0-9.-]{10,}|AGE-SECRET-KEY-1[0-9A-Z]{50,}|key-[0-9a-f]{32}|[0-9a-f]{32}-us[0-9]{1,2}|ATATT3[A-Za-z0-9_=-]{50,}|T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}|[0-9]{17,20}/[A-Za-z0-9_-]{60,68}|[0-9]{8,10}:AA[A-Za-z0-9_-]{33})",
    ),
];

/// `scheme://user:password@host`: only the password is replaced.
const URL_PASSWORD: &str = r"(?-u:\b)[A-Za-z][A-Za-z0-9+.-]{1,30}://[^\s:/@]*:([^\s@/]+)@";

/// `Bearer <token>`, `Basic <base64>`: only the credential is replaced.
const AUTH_SCHEME: &str = r"(?i)(?-u:\b)(?:bearer|basic|token)[ \t]+([A-Za-z0-9._~+/=-]{8,})";

/// `password=…`, `"client_secret": "…"`, `api-key: …`, `DB_PASSWORD=…`, `PGPASSWORD=…`,
/// `STRIPE_SECRET_KEY=…`, `'password' => '…'`, `define('DB_PASSWORD', '…')`:
/// only the value is replaced. A name may carry any `_`/`.`/`-` prefix; a suffix after the
/// secret word (`password_hash`, `token_type`) makes it another field.
const KEY_VALUE: &str = r#"(?i)(?-u:\b)(?:[A-Za-z0-9]+[_.-])*(?:[A-Za-z0-9]*password|[A-Za-z0-9]*passwd|pwd|passphrase|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|app[_-]?secret|token|x-api-key)(?:["']?[ \t]*(?::=|=>|[:=])|["'][ \t]*,)[ \t]*(?:"([^"\r\n]*)"|'([^'\r\n]*)'|([^\s"'&,;}\]]+))"#;

/// Names that often but not always hold a credential (`SIGNING_KEY=`, `MYSQL_PASS=`,
/// `sshpass=`, npm's `_auth=`): their
/// value is masked only when it looks like one ([`credential_like`]), so `sort_key=name`
/// stays. (Both words are pair stems of [`Prescan`], so the pre-scan still decides.)
const WEAK_KEY_VALUE: &str = r#"(?i)(?-u:\b)(?:(?:[A-Za-z0-9]+[_.-])+key|(?:[A-Za-z0-9]+[_.-])*[A-Za-z0-9]*pass|(?:[A-Za-z0-9]+[_.-])*_?auth|(?:[A-Za-z0-9]+[_.-])*sig(?:nature)?)(?:["']?[ \t]*(?::=|=>|[:=])|["'][ \t]*,)[ \t]*(?:"([^"\r\n]*)"|'([^'\r\n]*)'|([^\s"'&,;}\]]+))"#;

/// `<password>…</password>`, `<add key="DbPassword" value="…"/>`: only the value is replaced.
const XML_VALUE: &str = r#"(?i)<(?:[A-Za-z0-9]+[_.-])*(?:password|passwd|pwd|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|auth[_-]?token|access[_-]?token|token)>([^<\r\n]+)</|(?i)(?:key|name)="(?:[A-Za-z0-9]+[_.-]?)*(?:password|passwd|pwd|secret|apikey|api[_-]key|token|connectionstring)"[ \t]+value="([^"\r\n]+)""#;

/// Credentials on a command line: `curl -u user:pw`, `--password pw`, `docker login -p pw`,
/// `mysql -ppw`. Only the credential is replaced.
const CLI_CREDENTIAL: &str = r#"(?:^|[\s'"])(?:-u|--user)[ \t=]+['"]?[^\s:'"@/]+:([^\s'"]+)|(?:^|\s)--(?:password|passwd|pass|token|api-key|secret|client-secret|auth-token)[ \t]+['"]?([^\s'"-][^\s'"]*)|(?-u:\b)(?:login|sshpass)(?-u:\b)[^\n|;&]*?\s-p[ \t]+['"]?([^\s'"]+)|(?-u:\b)(?:mysql|mysqldump|mysqladmin|mariadb)(?-u:\b)[^\n|;&]*?\s-p([^\s'"]+)"#;

/// Long runs of token characters, judged by [`is_high_entropy`].
const TOKEN_RUN: &str = r"[A-Za-z0-9_+/=-]{24,}";

/// E-mail addresses; the local part is replaced.
const EMAIL: &str =
    r"(?-u:\b)([A-Za-z0-9._%+-]+)@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?-u:\b)";

/// Every constant pattern, compiled once.
pub(crate) struct Compiled {
    /// Any token shape or long token run: one pass decides whether the per-kind passes run.
    any_token: Regex,
    /// Any `Bearer …`, `scheme://user:pw@` or `key=value` pair.
    any_pair: Regex,
    tokens: Vec<(SecretKind, Regex)>,
    url_password: Regex,
    auth_scheme: Regex,
    key_value: Regex,
    weak_key_value: Regex,
    xml_value: Regex,
    cli_credential: Regex,
    token_run: Regex,
    email: Regex,
}

fn build(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).size_limit(1 << 22).build()
}

static COMPILED: LazyLock<Result<Compiled, regex::Error>> = LazyLock::new(|| {
    let mut tokens = Vec::with_capacity(TOKEN_PATTERNS.len());
    for (kind, pattern) in TOKEN_PATTERNS {
        tokens.push((*kind, build(pattern)?));
    }
    let mut token_shapes: Vec<&str> = TOKEN_PATTERNS.iter().skip(1).map(|(_, p)| *p).collect();
    token_shapes.push(TOKEN_RUN);
    let any_token = build(
        &token_shapes
            .iter()
            .map(|p| format!("(?:{p})"))
            .collect::<Vec<_>>()
            .join("|"),
    )?;
    let any_pair = build(&format!(
        "(?:{AUTH_SCHEME})|(?:{URL_PASSWORD})|(?:{KEY_VALUE})|(?:{WEAK_KEY_VALUE})"
    ))?;
    Ok(Compiled {
        any_token,
        any_pair,
        tokens,
        url_password: build(URL_PASSWORD)?,
        auth_scheme: build(AUTH_SCHEME)?,
        key_value: build(KEY_VALUE)?,
        weak_key_value: build(WEAK_KEY_VALUE)?,
        xml_value: build(XML_VALUE)?,
        cli_credential: build(CLI_CREDENTIAL)?,
        token_run: build(TOKEN_RUN)?,
        email: build(EMAIL)?,
    })
});

/// The compiled patterns, or the error of the first that did not compile.
pub(crate) fn compiled() -> Result<&'static Compiled, &'static regex::Error> {
    COMPILED.as_ref()
}

/// Cheap facts about a text that decide which detectors can possibly match.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Prescan {
    pub(crate) digits: usize,
    pub(crate) at_sign: bool,
    pub(crate) colon_or_equals: bool,
    pub(crate) longest_token: usize,
    /// A word that every `Bearer …`/`key=value`/`scheme://user:pw@` pattern contains.
    pub(crate) pair_hint: bool,
    /// A word of [`PROSE_STEMS`]: with [`Prescan::pair_hint`] and non-ASCII text, whether a
    /// credential can be named in prose.
    pub(crate) prose_hint: bool,
}

/// Lower-case stems of the words in [`AUTH_SCHEME`], [`KEY_VALUE`] and [`URL_PASSWORD`]: when
/// none occurs, those patterns cannot match. Kept in step with [`stem_at`].
#[cfg(test)]
const PAIR_STEMS: &[&[u8]] = &[
    b"pass", b"pwd", b"secret", b"key", b"token", b"bearer", b"basic", b"://", b"sig", b"_auth",
];

/// Whether one of the pair stems starts at `i` (whose byte is a [`STEM_START`] byte). The second
/// byte rejects almost every candidate before a comparison.
#[inline]
fn stem_at(b: &[u8], i: usize) -> bool {
    let is = |stem: &[u8]| {
        b.get(i..i + stem.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(stem))
    };
    let lower = |at: usize| b.get(at).map(u8::to_ascii_lowercase);
    match (lower(i), lower(i + 1)) {
        (Some(b'p'), Some(b'a')) => is(b"pass"),
        (Some(b'p'), Some(b'w')) => is(b"pwd"),
        (Some(b's' | b'k'), Some(b'e')) => is(b"secret") || is(b"key"),
        (Some(b's'), Some(b'i')) => is(b"sig"),
        (Some(b't'), Some(b'o')) => is(b"token"),
        (Some(b'b'), Some(b'e' | b'a')) => is(b"bearer") || is(b"basic"),
        (Some(b':'), Some(b'/')) => is(b"://"),
        (Some(b'_'), Some(b'a')) => is(b"_auth"),
        _ => false,
    }
}

/// Byte classes of [`Prescan::of`], one table lookup per byte.
const DIGIT: u8 = 1;
/// `[A-Za-z0-9_+/=.-]`: bytes of the token runs the token patterns look at.
const TOKEN: u8 = 2;
const AT: u8 = 4;
const COLON_OR_EQUALS: u8 = 8;
/// The first byte of a pair stem, either case.
const STEM_START: u8 = 16;
/// The first byte of a prose stem, either case.
const PROSE_START: u8 = 32;

/// Lower-case stems of the ASCII words for a password in other languages (the English ones
/// are pair stems), at the start of a word: when none occurs and the text is ASCII, no
/// credential is named in prose.
/// Kept in step with [`prose_stem_at`].
#[cfg(test)]
const PROSE_STEMS: &[&[u8]] = &[
    b"senh", b"clav", b"chav", b"contras", b"creden", b"mdp", b"kennw", b"wacht", b"parol",
    b"hasl", b"hesl", b"gesl", b"sifr", b"salas", b"sandi", b"losen", b"lozin", b"adgang",
    b"lalua",
];

#[inline]
fn prose_stem_at(b: &[u8], i: usize) -> bool {
    let is = |stem: &[u8]| {
        b.get(i..i + stem.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(stem))
    };
    let lower = |at: usize| b.get(at).map(u8::to_ascii_lowercase);
    match (lower(i), lower(i + 1)) {
        (Some(b's'), Some(b'e')) => is(b"senh"),
        (Some(b's'), Some(b'i')) => is(b"sifr"),
        (Some(b's'), Some(b'a')) => is(b"salas") || is(b"sandi"),
        (Some(b'c'), Some(b'l')) => is(b"clav"),
        (Some(b'c'), Some(b'h')) => is(b"chav"),
        (Some(b'c'), Some(b'o')) => is(b"contras"),
        (Some(b'c'), Some(b'r')) => is(b"creden"),
        (Some(b'm'), Some(b'd')) => is(b"mdp"),
        (Some(b'k'), Some(b'e')) => is(b"kennw"),
        (Some(b'w'), Some(b'a')) => is(b"wacht"),
        (Some(b'p'), Some(b'a')) => is(b"parol"),
        (Some(b'h'), Some(b'a')) => is(b"hasl"),
        (Some(b'h'), Some(b'e')) => is(b"hesl"),
        (Some(b'g'), Some(b'e')) => is(b"gesl"),
        (Some(b'l'), Some(b'o')) => is(b"losen") || is(b"lozin"),
        (Some(b'l'), Some(b'a')) => is(b"lalua"),
        (Some(b'a'), Some(b'd')) => is(b"adgang"),
        _ => false,
    }
}

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 256 {
        // `c < 256`, so the cast is lossless.
        #[allow(clippy::cast_possible_truncation)]
        let b = c as u8;
        let mut class = 0;
        if b.is_ascii_digit() {
            class |= DIGIT;
        }
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'/' | b'=' | b'-' | b'.') {
            class |= TOKEN;
        }
        if b == b'@' {
            class |= AT;
        }
        if b == b':' || b == b'=' {
            class |= COLON_OR_EQUALS;
        }
        if matches!(
            b.to_ascii_lowercase(),
            b'p' | b's' | b'k' | b't' | b'b' | b':' | b'_'
        ) {
            class |= STEM_START;
        }
        if matches!(
            b.to_ascii_lowercase(),
            b's' | b'c' | b'm' | b'k' | b'w' | b'p' | b'h' | b'g' | b'l' | b'a'
        ) {
            class |= PROSE_START;
        }
        t[c] = class;
        c += 1;
    }
    t
};

impl Prescan {
    /// One pass over the bytes, one table lookup each.
    pub(crate) fn of(text: &str) -> Self {
        let b = text.as_bytes();
        let mut digits = 0usize;
        let mut run = 0usize;
        let mut longest = 0usize;
        let mut seen = 0u8;
        let mut pair_hint = false;
        let mut prose_hint = false;
        for (i, &c) in b.iter().enumerate() {
            let class = CLASSES[usize::from(c)];
            // Prose stems start words: only where the token run before has ended.
            if class & PROSE_START != 0 && run == 0 && !prose_hint {
                prose_hint = prose_stem_at(b, i);
            }
            digits += usize::from(class & DIGIT);
            if class & TOKEN == 0 {
                longest = longest.max(run);
                run = 0;
            } else {
                run += 1;
            }
            seen |= class;
            if class & STEM_START != 0 && !pair_hint {
                pair_hint = stem_at(b, i);
            }
        }
        Prescan {
            digits,
            at_sign: seen & AT != 0,
            colon_or_equals: seen & COLON_OR_EQUALS != 0,
            longest_token: longest.max(run),
            pair_hint,
            prose_hint,
        }
    }
}

/// Shannon entropy in bits per byte.
fn entropy(token: &str) -> f64 {
    let mut counts = [0u32; 256];
    for &c in token.as_bytes() {
        if let Some(n) = counts.get_mut(usize::from(c)) {
            *n += 1;
        }
    }
    let len = f64::from(u32::try_from(token.len()).unwrap_or(u32::MAX));
    counts
        .iter()
        .filter(|n| **n > 0)
        .map(|n| {
            let p = f64::from(*n) / len;
            -p * p.log2()
        })
        .sum()
}

/// A random-looking token: long, mixing digits with letters, and with high entropy. UUIDs and
/// provider message ids (Twilio `SM…`/`MM…`, Meta `wamid.…`) are identifiers needed to debug a
/// delivery, not credentials, and are kept.
fn is_high_entropy(text: &str, range: &Range<usize>) -> bool {
    let Some(token) = text.get(range.clone()) else {
        return false;
    };
    let t = token.trim_end_matches('=');
    if t.contains("//") {
        return false;
    }
    let bytes = t.as_bytes();
    let has_digit = bytes.iter().any(u8::is_ascii_digit);
    let has_lower = bytes.iter().any(u8::is_ascii_lowercase);
    let has_upper = bytes.iter().any(u8::is_ascii_uppercase);
    // `0x71C7…`: an address or a hash on a blockchain, public by design.
    let all_hex = t
        .strip_prefix("0x")
        .unwrap_or(t)
        .bytes()
        .all(|c| c.is_ascii_hexdigit());
    let uuid_like = uuid_shaped(t);
    // Twilio's resource ids: two capitals and 32 hex digits (`SM…`, `MG…`, `PN…`, `AC…`). The
    // credentials that go with them are separate (auth tokens, API key secrets).
    let twilio_sid = t.len() == 34
        && t.get(..2)
            .is_some_and(|p| p.bytes().all(|c| c.is_ascii_uppercase()))
        && t.get(2..)
            .is_some_and(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
    let wamid = text
        .get(..range.start)
        .is_some_and(|p| p.ends_with("wamid."));
    // Hex runs are digests, commit ids, ETags and ids far more often than keys: a hex key is
    // found by its name (`auth_token=…`) or as a configured secret, never by shape alone.
    if uuid_like || twilio_sid || wamid || !has_digit || all_hex || object_id(t) {
        return false;
    }
    if !(has_lower && has_upper && t.len() >= 24 && entropy(t) >= 3.5) {
        return false;
    }
    // Random-looking, but public or a stand-in. SRI and npm digests start with their algorithm
    // (`sha512-…`); a CSP nonce is sent to every browser (`'nonce-…'`).
    let digest_led = ["sha1-", "sha256-", "sha384-", "sha512-", "nonce-"]
        .iter()
        .any(|p| t.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p)));
    !(digest_led || public_before(text, range.start) || is_placeholder(t))
}

/// A Stripe object id: a type prefix and `_` (`pi_3Mtw…`, `cus_Nffr…`, `evt_1Q…`,
/// `pk_live_…`), which names a payment, a customer or a publishable key, not a credential.
/// Secret keys of the same provider (`sk_live_…`, `rk_…`, `whsec_…`) have their own patterns.
fn object_id(t: &str) -> bool {
    let Some((prefix, rest)) = t.split_once('_') else {
        return false;
    };
    // Stripe's public object types (many secret formats also use `prefix_…`, so only these).
    const PUBLIC: &[&str] = &[
        "pi", "cus", "ch", "evt", "in", "sub", "prod", "price", "acct", "txn", "re", "po", "pm",
        "seti", "src", "card", "ba", "py", "cs", "ii", "il", "si", "pk", "plink", "file", "tr",
        "req", "cn", "dp", "du", "pyr", "ic", "iar", "ipi", "prv", "cbtxn", "bpc", "tmr",
    ];
    PUBLIC.contains(&prefix) && rest.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// What comes just before a token that makes it public data: a digest's algorithm
/// (`sha256:`, `sha512-` of SRI and npm, Go's `h1:`), an inline image (`base64,`), a public
/// key's type (`ssh-ed25519 AAAA…`), an ETag.
fn public_before(text: &str, start: usize) -> bool {
    const LABELS: &[&str] = &[
        "sha1:",
        "sha256:",
        "sha384:",
        "sha512:",
        "md5:",
        "sha1-",
        "sha256-",
        "sha384-",
        "sha512-",
        "h1:",
        "base64,",
        "ssh-rsa ",
        "ssh-dss ",
        "ssh-ed25519 ",
        "etag: ",
        "etag:",
        "w/\"",
        "ecdsa-sha2-nistp256 ",
        "ecdsa-sha2-nistp384 ",
        "ecdsa-sha2-nistp521 ",
        "sk-ssh-ed25519@openssh.com ",
        "\"x5c\": [\"",
        "\"x5c\":[\"",
        "'nonce-",
        "'sha256-",
        "'sha384-",
        "'sha512-",
    ];
    let from = start.saturating_sub(28);
    let Some(before) = text.as_bytes().get(from..start) else {
        return false;
    };
    LABELS.iter().any(|l| {
        before.len() >= l.len()
            && before
                .get(before.len() - l.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(l.as_bytes()))
    }) || labelled_public_id(before)
}

/// `x-amz-version-id: …`, `ksuid …`, `"trace_id": "…"`: a value whose name says it is an
/// identifier or a digest (unless the name also says secret, token, password or key).
fn labelled_public_id(before: &[u8]) -> bool {
    let mut end = before.len();
    while end > 0
        && matches!(
            before.get(end - 1),
            Some(b' ' | b'\t' | b'"' | b'\'' | b':' | b'=' | b'[')
        )
    {
        end -= 1;
    }
    let mut start = end;
    while start > 0
        && before
            .get(start - 1)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
    {
        start -= 1;
    }
    // A name, then at least one separator: a token glued to a word is not labelled.
    if start == end || end == before.len() {
        return false;
    }
    let Some(name) = before.get(start..end) else {
        return false;
    };
    let has = |w: &[u8]| name.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w));
    if has(b"secret")
        || has(b"token")
        || has(b"pass")
        || has(b"key")
        || has(b"auth")
        || has(b"session")
        || has(b"sid")
        || has(b"csrf")
        || has(b"cookie")
    {
        return false;
    }
    const NAMES: &[&[u8]] = &[
        b"id",
        b"uuid",
        b"guid",
        b"ulid",
        b"ksuid",
        b"etag",
        b"nonce",
        b"hash",
        b"digest",
        b"checksum",
        b"integrity",
        b"fingerprint",
        b"thumbprint",
        b"x5t",
        b"kid",
        b"commit",
        b"revision",
        b"sha",
    ];
    let tail = name.get(name.len().saturating_sub(3)..).unwrap_or_default();
    let id_suffix = name.len() > 3
        && [&b"_id"[..], b"-id", b".id"]
            .iter()
            .any(|s| tail.eq_ignore_ascii_case(s))
        || name.len() > 2 && name.ends_with(b"Id");
    id_suffix || NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// A value that stands for a secret in documentation or a template: `${DB_PASSWORD}`,
/// `<your-token>`, `{{ secret }}`, `********`, `EAAxxxxxxxx…`, `changeme`, `your_api_key`.
pub(crate) fn is_placeholder(v: &str) -> bool {
    let v = v.trim_matches(|c| c == '"' || c == '\'');
    let lower = v.to_ascii_lowercase();
    if v.starts_with("${")
        || v.starts_with("$(")
        || v.starts_with("{{")
        || v.starts_with("%(")
        || v.starts_with('<')
        || v.starts_with('[')
        || v.starts_with('{') && v.ends_with('}')
        || v.starts_with('$')
            && v.len() > 1
            && v.get(1..).is_some_and(|n| {
                n.bytes()
                    .all(|c| c.is_ascii_uppercase() || c == b'_' || c.is_ascii_digit())
            })
        || v.starts_with("process.env")
        || v.starts_with("os.environ")
        || v.starts_with("env(")
        // A YAML tag (`!vault |`, `!!binary`, `!Ref`) stands before the value, not for it.
        || v.starts_with('!') && v.trim_start_matches('!').bytes().all(|c| c.is_ascii_alphabetic())
        // `sk_live_...`: a prefix, then "and so on".
        || v.ends_with("...")
        || v.ends_with('…')
    {
        return true;
    }
    // Masks: a run of six or more of the same mask character (`xxxxxx`, `******`, `••••••`).
    let mut run = 0usize;
    let mut prev = None;
    for c in v.chars() {
        if matches!(c, 'x' | 'X' | '*' | '•' | '#' | '.' | '…') && prev == Some(c) {
            run += 1;
            if run >= 5 {
                return true;
            }
        } else {
            run = 0;
        }
        prev = Some(c);
    }
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "changeme",
        "change_me",
        "change-me",
        "example",
        "redacted",
        "placeholder",
        "none",
        "null",
        "nil",
        "true",
        "false",
        "undefined",
        "empty",
        "dummy",
        "todo",
        "tbd",
        "test",
        "testing",
        "foo",
        "bar",
        "foobar",
        "pass",
        "mypassword",
        "yourpassword",
        "xxx",
        "token",
        "string",
    ];
    WORDS.contains(&lower.as_str())
        || lower.starts_with("your")
        || lower.starts_with("my_")
        || lower.starts_with("my-")
        || lower.starts_with("replace")
        || lower.starts_with("insert")
        || lower.contains("example")
        || lower.contains("placeholder")
        || lower.ends_with("_here")
        || lower.ends_with("-here")
}

/// The bytes of `-----BEGIN CERTIFICATE-----` (or `PUBLIC KEY`, any type but a private key) up
/// to its END line: public material whose base64 is kept.
fn public_pem_blocks(text: &str) -> Vec<Range<usize>> {
    let mut blocks = Vec::new();
    let mut at = 0;
    while let Some(found) = text.get(at..).and_then(|rest| rest.find("-----BEGIN ")) {
        let start = at + found;
        let label_end = text
            .get(start + 11..)
            .and_then(|rest| rest.find("-----"))
            .map_or(text.len(), |i| start + 11 + i);
        let label = text.get(start + 11..label_end).unwrap_or_default();
        let end = text
            .get(label_end..)
            .and_then(|rest| rest.find("-----END "))
            .map_or(text.len(), |i| label_end + i);
        if !label.contains("PRIVATE") {
            blocks.push(start..end);
        }
        at = end.max(start + 11);
    }
    blocks
}

/// Token runs that contain `/` are URL paths or file paths, and an `=` inside one joins a name
/// to its value (`STRIPE_KEY=sk_…`, `?sig=…`): each component is judged on its own, so a URL is
/// masked by whole components and a name is never masked with its value.
fn high_entropy_parts(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let Some(token) = text.get(range.clone()) else {
        return;
    };
    // A base64 blob has `/` in it too; one that is high-entropy throughout is one secret.
    let slashes = token.bytes().filter(|c| *c == b'/').count();
    // `data:image/jpeg;base64,/9j/…`: an inline image, public however it starts.
    if slashes > 0 && public_before(text, range.start) {
        return;
    }
    let body = token.trim_end_matches('=');
    let inner_equals = body.contains('=');
    // A path is a URL's (`://` earlier in the same word) or starts with `/`; any other run
    // with `/` in it is a base64 blob, judged whole.
    let in_url = in_url_word(text, range.start) || token.starts_with('/');
    let base64_like = !in_url && !inner_equals;
    if (slashes == 0 && !inner_equals) || base64_like {
        if is_high_entropy(text, &range) {
            out.push(range);
        }
        return;
    }
    // `NAME=value`: the name is never masked; the value is judged as a token of its own.
    if let Some(eq) = body.find('=') {
        let name = token.get(..eq).unwrap_or_default();
        if !name.contains('/') {
            let value = range.start + eq + 1..range.end;
            if value.len() >= 24 {
                high_entropy_parts(text, value, out);
            }
            return;
        }
    }
    let mut at = range.start;
    for part in token.split(['/', '=']) {
        let part_range = at..at + part.len();
        if part.len() >= 24 && is_high_entropy(text, &part_range) {
            out.push(part_range);
        }
        at += part.len() + 1;
    }
}

/// Appends every secret and e-mail address in `text` to `out` (may overlap; the caller resolves).
pub(crate) fn find(c: &Compiled, text: &str, scan: &Prescan, out: &mut Vec<Hit>) {
    let pem = text.contains("-----BEGIN");
    if pem {
        if let Some((kind, re)) = c.tokens.first() {
            // `-----BEGIN PRIVATE KEY----- ... -----END…` in documentation: no key material.
            let material = |m: &str| {
                let body = m.splitn(3, "-----").nth(2).unwrap_or_default();
                let body = body.split("-----END").next().unwrap_or_default();
                body.bytes()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/'))
                    .count()
                    >= 4
            };
            for m in re.find_iter(text).filter(|m| material(m.as_str())) {
                out.push(Hit {
                    range: m.range(),
                    kind: *kind,
                    replacement: placeholder(*kind),
                });
            }
        }
    }
    if scan.longest_token >= 20 && c.any_token.is_match(text) {
        // The first pattern, PEM, ran above.
        for (kind, re) in c.tokens.iter().skip(1) {
            for m in re.find_iter(text).filter(|m| !is_placeholder(m.as_str())) {
                out.push(Hit {
                    range: m.range(),
                    kind: *kind,
                    replacement: placeholder(*kind),
                });
            }
        }
        let public = if pem {
            public_pem_blocks(text)
        } else {
            Vec::new()
        };
        let in_public = |r: &Range<usize>| public.iter().any(|b| b.contains(&r.start));
        let mut parts = Vec::new();
        for m in c.token_run.find_iter(text) {
            if !in_public(&m.range()) {
                high_entropy_parts(text, m.range(), &mut parts);
            }
        }
        for range in parts {
            out.push(Hit {
                range,
                kind: SecretKind::HighEntropyToken,
                replacement: placeholder(SecretKind::HighEntropyToken),
            });
        }
    }
    let pair = scan.pair_hint && c.any_pair.is_match(text);
    if pair && scan.longest_token >= 8 {
        value_hits(&c.auth_scheme, text, SecretKind::AuthorizationHeader, out);
    }
    // `define('DB_PASSWORD', '…')` joins its name and value with a comma.
    if pair && (scan.colon_or_equals || text.contains(",")) {
        if text.contains("://") {
            value_hits(&c.url_password, text, SecretKind::UrlPassword, out);
        }
        value_hits(&c.key_value, text, SecretKind::KeyValue, out);
        value_hits_if(
            &c.weak_key_value,
            text,
            SecretKind::KeyValue,
            out,
            credential_like,
        );
    }
    if scan.pair_hint && text.contains('<') {
        value_hits(&c.xml_value, text, SecretKind::KeyValue, out);
    }
    if text.contains(" -") {
        value_hits_if(&c.cli_credential, text, SecretKind::UrlPassword, out, |v| {
            // `docker run -u 1000:1000`: ids, not a password.
            !v.bytes().all(|c| c.is_ascii_digit())
        });
    }
    let mut spoken = Vec::new();
    if scan.pair_hint || scan.prose_hint || !text.is_ascii() {
        crate::spoken::find(text, &mut spoken);
    }
    out.extend(spoken.into_iter().map(|range| Hit {
        range,
        kind: SecretKind::KeyValue,
        replacement: placeholder(SecretKind::KeyValue),
    }));
    if scan.at_sign {
        for caps in c.email.captures_iter(text) {
            let (Some(whole), Some(local)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            let domain = text.get(local.end()..whole.end()).unwrap_or_default();
            if not_an_address(text, whole.start(), local.as_str(), domain) {
                continue;
            }
            out.push(Hit {
                range: whole.range(),
                kind: SecretKind::Email,
                replacement: format!("•••{domain}"),
            });
        }
    }
}

/// A value that could be a password or key: eight characters or more, mixing letters with
/// digits or symbols, not a placeholder, not a plain word, number or hex digest.
pub(crate) fn credential_like(v: &str) -> bool {
    let letters = v.bytes().any(|c| c.is_ascii_alphabetic());
    let digits = v.bytes().any(|c| c.is_ascii_digit());
    // Identifier punctuation (`created_at`, `user-name`, `a.b`) does not count as a symbol.
    let symbols = v
        .bytes()
        .any(|c| c.is_ascii_punctuation() && !matches!(c, b'_' | b'-' | b'.'));
    let hex = v.bytes().all(|c| c.is_ascii_hexdigit());
    // A signature is often hex: long enough, it is a credential (an HMAC), not a digest
    // someone needs to read.
    let long_hex = hex && v.len() >= 32;
    v.len() >= 8
        && letters
        && (digits || symbols)
        && (!hex || long_hex)
        && !is_placeholder(v)
        // An idempotency or installation key is a UUID; a publishable key names itself.
        && !uuid_shaped(v)
        && !object_id(v)
}

/// `7c9e6679-7425-40de-944b-e07fc1f90ae7`, any case.
fn uuid_shaped(t: &str) -> bool {
    t.len() == 36
        && t.bytes().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// Whether the word (up to a space or a quote) that runs to `at` has a `://` in it: `at` is in
/// a URL. At most 256 bytes back, so a megabyte without a space is not re-read per candidate.
fn in_url_word(text: &str, at: usize) -> bool {
    let mut from = at.saturating_sub(256);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let word_start = text
        .get(from..at)
        .and_then(|p| p.rfind(|c: char| c.is_whitespace() || c == '"' || c == '\''))
        .map_or(from, |i| from + i + 1);
    text.get(word_start..at).is_some_and(|w| w.contains("://"))
}

/// `user@host` shapes that name no person: a URL's user (`postgres://warden@db.internal`,
/// `ssh://git@…`), a git remote (`git@github.com:`), a systemd unit instance
/// (`getty@tty1.service`).
fn not_an_address(text: &str, start: usize, local: &str, domain: &str) -> bool {
    // A URL's user (`postgres://warden@db`), or its password (`redis://:pw@host`,
    // `mongodb+srv://app:pw@cluster0…`), which the URL pattern masks.
    let url_user = in_url_word(text, start);
    let vcs = matches!(local, "git" | "hg" | "svn");
    const UNITS: &[&str] = &[
        ".service", ".socket", ".timer", ".target", ".mount", ".path", ".slice", ".scope",
        ".device", ".swap",
    ];
    let unit = UNITS.iter().any(|u| domain.ends_with(u));
    url_user || vcs || unit
}

/// Replaces the first participating capture group of each match (the value), keeping the rest of
/// the match (the key, scheme or user) as it was.
fn value_hits(re: &Regex, text: &str, kind: SecretKind, out: &mut Vec<Hit>) {
    value_hits_if(re, text, kind, out, |_| true);
}

/// [`value_hits`] for the values `accept` takes.
fn value_hits_if(
    re: &Regex,
    text: &str,
    kind: SecretKind,
    out: &mut Vec<Hit>,
    accept: impl Fn(&str) -> bool,
) {
    for caps in re.captures_iter(text) {
        let (Some(whole), Some(value)) = (caps.get(0), caps.iter().skip(1).flatten().next()) else {
            continue;
        };
        let v = value.as_str();
        if !accept(v) {
            continue;
        }
        // Already redacted, or empty: nothing to hide, and idempotence wants it untouched.
        if v.is_empty() || v.starts_with("[REDACTED") || v.starts_with("<redacted") {
            continue;
        }
        // `${DB_PASSWORD}`, `********`, `postgres://user:password@localhost` in a README.
        if is_placeholder(v) {
            continue;
        }
        // `Basic idea`, `token expired`: a credential has a digit or a symbol in it.
        // `token secret/ci`: a short credential has a digit in it.
        if kind == SecretKind::AuthorizationHeader
            && v.len() < 20
            && !v.bytes().any(|c| c.is_ascii_digit())
        {
            continue;
        }
        let mut replacement = String::with_capacity(whole.len());
        replacement.push_str(text.get(whole.start()..value.start()).unwrap_or_default());
        replacement.push_str(&placeholder(kind));
        replacement.push_str(text.get(value.end()..whole.end()).unwrap_or_default());
        out.push(Hit {
            range: whole.range(),
            kind,
            replacement,
        });
    }
}

/// Exact-match redaction of the secrets the app was configured with: one Aho-Corasick automaton,
/// leftmost-longest, so where two secrets (or a secret and its percent-encoding) start at the
/// same place the longer one is removed whole.
#[derive(Clone)]
pub(crate) struct KnownSecrets {
    matcher: Option<AhoCorasick>,
    count: usize,
}

impl std::fmt::Debug for KnownSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KnownSecrets({} values)", self.count)
    }
}

/// `%XX` for every byte outside the URL-unreserved set.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(c));
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

impl KnownSecrets {
    pub(crate) fn new(values: &[&str], min_len: usize) -> Result<Self, aho_corasick::BuildError> {
        let literals = Self::literals(values, min_len);
        let count = values.iter().filter(|v| v.len() >= min_len).count();
        if literals.is_empty() {
            return Ok(Self {
                matcher: None,
                count,
            });
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&literals)?;
        Ok(Self {
            matcher: Some(matcher),
            count,
        })
    }

    /// Each value long enough to be a secret, verbatim and percent-encoded.
    fn literals(values: &[&str], min_len: usize) -> Vec<String> {
        let mut literals: Vec<String> = Vec::new();
        for v in values.iter().filter(|v| v.len() >= min_len) {
            literals.push((*v).to_owned());
            let encoded = percent_encode(v);
            if encoded != *v {
                literals.push(encoded);
            }
        }
        literals.sort_unstable();
        literals.dedup();
        literals
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Hit>) {
        if let Some(m) = &self.matcher {
            for found in m.find_iter(text) {
                out.push(Hit {
                    range: found.range(),
                    kind: SecretKind::KnownSecret,
                    replacement: placeholder(SecretKind::KnownSecret),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The matcher Aho-Corasick replaced: escaped literals, longest first, in one regex (the
    /// regex prefers the earliest alternative at a position).
    fn regex_reference(values: &[&str], min_len: usize, text: &str) -> Vec<Range<usize>> {
        let mut literals = KnownSecrets::literals(values, min_len);
        if literals.is_empty() {
            return Vec::new();
        }
        literals.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        let pattern = literals
            .iter()
            .map(|l| regex::escape(l))
            .collect::<Vec<_>>()
            .join("|");
        let re = RegexBuilder::new(&pattern)
            .size_limit(1 << 26)
            .build()
            .unwrap();
        re.find_iter(text).map(|m| m.range()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Secrets over a small alphabet, so they overlap, nest, share prefixes and need
        /// percent-encoding; texts built from them and the same alphabet.
        #[test]
        fn aho_corasick_finds_exactly_what_the_regex_of_literals_found(
            values in prop::collection::vec("[ab%/ ]{1,12}", 0..6),
            pieces in prop::collection::vec(prop_oneof!["[ab%/2F ]{0,6}", "[ab]{8,12}"], 0..12),
            min_len in 1usize..9,
        ) {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            let mut text = String::new();
            for (i, piece) in pieces.iter().enumerate() {
                text.push_str(piece);
                if let Some(v) = values.get(i % values.len().max(1)) {
                    if i % 3 == 0 {
                        text.push_str(&percent_encode(v));
                    } else {
                        text.push_str(v);
                    }
                }
            }
            let known = KnownSecrets::new(&values, min_len).unwrap();
            let mut hits = Vec::new();
            known.find(&text, &mut hits);
            let found: Vec<Range<usize>> = hits.into_iter().map(|h| h.range).collect();
            prop_assert_eq!(found, regex_reference(&values, min_len, &text));
        }
    }

    #[test]
    fn every_constant_pattern_compiles() {
        assert!(compiled().is_ok(), "{:?}", compiled().err());
    }

    #[test]
    fn entropy_separates_random_tokens_from_words() {
        assert!(entropy("aaaaaaaaaaaaaaaaaaaaaaaa") < 0.1);
        assert!(entropy("Zx8pQ2mN7vL4kR9tW3yB6cF1") > 4.0);
    }

    #[test]
    fn identifiers_are_not_secrets() {
        let text = "id 550e8400-e29b-41d4-a716-446655440000 sid SM0123456789abcdef0123456789abcdef";
        let c = compiled().unwrap();
        let mut out = Vec::new();
        find(c, text, &Prescan::of(text), &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn prescan_matches_a_naive_scan() {
        for text in [
            "",
            "a",
            "Bearer abc",
            "x=1 PASSWORD",
            "https://u:p@h",
            "keY",
            "Pw",
            "mail a@b.c 12345678",
            "tok tok tokeN",
            "EAAGm0PX4ZCpsBAKZAZBpZCxyz123456789 end",
            "élan ñ 👍 pwd:",
            "a senha do wifi",
            "het WACHTwoord is",
            "heslo je",
            "Credentials",
            "mdp",
            "wach wacht",
            "xsenha",
        ] {
            let scan = Prescan::of(text);
            let b = text.as_bytes();
            let stem = (0..b.len()).any(|i| {
                PAIR_STEMS.iter().any(|s| {
                    b.get(i..i + s.len())
                        .is_some_and(|w| w.eq_ignore_ascii_case(s))
                })
            });
            let token = |c: &u8| {
                c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'/' | b'=' | b'-' | b'.')
            };
            let longest = b.split(|c| !token(c)).map(<[u8]>::len).max().unwrap_or(0);
            assert_eq!(scan.pair_hint, stem, "{text}");
            let token = |c: &u8| {
                c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'/' | b'=' | b'-' | b'.')
            };
            let word_start = |i: usize| i == 0 || !b.get(i - 1).is_some_and(token);
            let prose = (0..b.len()).filter(|i| word_start(*i)).any(|i| {
                PROSE_STEMS.iter().any(|s| {
                    b.get(i..i + s.len())
                        .is_some_and(|w| w.eq_ignore_ascii_case(s))
                })
            });
            assert_eq!(scan.prose_hint, prose, "{text}");
            assert_eq!(scan.longest_token, longest, "{text}");
            assert_eq!(scan.digits, b.iter().filter(|c| c.is_ascii_digit()).count());
            assert_eq!(scan.at_sign, text.contains('@'), "{text}");
            assert_eq!(
                scan.colon_or_equals,
                text.contains(':') || text.contains('='),
                "{text}"
            );
        }
    }

    #[test]
    fn percent_encoding_covers_reserved_bytes() {
        assert_eq!(percent_encode("a b/c+d"), "a%20b%2Fc%2Bd");
    }
}
