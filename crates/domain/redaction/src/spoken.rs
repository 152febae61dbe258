//! Secrets told in prose: "the wifi password is Quartz362*", "mi contraseña es perro2024azul",
//! "密码是 KEBEsG3Qc", "prod key → RtiUt5D_QAfc". No `:` or `=` joins the name to the value, so
//! the key/value patterns cannot see them: a word that names a credential, in any of the
//! languages people write to the assistant, is followed by a few short words and then a value
//! that looks like one.

use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::secrets::{credential_like, is_placeholder};

/// Words that name a password, in the languages and scripts the guard claims (and a few more).
/// A word may go on with letters (`sandinya`, `lösenordet`, `passwords`).
const PASSWORD_WORDS: &[&str] = &[
    "password",
    "passwort",
    "passwd",
    "passcode",
    "passphrase",
    "kennwort",
    "contraseña",
    "contrasena",
    "senha",
    "mot de passe",
    "mdp",
    "wachtwoord",
    "parola d'ordine",
    "hasło",
    "haslo",
    "şifre",
    "şifresi",
    "sifre",
    "lösenord",
    "losenord",
    "adgangskode",
    "passord",
    "salasana",
    "jelszó",
    "heslo",
    "geslo",
    "lozinka",
    "parolă",
    "mật khẩu",
    "kata sandi",
    "kata laluan",
    "пароль",
    "паролі",
    "密码",
    "密碼",
    "口令",
    "パスワード",
    "暗証番号",
    "비밀번호",
    "암호",
    "كلمة المرور",
    "كلمة السر",
    "رمز عبور",
    "סיסמה",
    "סיסמא",
    "पासवर्ड",
    "κωδικός",
];

/// Words that name some other credential: their value must look like one on its own
/// ([`credential_like`]), as "key" and "token" also name harmless things.
const CREDENTIAL_WORDS: &[&str] = &[
    "key",
    "token",
    "secret",
    "api key",
    "apikey",
    "credential",
    "credentials",
    "clave",
    "chave",
    "clé",
    "schlüssel",
    "ключ",
    "токен",
    "密钥",
    "秘钥",
    "令牌",
    "キー",
    "トークン",
    "مفتاح",
];

/// How many short words may stand between the name and the value ("the password *for the wifi
/// is* X", "пароль *от почты*: X").
const MAX_GLUE_WORDS: usize = 4;
/// Longest glue word, in characters.
const MAX_GLUE_CHARS: usize = 12;
/// Longest token or quoted value read after a name, in bytes: each name reads a bounded
/// window, so the whole search stays linear in the text.
const MAX_TOKEN_BYTES: usize = 256;

/// Every spelling of the words, and whether each names a password: one Aho-Corasick automaton,
/// ASCII case-insensitive, with the capitalised and upper-case forms of the other scripts'
/// words added (`Пароль`, `ŞİFRE`), so one fast pass over the text finds them all.
struct Words {
    automaton: AhoCorasick,
    password: Vec<bool>,
}

static WORDS: LazyLock<Result<Words, aho_corasick::BuildError>> = LazyLock::new(|| {
    let mut patterns: Vec<String> = Vec::new();
    let mut password = Vec::new();
    for (words, is_password) in [(PASSWORD_WORDS, true), (CREDENTIAL_WORDS, false)] {
        for word in words {
            let mut forms = vec![(*word).to_owned()];
            if !word.is_ascii() {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    forms.push(first.to_uppercase().chain(chars).collect());
                }
                forms.push(word.to_uppercase());
            }
            forms.dedup();
            for form in forms {
                patterns.push(form);
                password.push(is_password);
            }
        }
    }
    Ok(Words {
        automaton: AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)?,
        password,
    })
});

/// Whether the words compiled (checked by [`crate::Redactor::new`]).
pub(crate) fn compile() -> Result<(), &'static aho_corasick::BuildError> {
    WORDS.as_ref().map(|_| ())
}

/// Separators between a name and its value that are not words.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ':' | '：'
            | '='
            | '-'
            | '—'
            | '–'
            | '→'
            | '>'
            | '⇒'
            | '➡'
            | ','
            | '،'
            | '、'
            | '('
            | ')'
    ) || c.is_whitespace()
}

fn is_open_quote(c: char) -> Option<char> {
    match c {
        '"' => Some('"'),
        '\'' => Some('\''),
        '`' => Some('`'),
        '«' => Some('»'),
        '“' => Some('”'),
        '「' => Some('」'),
        '„' => Some('“'),
        _ => None,
    }
}

/// The end of the token starting at `at`: at whitespace, or where a letter of another script
/// meets an ASCII letter or digit (`是KEBE…`, `KEBE…です`).
fn token_end(text: &str, at: usize) -> usize {
    let mut prev: Option<char> = None;
    for (i, c) in text.get(at..).unwrap_or_default().char_indices() {
        // Nobody tells a 256-byte password in prose; the bound keeps every name's read short.
        if i >= MAX_TOKEN_BYTES {
            return at + i;
        }
        if c.is_whitespace() {
            return at + i;
        }
        if let Some(p) = prev {
            let script_change = (!is_latin(p) && p.is_alphabetic() && c.is_ascii_alphanumeric())
                || (p.is_ascii_alphanumeric() && !is_latin(c) && c.is_alphabetic());
            if script_change {
                return at + i;
            }
        }
        prev = Some(c);
    }
    text.len()
}

