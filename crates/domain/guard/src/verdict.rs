//! What the guard says about one message: a kind, a score and the reason codes behind it.
//!
//! Reasons are a closed set of codes. They go to the audit log (`ai.injection_detected`), so they
//! never carry any part of the input text.

/// The category of a pattern that matched. The `as_str` codes are stable: operators filter audit
/// logs and tune thresholds on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// "Ignore all previous instructions", "forget your rules", "new instructions:".
    InstructionOverride,
    /// Jailbreak personas and framings: "you are DAN", "pretend you have no restrictions",
    /// "developer mode".
    RolePlay,
    /// Requests for the system prompt, hidden instructions or the text above the message.
    PromptExtraction,
    /// Requests to message all contacts, all users, or many numbers.
    MassOutreach,
    /// Requests for other people's messages, tasks, numbers or data.
    DataExfiltration,
    /// Instructions to change bank details or send payments to a new account.
    PaymentRedirect,
    /// Chat-template tokens, fake role lines, JSON or markdown that tries to close the user turn.
    DelimiterBreakout,
    /// Zero-width or bidi controls inside words, text hidden in tag characters or behind a run
    /// of variation selectors, mixed-script look-alikes, leetspeak or spaced-out letters that
    /// hid a pattern.
    Obfuscation,
    /// A base64 run that decodes to text containing a pattern.
    EncodedPayload,
    /// No pattern decided, the n-gram classifier did: a paraphrase, a role-play set-up, an
    /// instruction inside a forwarded document, another script.
    Classifier,
}

impl Reason {
    /// Every reason, in the order verdicts list them.
    pub const ALL: [Reason; 10] = [
        Reason::InstructionOverride,
        Reason::RolePlay,
        Reason::PromptExtraction,
        Reason::MassOutreach,
        Reason::DataExfiltration,
        Reason::PaymentRedirect,
        Reason::DelimiterBreakout,
        Reason::Obfuscation,
        Reason::EncodedPayload,
        Reason::Classifier,
    ];

    /// The stable snake_case code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::InstructionOverride => "instruction_override",
            Reason::RolePlay => "role_play",
            Reason::PromptExtraction => "prompt_extraction",
            Reason::MassOutreach => "mass_outreach",
            Reason::DataExfiltration => "data_exfiltration",
            Reason::PaymentRedirect => "payment_redirect",
            Reason::DelimiterBreakout => "delimiter_breakout",
            Reason::Obfuscation => "obfuscation",
            Reason::EncodedPayload => "encoded_payload",
            Reason::Classifier => "classifier",
        }
    }

    /// The reason with this code, if any.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == code)
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The score reached the threshold: no LLM call, audit, fallback reply.
    Injection,
    /// Below the threshold.
    Benign,
}

impl Kind {
    /// `"injection"` or `"benign"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Injection => "injection",
            Kind::Benign => "benign",
        }
    }
}

/// The guard's verdict on one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Injection when `score >= threshold`.
    pub verdict: Kind,
    /// In `0.0..=1.0`, rounded to three decimals; higher is more suspicious.
    pub score: f32,
    /// Every category that matched, in [`Reason::ALL`] order, without duplicates. A benign
    /// verdict may carry reasons (weak evidence below the threshold).
    pub reasons: Vec<Reason>,
}

impl Verdict {
    /// Whether the message must not reach the LLM.
    #[must_use]
    pub fn is_injection(&self) -> bool {
        self.verdict == Kind::Injection
    }

    /// Exactly `{"verdict":"injection"|"benign","score":…,"reasons":[…]}` without a trailing
    /// newline: one line of `warden guard` output.
    #[must_use]
    pub fn to_json_line(&self) -> String {
        // Written by hand so the key order is the documented one whatever serde_json features the
        // tree enables; the reason codes are fixed snake_case ASCII and need no escaping.
        let reasons: Vec<String> = self
            .reasons
            .iter()
            .map(|r| format!("\"{}\"", r.as_str()))
            .collect();
        format!(
            "{{\"verdict\":\"{}\",\"score\":{},\"reasons\":[{}]}}",
            self.verdict.as_str(),
            json_score(self.score),
            reasons.join(",")
        )
    }
}

/// A finite JSON number with at most three decimals (`0.615`, `1`, `0`).
fn json_score(score: f32) -> String {
    let score = if score.is_finite() {
        score.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let rounded = (f64::from(score) * 1000.0).round() / 1000.0;
    format!("{rounded}")
}
