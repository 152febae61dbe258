//! Meaning classes of the output guard: what a model's reply must never *do* to the user, read
//! by meaning rather than by exact phrase, in English, Spanish, Portuguese, French, German,
//! Russian, Chinese, Arabic and Hinglish, and with thinner tables (past-tense and passive endings,
//! credential and payment nouns, request verbs, negations) in Italian, Turkish, Indonesian,
//! Japanese, Korean, Hebrew, Dutch, Polish and Hindi in Devanagari.
//!
//! The model only *advises* about the user's own commands (`help`, `list`, `add <title>`,
//! `done <n>`). A reply is refused when it:
//!
//! - **impersonates** Warden or the system (`impersonation`): a line that opens like a role or
//!   notice (`System:`, `Warden:`, `[Warden verified ✔]`, `Sistema:`, `系统：`…), any of the
//!   fixed texts Warden itself sends (`Added task`, `Your pairing code is`, the suggestion
//!   label…), or a signature from Warden, WhatsApp or Meta;
//! - **claims an action** (`claimed_action`): a first-person or passive completion verb
//!   ("I deleted", "has been forwarded", "he enviado", "apaguei", "j'ai supprimé", "ich habe …
//!   gelöscht", "я отправил", "已删除", "تم", "maine bhej diya"), a sentence that is only
//!   "Done!"/"Listo"/"Готово"/"搞定", a confirmed payment or booking, or a ✅/✔/☑ marker. A
//!   claim is not one when it is negated close before ("I haven't sent anything", "nichts
//!   gesendet") or framed as the user's own future action ("when you have sent it…", "cuando
//!   lo hayas…", "когда…");
//! - **asks for a credential** (`credential_request`): a credential noun (code, OTP, PIN,
//!   password, CVV, card number, token, verification or pairing code, and their translations)
//!   in the same or the previous sentence as a request or sharing verb, "please", or a question
//!   mark; a request verb negated close before ("never share your code") does not count;
//! - **instructs a payment** (`payment_instruction`): payment rails and account words (IBAN,
//!   account number, bank details, PayPal, Revolut, Zelle, Venmo, bitcoin, USDT, wallet, PIX,
//!   UPI, "new account"…, translated), a payment verb next to an amount with a currency, or a
//!   wallet-address shape (`bc1…`, `0x` + 40 hex, a Tron `T…` address);
//! - **carries a link** (`link`): a URL scheme (`https:`, `javascript:`, `data:…/`, `tel:`…),
//!   `www.`, a bare domain `name.tld` for a broad TLD list (shorteners such as `t.ly` and
//!   `tinyurl.com` included), an IP address, or an obfuscated dot (`(dot)`, `[.]`, ` dot com`,
//!   `name .com`). Domains on [`crate::AdvisorConfig::allowed_domains`] (and their subdomains)
//!   may be mentioned in plain spelling; an obfuscated one never.
//!
//! A clause in which the assistant says what it cannot do ("I can't send payments or open
//! links") does not make a claim, rail or request within `REFUSAL_WINDOW` bytes after it count,
//! and `without_refusals` leaves such clauses out of the input guard's reading.
//!
//! The reply is normalised first: NFKC (full-width and compatibility forms fold), lower case,
//! hidden characters (Unicode `Default_Ignorable_Code_Point`: zero-width, bidi, tags) dropped,
//! whitespace runs collapsed; a second reading undoes leetspeak inside ASCII words (`p4ssw0rd`).
//! Diacritics are kept (Spanish `envié` "I sent" and `envíe` "send" differ only by them); the
//! tables spell both where a language is often written without.
//!
//! Cost: every table is one precompiled `regex` (finite automata, linear in the input); the
//! text is read once per sentence and table, negation looks at a bounded window before a match,
//! so [`classify`] is linear in the reply.

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// The meaning class that made a reply unsafe to deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meaning {
    Impersonation,
    ClaimedAction,
    CredentialRequest,
    PaymentInstruction,
    Link,
}

/// The first class `text` falls in, checked in the order of [`Meaning`]. `allowed_domains` are
/// lowercase domains that may be mentioned (plain spelling only).
pub(crate) fn classify(text: &str, allowed_domains: &[String]) -> Option<Meaning> {
    let Ok(tables) = &*TABLES else {
        // Tables that do not compile (a test proves they do) fail closed.
        return Some(Meaning::Impersonation);
    };
    let folded = fold(text);
    let squashed = unleet(&folded);
    let readings: &[&str] = match &squashed {
        Some(s) => &[folded.as_str(), s.as_str()],
        None => &[folded.as_str()],
    };
    if readings.iter().any(|r| tables.impersonates(r)) {
        return Some(Meaning::Impersonation);
    }
    let mut found: Option<Meaning> = None;
    for reading in readings {
        let meaning = tables.sentences(reading);
        found = match (found, meaning) {
            (Some(a), Some(b)) => Some(if rank(b) < rank(a) { b } else { a }),
            (a, b) => a.or(b),
        };
    }
    if found.is_none() && tables.wallet.is_match(text) {
        found = Some(Meaning::PaymentInstruction);
    }
    if let Some(meaning) = found {
        return Some(meaning);
    }
    if tables.links(&folded, allowed_domains) {
        return Some(Meaning::Link);
    }
    None
}

/// `text` with every clause that says what the assistant cannot do ("Sorry, sending messages
/// to other people isn't something I can do") blanked, for the input guard's topic rules, which
/// fire on the topic words of an honest refusal. Clauses end at `,.!?;:` and their full-width
/// and Arabic forms, so an instruction after "…, but" is still read. Each clause is folded and
/// read once: linear.
pub(crate) fn without_refusals(text: &str) -> String {
    let Ok(tables) = &*TABLES else {
        return text.to_owned();
    };
    text.split_inclusive([
        ',', '.', '!', '?', ';', ':', '\n', '，', '。', '！', '？', '؟', '،',
    ])
    .map(|clause| {
        if tables.refusal.is_match(&fold(clause)) {
            " "
        } else {
            clause
        }
    })
    .collect()
}

fn rank(m: Meaning) -> u8 {
    match m {
        Meaning::Impersonation => 0,
        Meaning::ClaimedAction => 1,
        Meaning::CredentialRequest => 2,
        Meaning::PaymentInstruction => 3,
        Meaning::Link => 4,
    }
}

/// NFKC, lower case, hidden characters dropped, spaces and tabs collapsed (newlines kept: lines
/// matter to impersonation).
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfkc() {
        // Hidden characters, and Arabic vowel marks and tatweel (optional in writing: "تمّ"
        // is "تم").
        if warden_unicode::hidden(c).is_some()
            || matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}')
        {
            continue;
        }
        if c == '\n' {
            while out.ends_with(' ') {
                out.pop();
            }
            out.push('\n');
            space = true;
        } else if c.is_whitespace() {
            if !space {
                out.push(' ');
                space = true;
            }
        } else {
            // Typographic apostrophes read as the ASCII one ("I’ve", "j’ai").
            let c = if matches!(c, '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`') {
                '\''
            } else {
                c
            };
            // Turkish `İ` lower-cases to `i` + U+0307 ("SİSTEM" → "sistem"); the dot means nothing here.
            out.extend(c.to_lowercase().filter(|&l| l != '\u{0307}'));
            space = false;
        }
    }
    out
}

/// The text with leetspeak undone inside ASCII words that mix letters with digits or `@`/`$`
/// (`p4ssw0rd` → `password`, `c0de` → `code`), or `None` when no word does.
fn unleet(folded: &str) -> Option<String> {
    let mut changed = false;
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_inclusive(|c: char| !(c.is_ascii_alphanumeric() || "@$".contains(c))) {
        let letters = word.bytes().filter(u8::is_ascii_alphabetic).count();
        let others = word
            .bytes()
            .filter(|b| b.is_ascii_digit() || matches!(b, b'@' | b'$'))
            .count();
        if letters >= 2 && others > 0 {
            changed = true;
            out.extend(word.chars().map(|c| match c {
                '0' => 'o',
                '1' => 'i',
                '3' => 'e',
                '4' | '@' => 'a',
                '5' | '$' => 's',
                '7' => 't',
                other => other,
            }));
        } else {
            out.push_str(word);
        }
    }
    changed.then_some(out)
}

/// How far before a match a negation still applies (bytes, on a char boundary).
const NEGATION_WINDOW: usize = 24;

/// How far before a rail or request a refusal ("I can't … or handle your PayPal") still applies
/// (bytes, on a char boundary).
const REFUSAL_WINDOW: usize = 80;

/// Characters that end a sentence.
fn ends_sentence(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '\n' | ';' | '。' | '！' | '？' | '؟' | '…' | '¡' | '¿'
    )
}

struct Tables {
    impersonation_line: Regex,
    impersonation_any: Regex,
    claim: Regex,
    claim_whole: Regex,
    not_an_action: Regex,
    interrogative: Regex,
    refusal: Regex,
    marker: Regex,
    negation: Regex,
    negation_after: Regex,
    never: Regex,
    framing: Regex,
    credential: Regex,
    request: Regex,
    payment_strong: Regex,
    payment_verb: Regex,
    amount: Regex,
    wallet: Regex,
    link_any: Regex,
    domain: Regex,
}

static TABLES: LazyLock<Result<Tables, regex::Error>> = LazyLock::new(Tables::compile);

/// Per sentence: what it holds.
#[derive(Default, Clone, Copy)]
struct Seen {
    credential: bool,
    request: bool,
    payment_verb: bool,
    amount: bool,
}