/// A value that could be a password: six characters or more, not a placeholder, an address or
/// a date; a PIN of six digits or more, or letters with a digit, a symbol, inner capitals or
/// the hyphens of a passphrase (`horse-battery-staple`), but not a plain word or `don't`.
fn password_like(v: &str) -> bool {
    let chars = v.chars().count();
    if chars < 6 || is_placeholder(v) || v.starts_with("[REDACTED") {
        return false;
    }
    if v.contains("://") || v.starts_with("www.") || v.contains('@') && v.contains('.') {
        return false;
    }
    let letters = v.chars().filter(|c| c.is_alphabetic()).count();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    if letters == 0 {
        return digits == chars;
    }
    // ASCII symbols only: a virama or a vowel sign (`पासवर्ड`) is part of a word.
    let symbols = v
        .chars()
        .any(|c| c.is_ascii_punctuation() && !matches!(c, '\'' | '-' | '.' | '_'));
    let hyphens = v.matches('-').count() + v.matches('_').count();
    let inner_capital = v
        .chars()
        .zip(v.chars().skip(1))
        .any(|(a, b)| a.is_lowercase() && b.is_uppercase());
    digits > 0 || symbols || hyphens >= 2 || inner_capital
}

/// Trailing punctuation that ends the sentence rather than the password.
fn trim_sentence_end(v: &str) -> &str {
    let trimmed = v.trim_end_matches(['.', ',', ';', ':', '：', ')', '。', '，', '؟', '?']);
    if trimmed.is_empty() {
        v
    } else {
        trimmed
    }
}

/// Ranges of the values of credentials named in prose.
pub(crate) fn find(text: &str, out: &mut Vec<Range<usize>>) {
    let Ok(words) = WORDS.as_ref() else {
        return;
    };
    let mut resume = 0;
    for found in words.automaton.find_iter(text) {
        let m = found.range();
        let password = words
            .password
            .get(found.pattern().as_usize())
            .copied()
            .unwrap_or(false);
        if m.start < resume {
            continue;
        }
        // A Latin word starts a word (`1Password`, `monkey`, `turkey` are no names), and a
        // name inside an identifier or a URL (`reset-password?token=`, `sort_key`) is code,
        // which the key/value patterns read.
        let before = text.get(..m.start).and_then(|p| p.chars().next_back());
        if before.is_some_and(|c| {
            c.is_alphanumeric() && (c.is_ascii() || !password)
                || matches!(
                    c,
                    '/' | '-' | '_' | '.' | '?' | '=' | '&' | '#' | '$' | '{' | ':' | '@'
                )
        }) {
            continue;
        }
        let mut at = m.end;
        let rest = text.get(at..).unwrap_or_default();
        if rest.starts_with(['/', '?', '=', '&', '_', '.', '-', '"', '\'', '}', '@', '$']) {
            continue;
        }
        if password {
            // The word may go on (`sandinya`, `lösenordet`, `passwords`).
            let word_end = rest
                .char_indices()
                .take(MAX_GLUE_CHARS + 1)
                .find(|(_, c)| !c.is_alphabetic() || !c.is_ascii() && !is_latin(*c));
            // The text ends inside the word (nothing follows it), or the word goes on for
            // longer than a suffix (`passwordpasswordpassword…` names nothing).
            let Some((i, _)) = word_end else { continue };
            at += i;
        } else if rest.chars().next().is_some_and(char::is_alphanumeric) {
            // `keyboard`, `tokens`: another word.
            continue;
        }
        if let Some(value) = value_after(text, at, password) {
            resume = value.end;
            out.push(value);
        }
    }
}

/// Combining marks of the scripts people write the assistant in (Devanagari's virama and vowel
/// signs, Arabic harakat, Hebrew points, Thai vowels), which `char::is_alphabetic` does not
/// always count as letters.
fn is_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0591}'..='\u{05C7}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{0900}'..='\u{0903}'
        | '\u{093A}'..='\u{094F}'
        | '\u{0951}'..='\u{0957}'
        | '\u{0962}'..='\u{0963}'
        | '\u{0981}'..='\u{0983}'
        | '\u{09BC}'..='\u{09D7}'
        | '\u{0E31}'
        | '\u{0E34}'..='\u{0E3A}'
        | '\u{0E47}'..='\u{0E4E}'
    )
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c)
}

