//! Phone numbers in free text.
//!
//! Two stages. A hand-written scanner finds *spans*: digit groups joined by the separators people
//! type (spaces, no-break spaces, `-`, `.`, `/`, parentheses), with an optional `+`, `%2B` or
//! `(+` in front. Each span is then judged: shapes that are something else (dates, IP addresses,
//! versions, ISBN-like dash chains, decimals, IBAN- and card-like runs of four-digit groups,
//! amounts next to a currency, digits glued to letters as in UUIDs and order references) are
//! dropped; what is left must be a number libphonenumber calls valid, or have a phone shape that
//! is unambiguous without a country (trunk `0`, `(area)`, North American `3-3-4`), or follow a
//! word such as "call" or "phone". A word such as "order" or "tracking" just before a number
//! written without `+` keeps it from being read as a phone number.
//!
//! When a span does not validate as a whole (two numbers in one list, a number followed by a
//! count), sub-spans that start and end at a space are tried, longest first.

use std::ops::Range;

use phonenumber::country::Id;
use phonenumber::{Mode, PhoneNumber};

/// Fewest digits a phone number written without `+` can have here (local numbers without an area
/// code, such as `555 1234`, are too ambiguous to be worth the false positives).
const MIN_NATIONAL_DIGITS: usize = 7;
/// E.164 allows 15 digits after the `+`.
const MAX_E164_DIGITS: usize = 15;
/// Fewest digits after a `+` (country code and subscriber number).
const MIN_INTERNATIONAL_DIGITS: usize = 7;
/// Spans with more groups are cut: the sub-span search is quadratic in the number of groups.
const MAX_GROUPS: usize = 12;
/// How far back (in bytes, same line) a word such as "order" or "call" is looked for.
const KEYWORD_WINDOW: usize = 40;

/// A phone number found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PhoneHit {
    /// Bytes of the number, including a `+`, `%2B` or opening parenthesis in front of it.
    pub(crate) range: Range<usize>,
    /// Country calling code, when known.
    pub(crate) country_code: Option<u16>,
    /// E.164 when the number was validated, otherwise its digits: the input of the pseudonym.
    pub(crate) canonical: String,
    /// The last two digits.
    pub(crate) last2: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Sep {
    #[default]
    Space,
    Dash,
    Dot,
    Slash,
    Open,
    Close,
}

/// The separator starting at `at`, and its length in bytes.
fn separator_at(b: &[u8], at: usize) -> Option<(Sep, usize)> {
    match *b.get(at)? {
        b' ' => Some((Sep::Space, 1)),
        b'-' => Some((Sep::Dash, 1)),
        b'.' => Some((Sep::Dot, 1)),
        b'/' => Some((Sep::Slash, 1)),
        b'(' => Some((Sep::Open, 1)),
        b')' => Some((Sep::Close, 1)),
        // U+00A0 no-break space.
        0xC2 if b.get(at + 1) == Some(&0xA0) => Some((Sep::Space, 2)),
        0xE2 if b.get(at + 1) == Some(&0x80) => match b.get(at + 2)? {
            // U+2009 thin space, U+202F narrow no-break space.
            0x89 | 0xAF => Some((Sep::Space, 3)),
            // U+2010 hyphen, U+2011 no-break hyphen, U+2012 figure dash, U+2013 en dash.
            0x90..=0x93 => Some((Sep::Dash, 3)),
            _ => None,
        },
        _ => None,
    }
}

/// A run of at most three separators, inline (spans are read for every digit in the text, so
/// reading one allocates nothing).
#[derive(Debug, Clone, Copy, Default)]
struct Seps {
    list: [Sep; 3],
    len: usize,
}