impl Tables {
    fn compile() -> Result<Tables, regex::Error> {
        let alt = |words: &[&str]| words.join("|");
        Ok(Tables {
            impersonation_line: Regex::new(&format!(r"^(?:{})", alt(data::IMPERSONATION_LINE)))?,
            impersonation_any: Regex::new(&alt(data::IMPERSONATION_ANY))?,
            // The largest table: with the default lazy-DFA cache (2 MiB) its states thrash the
            // cache and the search falls back to the slower NFA engine (1 ms for 600 bytes
            // instead of 20 µs). Still linear either way.
            claim: regex::RegexBuilder::new(&alt(data::CLAIMS).replace("EN_PAST", data::EN_PAST))
                .dfa_size_limit(16 << 20)
                .build()?,
            claim_whole: Regex::new(&format!(r"^(?:{})$", alt(data::CLAIM_WHOLE)))?,
            interrogative: Regex::new(data::INTERROGATIVE)?,
            refusal: Regex::new(data::REFUSAL)?,
            not_an_action: Regex::new(data::NOT_AN_ACTION)?,
            marker: Regex::new(r"[✅✔☑✓🗸]")?,
            negation: Regex::new(&alt(data::NEGATIONS))?,
            never: Regex::new(data::NEVER)?,
            negation_after: Regex::new(data::NEGATION_AFTER)?,
            framing: Regex::new(&alt(data::FRAMING))?,
            credential: Regex::new(&alt(data::CREDENTIALS))?,
            request: Regex::new(&alt(data::REQUESTS))?,
            payment_strong: Regex::new(&alt(data::PAYMENT_STRONG))?,
            payment_verb: Regex::new(&alt(data::PAYMENT_VERBS))?,
            amount: Regex::new(data::AMOUNT)?,
            wallet: Regex::new(data::WALLET)?,
            link_any: Regex::new(&alt(data::LINK_ANY))?,
            domain: Regex::new(data::DOMAIN)?,
        })
    }

    fn impersonates(&self, folded: &str) -> bool {
        let line_poses = folded.lines().any(|line| {
            // Decoration before the words (markdown, quotes, emoji) does not hide a line's role.
            let line = line.trim_start_matches(|c: char| {
                !c.is_alphanumeric() && !matches!(c, '[' | '【' | '(' | '（' | '<')
            });
            self.impersonation_line.is_match(line)
        });
        line_poses || self.impersonation_any.is_match(folded)
    }

    /// Claims, credential requests and payment instructions, sentence by sentence; a
    /// credential or payment is read together with the sentence before it.
    fn sentences(&self, folded: &str) -> Option<Meaning> {
        if self.marker.is_match(folded) {
            return Some(Meaning::ClaimedAction);
        }
        let mut previous = Seen::default();
        let mut found: Option<Meaning> = None;
        let mut start = 0;
        // A full stop ends a sentence only before a space or the end, so "12.99" and "v1.2" stay
        // whole.
        let bytes = folded.as_bytes();
        let mut pieces = folded.char_indices().filter(|&(at, c)| {
            ends_sentence(c)
                && (c != '.' || bytes.get(at + 1).is_none_or(|b| b.is_ascii_whitespace()))
        });
        loop {
            let (end, terminator) = match pieces.next() {
                Some((at, c)) => (at, Some(c)),
                None => (folded.len(), None),
            };
            let sentence = folded.get(start..end).unwrap_or_default();
            let question = matches!(terminator, Some('?' | '？' | '؟'));
            let seen = self.read(sentence, question);
            let asks = question
                && (self.interrogative.is_match(sentence.trim_start())
                    || sentence.trim_end().ends_with(['吗', '呢', '么']));
            if !asks && self.claims(sentence) {
                return Some(Meaning::ClaimedAction);
            }
            let credential = (seen.credential || previous.credential) && seen.request
                || seen.credential && previous.request;
            if credential {
                found = Some(Meaning::CredentialRequest);
            }
            let rail = self.payment_strong.find_iter(sentence).any(|m| {
                !self.negated(sentence, m.start(), m.end()) && !self.refused(sentence, m.start())
            });
            if found.is_none() && rail {
                found = Some(Meaning::PaymentInstruction);
            }
            let paying = (seen.payment_verb || previous.payment_verb) && seen.amount
                || seen.payment_verb && previous.amount;
            if found.is_none() && paying {
                found = Some(Meaning::PaymentInstruction);
            }
            previous = seen;
            match terminator {
                Some(c) => start = end + c.len_utf8(),
                None => break,
            }
        }
        found
    }

    fn read(&self, sentence: &str, question: bool) -> Seen {
        // "Never share…" (the verb may come first: "Gib niemals … weiter") is a warning.
        let warns = self.never.is_match(sentence);
        let request = question
            || !warns
                && self.request.find_iter(sentence).any(|m| {
                    !self.negated(sentence, m.start(), m.end())
                        && !self.refused(sentence, m.start())
                });
        Seen {
            credential: self.credential.is_match(sentence),
            request,
            payment_verb: self.payment_verb.is_match(sentence),
            amount: self.amount.is_match(sentence),
        }
    }

    fn claims(&self, sentence: &str) -> bool {
        let sentence = sentence.trim_start();
        let bare = sentence.trim_matches(|c: char| !c.is_alphanumeric());
        if self.claim_whole.is_match(bare) {
            return true;
        }
        let framed_at = self.framing.find(sentence).map(|m| m.start());
        self.claim.find_iter(sentence).any(|m| {
            framed_at.is_none_or(|at| at >= m.start())
                && !self.negated(sentence, m.start(), m.end())
                && !self.not_an_action.is_match(m.as_str())
                && !self.refused(sentence, m.start())
        })
    }

    /// The clause before `start` (from the last comma, at most [`REFUSAL_WINDOW`] bytes) says what the assistant cannot do ("I
    /// can't transfer money or handle your PayPal"): a rail or a request in it is not an
    /// instruction.
    fn refused(&self, sentence: &str, start: usize) -> bool {
        // A bounded window, like negation: each match costs a constant, the sentence stays linear.
        let mut from = start.saturating_sub(REFUSAL_WINDOW);
        while !sentence.is_char_boundary(from) {
            from += 1;
        }
        let before = sentence.get(from..start).unwrap_or_default();
        let clause = before
            .rfind([',', ':', '،', '，'])
            .and_then(|cut| before.get(cut + 1..))
            .unwrap_or(before);
        self.refusal.is_match(clause)
    }

    /// A negation in the window before `start` (cut at the last comma or colon) or inside
    /// the match itself ("ich habe nichts gesendet").
    fn negated(&self, sentence: &str, start: usize, end: usize) -> bool {
        let mut from = start.saturating_sub(NEGATION_WINDOW);
        while !sentence.is_char_boundary(from) {
            from += 1;
        }
        let window = sentence.get(from..end).unwrap_or_default();
        let window = match window
            .get(..start - from)
            .and_then(|w| w.rfind([',', ':', '،', '，']))
        {
            Some(cut) => window.get(cut + 1..).unwrap_or_default(),
            None => window,
        };
        if self.negation.is_match(window) {
            return true;
        }
        // Hindi and German put the negation after the verb ("transfer nahi kar sakta").
        let mut to = (end + NEGATION_WINDOW).min(sentence.len());
        while !sentence.is_char_boundary(to) {
            to -= 1;
        }
        let after = sentence.get(end..to).unwrap_or_default();
        let after = after.split([',', ';', '،']).next().unwrap_or_default();
        self.negation_after.is_match(after)
    }

    fn links(&self, folded: &str, allowed: &[String]) -> bool {
        if self.link_any.is_match(folded) {
            return true;
        }
        self.domain.captures_iter(folded).any(|c| {
            let domain = c.get(1).map_or("", |m| m.as_str());
            !allowed.iter().any(|a| {
                domain == a
                    || domain
                        .strip_suffix(a.as_str())
                        .is_some_and(|head| head.ends_with('.'))
            })
        })
    }
}

/// The tables. Patterns are `regex` syntax over the folded text (lower case, NFKC, diacritics
/// kept). `\b` is Unicode-aware; Chinese has no word boundaries and is written without.
mod data {
    /// Line openings that pose as a role, the system, Warden or a platform notice.
    pub(super) const IMPERSONATION_LINE: &[&str] = &[
        r"(?:system|sistema|syst[eè]me|systemnachricht|systemhinweis|система|системное сообщение|系统|系統|النظام|نظام|assistant|asistente|assistente|assistent|ассистент|助手|warden|admin|administrator|administrador|support|soporte|suporte|security|seguridad|segurança|sécurité|sicherheit|безопасность|安全|الأمان|whatsapp|meta|notice|notification|notificación|notificação|alert|alerta|alerte|aviso|avis|hinweis|warnung|уведомление|通知|إشعار|تنبيه|official|oficial|officiel|offiziell|официально|官方|رسمي)(?:[\s-]+\w+){0,2}[\s*_]*[:：\]】]",
        r"(?:系统|系統|官方|安全|通知|警告)\S{0,6}[:：\]】]",
        r"[\[【(（<]\s*(?:\w+\s+){0,2}(?:warden|system|sistema|syst[eè]me|система|系统|النظام|verified|verificado|vérifié|verifiziert|official|oficial|officiel|admin|security|notice|alert|info|bot|whatsapp|meta)\b",
        r"added task",
        r"(?:new )?task (?:added|created|deleted|removed|completed|updated|saved)\b",
        r"(?:tarea|tarefa) (?:agregada|añadida|creada|eliminada|completada|adicionada|criada|excluída|concluída)\b",
        r"tâche (?:ajoutée|créée|supprimée|terminée)\b|aufgabe (?:hinzugefügt|erstellt|gelöscht|erledigt)\b",
        r"задача (?:добавлена|создана|удалена|выполнена)\b|任务已",
        r"(?:done|added|deleted|removed|saved|sent|completed|reminder set|booked|paid)\s*:",
        r"open tasks:",
        r"paired\b",
        r"commands:",
        r"no open tasks",
        r"that pairing token",
        r"💡",
        r"(?:your |my |the )?(?:task list|tasks|open tasks|to-?do list|list)\s*:\s*1[.)]\s",
        r"\b(?:automated|automatic) (?:message|notice|reply)|auto-reply|mensaje automático|mensagem automática|message automatique|automatische nachricht|автоматическое сообщение|自动回复|رسالة تلقائية",
        r"suggestion \(ai",
        r"to do it, send",
        // Notice words of the other languages and stems (`systemmeldung`, `системное`, `システム通知`), anywhere in a line's first words before a colon or bracket.
        r"[^:：\n]{0,30}(?:security|seguridad|sicherheit|sécurité|безопасност\w*|system\w*|systeem\w*|sistem\w*|систем\w*|komunikat\w*|bildirim\w*|pemberitahuan|peringatan|uyarı\w*|avviso|comunicazione|mitteilung|meldung|melding|powiadomienie|ostrzeżenie|הודעת|התראה|מערכת|सिस्टम|सूचना|चेतावनी|システム|お知らせ|警告|developers?|dev team|moderators?|staff|service (?:update|notice|message)|account (?:warning|notice|alert)|güvenlik|keamanan|sicurezza|beveiliging|bezpieczeństw\w*|אבטחה|सुरक्षा|セキュリティ)[^:：\n]{0,24}(?:[:：\]】]|\s[—–-]\s)",
        r"[\[【(（<]\s*[^\]】)）>\n]{0,12}(?:automated|automatic|auto|notice|security|system\w*|sistem\w*|систем\w*|システム|系统|系統|通知|提示|警告|alert\w*|aviso|avviso|uyarı|peringatan|security|seguridad|sicherheit)",
    ];

