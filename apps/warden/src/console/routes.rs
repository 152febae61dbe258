//! The console's route table: every page and form with the action it requires, declared with
//! the admin API's [`Guard`], so the same test holds both tables to "every route declares its
//! action". Handlers call the same use cases as the API and the CLI; they decide nothing.

use std::sync::Arc;

use axum::extract::{Extension, Query, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use secrecy::SecretString;
use warden_access::{AccessError, LoginRequest};
use warden_assistant::Readiness;
use warden_audit::EventKind;
use warden_operators::{authorize, Action, Resource};

use super::pages::{self, Dashboard, Notice, Senders};
use super::{chart, clear_session, safe_next, see_other, set_session, Form, Viewer};
use crate::admin::problem::Problem;
use crate::admin::routes::Guard;
use crate::admin::AdminState;
use crate::operator::OperatorError;

pub(super) type S = Arc<AdminState>;

/// One console route.
pub struct Page {
    pub method: Method,
    pub path: &'static str,
    pub guard: Guard,
    pub handler: MethodRouter<S>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

/// The security events the dashboard lists.
const SECURITY_KINDS: [EventKind; 7] = [
    EventKind::WebhookSignatureInvalid,
    EventKind::OperatorLoginFailed,
    EventKind::OperatorLocked,
    EventKind::OperatorSessionRevoked,
    EventKind::OperatorMfaChanged,
    EventKind::PairingLocked,
    EventKind::AiInjectionDetected,
];
/// `message.accepted` events the chart reads at most (a busier day is drawn capped, and says so).
const CHART_EVENTS: u64 = 100_000;

/// Every console route.
pub fn table() -> Vec<Page> {
    use Action::*;
    use Guard::*;
    let p = |method: Method, path: &'static str, guard: Guard, handler: MethodRouter<S>| Page {
        method,
        path,
        guard,
        handler,
    };
    let mut pages = vec![
        p(Method::GET, "/console/login", Public, get(login_form)),
        p(Method::POST, "/console/login", Public, post(login)),
        p(
            Method::GET,
            "/console/static/console.css",
            Public,
            get(stylesheet),
        ),
        p(Method::POST, "/console/logout", OwnSession, post(logout)),
        p(Method::GET, "/console", Requires(AuditRead), get(dashboard)),
        p(
            Method::GET,
            "/console/",
            Requires(AuditRead),
            get(dashboard),
        ),
        p(
            Method::GET,
            "/console/senders",
            Requires(AllowlistRead),
            get(senders),
        ),
        p(
            Method::POST,
            "/console/senders/add",
            Requires(AllowlistWrite),
            post(allow),
        ),
        p(
            Method::POST,
            "/console/senders/remove",
            Requires(AllowlistWrite),
            post(disallow),
        ),
        p(
            Method::POST,
            "/console/pairings/approve",
            Requires(PairingDecide),
            post(approve),
        ),
        p(
            Method::POST,
            "/console/pairings/reject",
            Requires(PairingDecide),
            post(reject),
        ),
    ];
    pages.extend(super::audit::table());
    pages.extend(super::outbox::table());
    pages.extend(super::market::table());
    pages.extend(super::people::table());
    pages
}

pub(super) fn may(viewer: &Viewer, action: Action) -> bool {
    authorize(&viewer.who.actor, action, &Resource::Any).is_ok()
}

/// A page section's data, read only when the viewer's role may read it (`None` otherwise: the
/// section is not shown). The read is a lazy future, so nothing runs for a role that may not.
pub(super) async fn readable<T>(
    viewer: &Viewer,
    action: Action,
    read: impl std::future::Future<Output = Result<T, OperatorError>>,
) -> Result<Option<T>, OperatorError> {
    if may(viewer, action) {
        read.await.map(Some)
    } else {
        Ok(None)
    }
}

/// An operator error as the API would answer it, as a page (its message never echoes input).
pub(super) fn failed(e: OperatorError) -> Response {
    let problem = Problem::from(e);
    let status = problem.status();
    let text = problem
        .detail
        .clone()
        .unwrap_or_else(|| problem.title.to_owned());
    pages::refused(status, &text)
}

// ---- session ----

#[derive(Debug, serde::Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(Query(q): Query<NextQuery>) -> Response {
    let next = q.next.as_deref().and_then(safe_next);
    pages::login(StatusCode::OK, next, None)
}