impl Seps {
    fn as_slice(&self) -> &[Sep] {
        self.list.get(..self.len).unwrap_or_default()
    }
    fn contains(&self, sep: &Sep) -> bool {
        self.as_slice().contains(sep)
    }
    fn push(&mut self, sep: Sep) {
        if let Some(slot) = self.list.get_mut(self.len) {
            *slot = sep;
            self.len += 1;
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Group {
    start: usize,
    end: usize,
    /// The separator run before this group (empty for the first).
    seps_before: Seps,
}

/// The groups of a span, inline: at most [`MAX_GROUPS`].
#[derive(Debug, Clone, Copy, Default)]
struct Groups {
    list: [Group; MAX_GROUPS],
    len: usize,
}

impl std::ops::Deref for Groups {
    type Target = [Group];
    fn deref(&self) -> &[Group] {
        self.list.get(..self.len).unwrap_or_default()
    }
}

impl Group {
    fn len(&self) -> usize {
        self.end - self.start
    }
    /// Whether a sub-span may start or end at the run before this group.
    fn space_before(&self) -> bool {
        self.seps_before.contains(&Sep::Space)
    }
    /// A single `-`, `.` or `/` joins this group to the previous one into a chain.
    fn chained_by(&self) -> Option<Sep> {
        match self.seps_before.as_slice() {
            [s @ (Sep::Dash | Sep::Dot | Sep::Slash)] => Some(*s),
            _ => None,
        }
    }
}

/// How the number is introduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    None,
    /// `+`, `(+` or a percent-encoded `%2B`.
    Plus,
    /// `(` before the first group: `(555) 123-4567`.
    Paren,
}

struct Span<'g> {
    start: usize,
    prefix: Prefix,
    groups: &'g [Group],
}

/// Reads digit groups from `first` (a digit) into `groups` (filled in place: this runs for every
/// digit run of the text). Returns the byte where scanning goes on.
fn read_span(b: &[u8], first: usize, groups: &mut Groups) -> usize {
    groups.len = 0;
    let mut at = first;
    let mut seps_before = Seps::default();
    loop {
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if let Some(slot) = groups.list.get_mut(groups.len) {
            *slot = Group {
                start,
                end: at,
                seps_before,
            };
            groups.len += 1;
        }
        if groups.len >= MAX_GROUPS {
            return at;
        }
        // A run of at most three separators with at most one `-`/`.`/`/`, one of each
        // parenthesis and two spaces, followed by a digit, continues the span.
        let mut probe = at;
        let mut run = Seps::default();
        while run.len < 3 {
            match separator_at(b, probe) {
                Some((sep, len)) => {
                    run.push(sep);
                    probe += len;
                }
                None => break,
            }
        }
        let run_seps = run.as_slice();
        let puncts = run_seps
            .iter()
            .filter(|s| matches!(s, Sep::Dash | Sep::Dot | Sep::Slash))
            .count();
        let spaces = run_seps.iter().filter(|s| **s == Sep::Space).count();
        let opens = run_seps.iter().filter(|s| **s == Sep::Open).count();
        let closes = run_seps.iter().filter(|s| **s == Sep::Close).count();
        let continues = !run_seps.is_empty()
            && puncts <= 1
            && spaces <= 2
            && opens <= 1
            && closes <= 1
            && b.get(probe).is_some_and(u8::is_ascii_digit);
        if !continues {
            return at;
        }
        seps_before = run;
        at = probe;
    }
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The byte before `at` and the one before that.
fn before(b: &[u8], at: usize) -> (Option<u8>, Option<u8>) {
    let one = at.checked_sub(1).and_then(|i| b.get(i).copied());
    let two = at.checked_sub(2).and_then(|i| b.get(i).copied());
    (one, two)
}

/// U+2022 bullet, which the masks use: a number glued to a mask is what is left of a mask.
fn bullet_before(b: &[u8], at: usize) -> bool {
    at >= 3 && b.get(at - 3..at) == Some(&[0xE2, 0x80, 0xA2][..])
}
fn bullet_at(b: &[u8], at: usize) -> bool {
    b.get(at..at + 3) == Some(&[0xE2, 0x80, 0xA2][..])
}

/// Whether the text before `at` ends a WhatsApp click-to-chat link or a phone query parameter:
/// `wa.me/`, `api.whatsapp.com/send?phone=`, `whatsapp://send?phone=`, `…&phone=`.
fn after_chat_link(b: &[u8], at: usize) -> bool {
    let ends_with = |tail: &[u8]| {
        at >= tail.len()
            && b.get(at - tail.len()..at)
                .is_some_and(|w| w.eq_ignore_ascii_case(tail))
    };
    // The byte before decides which link it can be (this runs for every digit run).
    match at.checked_sub(1).and_then(|i| b.get(i)) {
        Some(b'/') => ends_with(b"wa.me/"),
        // `phone=` only as a whole parameter name (not `microphone=` or `phone_number_id=`).
        Some(b'=') => {
            ends_with(b"phone=")
                && (at == 6
                    || b.get(at - 7)
                        .is_some_and(|c| matches!(c, b'?' | b'&' | b' ' | b'"')))
        }
        _ => false,
    }
}

/// Finds where a span starting at digit `first` really starts, and how it is introduced.
/// `None` when the digits are glued to something that makes them part of another token.
fn span_start(b: &[u8], first: usize) -> Option<(usize, Prefix)> {
    let (p1, p2) = before(b, first);
    let (start, prefix) = match (p2, p1) {
        (Some(b'('), Some(b'+')) => (first - 2, Prefix::Plus),
        (_, Some(b'+')) => (first - 1, Prefix::Plus),
        (_, Some(b'B' | b'b')) if first >= 3 && b.get(first - 3..first - 1) == Some(&b"%2"[..]) => {
            (first - 3, Prefix::Plus)
        }
        (_, Some(b'(')) => (first - 1, Prefix::Paren),
        _ => (first, Prefix::None),
    };
    if prefix == Prefix::None && after_chat_link(b, start) {
        // Click-to-chat links carry the number in international form without its `+`; a
        // national one (`phone=0412…`) is still read as a phone number after `phone=`.
        let international = b.get(start) != Some(&b'0');
        return Some((
            start,
            if international {
                Prefix::Plus
            } else {
                Prefix::None
            },
        ));
    }
    let (q1, q2) = before(b, start);
    // `whatsapp%3A%2B…`, `a%20…`: a percent-encoded separator is not glue.
    let encoded_sep = start >= 3
        && b.get(start - 3) == Some(&b'%')
        && b.get(start - 2..start).is_some_and(|h| {
            h.eq_ignore_ascii_case(b"3A") || h == b"20" || h.eq_ignore_ascii_case(b"2C")
        });
    // After a `+`, only a letter or digit glues (`/call/+44…`, `=+44…` are numbers).
    let plus_unglued = prefix == Prefix::Plus && !q1.is_some_and(is_word_byte);
    let glued = !encoded_sep
        && !plus_unglued
        && match q1 {
            None => false,
            // `WhatsApp+977…`, `cel+48…`, `Call(0311…)`: a phone word glued to its number.
            Some(c) if is_word_byte(c) => !phone_word_before(b, start),
            // `ORD-2024…`, UUID groups, `v-1…`: a dash glued to a word before it.
            Some(b'-') => q2.is_some_and(is_word_byte),
            // `1,234567890`, `3.14159265`: the digits continue a number.
            Some(b'.' | b',') => q2.is_some_and(|c| c.is_ascii_digit()),
            // An Asterisk dial string: `PJSIP/0021620199624@trunk`, `SIP/…`, `Local/…`.
            Some(b'/') if dial_channel_before(b, start - 1) => false,
            // `#4839201745`, `/orders/5829104736`, `$1234567`, `x@1234567`.
            Some(b'#' | b'/' | b'\\' | b'$' | b'@' | b'%' | b'~' | b'^') => true,
            _ => bullet_before(b, start),
        };
    (!glued).then_some((start, prefix))
}

/// The ASCII letters that end at `end` (a word glued to what follows).
fn word_ending_at(b: &[u8], end: usize) -> &[u8] {
    let mut w = end;
    while w > 0 && b.get(w - 1).is_some_and(u8::is_ascii_alphabetic) && end - w < 32 {
        w -= 1;
    }
    b.get(w..end).unwrap_or_default()
}

/// Whether the letters right before `at` are a phone word (`WhatsApp+…`, `tel(…`).
fn phone_word_before(b: &[u8], at: usize) -> bool {
    // Most digits glued to a word are ids (`abc123`, `v2`): one byte decides for them.
    if !at
        .checked_sub(1)
        .and_then(|i| b.get(i))
        .is_some_and(u8::is_ascii_alphabetic)
    {
        return false;
    }
    let word = word_ending_at(b, at);
    (2..=10).contains(&word.len())
        && PHONE_WORDS
            .iter()
            .any(|w| w.as_bytes().eq_ignore_ascii_case(word))
}

/// Whether an Asterisk channel technology ends at `slash` (`PJSIP/`, `SIP/`, `IAX2/`).
fn dial_channel_before(b: &[u8], slash: usize) -> bool {
    const TECH: &[&[u8]] = &[
        b"PJSIP", b"SIP", b"IAX2", b"DAHDI", b"Local", b"Dial", b"TEL",
    ];
    TECH.iter().any(|t| {
        slash >= t.len()
            && b.get(slash - t.len()..slash)
                .is_some_and(|w| w.eq_ignore_ascii_case(t))
            && (slash == t.len()
                || !b
                    .get(slash - t.len() - 1)
                    .is_some_and(u8::is_ascii_alphanumeric))
    })
}

/// Whether the bytes after the span's last digit glue it to something else. `plus`: the span
/// was written with `+`, and so has no decimal part.
fn glued_after(b: &[u8], end: usize, plus: bool) -> bool {
    match b.get(end).copied() {
        None => false,
        Some(c) if is_word_byte(c) => true,
        Some(b'%' | b'$' | b'#') => true,
        // A decimal part: `1234567,89`, `1234567.5`. Three digits already say no (and counting
        // further would read a long run once per sub-span). Not a CSV field or a date after it
        // (`…,03/03/2026`, `…,10:30`).
        Some(b',' | b'.') if !plus => {
            let digits = b
                .get(end + 1..)
                .unwrap_or_default()
                .iter()
                .take(3)
                .take_while(|c| c.is_ascii_digit())
                .count();
            (1..=2).contains(&digits)
                && !b
                    .get(end + 1 + digits)
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'/' | b':'))
        }
        // `51.5°`, `12345678€`, `1234567£`.
        Some(0xC2) => matches!(b.get(end + 1), Some(0xB0 | 0xA3 | 0xA5)),
        Some(0xE2) => {
            bullet_at(b, end) || (b.get(end + 1) == Some(&0x82) && b.get(end + 2) == Some(&0xAC))
        }
        _ => false,
    }
}