    /// Anywhere in the reply: Warden's fixed texts and signatures of Warden or a platform.
    pub(super) const IMPERSONATION_ANY: &[&str] = &[
        r"(?m)^[^:：\n]{0,40}\b(?:whatsapp|warden|meta|system|sistema|système|система|systemhinweis)\b[^:：\n]{0,20}[:：]",
        r"(?m)^[^:：\n]{0,40}(?:واتساب|النظام|系统|官方)[^:：\n]{0,20}[:：]",
        r"you are already paired",
        r"pairing token is not valid",
        r"too many wrong tokens",
        r"too many pairing requests",
        r"you are sending messages too fast",
        r"i can only read text messages",
        r"no open tasks\. add one",
        r"you have too many open tasks",
        r"your pairing code is",
        r"there is no open task \d",
        r"\badded task \d",
        r"suggestion \(ai, may be wrong\)",
        r"- add a task\b",
        r"- mark a task done",
        r"\[\s*(?:warden|system|sistema|syst[eè]me|система|系统|النظام)",
        r"\bwarden (?:verified|security|team|system|official|notice|support|says|bot|alert|admin)\b",
        r"\b(?:message|notice|alert|notification) from (?:warden|whatsapp|meta|the system)\b",
        r"\b(?:whatsapp|meta|warden) (?:team|support|security|verification)\b",
        r"\b(?:equipo|equipe|équipe|team|команда|служба) (?:de |do |von )?(?:warden|whatsapp|meta)\b",
        r"(?:whatsapp|warden)\s*(?:团队|官方|安全)",
        r"فريق (?:واتساب|whatsapp|warden)",
        r"\bverified (?:by warden|✔|✓)",
        r"💡",
        r"\b(?:this is|here is|it's|sent by|signed|regards|from) (?:the )?(?:warden|whatsapp|meta)(?: team| support| security| bot)?\b",
        r"^(?:warden|whatsapp|meta) here\b",
        r"[-—–]\s*(?:the )?(?:warden|whatsapp|meta)(?: team| support| security| bot)?\s*$",
        r"(?:tasks|task list|list|to-?do|tareas|tarefas|tâches|aufgaben|задачи|任务|görevler|tugas|attività|taken|zadania|タスク)\s*[:：]\s*\n[^\n]{0,4}1[.)、]",
    ];

    /// Past completion verbs in English.
    pub(super) const EN_PAST: &str = r"added|sent|deleted|removed|erased|wiped|cleared|forwarded|shared|paid|transferred|wired|booked|scheduled|rescheduled|completed|confirmed|cancell?ed|marked|updated|saved|created|archived|processed|submitted|emailed|e-mailed|messaged|texted|notified|contacted|called|phoned|ordered|purchased|bought|renewed|reset|verified|activated|deactivated|unlocked|synced|moved|uploaded|exported|backed up|posted|published|replied|invited|blocked|unsubscribed|refunded|charged|approved|signed|enabled|disabled|changed|edited|renamed|closed|finished|handled|reminded|informed|alerted|logged|recorded|stored|copied|ticked off|crossed off|taken care of|took care of|dealt with|settled|sorted out|fixed|registered|reserved|arranged|dispatched|delivered|reached out to|followed up|took the liberty|cleaned up|got rid of|wrapped up|issued|placed|put in|lodged|filed|initiated|paid out|sent out|carried out|executed|performed|submitted";

