//! The Outbox page: failed messages with their error code and a Retry button, and the latest
//! messages of any status. Recipients are masked as the store masks them; no message text.
//! Retry is the same use case as `POST /api/v1/outbox/{id}/retry` and `warden outbox retry`.

use axum::extract::{Extension, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use maud::{html, Markup};
use warden_operators::Action;
use warden_store::OutboxView;

use super::pages::{csrf, html_response, layout, refused, when};
use super::routes::{failed, may, Page, S};
use super::{see_other, Form, Viewer};
use crate::admin::routes::Guard;

/// Failed messages listed at most.
const FAILED: u64 = 100;
/// Latest messages of any status listed.
const LATEST: u64 = 20;

/// The Outbox page and its one form.
pub fn table() -> Vec<Page> {
    vec![
        Page {
            method: Method::GET,
            path: "/console/outbox",
            guard: Guard::Requires(Action::OutboxRead),
            handler: get(outbox),
        },
        Page {
            method: Method::POST,
            path: "/console/outbox/retry",
            guard: Guard::Requires(Action::OutboxRetry),
            handler: post(retry),
        },
    ]
}

#[derive(Debug, serde::Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn outbox(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let failures = match s.operator.outbox(true, FAILED).await {
        Ok(rows) => rows,
        Err(e) => return failed(e),
    };
    let latest = match s.operator.outbox(false, LATEST).await {
        Ok(rows) => rows,
        Err(e) => return failed(e),
    };
    let may_retry = may(&viewer, Action::OutboxRetry);
    html_response(
        StatusCode::OK,
        layout(
            "Outbox",
            Some(&viewer),
            html! {
                @if q.done.as_deref() == Some("retried") {
                    p role="status" class="ok" { "Message put back in the queue: it is being sent again." }
                }
                section aria-labelledby="failed" {
                    h2 id="failed" { "Failed messages" }
                    @if failures.is_empty() { p { "None." } } @else {
                        table {
                            caption { "Messages that failed for good or ran out of attempts, newest first" }
                            thead { tr {
                                th scope="col" { "Id" } th scope="col" { "Provider" }
                                th scope="col" { "Recipient" } th scope="col" { "Attempts" }
                                th scope="col" { "Error" } th scope="col" { "Failed at" }
                                @if may_retry { th scope="col" { "Retry" } }
                            } }
                            tbody {
                                @for r in &failures {
                                    tr {
                                        (cells(r))
                                        @if may_retry {
                                            td {
                                                form method="post" action="/console/outbox/retry" {
                                                    (csrf(&viewer))
                                                    input type="hidden" name="id" value=(r.id);
                                                    button type="submit" aria-label=(format!("Retry message {}", r.id)) { "Retry" }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                section aria-labelledby="latest" {
                    h2 id="latest" { "Latest messages" }
                    @if latest.is_empty() { p { "None." } } @else {
                        table {
                            caption { "The latest messages of any status, newest first" }
                            thead { tr {
                                th scope="col" { "Id" } th scope="col" { "Provider" }
                                th scope="col" { "Recipient" } th scope="col" { "Attempts" }
                                th scope="col" { "Error" } th scope="col" { "Updated" }
                                th scope="col" { "Status" }
                            } }
                            tbody {
                                @for r in &latest { tr { (cells(r)) td { (r.status) } } }
                            }
                        }
                    }
                }
            },
        ),
    )
}

fn cells(r: &OutboxView) -> Markup {
    html! {
        td { (r.id) }
        td { (r.provider) }
        td { (r.recipient_masked.as_deref().unwrap_or("—")) }
        td { (r.attempts) }
        td { @match &r.last_error { Some(code) => code { (code) }, None => "—" } }
        td { (when(r.updated_ms)) }
    }
}

async fn retry(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let Some(id) = form.id() else {
        return refused(
            StatusCode::BAD_REQUEST,
            "The message id must be a positive number.",
        );
    };
    match s.operator.retry_outbox(id, &viewer.who.label()).await {
        Ok(()) => see_other("/console/outbox?done=retried"),
        Err(e) => failed(e),
    }
}