const CURRENCY_WORDS: &[&str] = &[
    "eur", "usd", "gbp", "chf", "jpy", "inr", "brl", "mxn", "zar", "aud", "cad", "sek", "nok",
    "dkk", "pln", "czk", "huf", "try", "rub", "cny", "krw", "ngn", "kes", "egp", "aed", "sar",
    "euro", "euros", "dollar", "dollars", "pounds", "rupees", "reais", "pesos", "yen", "kr", "zl",
    "ft", "lei", "naira", "rand",
];

/// `€ 1 234 567`, `1 234 567 EUR`, `R$ 1.234.567`: an amount, not a number to call.
fn next_to_currency(b: &[u8], start: usize, end: usize) -> bool {
    // Symbols just before (allowing one space).
    let mut s = start;
    if s > 0 && b.get(s - 1) == Some(&b' ') {
        s -= 1;
    }
    let symbol_before = s >= 1 && matches!(b.get(s - 1), Some(b'$'))
        || s >= 2 && matches!(b.get(s - 2..s), Some([0xC2, 0xA3 | 0xA5]))
        || s >= 3
            && matches!(
                b.get(s - 3..s),
                Some([0xE2, 0x82, 0xAC | 0xB9 | 0xBD | 0xA6])
            );
    if symbol_before {
        return true;
    }
    // Compared in place: the letters next to a number can be a megabyte long.
    let word = |w: &[u8]| {
        CURRENCY_WORDS
            .iter()
            .any(|c| c.as_bytes().eq_ignore_ascii_case(w))
    };
    // A currency word just before: `EUR 1234567`.
    let mut e = start;
    while e > 0 && b.get(e - 1) == Some(&b' ') {
        e -= 1;
    }
    let mut w0 = e;
    while w0 > 0 && b.get(w0 - 1).is_some_and(u8::is_ascii_alphabetic) {
        w0 -= 1;
    }
    if w0 < e && e < start && b.get(w0..e).is_some_and(word) {
        return true;
    }
    // A symbol or word just after: `1 234 567 €`, `1234567 EUR`.
    let mut a = end;
    if b.get(a) == Some(&b' ') {
        a += 1;
    }
    if matches!(
        b.get(a..a + 3),
        Some([0xE2, 0x82, 0xAC | 0xB9 | 0xBD | 0xA6])
    ) || matches!(b.get(a..a + 2), Some([0xC2, 0xA3 | 0xA5]))
    {
        return true;
    }
    let mut w1 = a;
    while b.get(w1).is_some_and(u8::is_ascii_alphabetic) {
        w1 += 1;
    }
    a > end && w1 > a && b.get(a..w1).is_some_and(word)
}

/// Words before a number written without `+` that make it something other than a phone number.
const NOT_PHONE_WORDS: &[&str] = &[
    "order",
    "orders",
    "invoice",
    "inv",
    "ref",
    "reference",
    "tracking",
    "track",
    "ticket",
    "booking",
    "confirmation",
    "transaction",
    "txn",
    "receipt",
    "policy",
    "account",
    "acct",
    "iban",
    "bic",
    "swift",
    "isbn",
    "issn",
    "sku",
    "serial",
    "sn",
    "case",
    "claim",
    "shipment",
    "parcel",
    "awb",
    "pnr",
    "customer",
    "member",
    "card",
    "otp",
    "code",
    "pin",
    "version",
    "build",
    "release",
    "zip",
    "postcode",
    "amount",
    "total",
    "price",
    "balance",
    "fedex",
    "ups",
    "usps",
    "dhl",
    "imei",
    "vin",
    "ip",
    "id",
    "uuid",
    "hash",
    "nr",
    "lot",
    "batch",
    "item",
    "article",
    "bestellung",
    "konto",
    "kontonummer",
    "rekening",
    "compte",
    "cuenta",
    "conto",
    "ean",
    "upc",
    "gtin",
    "timestamp",
    "epoch",
    "ts",
    "unix",
    "rechnung",
    "commande",
    "facture",
    "pedido",
    "factura",
    "ordine",
];