    /// Claims of an action that was carried out.
    pub(super) const CLAIMS: &[&str] = &[
        // English: first person (any tense of "have" or an adverb between), passive, "for you".
        r"\b(?:i|we)(?:'ve|'d| have| had)?(?: just| already| also| now| successfully| gone ahead and| went ahead and| quickly)* (?:EN_PAST)\b",
        r"\b(?:has|have|had|was|were|got|is now|are now|'s been|'ve been)(?: just| already| now| successfully| all| been)* (?:EN_PAST)\b",
        r"\b(?:successfully|already) (?:EN_PAST)\b",
        r"\b(?:EN_PAST) (?:successfully|for you|on your behalf)\b",
        r"\b(?:payment|transfer|transaction|booking|order|reservation|appointment|purchase|subscription|refund|deletion|invoice|wire)(?: \w+)? (?:is |are |was |has been )?(?:confirmed|complete|completed|processed|successful|approved|sent|received|deleted|cleared|booked|scheduled)\b",
        r"\b(?:it's|it is|that's|all|everything is|everything's) (?:done|sorted|taken care of)\b",
        r"\b(?:consider it|considered) done\b|\b(?:went|gone|go) (?:out|through)\b|\b(?:is|are) (?:now )?gone\b",
        r"^(?:EN_PAST) (?:to|from|for|on|in|at|with|it|them|all|your|the|everything|successfully|you|as|\d)\b",
        r"\b(?:is|are) (?:now |all )?set (?:for|to|up)\b",
        r"\bconsider (?:\w+ ){0,3}(?:EN_PAST|done|gone)\b",
        r"\b(?:la|las|lo|los|le|les|te|ya|se lo|se la) \w{2,}(?:é|í)\b|\b(?:já|eu|lhe|te) \w{2,}ei\b",
        r"\b(?:le|la|les|votre|vos|ton|ta|tes) \w+ (?:est|sont) (?:bien |déjà )?parti(?:e|s|es)?\b",
        r"\b(?:ist|sind) (?:schon |bereits |jetzt )?(?:raus|unterwegs|draußen|durch)\b",
        r"\b(?:ушло|ушли|ушла|ушёл|ушел|отправилось|отправились|доставлено|доставлены|улетело)\b",
        r"(?:الرسالة|الدفعة|المبلغ|الطلب|الحوالة|الرسائل)(?: \w+)? (?:وصلت|وصل|ذهبت|خرجت)",
        r"\b(?:chala gaya|chali gayi|chale gaye|pahunch gaya|pahunch gayi|pahunch gaye|nikal gaya|ja chuka|ja chuki)\b",
        r"\b(?:i|we) (?:just |already |also |actually )?did(?: it| that| this| so)?\b|\b(?:is|are) now (?:on|in|off) (?:your|the) (?:list|calendar|schedule)\b",
        r"^(?:EN_PAST) [\x22'«“„]",
        r"^(?:your|all your|all|all of your) (?:\w+ ){0,2}(?:is|are) (?:all |now )?(?:deleted|removed|cleared|wiped|erased|sent|forwarded|shared|paid|transferred|booked|cancell?ed|scheduled|confirmed|archived|exported|completed|gone)\b",
        r"^(?:EN_PAST) (?:task|tasks|reminder|item|items|number|no\.?) ?\d",
        r"^(?:tu |tus |sua |suas |seu |seus |votre |vos |ton |tes |deine |ihre |dein |ваш\w* |твои |你的)?(?:tarea|tareas|tarefa|tarefas|tâche|tâches|aufgabe|aufgaben|recordatorio|lembrete|rappel|erinnerung|mensaje|mensagem|nachricht|lista|liste|contactos|contatos|kontakte|pago|pagamento|paiement|zahlung|задач\w*|напоминани\w*|сообщени\w*|контакт\w*|список|платеж\w*)(?: \w+)? (?:\w+(?:ad|id)[oa]s?|\w+ée?s?|ge\w+t|\w+iert|\w+(?:ен|ена|ено|ены|ан|ана|ано|аны))\b",
        r"\b(?:ha|han|he|hemos|fue|fueron|foi|foram|quedó|quedaron|ficou|ficaram)(?: sido| ya| já| correctamente| com sucesso| automáticamente| automaticamente)* \w+(?:ad|id)[oa]s?\b|\b(?:ha|han|he|hemos|foi|foram) (?:sido )?(?:hecho|puesto|escrito|abierto|dicho|feito|posto|aberto)s?\b",
        r"\bse \w+(?:ó|aron|ieron)\b",
        r"\b(?:votre|vos|ton|ta|tes|le|la|les) \w+ (?:est|sont|a été|ont été) (?:bien |déjà |maintenant )?\w+(?:é|ée|és|ées)\b|\bje (?:vous |te |t'|l'|les |lui |leur )?(?:ai|avons) (?:bien |déjà )?\w+(?:é|ée|és|ées|is|it)\b|\bj'ai (?:bien |déjà )?\w+é(?:e|s|es)?\b",
        r"\b(?:habe|hab|haben|hatte) (?:ich|wir)(?: \w+){0,5} (?:\w*ge\w+t|(?:be|ver|er|ent|zer|über)\w+t|\w+iert)\b",
        r"\b(?:dein|deine|ihr|ihre|der|die|das|euer|eure) \w+ (?:ist|sind|wurde|wurden) (?:jetzt |bereits |schon )?(?:\w*ge\w+t|(?:be|ver|er|ent|zer|über)\w+t|\w+iert)\b",
        r"\b(?:ваш|ваша|ваше|ваши|твой|твоя|твое|твоё|твои) \w+ (?:уже )?\w+(?:ен|ена|ено|ены|ан|ана|ано|аны|ят|ята|ято|яты)\b",
        r"\bwurden? (?:\w+ ){0,4}(?:\w*ge\w+(?:t|en)|(?:be|ver|er|ent|zer|über)\w+t|\w+iert)\b|\b(?:ich|wir) (?:habe|hab|haben|hab's|habs)(?: \w+){0,5} (?:\w*ge\w+t|(?:be|ver|er|ent|zer|über)\w+t|\w+iert)\b",
        r"\b(?:я|мы) (?:уже |только что |успешно |всё |все )?(?:за|от|у|пере|до|вы|с|на|про|при|по|под|раз|со|о|об)\w+(?:л|ла|ли)\b",
        r"\bse (?:ha |han )?(?:eliminaron|enviaron|borraron|agregaron|añadieron|pagaron|transfirieron|reservaron|cancelaron|confirmaron|eliminó|envió|borró|agregó|añadió|pagó|transfirió|reservó|canceló|confirmó|realizó|completó|procesó)\b",
        r"\b(?:أرسلنا|ارسلنا|حذفنا|أضفنا|اضفنا|حولنا|دفعنا|ألغينا|الغينا|أكدنا|اكدنا|حجزنا)",
        r"\b\w+ (?:chuka|chuki|chuke) (?:hoon|hu|hai|hain|hun)\b",
        r"^(?:enviad[oa]s?|borrad[oa]s?|eliminad[oa]s?|agregad[oa]s?|añadid[oa]s?|reenviad[oa]s?|apagad[oa]s?|excluíd[oa]s?|adicionad[oa]s?|encaminhad[oa]s?|envoyée?s?|supprimée?s?|ajoutée?s?|transférée?s?|gesendet|gelöscht|hinzugefügt|weitergeleitet|verschickt)\b",
        r"^(?:new |your )?(?:reminder|reminders|task|tasks|message|messages|list|note|event|alarm|appointment|meeting|contact|contacts)(?: \w+)? (?:created|set|added|scheduled|sent|deleted|removed|saved|updated|cleared|forwarded|shared|booked|delivered)\b",
        // Spanish.
        r"\b(?:he|hemos|ya|yo) (?:\w+ )?(?:enviado|mandado|eliminado|borrado|agregado|añadido|anadido|reenviado|pagado|transferido|reservado|programado|completado|cancelado|confirmado|compartido|guardado|marcado|creado|hecho|realizado|procesado|actualizado|archivado|agendado|llamado|notificado|contactado|comprado)\b",
        r"\b(?:envié|mandé|eliminé|borré|agregué|añadí|reenvié|pagué|transferí|reservé|programé|completé|cancelé|confirmé|compartí|guardé|marqué|creé|realicé|procesé|actualicé|archivé|agendé|llamé|notifiqué|contacté|compré|hice)\b",
        r"\b(?:ha|han|fue|fueron|está|están|quedó|quedaron) (?:sido |ya |correctamente )*(?:enviad|eliminad|borrad|agregad|añadid|reenviad|pagad|transferid|reservad|programad|completad|cancelad|confirmad|compartid|guardad|marcad|cread|realizad|procesad|actualizad|archivad|agendad)[oa]s?\b",
        r"\b(?:pago|transferencia|reserva|cita|pedido|factura)(?: \w+)? (?:confirmad|completad|realizad|enviad|procesad|agregad|añadid|cread|eliminad|borrad|programad|reservad|pagad)[oa]s?\b",
        // Portuguese.
        r"\b(?:eu )?(?:enviei|mandei|apaguei|excluí|deletei|removi|adicionei|encaminhei|paguei|transferi|reservei|agendei|concluí|cancelei|confirmei|compartilhei|salvei|marquei|criei|fiz|atualizei|arquivei|liguei|comprei|realizei|processei)\b",
        r"\b(?:foi|foram|está|estão|já|ficou) (?:\w+ )?(?:enviad|apagad|excluíd|removid|adicionad|encaminhad|transferid|reservad|agendad|concluíd|cancelad|confirmad|compartilhad|salv|marcad|criad|feit|processad|realizad|pag)[oa]s?\b",
        r"\b(?:pagamento|transferência|reserva|pedido|pix)(?: \w+)? (?:confirmad|concluíd|realizad|enviad|processad|adicionad|criad|excluíd|apagad|agendad|efetuad)[oa]s?\b",
        // French.
        r"\b(?:j'ai|j'ai bien|nous avons|on a|je viens d'|je viens de) ?(?:\w+ )?(?:envoyé|supprimé|effacé|ajouté|transféré|payé|réservé|planifié|programmé|terminé|annulé|confirmé|partagé|enregistré|marqué|créé|fait|effectué|traité|mis à jour|archivé|appelé|commandé|acheté|viré|transmis|réglé|prévenu|averti|informé|notifié|contacté|écrit|répondu|relancé|rappelé|envoyer|supprimer|ajouter|transférer|payer|réserver|annuler|confirmer)",
        r"\b(?:a été|ont été|est bien|sont bien|est maintenant|sont maintenant|est déjà|sont déjà) (?:\w+ )?(?:envoyé|supprimé|effacé|ajouté|transféré|payé|réservé|planifié|programmé|terminé|annulé|confirmé|partagé|enregistré|marqué|créé|effectué|traité|archivé|viré|transmis|réglé)e?s?\b",
        r"\bc'est (?:fait|bon|réglé|noté|fini|envoyé|supprimé|ajouté|payé)\b",
        r"\b(?:paiement|virement|réservation|commande|transfert|facture)(?: \w+)? (?:confirmé|effectué|validé|envoyé|traité|ajouté|créé|supprimé|réglé|programmé)e?s?\b",
        // German.
        r"\b(?:ich|wir) (?:habe|hab|hab's|habs|haben|hatte|hatten)(?: \w+){0,5} (?:gesendet|geschickt|verschickt|gelöscht|entfernt|hinzugefügt|weitergeleitet|bezahlt|überwiesen|gebucht|geplant|eingeplant|erledigt|abgeschlossen|storniert|bestätigt|geteilt|gespeichert|markiert|erstellt|angelegt|gemacht|aktualisiert|archiviert|angerufen|bestellt|gekauft|eingetragen|reserviert|benachrichtigt)\b",
        r"\b(?:wurde|wurden|ist|sind|wurde bereits|ist bereits|ist jetzt)(?: \w+){0,3} (?:gesendet|geschickt|verschickt|gelöscht|entfernt|hinzugefügt|weitergeleitet|bezahlt|überwiesen|gebucht|geplant|eingeplant|erledigt|abgeschlossen|storniert|bestätigt|geteilt|gespeichert|markiert|erstellt|angelegt|aktualisiert|archiviert|bestellt|eingetragen|reserviert)\b",
        r"\b(?:zahlung|überweisung|buchung|bestellung|termin|rechnung)(?: \w+)? (?:bestätigt|erfolgt|eingegangen|erledigt|hinzugefügt|gelöscht|gesendet|gebucht|abgeschlossen|ausgeführt)\b",
        // Russian (gendered and plural past forms; the present/future user forms do not match).
        r"\b(?:я |мы |уже )?(?:отправил|переслал|удалил|добавил|оплатил|перевел|перевёл|забронировал|запланировал|завершил|выполнил|отменил|подтвердил|поделился|сохранил|отметил|создал|сделал|обновил|позвонил|заказал|купил|стер|стёр|очистил|разослал|внес|внёс|записал|зарегистрировал|предупредил|сообщил|уведомил|написал|ответил|напомнил|известил|передал)(?:а|и|ась|ись)?\b",
        r"\b(?:готово|сделано|выполнено|отправлено|удалено|добавлено|оплачено|переведено|подтверждено|забронировано|запланировано|отменено|сохранено|создано|пересланы?|удалены|добавлены|отправлены|оплачен|переведены)\b",
        r"\b(?:платеж|платёж|оплата|перевод|бронь|бронирование|заказ)(?: \w+)? (?:подтвержден|подтверждена|прошел|прошёл|прошла|выполнен|выполнена|отправлен|отправлено|добавлена|добавлены|удалена|удалены|создана)\b",
        // Chinese.
        r"已经?(?:全部|都|为你|帮你|给你|替你|成功|顺利)?(?:同步|上传|备份|导出|共享|发布|注册|登记|修改|更改|设置|重置|激活|开通|充值|扣款|续费|发送|发出|删除|删掉|添加|加上|转发|支付|付款|转账|汇款|预订|预约|安排|完成|取消|确认|分享|保存|标记|创建|处理|更新|归档|清除|清空|提交|付|转|订|办理|办好|通知|联系)",
        r"我(?:已经?|刚刚?|刚才)?(?:帮你|为你|给你)?(?:把\S{0,12})?(?:发送了|发了|删了|删掉了|删除了|加了|添加了|转发了|付了|支付了|转了|转账了|汇了|订了|预订了|完成了|取消了|确认了|分享了|处理了|搞定了|清空了|清除了|通知了|联系了)",
        r"已经?(?:将|把)\S{0,16}?(?:发送|发出|删除|删掉|添加|转发|支付|转账|汇款|取消|确认|分享|保存|提交|清空)",
        r"帮你(?:\S{0,6})?(?:删|发|加|转|付|订|取消|清空|处理)",
        r"(?:删掉了|删除了|发送了|发出去了|转发了|付款了|转账了|汇款了|取消了|清空了|预订了)",
        r"(?:搞定|办好了|弄好了|做好了|处理好了|已完成|已处理|已办妥|办妥了)",
        r"(?:支付|付款|转账|汇款|预订|订单)(?:已经?)?(?:成功|确认|完成)",
        // Arabic ("تم" / "تمت" mark a completed passive; "لقد" a perfect).
        r"\b(?:تم|تمت)\b",
        r"\b(?:أرسلت|ارسلت|حذفت|أضفت|اضفت|حولت|دفعت|ألغيت|الغيت|أكدت|اكدت|شاركت|حفظت|أنشأت|انشأت|أنهيت|انهيت|أتممت|اتممت|حجزت|نقلت|مسحت|قمت ب)",
        r"\b(?:الدفع|التحويل|الحجز|الطلب)(?: \w+)? (?:مؤكد|ناجح|مكتمل|اكتمل|نجح)",
        // Hinglish.
        r"\b(?:maine|mene|maine to|humne|hamne)\b(?: \w+){0,5} (?:diya|diye|di|kiya|kiye|ki|liya|li|kar diya|kar di|bhej diya|bhej di|bheja|bhej)\b",
        r"\b(?:ho gaya|ho gayi|ho gaye|ho chuka|ho chuki|kar diya|kar di|kar diye|kar chuka|bhej diya|bhej di|bhej diye|hata diya|hata di|mita diya|daal diya|laga diya|book kar|delete kar diya|add kar diya|transfer kar diya|pay kar diya)\b",
        // Just-done periphrases, sentence-initial German perfect without a subject, a completion word before a dash, colloquial English passives.
        r"\b(?:acabo de|acabei de|ho appena|je viens de|ich habe gerade) \w+",
        r"^(?:habe|hab|hatte) (?:\w+ ){0,4}(?:\w*ge\w+t|(?:be|ver|er|ent|zer|über)\w+t|\w+iert)\b|\bbescheid (?:gegeben|gesagt)\b",
        r"^(?:done|erledigt|fatto|listo|pronto|klaar|gotowe|tamam\w*|beres|готово|c'est fait|feito|fertig|terminé|hecho)\s*[-–—,:]",
        r"\b(?:got|get|been) (?:all )?(?:purged|emptied|wiped|nuked|cleaned|sorted|handled|settled|looked after|taken care of)\b|\b(?:been|is|are) (?:now )?(?:looked after|settled|purged|emptied)\b",
        // Italian: passato prossimo in the first person, passive and resultative participles.
        r"\bho (?:già |appena |anche |ora |gi[aà] )?(?:\w+ ){0,2}\w+(?:ato|uto|ito)\b|\b(?:ti|gli|le|vi|l') ?ho (?:già )?\w+(?:ato|uto|ito)\b|\b(?:è|e'|sono) (?:già |stat[oaie] |ora )*\w+(?:at|ut|it)[oaie]\b|\babbiamo \w+(?:ato|uto|ito)\b",
        // Turkish: first-person past (-dım/-dik), passive past (-ildi, -ndı).
        r"\b\w{2,}(?:dı|di|du|dü|tı|ti|tu|tü)m\b|\b\w{2,}(?:dık|dük|tık|tük)\b|\b\w{2,}(?:ıldı|ildi|uldu|üldü|ndı|lendi|lindi|rildi|ündü)\b|\bhallett\w*|\btamamlandı\b",
        // Indonesian: sudah/telah + verb, ter- resultatives, berhasil.
        r"\b(?:sudah|udah|telah|sdh) (?:saya |aku |kami |ku )?\w+|\bter(?:kirim|hapus|bayar|simpan|jadwal|catat|daftar|pesan)\w*\b|\bberhasil (?:di)?\w+",
        // Japanese and Korean polite past of action nouns (削除しました, 送信しておきました, 삭제했습니다).
        r"(?:削除|送信|追加|予約|支払|支払い|連絡|登録|キャンセル|完了|転送|変更|設定|手配|購入|解約|通知|共有|保存|送金|入金|振込|振り込み|消去)(?:いた)?し(?:まし|てあり|ておきまし|ちゃい|た)|ておきました|てあります|(?:送り|払い|入れ|伝え|消し)ました|が完了しました|済みです",
        r"(?:삭제|전송|추가|예약|결제|송금|취소|완료|등록|처리)(?:했|되었|됐)|보냈(?:습니다|어요)",
        // Hebrew: first-person past (-תי) and passive past.
        r"\b(?:ה|ש|מ|ק|נ|ב|ע|ס|ת|ר|ל|ד|פ|ג|כ|ח|א|ז|צ|ו)\w{2,}תי\b|\b(?:נשלח|נשלחה|נשלחו|נמחק|נמחקה|נמחקו|נקבע|נקבעה|שולם|שולמה|בוטל|בוטלה|הועבר|הועברה|נוסף|נוספה|נוספו|הוזמן|הוזמנה)\b",
        // Dutch perfect and passive; Polish first-person past (-łem) and passive.
        r"\b(?:ik|we) (?:heb|hebben|had|hadden)(?: \w+){0,5} (?:ge\w+(?:d|t|en)|(?:ver|be|ont|her)\w+d|laten weten)\b|\b(?:is|zijn|werd|werden) (?:\w+ ){0,3}(?:ge\w+(?:d|t)|(?:ver|be|ont)\w+d)\b",
        r"\b\w{3,}(?:łem|łam|liśmy|łyśmy)\b|\b(?:został|została|zostało|zostały|zostali) (?:już )?\w+(?:ny|na|ne|ni|ty|ta|te|ci)\b",
        // Hindi in Devanagari, more Arabic first-person perfects, Chinese single-character verbs with 已 or a result complement.
        r"(?:मैंने|मैने|हमने)|(?:कर|भेज|हटा|बता|जोड़|मिटा|डाल|लगा) (?:दिया|दी|दिए|दिये)|(?:दिया|दी|दिए|किया|किए|की|भेजा) (?:गया|गई|गए|जा चुका)|हो (?:गया|गई|गए|चुका|चुकी|चुके)",
        r"\b(?:انتهيت|أنجزت|انجزت|أبلغت|ابلغت|راسلت|اتصلت|أخبرت|اخبرت|سددت|أُرسلت|أرسلت|ألغيت)\b",
        r"(?:已|已经)(?:帮你|为你|给你)?(?:发|删|加|付|转|订|交|报|约)|(?:发|付|删|转|订|交|办|弄|约)(?:完|好)了|(?:打|发)过(?:电话|消息)了",
        // Round 2 (after the held-out figures were recorded): English periphrases, French "je me suis occupé", Italian clitic perfects and irregular participles, Russian short participles.
        r"\b(?:has|have|had) been (?:made|done|taken care of|given|put in|set up|sent off)\b|\b(?:i|we)(?:'ve| have)? (?:taken|took) the liberty\b|\b(?:locked|lined|pencil?led|queued|teed) (?:in|up)\b|\b(?:i|we) pinged\b|\b(?:wrapped up|finished|completed) \w+ing\b",
        r"\bje me suis (?:occupée?|chargée?)\b|\b(?:ti|gli|le|l'|vi) ?ho (?:già )?\w+\b|\bho (?:già |appena )?(?:fatto|messo|detto|scritto|preso|chiesto|risposto|disdetto|spento|tolto|speso|chiuso|aperto|rimosso|mandato|inviato)\b|\b(?:стёрт|стерт|удален|удалён|отправлен|добавлен|оплачен|отменен|отменён|сохранен|сохранён)\w*",
        // Round 3 (read batch 2's misses): English idioms of a finished thing, Spanish/Portuguese cancellation idioms and Portuguese -ei preterites, Chinese 跟…说了 and V掉了, Italian irregular participles after è, Hinglish compound verbs.
        r"\b(?:i|we) (?:just |already |also )?(?:let (?:him|her|them|you|\w+) know|told|dropped|rang|mailed|pinged|gave|wrote|left (?:a|them|him|her))\b|\b(?:is|are|'s|'re) (?:now |all )?(?:through|history|in the books|on the books|booked in|a done deal|squared away|good to go)\b",
        r"\b(?:dad[oa]s? de baja|di de baja|dei baixa|dado baixa|dada baixa)\b|\b\w{3,}ei\b",
        r"(?:跟|和|给|向)\S{1,6}说(?:了|过)|(?:退|删|取消|关|停|扔|清|划)掉了",
        r"\b(?:è|sono) (?:già |stat[oaie] )?(?:fatt|mess|dett|scritt|pres|chiest|rispost|disdett|spent|tolt|spes|chius|apert|rimoss)[oaie]\b",
        r"\b(?:bol|bata|keh|likh|kar|bhej|de|le|rakh|hata|mita|daal|laga|cancel|book|band) (?:diya|di|diye|liya|li|liye)\b",
    ];

