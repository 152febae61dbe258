//! The redactor: finds everything, resolves overlaps, rewrites.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::config::{PhoneMask, RedactionConfig, Region};
use crate::phone::{self, PhoneHit};
use crate::secrets::{self, KnownSecrets, Prescan};

/// What kind of secret or address a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretKind {
    /// A value the app was configured with, found verbatim or percent-encoded.
    KnownSecret,
    /// `-----BEGIN … PRIVATE KEY-----` up to its END line.
    PemPrivateKey,
    /// A JSON Web Token.
    Jwt,
    /// A Meta (WhatsApp Cloud API) access token, `EAA…`.
    MetaAccessToken,
    /// A Google API key, `AIza…`.
    GoogleApiKey,
    /// A Google OAuth access or refresh token or client secret.
    GoogleOauthToken,
    /// Another provider's token shape (GitHub, Slack, Stripe, AWS access key id).
    ProviderToken,
    /// The credential after `Bearer`, `Basic` or `Token`.
    AuthorizationHeader,
    /// The password in `scheme://user:password@host`.
    UrlPassword,
    /// The value of `password=…`, `"client_secret": "…"` and similar pairs.
    KeyValue,
    /// A long random-looking token: mixed case and digits with high entropy (hex runs are
    /// digests and ids; a hex key is found by its name or as a configured secret).
    HighEntropyToken,
    /// An e-mail address (its local part is masked).
    Email,
}

impl SecretKind {
    /// The name used in `[REDACTED:name]`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KnownSecret => "secret",
            Self::PemPrivateKey => "private_key",
            Self::Jwt => "jwt",
            Self::MetaAccessToken => "meta_token",
            Self::GoogleApiKey => "google_api_key",
            Self::GoogleOauthToken => "google_oauth",
            Self::ProviderToken => "token",
            Self::AuthorizationHeader => "credential",
            Self::UrlPassword => "password",
            Self::KeyValue => "value",
            Self::HighEntropyToken => "token",
            Self::Email => "email",
        }
    }

    /// Lower wins when two findings cover the same bytes: configured values first, then the
    /// most specific shapes.
    fn rank(self) -> u8 {
        match self {
            Self::KnownSecret => 0,
            Self::PemPrivateKey => 1,
            Self::Jwt => 2,
            Self::MetaAccessToken
            | Self::GoogleApiKey
            | Self::GoogleOauthToken
            | Self::ProviderToken => 3,
            Self::AuthorizationHeader | Self::UrlPassword | Self::KeyValue => 4,
            Self::HighEntropyToken => 5,
            Self::Email => 6,
        }
    }
}

/// What was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FindingKind {
    /// A phone number.
    Phone,
    /// A secret or an e-mail address.
    Secret(SecretKind),
}

/// One thing [`Redactor::find`] found: its kind and byte range in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What it is.
    pub kind: FindingKind,
    /// Where it is, in bytes of the input (always on `char` boundaries).
    pub range: Range<usize>,
}