async fn login(State(s): State<S>, Extension(form): Extension<Form>) -> Response {
    let next = form.get("next").and_then(safe_next);
    let request = LoginRequest {
        username: form.get("username").unwrap_or_default().to_owned(),
        password: SecretString::from(form.get("password").unwrap_or_default()),
        second_factor: SecretString::from(form.get("code").unwrap_or_default().trim()),
    };
    match s.access.login(request).await {
        Ok(session) => {
            let mut r = see_other(next.unwrap_or("/console/"));
            set_session(&mut r, &session);
            r
        }
        Err(e @ (AccessError::BadCredentials | AccessError::Locked { .. })) => {
            let status = Problem::from(e).status();
            let text = if status == StatusCode::LOCKED {
                "The account is locked after too many failed logins; try again later."
            } else {
                "Wrong username, password or code."
            };
            pages::login(status, next, Some(text))
        }
        Err(e) => {
            tracing::error!(error = %e, "console login failed");
            pages::login(
                StatusCode::SERVICE_UNAVAILABLE,
                next,
                Some("Logging in failed; please try again."),
            )
        }
    }
}

async fn logout(State(s): State<S>, Extension(viewer): Extension<Viewer>) -> Response {
    if let Err(e) = s.access.logout(&viewer.who).await {
        tracing::error!(error = %e, "console logout failed");
        return pages::refused(StatusCode::SERVICE_UNAVAILABLE, "Please try again.");
    }
    let mut r = see_other("/console/login");
    clear_session(&mut r);
    r
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("console.css"),
    )
        .into_response()
}

// ---- dashboard ----

async fn dashboard(State(s): State<S>, Extension(viewer): Extension<Viewer>) -> Response {
    let now = s.clock.now();
    let ready = match s.operator.store().readiness().await {
        Readiness::Ready { audit_head_seq } => Ok(audit_head_seq),
        Readiness::NotReady { reason } => Err(reason),
    };
    let since = now.plus_ms(-chart::DAY_MS);
    let times = match s
        .operator
        .audit_times_since(EventKind::MessageAccepted, since, CHART_EVENTS)
        .await
    {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let verified = match s.operator.last_verification().await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let alerts = match s.operator.audit_recent(&SECURITY_KINDS, 10).await {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    let failures = match readable(&viewer, Action::OutboxRead, s.operator.outbox(true, 10)).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let pairings = match readable(&viewer, Action::PairingRead, s.operator.pairings()).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    // Without the marketplace there is nothing to hold, and no section.
    let held = match readable(&viewer, Action::OfferRead, s.operator.held_offers()).await {
        Ok(v) => v,
        Err(OperatorError::MarketplaceDisabled) => None,
        Err(e) => return failed(e),
    };
    pages::dashboard(
        &viewer,
        &Dashboard {
            now,
            ready,
            capped: times.len() as u64 >= CHART_EVENTS,
            per_hour: chart::per_hour(now, &times),
            verified,
            alerts,
            failures,
            pairings,
            held,
        },
    )
}

// ---- senders ----

#[derive(Debug, serde::Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn senders(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let allowlist = match s.operator.allowlist().await {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    let pairings = match readable(&viewer, Action::PairingRead, s.operator.pairings()).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    pages::senders(
        &viewer,
        &Senders {
            now: s.clock.now(),
            allowlist,
            pairings,
            notice: q.done.as_deref().and_then(Notice::parse),
            may_decide: may(&viewer, Action::PairingDecide),
            may_write: may(&viewer, Action::AllowlistWrite),
        },
    )
}

fn done(notice: Notice) -> Response {
    see_other(&format!("/console/senders?done={}", notice.as_str()))
}

async fn allow(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let phone = form.get("phone").unwrap_or_default().trim();
    match s.operator.allow(phone, &viewer.who.label()).await {
        Ok(true) => done(Notice::Added),
        Ok(false) => done(Notice::Unchanged),
        Err(e) => failed(e),
    }
}

async fn disallow(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let phone = form.get("phone").unwrap_or_default().trim();
    match s.operator.disallow(phone, &viewer.who.label()).await {
        Ok(true) => done(Notice::Removed),
        Ok(false) => done(Notice::Unchanged),
        Err(e) => failed(e),
    }
}

async fn approve(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let code = form.get("code").unwrap_or_default();
    match s.operator.approve_pairing(code, &viewer.who.label()).await {
        Ok(_) => done(Notice::Approved),
        Err(e) => failed(e),
    }
}

async fn reject(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let code = form.get("code").unwrap_or_default();
    match s.operator.reject_pairing(code, &viewer.who.label()).await {
        Ok(_) => done(Notice::Rejected),
        Err(e) => failed(e),
    }
}