/// Words before a number that make it a phone number even if it does not validate.
const PHONE_WORDS: &[&str] = &[
    "call",
    "calling",
    "phone",
    "telephone",
    "tel",
    "mobile",
    "mob",
    "cell",
    "cellphone",
    "handy",
    "whatsapp",
    "wa",
    "sms",
    "text",
    "ring",
    "fax",
    "contact",
    "dial",
    "telefon",
    "telefono",
    "portable",
    "celular",
    "movil",
    "waid",
    "wa_id",
    "ph",
    "phn",
    "tlf",
    "tfn",
    "tele",
    "cel",
    "celu",
    "gsm",
    "mobil",
    "mobiel",
    "natel",
    "whats",
    "zap",
    "wpp",
    "telefone",
    "telefonu",
    "kontakt",
    "contacto",
    "contato",
    "appelez",
    "llama",
    "llamar",
    "ligue",
    "anrufen",
    "ruf",
];

/// A field name that says "identifier": `phone_number_id`, `waba_id`, `businessId`, `msg-id`
/// (but `wa_id`, WhatsApp's name for the user's number, is a phone number).
fn labelled_id(word: &[u8]) -> bool {
    if !matches!(word.last(), Some(b'd' | b'D')) {
        return false;
    }
    let lower_id = word.len() > 3
        && word
            .get(word.len() - 3..)
            .is_some_and(|t| t.eq_ignore_ascii_case(b"_id"));
    let camel_id = word.len() > 2 && word.get(word.len() - 2..) == Some(&b"Id"[..]);
    (lower_id || camel_id) && !word.eq_ignore_ascii_case(b"wa_id")
}

/// Phone words in non-Latin scripts, and the symbols people put before a number.
const PHONE_WORDS_UTF8: &[&str] = &[
    "☎",
    "📞",
    "📱",
    "телефон",
    "тел",
    "моб",
    "звоните",
    "电话",
    "電話",
    "手机",
    "手機",
    "携帯",
    "联系",
    "هاتف",
    "جوال",
    "اتصل",
    "واتس",
    "टेलीफोन",
    "फ़ोन",
    "फोन",
    "मोबाइल",
    "τηλ",
    "κινητό",
    "טלפון",
    "נייד",
    "โทร",
    "전화",
    "휴대폰",
];

/// Words in other scripts that make a number something other than a phone number (order,
/// waybill, invoice, account numbers).
const NOT_PHONE_WORDS_UTF8: &[&str] = &[
    "订单",
    "訂單",
    "单号",
    "單號",
    "编号",
    "編號",
    "快递",
    "运单",
    "發票",
    "发票",
    "注文",
    "伝票",
    "請求書",
    "주문",
    "송장",
    "заказ",
    "счёт",
    "счет",
    "накладн",
    "طلب",
    "فاتورة",
    "הזמנה",
    "חשבונית",
    "ऑर्डर",
    "चालान",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Neutral,
    Phone,
    NotPhone,
}

/// The last phone or not-phone word in the few bytes before `start`, on the same line; a `#`
/// right before the number (with at most a space) counts as not-phone.
fn context_before(b: &[u8], start: usize) -> Context {
    let mut s = start;
    while s > 0 && b.get(s - 1) == Some(&b' ') {
        s -= 1;
    }
    if s > 0 && matches!(b.get(s - 1), Some(b'#')) {
        return Context::NotPhone;
    }
    // `N°`, `Nº`.
    if s >= 3 && matches!(b.get(s - 3..s), Some([b'N' | b'n', 0xC2, 0xB0 | 0xBA])) {
        return Context::NotPhone;
    }
    let from = start.saturating_sub(KEYWORD_WINDOW);
    let window = b.get(from..start).unwrap_or_default();
    let line_start = window
        .iter()
        .rposition(|c| *c == b'\n')
        .map_or(0, |i| i + 1);
    let window = window.get(line_start..).unwrap_or_default();
    // A signature's one-letter label right before the number: `T: 020…`, `M. 0412…`, `P:`.
    let mut t = s;
    if t > 0 && matches!(b.get(t - 1), Some(b':' | b'.')) {
        t -= 1;
        while t > 0 && b.get(t - 1) == Some(&b' ') {
            t -= 1;
        }
        let label = t > 0
            && matches!(
                b.get(t - 1).map(u8::to_ascii_uppercase),
                Some(b'T' | b'M' | b'P' | b'H' | b'C' | b'W' | b'O')
            )
            && (t == 1 || !b.get(t - 2).is_some_and(u8::is_ascii_alphanumeric));
        if label {
            return Context::Phone;
        }
    }
    // Phone words in other scripts and phone symbols (the ASCII word split below cannot see
    // them).
    if window.iter().any(|c| *c >= 0x80) {
        let has = |w: &&str| window.windows(w.len()).any(|x| x == w.as_bytes());
        if PHONE_WORDS_UTF8.iter().any(has) {
            return Context::Phone;
        }
        if NOT_PHONE_WORDS_UTF8.iter().any(has) {
            return Context::NotPhone;
        }
    }
    let mut context = Context::Neutral;
    // Words are ASCII letters and `_`; the first may be cut by the window, which is harmless.
    for word in window.split(|c| !(c.is_ascii_alphabetic() || *c == b'_')) {
        if word.is_empty() || word.len() > 32 {
            continue;
        }
        let is = |w: &&str| w.as_bytes().eq_ignore_ascii_case(word);
        if NOT_PHONE_WORDS.iter().any(is) || labelled_id(word) {
            context = Context::NotPhone;
        } else if PHONE_WORDS.iter().any(is) {
            context = Context::Phone;
        }
    }
    context
}

fn digits_of(b: &[u8], groups: &[Group]) -> String {
    let mut out = String::with_capacity(16);
    for g in groups {
        for &c in b.get(g.start..g.end).unwrap_or_default() {
            out.push(char::from(c));
        }
    }
    out
}

