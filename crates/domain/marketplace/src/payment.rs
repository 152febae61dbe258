//! Payment-redirect check for vendor replies: a vendor must not be able to steer a client's money
//! to an account of its choosing through Warden.
//!
//! Warden never handles payment; a relayed offer states a price, and the client pays the vendor
//! after accepting. So any account, wallet or payment link in an offer, and any instruction to
//! send money somewhere, is held for the operator instead of relayed. Signals:
//!
//! - `iban`: an IBAN whose mod-97 check digits are valid (spaces or dashes between groups allowed);
//! - `bank_account`: an account/IBAN/RIB/Konto/conta… keyword followed by a long digit group, or a
//!   SWIFT/BIC keyword followed by a BIC;
//! - `sort_code`: a UK sort code `12-34-56` next to "sort code" or an 8-digit account number;
//! - `crypto_wallet`: an Ethereum address (`0x` + 40 hex), a Bitcoin bech32 address (`bc1…`) or a
//!   base58check address (Bitcoin P2PKH/P2SH, Litecoin, Dogecoin, Tron) whose checksum is valid;
//! - `payment_link`: a link to a payment service (PayPal, Revolut, Wise, Stripe, Monzo, Venmo,
//!   Cash App, bunq, Skrill, Payoneer) or to a URL shortener (which could hide one);
//! - `redirect_phrase`: a phrase that announces new bank details or tells the client to pay to an
//!   account, in English, Portuguese, Spanish, French, German, Italian and Dutch, or a payment
//!   verb followed within five words by an account word.
//!
//! Prices, currencies and payment *methods* ("we take cash", "card accepted", "120 EUR") are
//! not signals. Known weaknesses: spelled-out numbers, addresses split across messages, images.

use sha2::{Digest, Sha256};

use crate::text::{fold, words};

/// A reason to believe a text tries to direct a payment. Codes are stable (audit detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PaymentSignal {
    Iban,
    BankAccount,
    SortCode,
    CryptoWallet,
    PaymentLink,
    RedirectPhrase,
}

impl PaymentSignal {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Iban => "iban",
            Self::BankAccount => "bank_account",
            Self::SortCode => "sort_code",
            Self::CryptoWallet => "crypto_wallet",
            Self::PaymentLink => "payment_link",
            Self::RedirectPhrase => "redirect_phrase",
        }
    }
}

/// Why a vendor reply was held instead of relayed. Codes are stable (the `reasons` detail of
/// `offer.held`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HoldReason {
    /// The injection guard's verdict was `injection`.
    Injection,
    /// The injection guard saw payment-redirect language (even below its threshold).
    GuardPaymentRedirect,
    Payment(PaymentSignal),
    /// No request reference in the text.
    NoReference,
    /// More than one reference: which request is meant is unclear.
    AmbiguousReference,
    /// The reference is not one of the requests this vendor was contacted about.
    UnknownReference,
    /// The request was accepted or cancelled.
    RequestNotOpen,
    /// The vendor was deactivated.
    VendorInactive,
    /// The vendor already had its allowed number of offers relayed for this request.
    OfferLimit,
    /// Nothing left to relay once the reference and hidden characters were removed.
    EmptyOffer,
}

impl HoldReason {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Injection => "injection",
            Self::GuardPaymentRedirect => "guard_payment_redirect",
            Self::Payment(p) => p.code(),
            Self::NoReference => "no_reference",
            Self::AmbiguousReference => "ambiguous_reference",
            Self::UnknownReference => "unknown_reference",
            Self::RequestNotOpen => "request_not_open",
            Self::VendorInactive => "vendor_inactive",
            Self::OfferLimit => "offer_limit",
            Self::EmptyOffer => "empty_offer",
        }
    }
}

