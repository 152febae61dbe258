//! One declaration per configuration variable.
//!
//! The readers in [`super`] accept only the constants declared here (a [`Var`] or [`SecretVar`]
//! cannot be made anywhere else), and [`KNOWN_VARS`] is built from the same declarations, so a
//! variable cannot be read without being known to the typo check. Secrets are declared as
//! [`SecretVar`]s: the reader hands every value it reads through one to the redactor.
//!
//! The names are a public contract (operators' deployments set them): never rename one.

/// A variable whose value is not a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    name: &'static str,
}

impl Var {
    pub const fn name(self) -> &'static str {
        self.name
    }
}

/// A secret: its value comes from `NAME`, or from the file `NAME_FILE` names (the file wins),
/// so it need not sit in the process environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretVar {
    name: &'static str,
    file: &'static str,
}

impl SecretVar {
    pub const fn name(self) -> &'static str {
        self.name
    }

    pub const fn file(self) -> &'static str {
        self.file
    }
}

/// Declares each variable once: its constant, and its name(s) in [`KNOWN_VARS`]. A `cfg`
/// attribute applies to both, so a test-only variable is unknown outside tests.
macro_rules! declare {
    (
        plain {
            $( $(#[doc = $pd:literal])* $(#[cfg($pc:meta)])? $plain:ident = $pname:literal, )*
        }
        secret {
            $( $(#[doc = $sd:literal])* $(#[cfg($sc:meta)])? $secret:ident = $sname:literal, )*
        }
    ) => {
        $(
            $(#[doc = $pd])* $(#[cfg($pc)])?
            pub const $plain: Var = Var { name: $pname };
        )*
        $(
            $(#[doc = $sd])* $(#[cfg($sc)])?
            pub const $secret: SecretVar =
                SecretVar { name: $sname, file: concat!($sname, "_FILE") };
        )*
        /// Every variable Warden reads; anything else starting with `WARDEN_`, `TWILIO_`,
        /// `META_`, `GEMINI_` or `OLLAMA_` is reported as a likely typo.
        pub const KNOWN_VARS: &[&str] = &[
            $( $(#[cfg($pc)])? $pname, )*
            $( $(#[cfg($sc)])? $sname, $(#[cfg($sc)])? concat!($sname, "_FILE"), )*
        ];
    };
}

declare! {
    plain {
        LISTEN = "WARDEN_LISTEN",
        PUBLIC_URL = "WARDEN_PUBLIC_URL",
        ALLOWED_SENDERS = "WARDEN_ALLOWED_SENDERS",
        /// How strangers pair: `token` (default), `approval` or `both`.
        PAIRING_MODE = "WARDEN_PAIRING_MODE",
        RATE_LIMIT_PER_MINUTE = "WARDEN_RATE_LIMIT_PER_MINUTE",
        MAX_BODY_BYTES = "WARDEN_MAX_BODY_BYTES",
        /// Read by `telemetry` (the log filter), before the configuration.
        LOG = "WARDEN_LOG",
        OUTBOX_LEASE_SECS = "WARDEN_OUTBOX_LEASE_SECS",
        LOG_PHONES = "WARDEN_LOG_PHONES",
        PHONE_REGION = "WARDEN_PHONE_REGION",
        HEADER_TIMEOUT_SECS = "WARDEN_HEADER_TIMEOUT_SECS",
        IDLE_TIMEOUT_SECS = "WARDEN_IDLE_TIMEOUT_SECS",
        MAX_CONNECTIONS = "WARDEN_MAX_CONNECTIONS",
        MAX_CONNECTIONS_PER_IP = "WARDEN_MAX_CONNECTIONS_PER_IP",

        TWILIO_REPLY = "WARDEN_TWILIO_REPLY",
        TWILIO_ACCOUNT_SID = "TWILIO_ACCOUNT_SID",
        TWILIO_API_URL = "TWILIO_API_URL",
        TWILIO_WHATSAPP_FROM = "TWILIO_WHATSAPP_FROM",

        META_PHONE_NUMBER_ID = "META_PHONE_NUMBER_ID",
        META_GRAPH_URL = "META_GRAPH_URL",
        META_GRAPH_API_VERSION = "META_GRAPH_API_VERSION",

        AI_ENABLED = "WARDEN_AI_ENABLED",
        AI_PROVIDER = "WARDEN_AI_PROVIDER",
        AI_TIMEOUT_SECS = "WARDEN_AI_TIMEOUT_SECS",
        GUARD_THRESHOLD = "WARDEN_GUARD_THRESHOLD",
        GUARD_MODEL = "WARDEN_GUARD_MODEL",
        GUARD_MODEL_TIMEOUT_SECS = "WARDEN_GUARD_MODEL_TIMEOUT_SECS",
        AI_ALLOWED_DOMAINS = "WARDEN_AI_ALLOWED_DOMAINS",
        GEMINI_API_URL = "GEMINI_API_URL",
        GEMINI_MODEL = "GEMINI_MODEL",
        OLLAMA_URL = "OLLAMA_URL",
        OLLAMA_MODEL = "OLLAMA_MODEL",

        MARKET_ENABLED = "WARDEN_MARKET_ENABLED",
        MARKET_BATCH_SIZE = "WARDEN_MARKET_BATCH_SIZE",
        MARKET_MAX_VENDORS = "WARDEN_MARKET_MAX_VENDORS",
        MARKET_VENDOR_DAILY_CAP = "WARDEN_MARKET_VENDOR_DAILY_CAP",
        MARKET_MAX_OPEN_REQUESTS = "WARDEN_MARKET_MAX_OPEN_REQUESTS",
        MARKET_BATCH_INTERVAL_SECS = "WARDEN_MARKET_BATCH_INTERVAL_SECS",
        CALLING_ENABLED = "WARDEN_CALLING_ENABLED",
        CALL_CONSENT_TTL_SECS = "WARDEN_CALL_CONSENT_TTL_SECS",
        TWILIO_VOICE_FROM = "TWILIO_VOICE_FROM",

        ADMIN_LISTEN = "WARDEN_ADMIN_LISTEN",
        ADMIN_CORS_ORIGINS = "WARDEN_ADMIN_CORS_ORIGINS",
        RETENTION_DONE_TASKS_DAYS = "WARDEN_RETENTION_DONE_TASKS_DAYS",
        RETENTION_SENT_OUTBOX_DAYS = "WARDEN_RETENTION_SENT_OUTBOX_DAYS",
        RETENTION_REPLAY_DAYS = "WARDEN_RETENTION_REPLAY_DAYS",
        RETENTION_HELD_OFFERS_DAYS = "WARDEN_RETENTION_HELD_OFFERS_DAYS",
        RETENTION_CLOSED_REQUESTS_DAYS = "WARDEN_RETENTION_CLOSED_REQUESTS_DAYS",
        RETENTION_EXPIRED_CONSENTS_DAYS = "WARDEN_RETENTION_EXPIRED_CONSENTS_DAYS",
        /// Seconds between two retention passes of a running gateway; 0 turns the job off.
        RETENTION_INTERVAL_SECS = "WARDEN_RETENTION_INTERVAL_SECS",
        ADMIN_REQUESTS_PER_MINUTE = "WARDEN_ADMIN_REQUESTS_PER_MINUTE",
        ADMIN_AUTH_REQUESTS_PER_MINUTE = "WARDEN_ADMIN_AUTH_REQUESTS_PER_MINUTE",

        /// The Google OAuth client (`warden calendar auth`).
        GOOGLE_CLIENT_ID = "GOOGLE_CLIENT_ID",
        /// Base URL of Google's token endpoint (`{base}/token`); `http` only for loopback.
        GOOGLE_OAUTH_URL = "GOOGLE_OAUTH_URL",
        /// Base URL of the Calendar API (`{base}/calendar/v3/…`); `http` only for loopback.
        GOOGLE_CALENDAR_API_URL = "GOOGLE_CALENDAR_API_URL",
        /// `primary` (default) or a calendar's id.
        GOOGLE_CALENDAR_ID = "GOOGLE_CALENDAR_ID",
        /// The owner's IANA zone, in which `remind` reads wall-clock times; default `UTC`.
        TIMEZONE = "WARDEN_TIMEZONE",
    }
    secret {
        /// A secret because the URL may carry the database password.
        DATABASE_URL = "WARDEN_DATABASE_URL",
        PAIR_TOKEN = "WARDEN_PAIR_TOKEN",
        PSEUDONYM_KEY = "WARDEN_PSEUDONYM_KEY",
        TWILIO_AUTH_TOKEN = "TWILIO_AUTH_TOKEN",
        META_APP_SECRET = "META_APP_SECRET",
        META_VERIFY_TOKEN = "META_VERIFY_TOKEN",
        META_ACCESS_TOKEN = "META_ACCESS_TOKEN",
        GEMINI_API_KEY = "GEMINI_API_KEY",
        MARKET_REF_KEY = "WARDEN_MARKET_REF_KEY",
        /// Signs the admin API's access tokens; setting it turns the admin API on.
        JWT_KEY = "WARDEN_JWT_KEY",
        /// The key before the last rotation: its tokens stay valid until they expire.
        JWT_PREVIOUS_KEY = "WARDEN_JWT_PREVIOUS_KEY",
        /// Mixed into every password hash; lost, every operator password must be reset.
        PASSWORD_PEPPER = "WARDEN_PASSWORD_PEPPER",
        /// The Google OAuth client's secret (`warden calendar auth`).
        GOOGLE_CLIENT_SECRET = "GOOGLE_CLIENT_SECRET",
        /// The calendar's grant (from `warden calendar auth`); setting it turns the calendar on.
        GOOGLE_REFRESH_TOKEN = "GOOGLE_REFRESH_TOKEN",
        /// Proves a new secret needs this one line to be known and redacted.
        #[cfg(test)]
        TEST_EXTRA_SECRET = "WARDEN_TEST_EXTRA_SECRET",
    }
}
