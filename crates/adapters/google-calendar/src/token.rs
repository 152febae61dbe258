//! OAuth 2.0 refresh-token grant against Google's token endpoint, and the in-memory cache of
//! the access token it returns.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::Client;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use tokio::time::Instant;
use warden_calendar::CalendarError;
use warden_provider_http::{read_bounded, retry_after};

use crate::classify::transport;
use crate::wire::{TokenError, TokenResponse};
use crate::SCOPE;

/// A token is renewed this long before Google says it expires, so a request never leaves with
/// a token that dies on the way.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// A token answer is a few hundred bytes.
const MAX_TOKEN_BODY: usize = 16 * 1024;
/// Google's tokens live an hour; without `expires_in`, assume less.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(600);

/// The grant, the cached access token, and whether the grant is known dead.
pub(crate) struct TokenSource {
    endpoint: String,
    client_id: String,
    client_secret: SecretString,
    refresh_token: SecretString,
    /// One refresh at a time: callers waiting on the lock reuse the token it fetched.
    cache: Mutex<Option<Cached>>,
    /// Set once for good when Google refuses the grant: no further call is made.
    disabled: OnceLock<&'static str>,
}

struct Cached {
    token: SecretString,
    renew_at: Instant,
}

impl TokenSource {
    pub(crate) fn new(
        endpoint: String,
        client_id: String,
        client_secret: SecretString,
        refresh_token: SecretString,
    ) -> Self {
        Self {
            endpoint,
            client_id,
            client_secret,
            refresh_token,
            cache: Mutex::new(None),
            disabled: OnceLock::new(),
        }
    }

    pub(crate) fn disabled(&self) -> Option<CalendarError> {
        self.disabled
            .get()
            .map(|&reason| CalendarError::Disabled { reason })
    }

    /// A bearer header: the cached token while it is fresh, else a new one. `stale` is the
    /// header a request was just refused with (401): that token is dropped, unless another
    /// caller already replaced it.
    pub(crate) async fn bearer(
        &self,
        client: &Client,
        stale: Option<&HeaderValue>,
    ) -> Result<HeaderValue, CalendarError> {
        if let Some(error) = self.disabled() {
            return Err(error);
        }
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref() {
            let fresh = Instant::now() < cached.renew_at;
            let refused = stale.is_some_and(|s| header(&cached.token).as_ref() == Some(s));
            if fresh && !refused {
                return header(&cached.token).ok_or_else(malformed);
            }
        }
        *cache = None;
        let (token, lifetime) = self.refresh(client).await?;
        let value = header(&token).ok_or_else(malformed)?;
        *cache = Some(Cached {
            token,
            renew_at: Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN),
        });
        Ok(value)
    }

    async fn refresh(&self, client: &Client) -> Result<(SecretString, Duration), CalendarError> {
        let form = serde_urlencoded::to_string([
            ("grant_type", "refresh_token"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
            ("refresh_token", self.refresh_token.expose_secret()),
        ])
        .map_err(|_| malformed())?;
        let response = client
            .post(&self.endpoint)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(|e| transport("token_", &e))?;
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        let body = read_bounded(response, MAX_TOKEN_BODY).await;
        if status == 200 {
            let body = body.ok_or(CalendarError::Permanent {
                reason: "token_too_large".to_owned(),
            })?;
            return self.accept(&body);
        }
        if status == 429 || status >= 500 {
            return Err(CalendarError::Retryable {
                reason: format!("token_http_{status}"),
                retry_after: wait,
            });
        }
        let code = body
            .and_then(|b| serde_json::from_slice::<TokenError>(&b).ok())
            .map(|e| e.error);
        // RFC 6749 §5.2: the grant or the client is refused. Retrying cannot help, and a loop
        // of refused refreshes is what an operator must not find in the morning.
        let dead = match code.as_deref() {
            Some("invalid_grant") => Some("invalid_grant"),
            Some("invalid_client") => Some("invalid_client"),
            Some("unauthorized_client") => Some("unauthorized_client"),
            _ => None,
        };
        match dead {
            Some(reason) => Err(self.disable(reason)),
            None => Err(CalendarError::Permanent {
                reason: format!("token_http_{status}"),
            }),
        }
    }

    fn accept(&self, body: &[u8]) -> Result<(SecretString, Duration), CalendarError> {
        let token: TokenResponse = serde_json::from_slice(body).map_err(|_| malformed())?;
        if !token.token_type.eq_ignore_ascii_case("bearer") || token.access_token.is_empty() {
            return Err(malformed());
        }
        // Least privilege: a grant wider than events on calendars is a misconfigured consent
        // (the wrong scopes were ticked), and Warden refuses to hold it.
        if let Some(scope) = token.scope.as_deref() {
            if scope.split_ascii_whitespace().any(|s| s != SCOPE) {
                return Err(self.disable("scope_too_broad"));
            }
        }
        let lifetime = token
            .expires_in
            .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        Ok((SecretString::from(token.access_token), lifetime))
    }

    fn disable(&self, reason: &'static str) -> CalendarError {
        let first = self.disabled.set(reason).is_ok();
        if first {
            tracing::warn!(
                alert = "calendar_grant_refused",
                reason,
                "security alert: Google refused the calendar grant; the calendar is disabled \
                 until an operator runs `warden calendar auth` and restarts Warden"
            );
        }
        CalendarError::Disabled {
            reason: self.disabled.get().copied().unwrap_or(reason),
        }
    }
}

fn malformed() -> CalendarError {
    CalendarError::Permanent {
        reason: "token_malformed".to_owned(),
    }
}

/// `Bearer <token>`, marked sensitive so HTTP-level debug logging prints no value.
fn header(token: &SecretString) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).ok()?;
    value.set_sensitive(true);
    Some(value)
}
