//! The admin API: the operator plane as JSON under `/api/v1`, on its own listener
//! (`WARDEN_ADMIN_LISTEN`), never on the public webhook port.
//!
//! Every route is declared once in [`routes::table`] with the action it requires; the router,
//! the authorization layer and the OpenAPI document are built from that table. Handlers call
//! the same use cases as the CLI ([`crate::operator::Operator`], [`warden_access::Access`]).

mod dto;
mod errors;
mod openapi;
pub mod problem;
pub mod routes;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use secrecy::ExposeSecret;
use warden_access::{Access, AccessError, Entropy, PasswordCheck};
use warden_gates::{KeyedLimiter, RatePolicy};
use warden_operators::{authorize, OperatorId, PasswordHasher, Resource};
use warden_types::Clock;

use crate::operator::Operator;
use problem::Problem;
use routes::Guard;

/// The largest request body the admin API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Requests per minute per client address without credentials (logging in, bad tokens), unless
/// `WARDEN_ADMIN_AUTH_REQUESTS_PER_MINUTE` says otherwise.
pub const UNAUTHENTICATED_PER_MINUTE: u32 = 20;
/// Requests per minute per authenticated operator, unless `WARDEN_ADMIN_REQUESTS_PER_MINUTE`
/// says otherwise.
pub const AUTHENTICATED_PER_MINUTE: u32 = 100;
/// Client addresses and operators the limiters remember at most.
const LIMITER_KEYS: usize = 10_000;
/// argon2id runs at most this many at once (19 MiB each): a login flood cannot exhaust memory
/// or starve the message path's threads.
const CONCURRENT_HASHES: usize = 2;

/// What every admin handler shares.
pub struct AdminState {
    pub access: Access,
    pub operator: Operator,
    pub clock: Arc<dyn Clock>,
    unauthenticated: Mutex<KeyedLimiter<IpAddr>>,
    authenticated: Mutex<KeyedLimiter<OperatorId>>,
    /// The OpenAPI document, rendered once.
    openapi: String,
    /// The console's CSRF tokens are made under it.
    pub(crate) csrf: crate::console::CsrfKey,
}

impl std::fmt::Debug for AdminState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminState").finish_non_exhaustive()
    }
}

/// The request budgets: per client address without credentials, per operator with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    pub unauthenticated_per_minute: u32,
    pub authenticated_per_minute: u32,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            unauthenticated_per_minute: UNAUTHENTICATED_PER_MINUTE,
            authenticated_per_minute: AUTHENTICATED_PER_MINUTE,
        }
    }
}

impl AdminState {
    pub fn new(
        access: Access,
        operator: Operator,
        clock: Arc<dyn Clock>,
        budgets: Budgets,
    ) -> Self {
        Self {
            access,
            operator,
            clock,
            unauthenticated: Mutex::new(KeyedLimiter::new(
                RatePolicy::per_minute(budgets.unauthenticated_per_minute),
                LIMITER_KEYS,
            )),
            authenticated: Mutex::new(KeyedLimiter::new(
                RatePolicy::per_minute(budgets.authenticated_per_minute),
                LIMITER_KEYS,
            )),
            openapi: openapi::document(),
            csrf: crate::console::CsrfKey::random(),
        }
    }

    /// The console's CSRF key derived from `WARDEN_JWT_KEY`, so every instance agrees and a
    /// restart keeps open forms valid.
    pub fn with_jwt_key(mut self, jwt_key: &[u8]) -> Self {
        self.csrf = crate::console::CsrfKey::derived(jwt_key);
        self
    }

    /// Spends one request of `ip`'s unauthenticated budget: `Some(retry_after_secs)` when it
    /// is spent.
    pub(crate) fn over_ip(&self, ip: IpAddr) -> Option<u64> {
        let mut limiter = self
            .unauthenticated
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        limiter
            .hit(&ip, self.clock.now())
            .err()
            .map(|o| o.retry_after_secs)
    }

    /// Spends one request of `operator`'s budget: `Some(retry_after_secs)` when it is spent.
    pub(crate) fn over_operator(&self, operator: OperatorId) -> Option<u64> {
        let mut limiter = self
            .authenticated
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        limiter
            .hit(&operator, self.clock.now())
            .err()
            .map(|o| o.retry_after_secs)
    }
}