/// Marks groups that belong to chains (groups joined by one `-`, `.` or `/`) shaped like
/// something other than a phone number, and whole spans shaped like IBAN or card groups.
fn blocked_groups(b: &[u8], span: &Span) -> [bool; MAX_GROUPS] {
    let groups: &[Group] = span.groups;
    let mut blocked = [false; MAX_GROUPS];
    let num = |g: &Group| -> u32 {
        b.get(g.start..g.end)
            .unwrap_or_default()
            .iter()
            .take(9)
            .fold(0u32, |n, c| n * 10 + u32::from(c - b'0'))
    };
    let mut i = 0;
    while i < groups.len() {
        // Extend the chain while the same punctuation joins the next group.
        let mut j = i;
        let sep = groups.get(i + 1).and_then(Group::chained_by);
        while let (Some(s), Some(next)) = (sep, groups.get(j + 1)) {
            if next.chained_by() == Some(s) {
                j += 1;
            } else {
                break;
            }
        }
        let chain = groups.get(i..=j).unwrap_or_default();
        let (mut lens_buf, mut vals_buf) = ([0usize; MAX_GROUPS], [0u32; MAX_GROUPS]);
        for ((l, v), g) in lens_buf.iter_mut().zip(vals_buf.iter_mut()).zip(chain) {
            *l = g.len();
            *v = num(g);
        }
        let lens = lens_buf.get(..chain.len()).unwrap_or_default();
        let vals = vals_buf.get(..chain.len()).unwrap_or_default();
        let plus_led = i == 0 && span.prefix == Prefix::Plus;
        let day_month = |a: u32, b: u32| (1..=31).contains(&a) && (1..=12).contains(&b);
        let is_date = match (lens, vals) {
            // 2024-03-15
            ([4, 1..=2, 1..=2], [_, m, d]) => day_month(*d, *m),
            // 15.03.2024, 03/15/24
            ([1..=2, 1..=2, 2 | 4], [a, c, _]) => day_month(*a, *c) || day_month(*c, *a),
            _ => false,
        };
        // Whether the chain stands alone (not glued by punctuation to more groups).
        let bounded = groups.get(i).is_some_and(|g| g.chained_by().is_none())
            && groups.get(j + 1).is_none_or(|g| g.chained_by().is_none());
        let leading_zero = |g: &Group| g.len() > 1 && b.get(g.start) == Some(&b'0');
        // 192.168.100.200, 10.0.0.1; not 40.61.20.62 (Norway) nor 078.123.45.33 (Switzerland).
        let is_ip = sep == Some(Sep::Dot)
            && bounded
            && lens.len() == 4
            && vals.iter().all(|v| *v <= 255)
            && lens.iter().all(|l| *l <= 3)
            && lens.iter().any(|l| *l != 2)
            && !chain.iter().any(leading_zero);
        // 120.0.6099.109, 978-3-16-148410-0, but not 1.800.555.1234 or +1-800-…
        let one_digit_inner = lens.len() >= 3 && lens.iter().skip(1).any(|l| *l == 1);
        let is_version_or_isbn = one_digit_inner && !plus_led;
        // 40.712776, 1234567.89; not 07400.123456 (a decimal has no leading zero).
        let is_decimal = sep == Some(Sep::Dot)
            && bounded
            && lens.len() == 2
            && !plus_led
            && !chain.first().is_some_and(leading_zero);
        // `5347/23514 items`, `06/10–20/03`: a fraction or half a date. An area code before
        // a slash is short (`11/96146-5466`) or starts with the trunk zero (`0151/…`).
        let is_fraction = sep == Some(Sep::Slash)
            && !plus_led
            && (lens.first().is_some_and(|l| *l >= 4) && !chain.first().is_some_and(leading_zero)
                || lens.iter().all(|l| *l <= 2));
        if is_date || is_ip || is_version_or_isbn || is_decimal || is_fraction {
            for flag in blocked.get_mut(i..=j).into_iter().flatten() {
                *flag = true;
            }
        }
        i = j + 1;
    }
    // IBAN bodies, card and long tracking numbers: three or more groups of four digits (the
    // last may be shorter), 13 digits or more, without `+`.
    let total: usize = groups.iter().map(Group::len).sum();
    let fours = groups.len() >= 3
        && groups.iter().take(groups.len() - 1).all(|g| g.len() == 4)
        && groups.last().is_some_and(|g| g.len() <= 4);
    // Card numbers in any grouping: 13 to 19 digits passing the Luhn check, starting 3 to 6.
    let digits = digits_of(b, groups);
    let card = (13..=19).contains(&total)
        && matches!(digits.as_bytes().first(), Some(b'3'..=b'6'))
        && luhn(&digits);
    // `4 8 15 16 23 42`: several one-digit groups make a list of small numbers.
    let list = groups.iter().filter(|g| g.len() == 1).count() >= 2;
    if (fours && total >= 13 || card || list) && span.prefix != Prefix::Plus {
        blocked.iter_mut().for_each(|f| *f = true);
    }
    blocked
}

/// `"from":"`, `to=`, `msisdn=`: a provider's field for a number in international form.
fn provider_key_before(b: &[u8], start: usize) -> bool {
    let mut s = start;
    if s > 0 && b.get(s - 1) == Some(&b'"') {
        s -= 1;
    }
    while s > 0 && b.get(s - 1) == Some(&b' ') {
        s -= 1;
    }
    if s == 0 || !matches!(b.get(s - 1), Some(b':' | b'=')) {
        return false;
    }
    s -= 1;
    if s > 0 && b.get(s - 1) == Some(&b'"') {
        s -= 1;
    }
    let word = word_ending_at(b, s);
    [&b"from"[..], b"to", b"msisdn", b"recipient", b"sender"]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// The Luhn check digit test of card numbers.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c.wrapping_sub(b'0'));
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    matches!(sum % 10, 0)
}

/// Seconds or milliseconds since 1970 between 2001 and 2033, written bare: log timestamps.
fn unix_timestamp(digits: &str) -> bool {
    let Ok(v) = digits.parse::<u64>() else {
        return false;
    };
    match digits.len() {
        10 => (1_000_000_000..2_000_000_000).contains(&v),
        13 => (1_000_000_000_000..2_000_000_000_000).contains(&v),
        _ => false,
    }
}

/// Whether the region's numbers are written with a national (trunk) prefix that `digits` lacks.
fn lacks_trunk_prefix(region: Id, digits: &str) -> bool {
    phonenumber::metadata::DATABASE
        .by_id(region.as_ref())
        .and_then(|m| m.national_prefix())
        .is_some_and(|p| !p.is_empty() && !digits.starts_with(p))
}

fn hit_from_number(range: Range<usize>, number: &PhoneNumber, digits: &str) -> PhoneHit {
    PhoneHit {
        range,
        country_code: Some(number.code().value()),
        canonical: number.format().mode(Mode::E164).to_string(),
        last2: last2(digits),
    }
}

fn last2(digits: &str) -> String {
    digits
        .get(digits.len().saturating_sub(2)..)
        .unwrap_or_default()
        .to_owned()
}

