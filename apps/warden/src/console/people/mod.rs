//! The owner's pages about people: operator accounts (with the enrolment screen that shows a
//! new second factor once, as a QR code drawn by Warden) and data subjects (export as a
//! download, erase after a typed confirmation). Handlers call the same use cases as the admin
//! API ([`warden_access::Access`], [`crate::operator::Operator`]); every refusal is theirs.

mod operators;
mod qr;
mod subjects;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, MethodRouter};
use maud::html;
use warden_operators::Action;

use super::pages::{html_response, layout};
use super::routes::{Page, S};
use super::Viewer;
use crate::admin::problem::Problem;
use crate::admin::routes::Guard;

/// The Operators and Data subjects routes.
pub fn table() -> Vec<Page> {
    use Action::*;
    use Guard::Requires;
    let p = |method: Method, path: &'static str, action: Action, handler: MethodRouter<S>| Page {
        method,
        path,
        guard: Requires(action),
        handler,
    };
    vec![
        p(
            Method::GET,
            "/console/operators",
            OperatorCreate,
            get(operators::list),
        ),
        p(
            Method::POST,
            "/console/operators/add",
            OperatorCreate,
            post(operators::add),
        ),
        p(
            Method::POST,
            "/console/operators/role",
            OperatorSetRole,
            post(operators::set_role),
        ),
        p(
            Method::POST,
            "/console/operators/disable",
            OperatorDisable,
            post(operators::disable),
        ),
        p(
            Method::POST,
            "/console/operators/enable",
            OperatorEnable,
            post(operators::enable),
        ),
        p(
            Method::POST,
            "/console/operators/reset-mfa",
            OperatorResetMfa,
            post(operators::reset_mfa),
        ),
        p(
            Method::GET,
            "/console/subjects",
            SubjectErase,
            get(subjects::page),
        ),
        p(
            Method::POST,
            "/console/subjects/export",
            SubjectExport,
            post(subjects::export),
        ),
        p(
            Method::POST,
            "/console/subjects/erase",
            SubjectErase,
            post(subjects::erase),
        ),
    ]
}

/// A refusal as a page that leads back to where the form was, with the console's navigation.
fn refusal(viewer: &Viewer, status: StatusCode, text: &str, back: (&str, &str)) -> Response {
    html_response(
        status,
        layout(
            status.canonical_reason().unwrap_or("Refused"),
            Some(viewer),
            html! {
                p role="alert" class="error" { (text) }
                p { a href=(back.0) { (back.1) } }
            },
        ),
    )
}

/// A use case's refusal with the status and text the API gives it (403 for the role table and
/// the last-owner rule, 409 for a taken username, 400 naming a field, never echoing a value);
/// store failures are logged by the mapping and answered without their cause.
fn as_api(viewer: &Viewer, problem: impl Into<Problem>, back: (&str, &str)) -> Response {
    let problem = problem.into();
    let status = problem.status();
    let text = problem
        .detail
        .clone()
        .unwrap_or_else(|| problem.title.to_owned());
    refusal(viewer, status, &text, back)
}