/// The redactor could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedactorError {
    /// A built-in pattern failed to compile: a defect of this crate, reported at start-up so that
    /// nothing is logged unredacted.
    #[error("a built-in redaction pattern failed to compile")]
    Pattern(#[source] &'static regex::Error),
    /// The built-in words that name a credential in prose failed to compile: a defect of this
    /// crate, reported at start-up like [`RedactorError::Pattern`].
    #[error("the built-in credential words failed to compile")]
    Words(#[source] &'static aho_corasick::BuildError),
    /// The configured secrets could not be compiled into one matcher (too many or too long).
    #[error("the known secrets could not be compiled into a matcher")]
    KnownSecrets(#[source] aho_corasick::BuildError),
    /// The pseudonym key cannot key an HMAC.
    #[error("the phone pseudonym key is unusable")]
    PseudonymKey,
}

/// Removes phone numbers, secrets and e-mail addresses from text. Cheap to share (`Send + Sync`);
/// build one per process.
#[derive(Clone)]
pub struct Redactor {
    patterns: &'static secrets::Compiled,
    known: KnownSecrets,
    pseudonym: Option<Hmac<Sha256>>,
    region: Option<phonenumber::country::Id>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("known", &self.known)
            .field("pseudonym", &self.pseudonym.is_some())
            .field("region", &self.region.map(crate::Region))
            .finish_non_exhaustive()
    }
}

/// A replacement about to be made.
struct Edit {
    range: Range<usize>,
    rank: u8,
    kind: FindingKind,
    replacement: String,
}

impl Redactor {
    /// Configured secrets shorter than this many bytes are not matched.
    pub const MIN_KNOWN_SECRET_LEN: usize = 8;

    /// Builds a redactor.
    ///
    /// # Errors
    /// [`RedactorError`] when a pattern cannot be compiled or the pseudonym key is unusable.
    pub fn new(config: RedactionConfig) -> Result<Self, RedactorError> {
        let patterns = secrets::compiled().map_err(RedactorError::Pattern)?;
        crate::spoken::compile().map_err(RedactorError::Words)?;
        let values: Vec<&str> = config
            .known_secrets
            .iter()
            .map(ExposeSecret::expose_secret)
            .collect();
        let known = KnownSecrets::new(&values, Self::MIN_KNOWN_SECRET_LEN)
            .map_err(RedactorError::KnownSecrets)?;
        let pseudonym = match &config.phone_mask {
            PhoneMask::KeepCountryAndLast2 => None,
            PhoneMask::Pseudonym { key } => Some(
                Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes())
                    .map_err(|_| RedactorError::PseudonymKey)?,
            ),
        };
        Ok(Self {
            patterns,
            known,
            pseudonym,
            region: config.default_region.map(|r| r.0),
        })
    }

    /// Everything that [`Redactor::redact`] would replace, in order, not overlapping.
    #[must_use]
    pub fn find(&self, text: &str) -> Vec<Finding> {
        self.edits(text, self.region)
            .into_iter()
            .map(|e| Finding {
                kind: e.kind,
                range: e.range,
            })
            .collect()
    }

    /// `text` with phone numbers masked and secrets and e-mail local parts replaced. Borrowed
    /// when nothing was found, which is the common case and costs one pass over the bytes.
    #[must_use]
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.redact_in(text, None)
    }

    /// As [`Redactor::redact`], reading national numbers (written without `+`) in `region`
    /// when given, instead of the configured default: on the message path, the sender's own
    /// country ([`Region::of_number`]), since people write their friends' numbers the way
    /// their own country dials them.
    #[must_use]
    pub fn redact_in<'a>(&self, text: &'a str, region: Option<Region>) -> Cow<'a, str> {
        let edits = self.edits(text, region.map(|r| r.0).or(self.region));
        if edits.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len() + 16 * edits.len());
        let mut at = 0;
        for edit in edits {
            out.push_str(text.get(at..edit.range.start).unwrap_or_default());
            out.push_str(&edit.replacement);
            at = edit.range.end;
        }
        out.push_str(text.get(at..).unwrap_or_default());
        Cow::Owned(out)
    }

    /// The mask of a phone number found in text.
    fn mask_phone(&self, hit: &PhoneHit) -> String {
        if let Some(mac) = &self.pseudonym {
            let mut mac = mac.clone();
            mac.update(b"phone:");
            mac.update(hit.canonical.as_bytes());
            let tag = mac.finalize().into_bytes();
            return format!("phone#{}", hex::encode(tag.get(..5).unwrap_or_default()));
        }
        match hit.country_code {
            Some(cc) => format!("+{cc} ••• ••• ••{}", hit.last2),
            None => format!("••• ••• ••{}", hit.last2),
        }
    }

    /// A value known to be a phone number (a payload's `from` or `wa_id`), masked whatever its
    /// shape: found numbers are masked in place; anything else with digits is masked whole.
    pub(crate) fn mask_phone_value(&self, value: &str) -> String {
        // Providers write E.164 without its `+` (`"wa_id": "447700900123"`): under a phone key
        // that is certain enough to read the country code.
        let (scheme, number) = value.split_once(':').unwrap_or(("", value));
        let bare = number.strip_prefix('+').unwrap_or(number);
        if bare.len() >= 8 && bare.bytes().all(|c| c.is_ascii_digit()) {
            if let Some(cc) = phone::country_code_of(bare) {
                let hit = PhoneHit {
                    range: 0..value.len(),
                    country_code: Some(cc),
                    canonical: format!("+{bare}"),
                    last2: bare.get(bare.len() - 2..).unwrap_or_default().to_owned(),
                };
                let sep = if scheme.is_empty() { "" } else { ":" };
                return format!("{scheme}{sep}{}", self.mask_phone(&hit));
            }
        }
        let redacted = self.redact(value);
        if matches!(redacted, Cow::Owned(_)) || !value.bytes().any(|c| c.is_ascii_digit()) {
            return redacted.into_owned();
        }
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 6 {
            // Too short for the last two digits to be harmless.
            return "•••".to_owned();
        }
        let hit = PhoneHit {
            range: 0..value.len(),
            country_code: None,
            last2: digits
                .get(digits.len() - 2..)
                .unwrap_or_default()
                .to_owned(),
            canonical: digits,
        };
        self.mask_phone(&hit)
    }

    fn edits(&self, text: &str, region: Option<phonenumber::country::Id>) -> Vec<Edit> {
        let scan = Prescan::of(text);
        let mut edits = Vec::new();
        let mut secret_hits = Vec::new();
        self.known.find(text, &mut secret_hits);
        secrets::find(self.patterns, text, &scan, &mut secret_hits);
        edits.extend(secret_hits.into_iter().map(|h| Edit {
            range: h.range,
            rank: h.kind.rank(),
            kind: FindingKind::Secret(h.kind),
            replacement: h.replacement,
        }));
        if scan.digits >= 7 {
            let mut phones = Vec::new();
            phone::find(text, region, &mut phones);
            edits.extend(phones.into_iter().map(|p| Edit {
                range: p.range.clone(),
                rank: 7,
                kind: FindingKind::Phone,
                replacement: self.mask_phone(&p),
            }));
        }
        // Numbers written in other scripts' digits (`٠٥٠ ١٢٣ ٤٥٦٧`, full-width `０９０`): read on
        // an ASCII copy, masked in the original.
        if !text.is_ascii() {
            if let Some(folded) = phone::FoldedDigits::of(text) {
                let mut phones = Vec::new();
                phone::find(folded.text(), region, &mut phones);
                edits.extend(phones.into_iter().map(|p| Edit {
                    range: folded.original(&p.range),
                    rank: 7,
                    kind: FindingKind::Phone,
                    replacement: self.mask_phone(&p),
                }));
            }
        }
        if edits.len() > 1 {
            resolve_overlaps(&mut edits);
        }
        edits
    }
}