/// The value after a credential's name at `at`, if one follows within a few words.
fn value_after(text: &str, mut at: usize, password: bool) -> Option<Range<usize>> {
    let mut glue = 0;
    loop {
        // Separators and spaces.
        let rest = text.get(at..)?;
        let skip = rest
            .char_indices()
            .take_while(|(i, _)| *i < MAX_TOKEN_BYTES)
            .find(|(_, c)| !is_separator(*c))
            .map(|(i, _)| i)?;
        if rest.get(..skip).is_some_and(|s| s.contains('\n')) {
            return None;
        }
        at += skip;
        let rest = text.get(at..)?;
        let first = rest.chars().next()?;
        if let Some(close) = is_open_quote(first) {
            let inner = rest.get(first.len_utf8()..)?;
            let window = inner
                .char_indices()
                .take_while(|(i, _)| *i < MAX_TOKEN_BYTES)
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8());
            let end = inner.get(..window)?.find(close)?;
            let value = inner.get(..end)?;
            let shaped = if password {
                value.chars().count() >= 4
            } else {
                credential_like(value) && !value.contains('/')
            };
            if !shaped
                || value.contains('\n')
                || value.chars().count() > 128
                || is_placeholder(value)
            {
                return None;
            }
            let start = at + first.len_utf8();
            return Some(start..start + end);
        }
        let end = token_end(text, at);
        let token = trim_sentence_end(text.get(at..end)?);
        let glue_word = token
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '\'' | '’') || is_mark(c))
            && token.chars().count() <= MAX_GLUE_CHARS
            && !(token.chars().any(char::is_lowercase)
                && token.chars().skip(1).any(char::is_uppercase));
        if glue_word {
            glue += 1;
            if glue > MAX_GLUE_WORDS || !password && glue > 3 {
                return None;
            }
            at = end;
            continue;
        }
        let value = token;
        let accept = if password {
            password_like(value)
        } else {
            credential_like(value) && !public_type(value) && !value.contains('/')
        };
        return accept.then(|| at..at + value.len());
    }
}

/// Key type names that come before public material (`SSH key: ssh-ed25519 AAAA…`).
fn public_type(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    [
        "ssh-", "ecdsa-", "sk-ssh-", "sha1", "sha256", "sha512", "md5", "pgp", "gpg",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        find(text, &mut out);
        out.into_iter().filter_map(|r| text.get(r)).collect()
    }

    #[test]
    fn passwords_told_in_prose_are_found_in_many_languages() {
        for (text, secret) in [
            ("the wifi password is Quartz362*", "Quartz362*"),
            ("mi contraseña es perro2024azul", "perro2024azul"),
            ("minha senha é Gato#7781", "Gato#7781"),
            ("le mot de passe du wifi c'est Maple6124!", "Maple6124!"),
            (
                "das Passwort für den Admin lautet staple-correct-anchor-piano",
                "staple-correct-anchor-piano",
            ),
            ("пароль от почты: Cobalt1567#", "Cobalt1567#"),
            ("密码是 KEBEsG3QcbIgTI2YOv", "KEBEsG3QcbIgTI2YOv"),
            ("我的密码是huanghe2024", "huanghe2024"),
            ("パスワードは psD0BZ!-M!U9S です", "psD0BZ!-M!U9S"),
            ("كلمة المرور هي w7Ed6vqKg0zH090", "w7Ed6vqKg0zH090"),
            ("पासवर्ड FJn3U9JKMucHqKDU6FVXT है", "FJn3U9JKMucHqKDU6FVXT"),
            (
                "kata sandinya horse-piano-violet-piano",
                "horse-piano-violet-piano",
            ),
            (
                "lösenordet är +EojCO4OfvO2G625esTuugV",
                "+EojCO4OfvO2G625esTuugV",
            ),
            ("my password is \"open sesame\"", "open sesame"),
            (
                "prod key → RtiUt5D_QAfcdMn+Gv3x3 (don't share)",
                "RtiUt5D_QAfcdMn+Gv3x3",
            ),
            (
                "here's the key you asked for: bdc127e20fdffaa513c26e9072a6fb00",
                "bdc127e20fdffaa513c26e9072a6fb00",
            ),
        ] {
            assert_eq!(values(text), vec![secret], "{text}");
        }
    }

    #[test]
    fn reading_after_names_is_bounded_so_long_lines_stay_linear() {
        for unit in [
            "passwordpassword",
            "password \u{ab}",
            "key : ",
            "password is x",
        ] {
            let text = unit.repeat(20_000);
            let mut out = Vec::new();
            find(&text, &mut out);
            assert!(out.iter().all(|r| r.len() <= MAX_TOKEN_BYTES));
        }
    }

    #[test]
    fn talk_about_passwords_keeps_its_words() {
        for text in [
            "the password is incorrect",
            "password doesn't match, try again",
            "Password must contain 8 characters",
            "reset your password at https://example.com/reset?user=42",
            "password changed on 2024-05-01 at 10:30",
            "1Password is a password manager",
            "the password is ********",
            "password: ${DB_PASSWORD}",
            "the keyboard shortcut is Ctrl+Shift+K",
            "SSH key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMq",
            "the key is under the mat",
            "token expired, please log in again",
            "primary key: id",
            "कभी भी अपना पासवर्ड किसी के साथ शेयर न करें",
            "अपना पासवर्ड बदलें",
            "key=uploads/2024/img_001.png",
            "reset-password?token=abc123def456",
            "- key: \"team\"",
        ] {
            assert!(values(text).is_empty(), "{text}: {:?}", values(text));
        }
    }
}