/// Every payment signal in `text`, sorted, without duplicates. Total; linear-ish in the input.
pub fn payment_signals(text: &str) -> Vec<PaymentSignal> {
    let folded = fold(text);
    let ws = words(&folded);
    let mut out = Vec::new();
    if has_iban(text) {
        out.push(PaymentSignal::Iban);
    }
    if has_bank_account(&ws) {
        out.push(PaymentSignal::BankAccount);
    }
    if has_sort_code(text, &ws) {
        out.push(PaymentSignal::SortCode);
    }
    if has_crypto_wallet(text) {
        out.push(PaymentSignal::CryptoWallet);
    }
    if has_payment_link(&folded) {
        out.push(PaymentSignal::PaymentLink);
    }
    if has_redirect_phrase(&ws) {
        out.push(PaymentSignal::RedirectPhrase);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// IBAN

fn has_iban(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let start_ok = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if start_ok
            && bytes[i].is_ascii_alphabetic()
            && bytes[i + 1].is_ascii_alphabetic()
            && bytes[i + 2].is_ascii_digit()
            && bytes[i + 3].is_ascii_digit()
        {
            let compact = collect_grouped(&bytes[i..], 34);
            if (15..=compact.len())
                .rev()
                .any(|n| iban_checksum_ok(&compact[..n]))
            {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// Alphanumerics from the start of `bytes`, uppercased, skipping single spaces or dashes between
/// groups, up to `max` characters.
fn collect_grouped(bytes: &[u8], max: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(max);
    let mut i = 0;
    while i < bytes.len() && out.len() < max {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() {
            out.push(b.to_ascii_uppercase());
        } else if matches!(b, b' ' | b'-')
            && bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric)
            && i > 0
            && bytes[i - 1].is_ascii_alphanumeric()
        {
            // a single separator between two groups
        } else {
            break;
        }
        i += 1;
    }
    out
}

/// ISO 13616: move the first four characters to the end, letters to 10..35, mod 97 == 1.
fn iban_checksum_ok(iban: &[u8]) -> bool {
    if iban.len() < 15
        || !iban[..2].iter().all(u8::is_ascii_uppercase)
        || !iban[2..4].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in iban[4..].iter().chain(&iban[..4]) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

// ---------------------------------------------------------------------------------------------
// Bank account numbers, sort codes, BIC

/// Words after which a long number is an account number.
const ACCOUNT_WORDS: &[&str] = &[
    "account",
    "acct",
    "acc",
    "iban",
    "nib",
    "conta",
    "cuenta",
    "compte",
    "rib",
    "konto",
    "kontonummer",
    "conto",
    "rekening",
    "rekeningnummer",
    "routing",
    "aba",
    "ccc",
    "clabe",
    "bsb",
    "ifsc",
    "blz",
];

const BIC_WORDS: &[&str] = &["swift", "bic"];

fn digit_count(w: &str) -> usize {
    w.bytes().filter(u8::is_ascii_digit).count()
}

fn has_bank_account(ws: &[&str]) -> bool {
    for (i, w) in ws.iter().enumerate() {
        if ACCOUNT_WORDS.contains(w) {
            // Digits of the next few words, counting consecutive numeric groups together
            // ("1234 5678 90").
            let mut digits = 0;
            for next in ws.iter().skip(i + 1).take(6) {
                if next.bytes().all(|b| b.is_ascii_digit()) {
                    digits += next.len();
                    if digits >= 6 {
                        return true;
                    }
                } else if digit_count(next) >= 6 {
                    return true;
                } else {
                    digits = 0;
                }
            }
        }
        if BIC_WORDS.contains(w) && ws.iter().skip(i + 1).take(3).any(|n| is_bic(n)) {
            return true;
        }
    }
    false
}

/// 8 or 11 characters: 4 bank letters, 2 country letters, 2 location and optional 3 branch
/// alphanumerics. Words are folded to lowercase here.
fn is_bic(w: &str) -> bool {
    let b = w.as_bytes();
    (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_lowercase)
        && b[6..].iter().all(u8::is_ascii_alphanumeric)
        && b[6..].iter().any(u8::is_ascii_digit)
}

fn has_sort_code(text: &str, ws: &[&str]) -> bool {
    let bytes = text.as_bytes();
    let sort_code_word = ws.windows(2).any(|p| p == ["sort", "code"]);
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let w = &bytes[i..i + 8];
        let shape = w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && w[2] == b'-'
            && w[3].is_ascii_digit()
            && w[4].is_ascii_digit()
            && w[5] == b'-'
            && w[6].is_ascii_digit()
            && w[7].is_ascii_digit();
        let bounded = (i == 0 || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'-')
            && bytes
                .get(i + 8)
                .is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'-');
        if shape && bounded {
            if sort_code_word {
                return true;
            }
            // An 8-digit account number right after it.
            let rest = text.get(i + 8..).unwrap_or("");
            let next: String = rest
                .trim_start_matches([' ', ',', ';', '/'])
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if next.len() == 8 {
                return true;
            }
        }
        i += 1;
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Crypto wallets

const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BECH32: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn has_crypto_wallet(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|t| is_eth_address(t) || is_bech32_address(t) || is_base58check_address(t))
}

fn is_eth_address(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 42
        && (b.starts_with(b"0x") || b.starts_with(b"0X"))
        && b[2..].iter().all(u8::is_ascii_hexdigit)
}

fn is_bech32_address(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    let is_single_case = t == lower || t == t.to_ascii_uppercase();
    let Some(data) = ["bc1", "tb1", "ltc1"]
        .iter()
        .find_map(|hrp| lower.strip_prefix(hrp))
    else {
        return false;
    };
    is_single_case && (11..=71).contains(&data.len()) && data.bytes().all(|b| BECH32.contains(&b))
}

fn is_base58check_address(t: &str) -> bool {
    if !(26..=35).contains(&t.len()) {
        return false;
    }
    let Some(bytes) = base58_decode(t) else {
        return false;
    };
    if bytes.len() != 25 {
        return false;
    }
    let (payload, check) = bytes.split_at(21);
    let first = Sha256::digest(payload);
    let second = Sha256::digest(first);
    second.get(..4) == Some(check)
}

fn base58_decode(t: &str) -> Option<Vec<u8>> {
    // Big-endian base-256 number, grown as digits come in.
    let mut num: Vec<u8> = Vec::with_capacity(32);
    for c in t.bytes() {
        let digit = BASE58.iter().position(|&a| a == c)?;
        let mut carry = u32::try_from(digit).ok()?;
        for byte in num.iter_mut().rev() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            num.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = t.bytes().take_while(|&b| b == b'1').count();
    let mut out = vec![0u8; zeros];
    out.extend(num);
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Payment links

/// Payment services and URL shorteners, as hosts (folded text).
const PAYMENT_HOSTS: &[&str] = &[
    "paypal.me",
    "paypal.com",
    "revolut.me",
    "revolut.com",
    "wise.com",
    "transferwise.com",
    "stripe.com",
    "monzo.me",
    "venmo.com",
    "cash.app",
    "bunq.me",
    "skrill.com",
    "payoneer.com",
    "lydia-app.com",
    "buymeacoffee.com",
    "ko-fi.com",
    // Shorteners: the link could lead anywhere, including a payment page.
    "bit.ly",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "v.gd",
    "buff.ly",
    "rebrand.ly",
    "cutt.ly",
    "shorturl.at",
    "tiny.cc",
    "rb.gy",
    "t.ly",
    "s.id",
    "bl.ink",
    "short.io",
    "lnkd.in",
    "shorturl.com",
    "tiny.one",
];

fn has_payment_link(folded: &str) -> bool {
    let bytes = folded.as_bytes();
    PAYMENT_HOSTS.iter().any(|host| {
        folded.match_indices(host).any(|(i, _)| {
            let before_ok =
                i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'-');
            let after = bytes.get(i + host.len());
            let after_ok = after.is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'-'));
            before_ok && after_ok
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Phrases

/// Folded word sequences that announce new payment details or direct a payment.
const REDIRECT_PHRASES: &[&str] = &[
    // English
    "new bank details",
    "new bank account",
    "new account details",
    "new account number",
    "new payment details",
    "updated bank details",
    "updated payment details",
    "bank details have changed",
    "bank details changed",
    "account has changed",
    "account details have changed",
    "changed our bank",
    "changed bank account",
    "different account",
    "another account",
    "alternative account",
    "pay to this account",
    "pay into this account",
    "pay into our",
    "pay into my",
    "transfer to this account",
    "transfer to our account",
    "transfer the money",
    "send the money to",
    "send money to",
    "send the payment to",
    "wire the money",
    "wire to",
    "wire transfer to",
    "deposit to",
    "deposit into",
    "pay instead",
    "instead pay",
    "pay us directly",
    "pay me directly",
    "payment link",
    "pay via this link",
    "gift card",
    "gift cards",
    // Portuguese
    "novos dados bancarios",
    "novo iban",
    "nova conta",
    "mudamos de conta",
    "mudamos de banco",
    "alteramos os dados bancarios",
    "dados bancarios foram alterados",
    "transfira para a conta",
    "transferencia para a conta",
    "pague para esta conta",
    "pague nesta conta",
    "pagar nesta conta",
    "deposite na conta",
    "envie o dinheiro para",
    "mb way para",
    // Spanish
    "nuevos datos bancarios",
    "nueva cuenta",
    "nuevo iban",
    "cambiamos de cuenta",
    "cambiado de cuenta",
    "cambiado de banco",
    "transfiera a la cuenta",
    "transferencia a la cuenta",
    "pague a esta cuenta",
    "pague en esta cuenta",
    "ingrese en",
    "deposite en la cuenta",
    "envie el dinero a",
    "bizum al",
    // French
    "nouveau rib",
    "nouvel iban",
    "nouveau compte",
    "nouvelles coordonnees bancaires",
    "changement de rib",
    "changement de coordonnees bancaires",
    "virement sur",
    "virez sur",
    "virer sur",
    "payez sur ce compte",
    "payer sur le compte",
    "envoyez l argent",
    "versez sur",
    // German
    "neue bankverbindung",
    "neues konto",
    "neue iban",
    "neue kontonummer",
    "geanderte bankverbindung",
    "bankverbindung hat sich geandert",
    "uberweisen sie auf",
    "uberweisung auf",
    "zahlen sie auf",
    "auf folgendes konto",
    "auf dieses konto",
    // Italian
    "nuovo iban",
    "nuovo conto",
    "nuove coordinate bancarie",
    "bonifico su",
    "bonifico sul",
    "versamento su",
    "pagate su questo conto",
    "pagare su questo conto",
    // Dutch
    "nieuw rekeningnummer",
    "nieuwe rekening",
    "nieuwe bankgegevens",
    "maak over naar",
    "overmaken naar",
    "stort op",
];

/// A payment verb followed within five words by one of [`ACCOUNT_NOUNS`].
const PAY_VERBS: &[&str] = &[
    "pay",
    "transfer",
    "wire",
    "deposit",
    "send",
    "pague",
    "pagar",
    "transfira",
    "transferir",
    "deposite",
    "envie",
    "transfiera",
    "ingrese",
    "payez",
    "virez",
    "versez",
    "uberweisen",
    "zahlen",
    "pagate",
    "versate",
    "betaal",
    "stort",
];

const ACCOUNT_NOUNS: &[&str] = &[
    "account", "iban", "wallet", "conta", "cuenta", "compte", "rib", "konto", "conto", "rekening",
    "paypal", "revolut", "venmo", "bitcoin", "btc", "usdt", "crypto", "ethereum", "eth",
];

fn has_redirect_phrase(ws: &[&str]) -> bool {
    let phrase_hit = REDIRECT_PHRASES.iter().any(|p| {
        let pw: Vec<&str> = p.split(' ').collect();
        ws.windows(pw.len()).any(|w| w == pw.as_slice())
    });
    phrase_hit
        || ws.iter().enumerate().any(|(i, w)| {
            PAY_VERBS.contains(w)
                && ws
                    .iter()
                    .skip(i + 1)
                    .take(5)
                    .any(|n| ACCOUNT_NOUNS.contains(n))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentSignal::*;

    fn signals(s: &str) -> Vec<PaymentSignal> {
        payment_signals(s)
    }

    #[test]
    fn detects_valid_ibans_in_any_grouping() {
        for text in [
            "Please use PT50 0002 0123 1234 5678 9015 4 for the deposit",
            "iban: GB82WEST12345698765432",
            "DE89 3704 0044 0532 0130 00.",
            "FR14-2004-1010-0505-0001-3M02-606",
            "es9121000418450200051332",
        ] {
            assert!(signals(text).contains(&Iban), "{text}");
        }
        // Wrong check digits alone are not an IBAN (the keyword rule may still fire).
        assert!(!signals("GB00WEST12345698765432").contains(&Iban));
    }

    #[test]
    fn detects_account_numbers_sort_codes_and_bics() {
        assert!(signals("Account number 12345678, thanks").contains(&BankAccount));
        assert!(signals("conta 0002 0123 1234").contains(&BankAccount));
        assert!(signals("Kontonummer: 532013000").contains(&BankAccount));
        assert!(signals("sort code 20-00-00 acc 55779911").contains(&SortCode));
        assert!(signals("pay 20-00-00 55779911").contains(&SortCode));
        assert!(signals("SWIFT: DEUTDEFF500").contains(&BankAccount));
    }

    #[test]
    fn detects_crypto_wallet_addresses() {
        for text in [
            "send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy please",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "ETH 0x52908400098527886E0F7030069857D2E4169EE7",
            "TRC20: TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        ] {
            assert!(signals(text).contains(&CryptoWallet), "{text}");
        }
        // A long booking code with a bad checksum is not a wallet.
        assert!(!signals("booking 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3").contains(&CryptoWallet));
    }

    #[test]
    fn detects_payment_links_and_shorteners() {
        for text in [
            "pay here: https://paypal.me/lisbonvans/120",
            "revolut.me/joao",
            "https://buy.stripe.com/test_123",
            "https://wise.com/pay/r/abc",
            "details at bit.ly/3xYz",
            "www.tinyurl.com/abc",
        ] {
            assert!(signals(text).contains(&PaymentLink), "{text}");
        }
        assert!(!signals("visit our site lisbonvans.pt or at.com").contains(&PaymentLink));
    }

    #[test]
    fn detects_redirect_phrases_in_several_languages() {
        for text in [
            "Our bank details have changed, please pay to this account instead",
            "Please pay into our new account",
            "Mudámos de banco: novos dados bancários seguem",
            "Por favor, transfiera a la cuenta nueva",
            "Nouveau RIB ci-joint, virement sur ce compte",
            "Bitte überweisen Sie auf folgendes Konto",
            "Nuovo IBAN per il bonifico",
            "Maak over naar onze nieuwe rekening",
            "send the deposit to my PayPal",
        ] {
            assert!(signals(text).contains(&RedirectPhrase), "{text}");
        }
    }

    #[test]
    fn payment_methods_and_prices_are_not_redirects() {
        for text in [
            "I accept card payment",
            "price is 120 EUR",
            "we take cash",
            "R-7F3K2Q: wheelchair van available Saturday 9:00-18:00, 120 EUR, card or cash to the driver",
            "Payment on arrival. Transfer to the airport included.",
            "Transferencia al aeropuerto incluida, pago en efectivo",
            "Preço 95€, pagamento ao motorista",
            "Prix 110 EUR, paiement par carte accepté",
            "We have 3 vans, 8 seats each, booking ref AB12CD34",
            "Call us on +351 912 345 678",
            "Available 2024-03-16 from 09:00",
            "Our account manager will confirm the booking",
        ] {
            assert_eq!(signals(text), Vec::<PaymentSignal>::new(), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn payment_check_is_total(s in "\\PC{0,300}") {
            let _ = payment_signals(&s);
        }
    }
}
