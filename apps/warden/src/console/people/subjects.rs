//! Data subjects: a number goes in a POSTed form only (never a URL); the export comes back as a
//! download of the API's own JSON, named by time alone; an erasure needs the word ERASE typed
//! into a second field, and answers with the per-table counts the audit event records.

use axum::extract::{Extension, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use warden_operators::Action;

use super::super::pages::{csrf, html_response, layout};
use super::super::routes::{may, S};
use super::super::{Form, Viewer};
use super::{as_api, refusal};
use crate::admin::problem::Problem;

const BACK: (&str, &str) = ("/console/subjects", "Back to Data subjects");
/// What the erase form's confirmation field must hold, exactly.
const CONFIRMATION: &str = "ERASE";

pub(super) async fn page(Extension(viewer): Extension<Viewer>) -> Response {
    html_response(
        StatusCode::OK,
        layout(
            "Data subjects",
            Some(&viewer),
            html! {
                p { "Everything Warden holds about one WhatsApp number, in every table that can hold a person's data (allowlist and sender state, tasks, message ids, outbox, pairing requests, marketplace requests, offers, consents and vendors, an operator's alert number), and the audit events of its pseudonym." }
                @if may(&viewer, Action::SubjectExport) {
                    section aria-labelledby="export" {
                        h2 id="export" { "Export" }
                        form method="post" action="/console/subjects/export" class="stack" {
                            (csrf(&viewer))
                            label for="export-phone" { "Number (E.164, e.g. +61412345678)" }
                            input id="export-phone" name="phone" type="tel" autocomplete="off" required;
                            button type="submit" { "Download the export (JSON)" }
                        }
                    }
                }
                @if may(&viewer, Action::SubjectErase) {
                    section aria-labelledby="erase" {
                        h2 id="erase" { "Erase" }
                        p { "Deletes every row held about the number in one transaction. It cannot be undone. The audit log keeps that an erasure happened, by whom and how many rows, never the number, and its chain still verifies." }
                        form method="post" action="/console/subjects/erase" class="stack" {
                            (csrf(&viewer))
                            label for="erase-phone" { "Number (E.164)" }
                            input id="erase-phone" name="phone" type="tel" autocomplete="off" required;
                            label for="erase-confirm" { "Type " (CONFIRMATION) " to confirm" }
                            input id="erase-confirm" name="confirm" autocomplete="off" required;
                            button type="submit" { "Erase everything about this number" }
                        }
                    }
                }
            },
        ),
    )
}

pub(super) async fn export(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let phone = form.get("phone").unwrap_or_default().trim();
    // As the API: text only for a role that may read it.
    let include_text = viewer.who.actor.role.may_read_text();
    let export = match s.operator.export_subject(phone, include_text).await {
        Ok(e) => e,
        Err(e) => return as_api(&viewer, e, BACK),
    };
    let Ok(json) = serde_json::to_vec(&export) else {
        return as_api(&viewer, Problem::internal(), BACK);
    };
    let t = s.clock.now().utc();
    let disposition = format!(
        "attachment; filename=\"warden-subject-export-{:04}{:02}{:02}-{:02}{:02}{:02}.json\"",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    );
    let mut r = (StatusCode::OK, json).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

pub(super) async fn erase(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    if form.get("confirm").map(str::trim) != Some(CONFIRMATION) {
        return refusal(
            &viewer,
            StatusCode::BAD_REQUEST,
            &format!("Type {CONFIRMATION} in the confirmation field to erase. Nothing was erased."),
            BACK,
        );
    }
    let phone = form.get("phone").unwrap_or_default().trim();
    let report = match s.operator.erase_subject(phone, &viewer.who.label()).await {
        Ok(r) => r,
        Err(e) => return as_api(&viewer, e, BACK),
    };
    html_response(
        StatusCode::OK,
        layout(
            "Subject erased",
            Some(&viewer),
            html! {
                @if report.nothing_held {
                    p role="status" class="ok" { "Nothing was held about that number; nothing was deleted." }
                } @else {
                    p role="status" class="ok" { "Erased " (report.counts.total()) " rows about that number." }
                }
                section aria-labelledby="counts" {
                    h2 id="counts" { "Rows by table" }
                    table {
                        thead { tr { th scope="col" { "Table" } th scope="col" { "Rows" } } }
                        tbody {
                            @for (table, n) in &report.counts.0 {
                                tr { th scope="row" { code { (table) } } td { (n) } }
                            }
                        }
                    }
                    p { "Replay ids are unlinked from the subject rather than deleted. The audit log records these counts and you as the actor, never the number." }
                }
                p { a href=(BACK.0) { (BACK.1) } }
            },
        ),
    )
}