fn valid_international(digits: &str) -> Option<PhoneNumber> {
    phonenumber::parse(None, format!("+{digits}"))
        .ok()
        .filter(phonenumber::is_valid)
}

/// The country calling code at the start of `digits` (codes are prefix-free: at most one of the
/// first one, two or three digits is a code), when libphonenumber knows it.
pub(crate) fn country_code_of(digits: &str) -> Option<u16> {
    (1..=3).find_map(|len| {
        let code: u16 = digits.get(..len)?.parse().ok()?;
        phonenumber::metadata::DATABASE
            .by_code(&code)
            .is_some()
            .then_some(code)
    })
}

/// Judges the groups `sub` of a span. `first` tells whether they start at the span's first group
/// (and so carry its prefix).
fn judge(
    b: &[u8],
    span: &Span,
    sub: &[Group],
    first: bool,
    region: Option<Id>,
) -> Option<PhoneHit> {
    let (head, tail) = (sub.first()?, sub.last()?);
    let prefix = if first { span.prefix } else { Prefix::None };
    let start = if first { span.start } else { head.start };
    let range = start..tail.end;
    let digits = digits_of(b, sub);
    let n = digits.len();
    let unglued = first || !glued_after(b, tail.end, false);
    if !unglued {
        return None;
    }

    if prefix == Prefix::Plus {
        // After an explicit `+`, a known country code and a plausible length are enough: new
        // ranges and test numbers (`+44 7700 900…`) do not validate but are still numbers. This
        // also keeps the most common form off the slow validation path.
        // `+44 (0)20 …`: the trunk zero in parentheses is not part of the number.
        let digits = match sub {
            [cc, zero, ..]
                if zero.len() == 1
                    && zero.seps_before.contains(&Sep::Open)
                    && b.get(zero.start) == Some(&b'0') =>
            {
                let mut d = digits_of(b, std::slice::from_ref(cc));
                d.push_str(&digits_of(b, sub.get(2..).unwrap_or_default()));
                d
            }
            _ => digits,
        };
        let n = digits.len();
        if !(MIN_INTERNATIONAL_DIGITS..=MAX_E164_DIGITS).contains(&n) {
            return None;
        }
        let cc = country_code_of(&digits)?;
        if n - cc.to_string().len() < 4 {
            return None;
        }
        return Some(PhoneHit {
            range,
            country_code: Some(cc),
            canonical: format!("+{digits}"),
            last2: last2(&digits),
        });
    }
    if let Some(rest) = digits.strip_prefix("00") {
        if !rest.starts_with('0')
            && (MIN_INTERNATIONAL_DIGITS..=MAX_E164_DIGITS).contains(&rest.len())
        {
            if let Some(number) = valid_international(rest) {
                return Some(hit_from_number(range, &number, &digits));
            }
            // `0044 7700 900 123`: `00` is the `+` of people who dial it. Written in groups,
            // like after `+`, a known country code and a plausible length are enough (test and
            // new ranges do not validate); one unbroken run still has to validate, as order and
            // invoice numbers also start with zeros.
            if sub.len() >= 2 && context_before(b, start) != Context::NotPhone {
                if let Some(cc) = country_code_of(rest) {
                    if rest.len() - cc.to_string().len() >= 6 {
                        return Some(PhoneHit {
                            range,
                            country_code: Some(cc),
                            canonical: format!("+{rest}"),
                            last2: last2(rest),
                        });
                    }
                }
            }
        }
    }
    // `011 44 7700 900123`: North America's international prefix, where `011` is not an area
    // code (no region, or a +1 one).
    if let Some(rest) = digits.strip_prefix("011") {
        let nanp = region.is_none_or(|r| {
            phonenumber::metadata::DATABASE
                .by_id(r.as_ref())
                .is_some_and(|m| m.country_code() == 1)
        });
        if nanp && (MIN_INTERNATIONAL_DIGITS..=MAX_E164_DIGITS).contains(&rest.len()) {
            if let Some(number) = valid_international(rest) {
                return Some(hit_from_number(range, &number, &digits));
            }
        }
    }
    if !(MIN_NATIONAL_DIGITS..=MAX_E164_DIGITS).contains(&n) {
        return None;
    }
    // Only numbers written without `+` look at the words before them.
    let context = context_before(b, start);
    if context == Context::NotPhone {
        return None;
    }
    // `4 8 15 16 23 42`: a one-digit group inside a number written without `+` is a list.
    // An area code such as Budapest's `(06 1)` is the exception: it closes a parenthesis.
    let closes_paren = |k: usize| {
        sub.get(k + 1)
            .is_some_and(|g| g.seps_before.contains(&Sep::Close))
    };
    if sub
        .iter()
        .enumerate()
        .skip(1)
        .any(|(k, g)| g.len() == 1 && !closes_paren(k))
    {
        return None;
    }
    if sub.len() == 1 && unix_timestamp(&digits) {
        return None;
    }
    // libphonenumber also accepts national numbers without their trunk prefix (`30 123388` for
    // Berlin); short ones are too often counts and sizes, so they need nine digits.
    if let Some(region) = region.filter(|r| n >= 9 || !lacks_trunk_prefix(*r, &digits)) {
        if let Some(number) = phonenumber::parse(Some(region), &digits)
            .ok()
            .filter(phonenumber::is_valid)
        {
            return Some(hit_from_number(range, &number, &digits));
        }
    }
    // E.164 without its `+`, as providers write it (`wa_id`, `from`), in one unbroken group;
    // after a provider's `from`/`to` key even a short one (`"from":"5111255832"`, Peru).
    if sub.len() == 1 && (n >= 11 || n >= 8 && provider_key_before(b, start)) {
        if let Some(number) = valid_international(&digits) {
            return Some(hit_from_number(range, &number, &digits));
        }
    }
    let lens: Vec<usize> = sub.iter().map(Group::len).collect();
    let shaped = match lens.as_slice() {
        // (555) 123-4567, 555-123-4567, 1 555 123 4567
        [3, 3, 4] => !matches!(digits.as_bytes().first(), Some(b'0' | b'1')),
        [1, 3, 3, 4] => digits.starts_with('1'),
        _ => false,
    } || (prefix == Prefix::Paren && (9..=12).contains(&n))
        || (digits.starts_with('0')
            && !digits.starts_with("00")
            && (9..=12).contains(&n)
            && sub.len() >= 2);
    if shaped || context == Context::Phone {
        return Some(PhoneHit {
            range,
            country_code: None,
            canonical: digits.clone(),
            last2: last2(&digits),
        });
    }
    None
}