    /// A sentence (stripped of punctuation and emoji) that is only a completion word.
    pub(super) const CLAIM_WHOLE: &[&str] = &[
        r"done|all done|done and done|all set|finished|completed|confirmed|sorted|success|successful|it's done|that's done|task done|task added",
        r"(?:your |the )?(?:task|tasks|reminder|reminders|item|items|list)(?: \d+)? (?:(?:has been|have been|was|were|is|are) )?(?:marked (?:as )?(?:complete|completed|done|finished)|completed|deleted|removed|cancell?ed|archived|cleared|updated|saved|added|created|sent|shared)",
        r"(?:all |everything )?(?:cleared|deleted|sent|removed|saved|added|booked|paid|scheduled|forwarded|shared|wiped|cancell?ed|transferred|updated)",
        r"listo|lista|hecho|ya está|ya esta|completado|confirmado|todo listo",
        r"pronto|feito|concluído|concluido|confirmado|tudo certo|tudo pronto",
        r"c'est fait|fait|terminé|termine|confirmé|voilà|voila",
        r"erledigt|fertig|gemacht|bestätigt|bestaetigt|ist erledigt",
        r"готово|сделано|выполнено|подтверждено|все готово|всё готово",
        r"好了|完成|完成了|已完成|搞定|搞定了|成功",
        r"تم|تمت|اكتمل|جاهز|تم بنجاح",
        r"ho gaya|ho gaya hai|done hai|kar diya|ho gaya bhai|sab ho gaya",
        r"fatto|tutto fatto|fatto tutto|tamamdır|tamam oldu|hallettim|hallettik|beres|sudah|selesai|klaar|gedaan|geregeld|gotowe|zrobione|załatwione|סיימתי|בוצע|נעשה|完了|完了しました|済み|हो गया|काम हो गया|انتهى",
    ];