/// Keeps, among overlapping edits, the one that starts first; at the same start, the longer, then
/// the higher-ranked. An edit that starts inside a kept one but reaches further extends the kept
/// one's coverage (with its own replacement dropped) so no byte of either leaks.
fn resolve_overlaps(edits: &mut Vec<Edit>) {
    edits.sort_by(|a, b| {
        a.range
            .start
            .cmp(&b.range.start)
            .then_with(|| b.range.end.cmp(&a.range.end))
            .then_with(|| a.rank.cmp(&b.rank))
    });
    let mut kept: Vec<Edit> = Vec::with_capacity(edits.len());
    for edit in edits.drain(..) {
        match kept.last_mut() {
            Some(last) if edit.range.start < last.range.end => {
                if edit.range.end > last.range.end {
                    last.range.end = edit.range.end;
                }
            }
            _ => kept.push(edit),
        }
    }
    *edits = kept;
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::Region;

    fn redactor() -> Redactor {
        Redactor::new(RedactionConfig {
            known_secrets: vec![
                SecretString::from("s3cr3t-webhook-key"),
                SecretString::from("short"),
            ],
            default_region: Region::parse("GB").ok(),
            ..RedactionConfig::default()
        })
        .unwrap()
    }

    /// Issue 16: a megabyte-long line is redacted exactly as its short pieces are, one by one.
    #[test]
    fn a_national_number_is_read_in_the_senders_country() {
        let r = Redactor::new(RedactionConfig::default()).unwrap();
        // A Spanish mobile in national form (Spain has no trunk 0), no phone word: only the
        // sender's country says it is a number.
        let text = "vale, es el 612 34 56 78 si te pierdes";
        assert_eq!(r.redact(text), text);
        let es = Region::of_number("+34699000111");
        assert_eq!(
            r.redact_in(text, es),
            "vale, es el +34 ••• ••• ••78 si te pierdes"
        );
        // The hint does not turn amounts or dates into numbers.
        let plain = "paid 1234567 on 2026-03-03";
        assert_eq!(r.redact_in(plain, es), plain);
    }

    #[test]
    fn a_megabyte_line_is_redacted_as_its_short_pieces_are() {
        let r = redactor();
        for piece in [
            "from +44 7700 900189 ",
            "k s3cr3t-webhook-key ",
            "mail jane.doe@example.org ",
            "1 3 5 7 0 ",
            "+1 ",
            "EUR 1234567 ",
        ] {
            let n = 1_000_000 / piece.len();
            let line = piece.repeat(n);
            let expected = r.redact(piece).repeat(n);
            assert!(r.redact(&line) == expected, "{piece}");
        }
    }

    #[test]
    fn clean_text_is_borrowed() {
        let r = redactor();
        for text in [
            "",
            "list",
            "add buy milk",
            "done 3",
            "meeting at 10:30 on 2024-03-15",
        ] {
            assert!(matches!(r.redact(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn masks_keep_country_code_and_last_two_digits() {
        let r = redactor();
        assert_eq!(r.redact("from +44 7700 900189."), "from +44 ••• ••• ••89.");
        assert_eq!(r.redact("call 07400 123489"), "call +44 ••• ••• ••89");
        // Valid nowhere (a drama number), but after a phone word and with the trunk zero.
        assert_eq!(r.redact("call 07700 900189"), "call ••• ••• ••89");
        assert_eq!(r.redact("call (415) 555-0132 pls"), "call ••• ••• ••32 pls");
    }

    #[test]
    fn pseudonyms_are_stable_across_formats_and_keyed() {
        let with_key = |key: &str| {
            Redactor::new(RedactionConfig {
                phone_mask: PhoneMask::Pseudonym {
                    key: SecretString::from(key),
                },
                default_region: Region::parse("GB").ok(),
                ..RedactionConfig::default()
            })
            .unwrap()
        };
        let r = with_key("k1");
        let a = r.redact("whatsapp:+447400123489").into_owned();
        let b = r.redact("whatsapp:07400 123489").into_owned();
        assert_eq!(a, b);
        assert!(a.starts_with("whatsapp:phone#"), "{a}");
        assert_ne!(a, with_key("k2").redact("whatsapp:+447400123489"));
    }

    #[test]
    fn known_secrets_are_removed_verbatim_and_percent_encoded_but_short_ones_ignored() {
        let r = redactor();
        assert_eq!(
            r.redact("key=s3cr3t-webhook-key!"),
            "key=[REDACTED:secret]!"
        );
        assert_eq!(r.redact("k s3cr3t-webhook-key"), "k [REDACTED:secret]");
        assert_eq!(r.redact("a short text"), "a short text");
    }

    #[test]
    fn credentials_on_command_lines_in_configs_and_from_more_providers_are_masked() {
        let r = redactor();
        for (text, secret) in [
            ("curl -u svc-x:Cobalt9556! https://registry.example.com", "Cobalt9556!"),
            (
                "curl https://api.twilio.com/x -u ACfd82d5f5c2cdab7ccb390a80522b70bc:43cf3cc30b7a0c555a4c7ea973d5eccf",
                "43cf3cc30b7a0c555a4c7ea973d5eccf",
            ),
            ("docker login -u deploybot -p Maple964$ registry.example.com", "Maple964$"),
            ("mysql -u root -pHunter2024 -h db.local", "Hunter2024"),
            ("vault login --password Wint3r!sComing", "Wint3r!sComing"),
            ("PGPASSWORD=ch4ngeM3 psql -h db", "ch4ngeM3"),
            ("- sshpass=vdpl7W4wGRUYBm86rKzVWe", "vdpl7W4wGRUYBm86rKzVWe"),
            ("_auth=Y2k6TmltYnVzNDI5OD8=", "Y2k6TmltYnVzNDI5OD8="),
            ("'password' => 'Sup3rSecret',", "Sup3rSecret"),
            ("define('DB_PASSWORD', 'Sup3rSecret');", "Sup3rSecret"),
            ("<password>Sup3rSecret</password>", "Sup3rSecret"),
            (r#"<add key="DbPassword" value="Sup3rSecret" />"#, "Sup3rSecret"),
            (
                "https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/abcdefghijklmnopqrstuvwx",
                "abcdefghijklmnopqrstuvwx",
            ),
            ("key-11db9ada6ef1366ff5999c7c5c716953", "11db9ada6ef1366ff5999c7c5c716953"),
            ("MC_KEY 0123456789abcdef0123456789abcdef-us12", "0123456789abcdef0123456789abcdef"),
            (
                "AGE-SECRET-KEY-18A0ZCCQ7PM85JXAKZAEWUYVMSCAYNJ5XLLUFHJKHS3W52P96UEV3F2NXRG",
                "18A0ZCCQ7PM85JXAKZAEWUYVMSCAYNJ5XLLUFHJKHS3W52P96UEV3F2NXRG",
            ),
            ("the wifi password is Quartz362*", "Quartz362*"),
            ("mongodb+srv://app:Pa55w0rdX@cluster0.ab1cd.mongodb.net/prod", "Pa55w0rdX"),
        ] {
            let out = r.redact(text);
            assert!(!out.contains(secret), "{text} -> {out}");
        }
        // The host of a URL with a password stays (the password is not an address's name).
        let out = r.redact("mongodb+srv://app:Pa55w0rdX@cluster0.ab1cd.mongodb.net/prod");
        assert!(out.contains("@cluster0.ab1cd.mongodb.net/prod"), "{out}");
        // Ids on a command line are not credentials.
        let kept = "docker run -u 1000:1000 -p 8080:80 nginx";
        assert_eq!(r.redact(kept), kept);
    }

    #[test]
    fn ids_nonces_wallets_tags_and_elided_keys_are_kept() {
        let r = redactor();
        for text in [
            "Idempotency-Key: 7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "x-amz-version-id: jyIaChw1XGHwW8RgN6TOYFqLeyOjkIRp",
            "ksuid Q1TC0rL2i3BQ0XnMVtaMfM7xd4B",
            "Content-Security-Policy: script-src 'nonce-QbCWHXbtkfB2IRHxaHi86b'",
            "wallet 0x71C7656EC7ab88b098defB751B7401B5f6d8976F",
            "Stripe publishable key: pk_live_51HqLyjWDarjtT1zdp7dcXx2bQmPpm3xU9Kt4bWqQ",
            r#""x5c": ["MIIC+DCCAeCgAwIBAgIJzQnYD+f8Dx137nBrAMFKyNwyOLq24XtYHOhwnqm4a4j9uaRiOFhp0szDXhyPEdFSkDA5"]"#,
            "\"avatar\": \"data:image/jpeg;base64,/9j/4AAQSkZJRgABAQt+TwyGJTqUcy17rEjSuAB+vv7ezHMMD9wIIaye2Mb+MzECkv8xAX84OyoW0hw6OjQy4EgY2u8lH3HGWEPOMYJG3ySdOLj3InVl39UczMXIuwlQ9jsed7y5OrkXukpUrX/enKRlD7NmJu0qSOjp2wzbC/GupOWo15NK9Dmx+EUjI1WUBeo/v8\"",
            "STRIPE_SECRET_KEY=sk_live_...",
            "password: !vault |",
            "token: !!binary",
            "TOKEN=$(vault kv get -field=token secret/ci)",
            "-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----",
        ] {
            assert_eq!(r.redact(text), text);
        }
        // A session cookie is a credential, though its name ends in `_id`.
        let out =
            r.redact("Cookie: _session_id=x7C9t4Wd-ic7m2temrFrtq8ka-3U6uWf6asTRnD08; theme=dark");
        assert!(!out.contains("x7C9t4Wd"), "{out}");
    }

    #[test]
    fn secrets_by_shape() {
        let r = redactor();
        let cases = [
            (
                "Authorization: Bearer abc123DEF456ghi789",
                "Bearer [REDACTED:credential]",
            ),
            (
                "postgres://warden:hunter2@db:5432/warden",
                "postgres://warden:[REDACTED:password]@db",
            ),
            (
                "password=hunter2 user=bob",
                "password=[REDACTED:value] user=bob",
            ),
            (
                r#"{"client_secret": "abc"}"#,
                r#""client_secret": "[REDACTED:value]""#,
            ),
            (
                "TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef",
                "TWILIO_AUTH_TOKEN=[REDACTED:value]",
            ),
            (
                "export STRIPE_SECRET_KEY='rk_live_51Habc'",
                "STRIPE_SECRET_KEY='[REDACTED:value]'",
            ),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8pZ3K1",
                "aws_secret_access_key = [REDACTED:value]",
            ),
            (
                "https://hooks.example.com/services/T0ABC/B0DEF/Zq8pW2mN7vL4kR9tX3yB6cF1",
                "https://hooks.example.com/services/T0ABC/B0DEF/[REDACTED:token]",
            ),
            (
                "EAAGm0PX4ZCpsBAKZAZBpZCxyz123456789",
                "[REDACTED:meta_token]",
            ),
            (
                "key AIzaSyA1234567890abcdefghijklmnopqrstuv",
                "key [REDACTED:google_api_key]",
            ),
            (
                "ya29.a0AfH6SMBx1234567890abcdefghij",
                "[REDACTED:google_oauth]",
            ),
            (
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abc_DEF-123",
                "jwt [REDACTED:jwt]",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY----- done",
                "[REDACTED:private_key] done",
            ),
            (
                "mail jane.doe+x@example.co.uk ok",
                "mail •••@example.co.uk ok",
            ),
            ("SIGNING_KEY=q8Zr2mW9vLx4", "SIGNING_KEY=[REDACTED:value]"),
            (
                "?X-Amz-Signature=2d3f8a9b6c4e1f0a7b5c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
                "X-Amz-Signature=[REDACTED:value]",
            ),
            (
                "STRIPE_KEY=sk_live_51HabcDEFghiJKLmnoPQRstu",
                "STRIPE_KEY=[REDACTED:",
            ),
        ];
        for (input, expected) in cases {
            let out = r.redact(input);
            assert!(out.contains(expected), "{input} -> {out}");
        }
    }

    #[test]
    fn public_identifiers_digests_keys_and_placeholders_are_kept() {
        let r = redactor();
        for text in [
            // Twilio SIDs tie a log line to the provider's console.
            "sid AC0123456789abcdef0123456789abcdef msg SM0123456789abcdef0123456789abcdef",
            "POST /2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json 201",
            // Digests, commits, ETags, container images.
            "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 merged",
            "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
            "md5 d41d8cd98f00b204e9800998ecf8427e",
            "ETag: \"33a64df551425fcc55e4d42a148795d9f25f89d4\"",
            "image ghcr.io/acme/api@sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6",
            "integrity sha512-Zq8pW2mN7vL4kR9tX3yB6cF1Zq8pW2mN7vL4kR9tX3yB6cF1aBcDeF==",
            "h1:Zq8pW2mN7vL4kR9tX3yB6cF1Zq8pW2mN7vL4kR9tX3y=",
            // Public keys and certificates.
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
            "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYD\n-----END CERTIFICATE-----",
            "<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk\">",
            // A name that often holds a credential, with a value that is not one.
            "sort_key=created_at primary_key: id",
            // Provider object ids and other user@host shapes that name nobody.
            "payment pi_3MtwBwLkdIwHu7ix28a3tqPa for cus_NffrFeUfNV2Hib",
            "number PN0123456789abcdef0123456789abcdef",
            "git clone git@github.com:acme/warden.git",
            "DATABASE_URL=postgres://warden@db.internal:5432/warden",
            "systemctl restart getty@tty1.service",
            // Placeholders.
            "DB_PASSWORD=${DB_PASSWORD}",
            "password: ********",
            "META_ACCESS_TOKEN=EAAxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "DATABASE_URL=postgres://warden:password@localhost:5432/warden",
            "api_key: <your-api-key>",
            "client_secret = \"your_client_secret_here\"",
        ] {
            assert_eq!(r.redact(text), text, "{text}");
        }
    }

    #[test]
    fn a_cut_pem_key_is_redacted_to_the_end() {
        let out = redactor()
            .redact("key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow")
            .into_owned();
        assert!(!out.contains("MIIE"), "{out}");
    }

    #[test]
    fn overlapping_findings_leak_no_byte_of_either() {
        let mut edits = vec![
            Edit {
                range: 0..5,
                rank: 3,
                kind: FindingKind::Phone,
                replacement: "A".into(),
            },
            Edit {
                range: 3..9,
                rank: 1,
                kind: FindingKind::Phone,
                replacement: "B".into(),
            },
            Edit {
                range: 10..12,
                rank: 1,
                kind: FindingKind::Phone,
                replacement: "C".into(),
            },
        ];
        resolve_overlaps(&mut edits);
        let ranges: Vec<_> = edits.iter().map(|e| e.range.clone()).collect();
        assert_eq!(ranges, [0..9, 10..12]);
    }
}