/// `text` with the decimal digits of other scripts (Arabic-Indic, Persian, Devanagari,
/// Bengali, Thai, full-width) and full-width `+ - ( )` and spaces written as ASCII, and where
/// each byte of the copy came from.
pub(crate) struct FoldedDigits<'a> {
    original: &'a str,
    text: String,
    /// For each byte of `text`, the start of the character of the original it came from.
    origin: Vec<usize>,
}

impl<'a> FoldedDigits<'a> {
    /// `None` when `text` has no such character (nothing to fold).
    pub(crate) fn of(original: &'a str) -> Option<Self> {
        if !original.chars().any(|c| fold(c).is_some()) {
            return None;
        }
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        for (at, c) in original.char_indices() {
            let before = text.len();
            text.push(fold(c).unwrap_or(c));
            origin.resize(origin.len() + (text.len() - before), at);
        }
        Some(Self {
            original,
            text,
            origin,
        })
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The bytes of the original that `range` of the copy came from.
    pub(crate) fn original(&self, range: &Range<usize>) -> Range<usize> {
        let start = self.origin.get(range.start).copied().unwrap_or(0);
        let end = range
            .end
            .checked_sub(1)
            .and_then(|last| self.origin.get(last).copied())
            .and_then(|at| {
                let c = self.original.get(at..)?.chars().next()?;
                Some(at + c.len_utf8())
            })
            .unwrap_or(start);
        start..end
    }
}

/// The ASCII character a non-ASCII digit or phone punctuation stands for.
fn fold(c: char) -> Option<char> {
    let digit = |zero: u32| char::from_digit(u32::from(c) - zero, 10);
    match c {
        '\u{0660}'..='\u{0669}' => digit(0x0660),
        '\u{06F0}'..='\u{06F9}' => digit(0x06F0),
        '\u{0966}'..='\u{096F}' => digit(0x0966),
        '\u{09E6}'..='\u{09EF}' => digit(0x09E6),
        '\u{0E50}'..='\u{0E59}' => digit(0x0E50),
        '\u{FF10}'..='\u{FF19}' => digit(0xFF10),
        '\u{FF0B}' => Some('+'),
        '\u{FF0D}' | '\u{2212}' => Some('-'),
        '\u{FF08}' => Some('('),
        '\u{FF09}' => Some(')'),
        '\u{3000}' => Some(' '),
        _ => None,
    }
}

/// Every phone number in `text`, in order, not overlapping.
pub(crate) fn find(text: &str, region: Option<Id>, out: &mut Vec<PhoneHit>) {
    let b = text.as_bytes();
    let mut at = 0;
    let mut groups = Groups::default();
    // The end of a list of small numbers cut at `MAX_GROUPS` groups: its continuation is the
    // same list (`Fibonacci 1 1 2 3 5 8 13 21 34 55 89 144 233 377 610 987`).
    let mut list_until: Option<usize> = None;
    while at < b.len() {
        let Some(offset) = b
            .get(at..)
            .and_then(|rest| rest.iter().position(u8::is_ascii_digit))
        else {
            return;
        };
        let first = at + offset;
        let end = read_span(b, first, &mut groups);
        at = end.max(first + 1);
        let continues_list = list_until.is_some_and(|e| {
            first > e
                && first - e <= 3
                && b.get(e..first)
                    .is_some_and(|gap| gap.iter().all(|c| matches!(c, b' ' | b'-' | b'.' | b'/')))
        });
        let ones = groups.iter().filter(|g| g.len() == 1).count();
        list_until = (groups.len() >= MAX_GROUPS && (ones >= 2 || continues_list)).then_some(end);
        if continues_list {
            continue;
        }
        let Some((start, prefix)) = span_start(b, first) else {
            continue;
        };
        let total: usize = groups.iter().map(Group::len).sum();
        if total < MIN_INTERNATIONAL_DIGITS.min(MIN_NATIONAL_DIGITS) {
            continue;
        }
        let span = Span {
            start,
            prefix,
            groups: &groups,
        };
        let last = span.groups.len() - 1;
        let span_glued_after = span
            .groups
            .get(last)
            .is_some_and(|g| glued_after(b, g.end, prefix == Prefix::Plus));
        if next_to_currency(b, start, span.groups.get(last).map_or(start, |g| g.end)) {
            continue;
        }
        let blocked = blocked_groups(b, &span);
        let mut i = 0;
        while i <= last {
            // Sub-spans start at the span's start or after a separator with a space.
            let can_start = i == 0 || span.groups.get(i).is_some_and(Group::space_before);
            let mut found = None;
            if can_start && !blocked.get(i).copied().unwrap_or(true) {
                for j in (i..=last).rev() {
                    let ends_clean = if j == last {
                        !span_glued_after
                    } else {
                        span.groups.get(j + 1).is_some_and(Group::space_before)
                    };
                    if !ends_clean || blocked.get(i..=j).is_none_or(|f| f.iter().any(|x| *x)) {
                        continue;
                    }
                    let Some(sub) = span.groups.get(i..=j) else {
                        continue;
                    };
                    if let Some(hit) = judge(b, &span, sub, i == 0, region) {
                        found = Some((hit, j));
                        break;
                    }
                }
            }
            match found {
                Some((hit, j)) => {
                    out.push(hit);
                    i = j + 1;
                }
                None => i += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found<'a>(text: &'a str, region: Option<&str>) -> Vec<&'a str> {
        let region = region.map(|r| crate::Region::parse(r).unwrap().0);
        let mut hits = Vec::new();
        find(text, region, &mut hits);
        hits.iter().map(|h| &text[h.range.clone()]).collect()
    }

    #[test]
    fn double_zero_prefix_in_groups_is_a_number_even_in_test_ranges() {
        assert_eq!(
            found("call me on 0044 7700 900 123 tonight", None),
            ["0044 7700 900 123"]
        );
        assert_eq!(found("0033 6 12 34 56 78", None), ["0033 6 12 34 56 78"]);
        // One unbroken run of zeros and digits is an id unless it validates.
        assert!(found("invoice 0044770090012", None).is_empty());
    }

    #[test]
    fn finds_international_and_national_forms() {
        assert_eq!(
            found("call +44 20 7946 0958 now", None),
            ["+44 20 7946 0958"]
        );
        assert_eq!(found("whatsapp:+14155238886", None), ["+14155238886"]);
        assert_eq!(found("ring 0044 20 7946 0958", None), ["0044 20 7946 0958"]);
        assert_eq!(
            found("tel (020) 7946-0958", Some("GB")),
            ["(020) 7946-0958"]
        );
        assert_eq!(
            found("From=whatsapp%3A%2B14155238886&x", None),
            ["%2B14155238886"]
        );
        assert_eq!(found("06 12 34 56 78", Some("FR")), ["06 12 34 56 78"]);
        assert_eq!(found("wa_id 447700900123", None), ["447700900123"]);
    }

    #[test]
    fn click_to_chat_links_and_csv_fields_are_numbers() {
        assert_eq!(found("https://wa.me/972502345763", None), ["972502345763"]);
        assert_eq!(
            found(
                "https://api.whatsapp.com/send?phone=5511987654321&text=hi",
                None
            ),
            ["5511987654321"]
        );
        assert_eq!(found("Yusuf,+6561234567,03/03/2026", None), ["+6561234567"]);
        assert_eq!(
            found("{\"name\":\"Ana\",\"phone\":\"+34612345678\"}", None),
            ["+34612345678"]
        );
        assert_eq!(
            found("Ana;07700 900123,12:30", Some("GB")),
            ["07700 900123"]
        );
        // A decimal part is still one: `1234567,89` is an amount, not `1234567`.
        assert!(found("paid 1234567,89 today", None).is_empty());
    }

    #[test]
    fn a_label_or_a_phone_word_in_any_script_makes_a_national_number() {
        for (text, number) in [
            (
                "Anna Berg | T: 08 123 456 78 | anna@firma.se",
                "08 123 456 78",
            ),
            ("M. 0171 2345678", "0171 2345678"),
            ("телефон 8 912 345 67 89", "8 912 345 67 89"),
            ("电话 138 0013 8000", "138 0013 8000"),
            ("📞 612 34 56 78", "612 34 56 78"),
            ("mobil 0171 2345678", "0171 2345678"),
            ("https://example.com/call/+447700900123", "+447700900123"),
        ] {
            assert_eq!(found(text, None), [number], "{text}");
        }
        // A number after a label word that is not a label stays a count.
        assert!(found("ATM: 1234567", None).is_empty());
        assert!(found("Total: 1234567", None).is_empty());
    }

    #[test]
    fn numbers_in_other_scripts_digits_are_found_where_they_stand() {
        for (text, number) in [
            ("رقمي ‎+٩٧١ ٥٠ ١٢٣ ٤٥٦٧ شكرا", "+٩٧١ ٥٠ ١٢٣ ٤٥٦٧"),
            (
                "电话：０９０－１２３４－５６７８",
                "０９０－１２３４－５６７８",
            ),
            ("फ़ोन +९१ ९८७६५ ४३२१०", "+९१ ९८७६५ ४३२१०"),
        ] {
            let folded = FoldedDigits::of(text).unwrap();
            let mut hits = Vec::new();
            find(folded.text(), None, &mut hits);
            let found: Vec<&str> = hits
                .iter()
                .map(|h| &text[folded.original(&h.range)])
                .collect();
            assert_eq!(found, [number], "{text}");
        }
        assert!(FoldedDigits::of("plain ascii 123").is_none());
    }

    #[test]
    fn numbers_in_dial_strings_glued_to_phone_words_and_in_provider_fields_are_found() {
        assert_eq!(
            found("-- Called PJSIP/0021620199624@trunk", None),
            vec!["0021620199624"]
        );
        assert_eq!(
            found("WhatsApp+9779841284649", None),
            vec!["+9779841284649"]
        );
        assert_eq!(found("Call(03112 20302)", Some("UA")), vec!["(03112 20302"]);
        assert_eq!(
            found(
                r#"{"messages":[{"from":"5111255832","id":"wamid.X"}]}"#,
                None
            ),
            vec!["5111255832"]
        );
        assert_eq!(
            found("international: 011 44 20 7946 0958", Some("US")),
            vec!["011 44 20 7946 0958"]
        );
        assert_eq!(
            found("Call 11/96146-5466", Some("BR")),
            vec!["11/96146-5466"]
        );
    }

    #[test]
    fn fractions_half_dates_long_lists_and_orders_in_other_scripts_are_not_numbers() {
        for (text, region) in [
            ("Progress: 5347/23514 items, ETA 4h 0m", "DE"),
            ("Offer valid 06/10–20/03, code SAVE14", "DE"),
            (
                "Fibonacci 1 1 2 3 5 8 13 21 34 55 89 144 233 377 610 987",
                "FR",
            ),
            ("订单号 563436379 已发货", "DE"),
            ("заказ 563436379 отправлен", "DE"),
        ] {
            assert!(found(text, Some(region)).is_empty(), "{text}");
        }
    }

    #[test]
    fn ids_labelled_as_ids_are_not_numbers() {
        for text in [
            "phone_number_id=106540352242922",
            "\"phone_number_id\": \"106540352242922\"",
            "waba_id 102290129340398",
            "phoneNumberId: 447700900123",
        ] {
            assert!(
                found(text, None).is_empty(),
                "{text}: {:?}",
                found(text, None)
            );
        }
        assert_eq!(found("wa_id 447700900123", None), ["447700900123"]);
    }

    #[test]
    fn splits_lists_of_numbers() {
        assert_eq!(
            found("07700 900123 / 07700 900456", Some("GB")),
            ["07700 900123", "07700 900456"]
        );
    }

    #[test]
    fn leaves_dates_versions_and_ids_alone() {
        for text in [
            "2024-03-15 10:30",
            "15.03.2024",
            "Chrome 120.0.6099.109",
            "192.168.100.200",
            "550e8400-e29b-41d4-a716-446655440000",
            "order #4839201745",
            "ISBN 978-3-16-148410-0",
            "GB29 NWBK 6016 1331 9268 19",
            "4111 1111 1111 1111",
            "total € 1 234 567",
            "40.712776, -74.005974",
        ] {
            assert!(
                found(text, Some("DE")).is_empty(),
                "{text}: {:?}",
                found(text, Some("DE"))
            );
        }
    }
}