/// The OpenAPI document the admin API serves at `/api/v1/openapi.json`.
pub fn openapi_document() -> String {
    openapi::document()
}

/// The admin router: the route table behind its guards, the body limit, CORS (only for the
/// configured origins) and the security headers.
pub fn router(state: Arc<AdminState>, cors_origins: &[HeaderValue]) -> Router {
    let mut router = Router::new();
    for route in routes::table() {
        let guarded = route
            .handler
            .route_layer(from_fn_with_state((state.clone(), route.guard), guard));
        router = router.route(route.path, guarded);
    }
    for page in crate::console::routes::table() {
        let guarded = page.handler.route_layer(from_fn_with_state(
            (state.clone(), page.guard),
            crate::console::guard,
        ));
        router = router.route(page.path, guarded);
    }
    // After the routes: axum sets it on every route registered so far, and still adds `Allow`.
    let mut router = router
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .fallback(|| async { Problem::not_found("no such route") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    if !cors_origins.is_empty() {
        router = router.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(cors_origins.to_vec())
                .allow_methods([
                    axum::http::Method::GET,
                    axum::http::Method::POST,
                    axum::http::Method::DELETE,
                ])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .max_age(std::time::Duration::from_secs(600)),
        );
    }
    router.layer(from_fn(security_headers))
}

/// Authenticates and authorizes one request for its route's guard, and applies the request
/// budgets: per client address without credentials, per operator with them.
async fn guard(
    State((state, guard)): State<(Arc<AdminState>, Guard)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let over_ip = |state: &AdminState| -> Option<Response> {
        state
            .over_ip(peer.ip())
            .map(|secs| Problem::too_many(secs).into_response())
    };
    let action = match guard {
        Guard::Public => {
            if let Some(refused) = over_ip(&state) {
                return refused;
            }
            return next.run(request).await;
        }
        Guard::OwnSession => None,
        Guard::Requires(action) => Some(action),
    };
    let who = match bearer(request.headers()) {
        Some(token) => state.access.authenticate(token).await,
        None => Err(AccessError::BadSession),
    };
    let who = match who {
        Ok(who) => who,
        Err(AccessError::BadSession) => {
            return over_ip(&state).unwrap_or_else(|| {
                let mut r = Problem::unauthorized().into_response();
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            });
        }
        Err(e) => return Problem::from(e).into_response(),
    };
    if let Some(secs) = state.over_operator(who.actor.id) {
        return Problem::too_many(secs).into_response();
    }
    if let Some(action) = action {
        if let Err(denied) = authorize(&who.actor, action, &Resource::Any) {
            return Problem::forbidden(denied.to_string()).into_response();
        }
    }
    request.extensions_mut().insert(who);
    next.run(request).await
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// On every answer, errors included: nothing is cached, sniffed, framed or referred.
/// Console pages get the console's CSP (its own stylesheet, forms to itself); everything else
/// the API's, which allows nothing.
async fn security_headers(request: Request, next: Next) -> Response {
    let console =
        request.uri().path() == "/console" || request.uri().path().starts_with("/console/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if console {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(crate::console::CSP),
        );
    }
    h.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// argon2id off the async executor, a bounded number at a time.
pub struct BlockingHasher {
    hasher: Arc<PasswordHasher>,
    permits: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for BlockingHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingHasher").finish_non_exhaustive()
    }
}

impl BlockingHasher {
    pub fn new(hasher: PasswordHasher) -> Self {
        Self {
            hasher: Arc::new(hasher),
            permits: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_HASHES)),
        }
    }
}

#[async_trait::async_trait]
impl PasswordCheck for BlockingHasher {
    async fn verify(&self, password: secrecy::SecretString, stored: Option<String>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let hasher = self.hasher.clone();
        tokio::task::spawn_blocking(move || {
            hasher.verify(password.expose_secret(), stored.as_deref())
        })
        .await
        .unwrap_or(false)
    }

    async fn hash(&self, password: secrecy::SecretString, salt: [u8; 16]) -> Option<String> {
        let _permit = self.permits.acquire().await.ok()?;
        let hasher = self.hasher.clone();
        tokio::task::spawn_blocking(move || hasher.hash(password.expose_secret(), salt).ok())
            .await
            .ok()
            .flatten()
    }
}

/// The OS's CSPRNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) {
        use rand::RngCore;
        rand::rngs::OsRng.fill_bytes(buf);
    }
}