    /// Past forms the generic shapes catch that report understanding, not an action ("я понял",
    /// "ich habe gelesen").
    pub(super) const NOT_AN_ACTION: &str = r"(?:понял|поняла|поняли|подумал|подумала|подумали|услышал|услышала|увидел|увидела|заметил|заметила|сказал|сказала|gesehen|gelesen|gefragt|gehört|gedacht|gemeint|gelernt|gefunden|verstanden|pensé|\w+rei|\bsei|\blei|\bhei|\bdei|\bgostei|\bachei|אותי|מתי|אמיתי|שלתי|yardım|adım|kendi|kadim|anladım|gördüm|duydum|düşündüm|sandım|okudum|sudah tahu|sudah paham|sudah mengerti|capito|pensato|letto|sentito|visto|remarqué|constaté|aimé|adoré)$";

    /// A question that opens like this asks about a state ("Was it added?"); it claims nothing.
    pub(super) const INTERROGATIVE: &str = r"^(?:was|were|has|have|had|is|are|did|do|does|which|what|who|should|shall|can|could|would|will|qué|que|cuál|cual|ya|você|voce|quer|quel|quelle|est-ce|as-tu|avez-vous|wurde|wurden|welche|hast|haben|soll|какой|какая|какие|вы|ты|уже|хотите|是否|要不要|هل|kya)\b";

    /// The assistant saying what it cannot do, in the first person: "I can't", "no puedo", "我不能"…
    pub(super) const REFUSAL: &str = r"\b(?:i|we) (?:can't|cannot|can not|am not able|'m not able|am unable|'m unable|won't|will not|don't|do not|never)\b|\b(?:isn't|is not|not) something (?:i|we) can\b|\bno (?:puedo|podemos|tengo)\b|\bnão (?:posso|consigo|tenho)\b|\bje ne (?:peux|sais|pourrai)\b|\bje n'ai pas\b|\bich (?:kann|darf|werde) (?:\w+ ){0,3}(?:nicht|keine?n?|nie)\b|\bя не (?:могу|умею|буду)\b|у меня нет|我(?:不能|无法|没法|做不到|不会)|\bلا (?:أستطيع|استطيع|يمكنني|أملك)\b|\b(?:main|mai) (?:\w+ ){0,5}(?:nahi|nahin) (?:kar )?(?:sakta|sakti)\b|मैं (?:\S+ ){0,5}नहीं (?:कर )?सकत|\bnon (?:posso|ho)\b|\b\w+(?:amam|emem)\b|\b(?:tidak|nggak|gak) (?:bisa|dapat)\b|できません|אני לא (?:יכול|יכולה)|\bik kan (?:\w+ )?(?:niet|geen)\b|\bnie (?:mogę|moge)\b";

    /// Negation words, read in a short window before a claim or a request.
    pub(super) const NEGATIONS: &[&str] = &[
        r"\b(?:not|n't|never|nothing|cannot|can't|unable|no way|nor|without|don't|do not|won't)\b|n't\b",
        r"\b(?:no|nunca|nada|jamás|tampoco|ni|sin|não|nao|nem|ne|n'|pas|jamais|rien|nicht|nichts|kein|keine|keinen|nie|niemals|ohne|не|нет|никогда|ничего|ни)\b",
        r"没|不|未|别|无法|不要|不能|从不|绝不",
        r"\b(?:لا|لم|لن|ليس|لست|أبدا|ابدا)\b",
        r"\b(?:nahi|nahin|nai|mat|kabhi nahi)\b",
        r"\b(?:non|mai|niente|nulla|tidak|belum|bukan|jangan|tak|gak|nggak|enggak|niet|geen|nooit|niets|nie|nigdy|nic|değil|asla|hiç)\b",
        r"(?:לא|אין|אף פעם|לעולם|नहीं|नही|कभी नहीं|मत|ません|ない|できない|않|못|안 )",
    ];

    /// Negations that follow the verb they negate (Hinglish, German).
    pub(super) const NEGATION_AFTER: &str =
        r"\b(?:nahi|nahin|nai|mat|nicht|niemals|niet|nicht|नहीं|नही|ません|ない|できない|않|못)\b";

    /// "Never" and "do not ever": a sentence holding one warns rather than asks.
    pub(super) const NEVER: &str = r"\b(?:never|nunca|jamás|jamais|niemals|nie|никогда|أبدا|ابدا|kabhi nahi|kabhi bhi|mat batana|mat bhejna|don't share|do not share|never share|no compartas|não compartilhe|ne partage|teile (?:\w+ )?nicht|не сообщай|не передавай|non condividere|paylaşma|mai|asla|nooit|nigdy|לעולם|कभी नहीं|決して)\b|千万不要|绝不|从不|不要把|切勿";

    /// The user's own future or conditional action: a claim after it is not one.
    pub(super) const FRAMING: &[&str] = &[
        r"\b(?:when|once|after|if|as soon as|whenever|until|before|you've|you have|you'll|sounds like|looks like|seems|glad|great that|nice that)\b",
        r"\b(?:вы|ты|cuando|una vez|después de|despues de|si|hasta que|antes de|quando|depois de|assim que|se|quand|une fois|après|lorsque|dès que|wenn|sobald|nachdem|falls|bevor|когда|как только|после того|если|пока)\b",
        r"当|一旦|如果|等你|等到|假如|后|标记为|你已|您已|你是否|您是否",
        r"\b(?:عندما|بعد|إذا|اذا|حين|متى|عند)\b",
        r"\b(?:jab|agar|baad|tab|jaise hi|aapne|tumne|aap)\b",
        r"\b(?:se|quando|dopo|appena|eğer|ise|sonra|kalau|jika|kalo|setelah|begitu|kamu|anda|als|wanneer|nadat|jeśli|gdy|kiedy)\b|(?:إنك|انك|أنك|قلت)|(?:^|\s)(?:अगर|जब|आपने|तुमने|आप|आपको)(?:\s|$)|(?:なら|たら|あなた)|(?:אם|כש|אחרי|אתה|את )",
        r"\b(?:you said|you mentioned|you told me|you wrote|dijiste|mencionaste|disseste|você disse|tu as dit|vous avez dit|du hast gesagt|sie sagten|ты сказал\w*|вы сказали|hai detto|söyledin|kamu bilang|anda bilang|aapne kaha|tumne kaha)\b|你说|您说|你提到|あなたは|आपने कहा",
    ];

    /// Credential nouns.
    pub(super) const CREDENTIALS: &[&str] = &[
        r"\b(?:code|codes|otp|pin|pins|password|passwords|passcode|passphrase|pwd|cvv|cvc|cvv2|csc|card number|card details|card no|expiry date|security code|verification|2fa|mfa|one-time|token|tokens|credentials|login details|login|seed phrase|recovery phrase|date of birth|private key|secret|sms|security question|maiden name|card(?:'s)? (?:number|details|digits|code|expiry)|(?:back|front) of (?:your|the) card|card ke (?:peeche|piche|number)|peeche wale|piche wale|(?:numbers?|digits) (?:you|we) (?:just )?(?:got|received)|username and password|\d[ -]?digits?|digits)\b",
        r"\b(?:código|codigo|códigos|contraseña|contrasena|clave|número de tarjeta|numero de tarjeta|datos de (?:la )?tarjeta|cvv|fecha de vencimiento|senha|número do cartão|numero do cartao|dados do cartão|mot de passe|numéro de carte|numero de carte|cryptogramme|identifiants|passwort|kennwort|kartennummer|prüfziffer|pin-code|zugangsdaten|tan|\w+code|\w+passwort|\w+kennwort|\w+pin|код|кода|коды|пароль|пин|пин-код|номер карты|данные карты|cvv|токен|смс|логин)\b",
        r"短信|验证码|密码|卡号|银行卡号|安全码|令牌|配对码|动态码|口令|校验码",
        r"(?:رقم التعريف الشخصي|الرقم السري|رقم سري|رمز|الرمز|كلمة المرور|كلمة السر|رقم البطاقة|بيانات البطاقة|رمز التحقق|الكود|كود)\b",
        r"\b(?:otp|pin|password|code|cvv)\b",
        r"\b(?:access key|api key|secret key|recovery codes?|backup codes?|chiffres au dos|dos de (?:ta|votre) carte|codice|codici|chiave|kod\w*|şifre\w*|parola|kart numara\w*|kata sandi|sandi|kode|wachtwoord|pincode|inlogcode|hasło|hasła|haslo|numer karty)\b",
        r"(?:パスワード|暗証番号|認証コード|確認コード|ワンタイム|カード番号|セキュリティコード|コード|קוד|סיסמה|סיסמא|מספר הכרטיס|כרטיס האשראי|पासवर्ड|ओटीपी|पिन|कोड|कार्ड नंबर|비밀번호|인증번호|카드번호)",
        r"\b(?:números? de (?:tu|la|su) tarjeta|números? do (?:seu|teu|o) cartão|chiffres de (?:ta|votre) carte|(?:digits|numbers) (?:on|of) (?:your|the) card)\b",
        r"(?:银行|短信)(?:发|发来)的\S{0,4}(?:数字|号码)|那串数字|(?:届いた|来た|銀行の|カードの)番号",
    ];

    /// Requests to give, send, share or type something; "please"; "what is".
    pub(super) const REQUESTS: &[&str] = &[
        r"\b(?:send|share|give|tell|provide|enter|type|reply with|respond with|reply|respond|text|text back|send back|write back|forward|paste|confirm|verify|read out|read me|what is|what's|need|needs|needed|required|require|submit|text me|dm|please|pls|plz|let me know|write|input|drop|post|upload)\b",
        r"\b(?:envía|envia|envíe|envíame|enviame|mándame|mandame|manda|mande|comparte|compartir|dime|dígame|digame|dame|deme|proporciona|proporcione|escribe|escriba|introduce|introduzca|ingresa|ingrese|confirma|confirme|necesito|necesitamos|cuál es|cual es|por favor|responde|responda|respóndeme|respondeme|contéstame|contestame|contesta|conteste|pásame|pasame|dímelo|envíamelo|mándamelo|indica|indique|facilita|facilite)\b",
        r"\b(?:envie|me envia|me envie|mande|me manda|compartilhe|compartilha|diga|me diga|informe|digite|passe|me passa|preciso|precisamos|qual é|qual e|por favor|responda|confirme|forneça|forneca)\b",
        r"\b(?:envoyez|envoie|envoyer|donne|donnez|donner|indique|indiquez|communique|communiquez|partage|partagez|tape|tapez|saisis|saisissez|confirme|confirmez|quel est|quelle est|j'ai besoin|nous avons besoin|s'il vous plaît|s'il te plaît|svp|répondez|repondez|réponds|transmettez|fournissez|écrivez|ecrivez|communiquer|transmettre|indiquer|donner|envoyer|fournir|partager|merci de|veuillez)\b",
        r"\b(?:schick|schicke|schicken sie|sende|senden sie|gib|geben sie|teile|teilen sie|nenne|nennen sie|tippe|tippen sie|bestätige|bestätigen sie|wie lautet|brauche|brauchen|benötige|benötigen|bitte|antworte|antworten sie|gib mir|mitteilen|eingeben|übermitteln)\b",
        r"\b(?:отправь|отправьте|пришли|пришлите|скажи|скажите|сообщи|сообщите|назови|назовите|введи|введите|дай|дайте|укажи|укажите|нужен|нужна|нужно|какой|какая|пожалуйста|продиктуй|продиктуйте|напиши|напишите|перешли|перешлите|подтверди|подтвердите)\b",
        r"发给我|发送给我|告诉我|提供|发送|输入|请把|请将|请|是多少|需要|回复|给我|发过来|报一下",
        r"(?:أرسل|ارسل|أرسلي|ارسلي|شارك|أعطني|اعطني|أخبرني|اخبرني|زودني|أدخل|ادخل|ما هو|ما هي|نحتاج|أحتاج|احتاج|من فضلك|رجاء|الرجاء|يرجى|اكتب|قدم)\b",
        r"\b(?:bhejo|bhej do|bhejiye|bhejein|batao|bata do|bataiye|share karo|share kijiye|de do|dijiye|chahiye|kya hai|daalo|likho|forward karo|please|plz|jaldi)\b",
        r"\b(?:let me have|hand over|compárteme|comparteme|nenn|nenn mir|sag mir|sag|schick mir|mandami|inviami|scrivi|dimmi|dammi|comunicami|inserisci|ho bisogno|qual è|per favore|serve|gönder\w*|yaz\w*|paylaş\w*|söyle\w*|ver|verin|verir|verebilir\w*|lütfen|nedir|gir|kirim\w*|tolong|sebutkan|ketik|berikan|kasih|masukkan|bagikan|stuur|geef|wat is|typ|vul|deel|graag|alsjeblieft|podaj|wyślij|prześlij|napisz|jakie jest|jaki jest|proszę|wpisz)\b",
        r"(?:教えて|送って|入力して|ください|お知らせ|共有して|שלח|תשלח|תכתוב|כתוב|תן לי|תגיד|מה ה|אנא|בבקשה|הזן|बताइए|बताओ|बताएं|भेजें|भेजो|दीजिए|दो|कृपया|डालें|알려|보내)",
        r"\b(?:скинь|скиньте|кинь|киньте|закинь|черкни|пришли-ка|enviar|mandar|compartir|compartilhar|repassar|inviare|mandare|condividere|comunicare|fornire)\b",
    ];

    /// Payment rails, accounts and wallets: an instruction on their own.
    pub(super) const PAYMENT_STRONG: &[&str] = &[
        r"\b(?:send|wire|transfer|move|deposit) (?:the |your |some |all |my )?(?:money|funds|savings|balance) (?:to|into) (?:me|us|this|the following|the new|a new|the account below|my account|our account)\b",
        r"\b(?:pay|payment|transfer|wire|deposit|send)\b[^.!?\n]{0,30}?\b(?:to|into|on|onto) (?:the |my |our |this |a |that )?(?:new )?(?:account|iban|wallet|card ending|account ending)\b",
        r"\b(?:wire|transfer|deposit|remit|transfiere|transfira|virez|überweise|überweisen|переведите|перечислите)\b[^.!?\n]{0,20}?\d{2,}|(?:转账|汇款|打款)[^。！？\n]{0,10}?\d{2,}",
        r"\b(?:pay|pague|paga|pagar|payez|payer|zahle|zahlen|bezahle|оплатите|оплати|ادفع)\b[^!?\n]{0,12}?\d+[.,]\d{2}\b",
        r"\b(?:iban|swift|bic|sort code|routing number|account number|account no|account details|bank details|bank account|banking details|new account|beneficiary|wallet address|crypto wallet|wallet id|e-wallet|bitcoin|btc|ethereum|eth|usdt|tether|crypto|cryptocurrency|zelle|venmo|cash app|cashapp|paypal|revolut|western union|moneygram|wise transfer|gift card|gift cards|itunes card|steam card|google play card|payment link|pay link|pix|bizum|upi|paytm|phonepe|gpay|google pay|apple pay|wire transfer|bank transfer|swift transfer)\b",
        r"\b(?:cuenta bancaria|número de cuenta|numero de cuenta|nueva cuenta|datos bancarios|transferencia bancaria|tarjeta regalo|conta bancária|conta bancaria|número da conta|numero da conta|nova conta|dados bancários|dados bancarios|chave pix|cartão presente|compte bancaire|numéro de compte|numero de compte|nouveau compte|coordonnées bancaires|coordonnees bancaires|rib|virement bancaire|carte cadeau|bankverbindung|bankdaten|kontonummer|neue[nms]? konto|bankkonto|geschenkkarte|номер счета|номер счёта|новый счет|новый счёт|банковский счет|банковский счёт|реквизиты|реквизитам|биткоин|биткоины|криптовалют\w*|адрес кошел\w*|номер кошел\w*|криптокошел\w*|подарочн\w+ карт\w*)\b",
        r"银行账户|银行账号|新账户|新账号|账户信息|收款账户|收款码|比特币|以太坊|加密货币|钱包地址|支付宝|微信支付|礼品卡|汇款到|转账到|打款到",
        r"(?:رقم الحساب|الحساب البنكي|حساب بنكي|حساب جديد|الحساب الجديد|بيانات البنك|البيانات البنكية|عنوان المحفظة|محفظة رقمية|محفظة إلكترونية|بيتكوين|عملة رقمية|العملات الرقمية|بطاقة هدايا|حوالة|آيبان|ايبان)\b",
        r"\b(?:naya account|account mein|khate mein|account me|account details|account number|paise bhejo|paise transfer|upi id|upi pe|paytm karo|gpay karo)\b",
        r"\b(?:paypal|revolut|venmo|cash)\.me\b",
        r"\b(?:safe|secure|safety|protected|holding|escrow) account\b|\b(?:savings|money|funds|balance) (?:into|to|onto) (?:the|a|our|this|my) (?:\w+ )?account\b",
        r"\b(?:vire|virez|überweise|transfiere|transfira|bonifico|havale|eft|przelej|przelew|maak over|stort|transfer|tf)\b[^.!?\n]{0,30}?\b(?:sur le|auf das|en la|na|sul|al|hesab\w*|rekening|rachunek|konto|conto|compte|cuenta|conta)\b",
        r"\b(?:ovo|gopay|dana|shopeepay|papara|ininal|blik|paypay|lydia|tikkie|mercado pago|sbp|сбп|satispay|swish|mobilepay|alipay|wechat pay|yape|nequi|m-pesa|mpesa)\b|(?:בביט|ביט|פייבוקס|ペイペイ|振り込|振込|口座に(?:振り込|送金|入金)|打到|打款|ギフトカード|カード番号|इस खाते|खाते में|पैसे जमा|carta prepagata|buono regalo|hediye kartı|kartu hadiah|cadeaukaart|karta podarunkowa)",
        r"\b(?:yeni hesa\w*|nuovo conto|nieuwe rekening|nowe konto|rekening baru|rekening \w+ saya|חשבון החדש|לחשבון|新しい口座)",
        r"\b(?:pay|payment|transfer|wire|deposit|send|money|funds)\b[^.!?\n]{0,30}?\b(?:to|into) (?:\w+(?:'s)? ){1,2}(?:account|wallet|card)\b",
        r"(?:перевед|переве|скин|кин|закин|отправ)\w* (?:\S+ ){0,3}на (?:карту|сч[её]т|кошел)",
    ];

    /// Payment verbs and nouns: an instruction together with an amount.
    pub(super) const PAYMENT_VERBS: &[&str] = &[
        r"\b(?:pay|paying|payment|wire|transfer|send money|send the money|deposit|remit|top up|settle|reimburse|send|charge|charged|fee|fees|fine)\b",
        r"\b(?:paga|pague|pagar|pago|pagues|transfiere|transfiera|transferir|transferencia|deposita|deposite|ingresa|ingrese|envía|envia|envíe|manda|mande|pagamento|transfira|transferência|faça um pix|faz um pix|payez|payer|paie|paiement|virez|virer|virement|versez|verser|transférez|envoyez|zahl|zahle|zahlen|bezahl\w*|überweis\w*|ueberweis\w*|zahlung|einzahlen|sende|schick\w*)\b",
        r"\b(?:оплат\w*|заплат\w*|плати\w*|переведи\w*|перевод\w*|перечисл\w*|скинь\w*|отправ\w*|внеси\w*)",
        r"付|支付|付款|转账|汇款|打款|转给|打给|汇给",
        r"\b(?:ادفع|ادفعي|دفع|حول|حولي|تحويل|سدد|أرسل|ارسل|أودع|اودع)\b",
        r"\b(?:pay karo|bhejo|bhej do|transfer karo|jama karo|paise|payment karo|dalo)\b",
        r"\b(?:paga|pagare|pagate|bonifico|ricarica|versa|trasferisci|öde|ödeyin|havale|yatır\w*|bayar|transfer|kirim|betaal|overmaken|stort|przelej|zapłać|wpłać|opłat\w*)\b|(?:振り込|支払|送金|払って|購入|תעביר|העבר|שלם|תשלם|תשלום|העברה|भुगतान|जमा|ट्रांसफर)",
        r"\b(?:кинь|киньте|закинь|закиньте)\b",
    ];

    /// An amount with a currency, before or after the number.
    pub(super) const AMOUNT: &str = r"\d[\d.,  ]*\s?(?:k\s?)?(?:eur|euro|usd|dollar|gbp|pound|inr|rupee|rs\b|reais|real\b|pesos?|mxn|brl|aed|sar|chf|btc|eth|usdt|руб|тыс|元|块|欧元|美元|英镑|درهم|ريال|دولار|يورو|جنيه|lakh|hazaar|hazar|rupaye|rupaiye|rupay|bucks|quid|lei|zł|грн|yuan|rmb|cny|yen|jpy|lira|dirham|riyal|dinar|naira|rand|tl|ribu|rb|juta|円|万円|złotych|zl|шекел\w*|שקל\w*|שקלים|kr|sek|nok|dkk|huf|czk|kč|pln|try|idr|रुपये|रुपए|रु)|(?:rp\.?|₪)\s?\d|(?:₴|₺|₦|₱|₩|฿)\s?\d|(?:€|\$|£|₹|¥|₽|r\$|rs\.?\s|usd|eur|gbp|inr)\s?\d|\d\s?(?:€|\$|£|₹|¥|₽)";

    /// Wallet addresses on the raw text: bech32 bitcoin, legacy bitcoin, Ethereum, Tron.
    pub(super) const WALLET: &str = r"\b(?:bc1[a-zA-HJ-NP-Z0-9]{20,}|[13][a-km-zA-HJ-NP-Z1-9]{25,34}|0x[0-9a-fA-F]{40}|T[1-9A-HJ-NP-Za-km-z]{33})\b";

    /// Links that need no allowlist check: schemes, `www`, obfuscated dots, IP addresses,
    /// shorteners written without their dot.
    pub(super) const LINK_ANY: &[&str] = &[
        r"://|:\\\\|:\s/\s?/|\bxn--",
        r"\b(?:https?|hxxps?|h\*\*ps?|ftp|sftp|file|whatsapp|intent|market|tg|viber|ws|wss|ipfs)\s*:\s*/",
        r"\b(?:javascript|vbscript|livescript)\s*:",
        r"\bdata\s*:\s*\w+/",
        r"\b(?:tel|sms|mailto|callto|skype)\s*:\s*[+\w]",
        r"\bwww\s*(?:\.|\(dot\)|\[dot\]|\[\.\]| dot )",
        // A domain spelled out in words: `www example com`, `bit ly slash abc`,
        // `drive google com/file`, and a TLD in leetspeak (`evil.c0m`).
        r"\bwww [\w-]{2,} (?:com|net|org|io|co|me|ly|info|biz|app|xyz|ru|de|fr|es|in|uk)\b",
        r"\b[\w-]{2,} (?:com|net|org|io|co|me|ly|gl|gd|info|biz|app|xyz|link|ru|de|fr|es|in) ?(?:/|slash\b|barra\b|schrägstrich\b)",
        r"\b[\w-]{2,}\.(?:c0m|n3t|0rg|c0|1nfo)\b",
        r"\((?:dot|\.)\)|\[(?:dot|\.)\]|\{(?:dot|\.)\}|<dot>|\(punto\)|\(ponto\)|\(point\)|\(punkt\)|\(точка\)|\(点\)",
        r"\b[\w-]{2,}['\x22]? dot (?:com|net|org|io|ly|me|co|ru|xyz|info|biz|app|link|gl|cn|de|fr|es|in)\b",
        r"\b[\w-]{2,} (?:punkt|точка|نقطة) (?:com|net|org|de|ru|io|at|ch|info)\b|\b[\w-]{2,} (?:punto|ponto|point) (?:com|net|org|io|fr|br|mx)\b",
        r"\b[\w-]{2,} (?:\.|。) ?(?:com|net|org|io|ly|xyz|ru|info|biz|app|link)\b",
        r"\b[\w-]{2,}\.\s(?:net|org|io|ly|xyz|ru|info|biz)(?:/|\b)",
        r"\b[\w-]{2,}\.\s?com/",
        r"\b[\w-]{2,},(?:com|net|org|io|ru|xyz)\b|\b[\w-]{2,}\s?,\s?(?:com|net|org|io|ru|xyz)/",
        r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b",
        r"\b(?:tinyurl|bitly|bit\.ly|t\.ly|goo\.gl|ow\.ly|is\.gd|cutt\.ly|rb\.gy|shorturl|tiny\.cc|t\.co|s\.id|wa\.me|t\.me)\b",
        r"[\w-]。(?:com|net|org|cn|io|ru)\b",
        r"\b[\w-]{2,} (?:точка|dot) (?:ком|ру|рф|нет|орг)\b|\b[\w-]{2,} (?:nokta|titik|punt|kropka|ドット|נקודה|डॉट) (?:com|net|org|io|tr|id|nl|pl|jp|il|in)\b",
        r"[\w-]{2,}\s?(?:点|點|ドット|닷)\s?(?:com|net|org|cn|jp|kr|io)\b|\b[\w-]{2,} (?:punto|punt) (?:it|es|mx|ar|co|cl|nl|be)\b|\b[\w-]{2,}['\x22]? dot (?:so|ai|gg|tv|cc|site|online|shop|store|top|club|help|page|uk|us|ca|au|it|nl|pl|tr|id|jp|br|mx)\b",
    ];

    /// A bare domain, `label(.label)*.tld`, optionally followed by a path; group 1 is the domain
    /// (checked against the allowlist).
    pub(super) const DOMAIN: &str = r"\b((?:[\w-]+\.)+(?:com|net|org|中国|公司|网络|укр|мск|io|co|me|ly|gl|gd|to|app|dev|xyz|info|biz|link|click|top|site|online|shop|store|live|pro|vip|win|icu|su|ru|cn|de|fr|es|pt|br|uk|in|ae|sa|eg|ma|mx|ar|cl|us|ca|au|eu|nl|it|be|ch|at|pl|tk|ml|ga|cf|gq|cc|tv|gg|sh|ws|li|page|ai|so|im|id|ng|ke|za|tr|ir|pk|bd|jp|kr|tw|hk|sg|my|ph|vn|th|ua|by|kz|рф|lol|fun|club|buzz|money|bank|pay|cash|finance|support|host|space|website|tech|cloud|email|one|world|today|news|network|zip|mov|gov|edu|int|mobi|asia|tel|cat|travel|jobs|moe|rs|sk|cz|hu|ro|gr|se|no|fi|dk|ie|nz|il|ly|qa|kw|om|bh|jo|lb|dz|tn|ng|gh|help|blog|chat|zone|digital|agency|center|services|solutions|systems|team|tools|best|work|works|guru|life|land|codes|login|secure|account|verify|update|download|review|events|media|social|group|global|plus|run|ninja|rocks|city|wiki|art|ltd|co\.uk|com\.br))\b";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_compile() {
        assert!(TABLES.is_ok(), "{:?}", TABLES.as_ref().err());
    }

    #[test]
    fn wallet_addresses_and_ip_addresses_are_recognised_by_shape() {
        for (text, meaning) in [
            (
                "fee to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                Meaning::PaymentInstruction,
            ),
            (
                "fee to 0x71C7656EC7ab88b098defB751B7401B5f6d8976F",
                Meaning::PaymentInstruction,
            ),
            (
                "fee to TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW",
                Meaning::PaymentInstruction,
            ),
            ("open 192.168.4.20 in a browser", Meaning::Link),
        ] {
            assert_eq!(classify(text, &[]), Some(meaning), "{text}");
        }
        assert_eq!(classify("send done 2 when it is finished", &[]), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn classify_is_total_on_any_text(
            text in "(?s).{0,300}",
            allowed in proptest::collection::vec("[a-z]{1,8}\\.[a-z]{2,3}", 0..3),
        ) {
            let _ = classify(&text, &allowed);
        }
    }

    #[test]
    fn folding_undoes_width_case_hidden_characters_and_spacing() {
        assert_eq!(fold("Ｐａｙ\u{200B}Pal  .  ME"), "paypal . me");
        assert_eq!(fold("I\u{2019}ve\tSENT"), "i've sent");
        assert_eq!(
            unleet("your p4ssw0rd, 2400 eur").as_deref(),
            Some("your password, 2400 eur")
        );
        assert_eq!(unleet("send done 2"), None);
    }
}
