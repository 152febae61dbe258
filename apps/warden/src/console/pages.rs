//! The console's pages. Every value goes through maud's escaping; phone numbers appear only
//! masked (as the store masks them), senders only as pseudonyms.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};
use warden_assistant::marketplace::HeldOffer;
use warden_assistant::pairing::PendingPairing;
use warden_audit::{AuditRecord, Verification};
use warden_store::{AllowlistEntry, OutboxView};
use warden_types::UnixMillis;

use warden_operators::{authorize, Action, Resource};

use super::{chart, Viewer, CSRF_FIELD};

/// The console's sections: a link shows only to a role that may read what it leads to (the
/// server refuses the page anyway).
const NAV: &[(&str, &str, Action)] = &[
    ("/console/", "Dashboard", Action::AuditRead),
    ("/console/senders", "Senders", Action::AllowlistRead),
    ("/console/marketplace", "Marketplace", Action::VendorRead),
    ("/console/outbox", "Outbox", Action::OutboxRead),
    ("/console/audit", "Audit", Action::AuditRead),
    ("/console/operators", "Operators", Action::OperatorCreate),
    ("/console/subjects", "Data subjects", Action::SubjectErase),
];

/// What a finished form says on the page it returns to (a fixed word in the URL, never data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Approved,
    Rejected,
    Added,
    Removed,
    Unchanged,
}

impl Notice {
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Approved => "approved",
            Notice::Rejected => "rejected",
            Notice::Added => "added",
            Notice::Removed => "removed",
            Notice::Unchanged => "unchanged",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Notice::Approved,
            Notice::Rejected,
            Notice::Added,
            Notice::Removed,
            Notice::Unchanged,
        ]
        .into_iter()
        .find(|n| n.as_str() == raw)
    }

    fn text(self) -> &'static str {
        match self {
            Notice::Approved => "Pairing approved: the sender is on the allowlist and was told.",
            Notice::Rejected => "Pairing rejected.",
            Notice::Added => "Number added to the allowlist.",
            Notice::Removed => "Number removed from the allowlist.",
            Notice::Unchanged => "Nothing changed: the allowlist already said so.",
        }
    }
}

pub(super) fn html_response(status: StatusCode, body: Markup) -> Response {
    let mut r = (status, body.into_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

pub(super) fn layout(title: &str, viewer: Option<&Viewer>, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Warden" }
                link rel="stylesheet" href="/console/static/console.css";
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header {
                    span class="brand" { "Warden" }
                    @if let Some(v) = viewer {
                        nav aria-label="Console" {
                            @for (href, label, action) in NAV {
                                @if authorize(&v.who.actor, *action, &Resource::Any).is_ok() {
                                    a href=(href) { (label) }
                                }
                            }
                        }
                        form method="post" action="/console/logout" class="logout" {
                            (csrf(v))
                            span { "operator " (v.who.actor.id.0) " · " (v.who.actor.role.as_str()) }
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main id="main" { h1 { (title) } (main) }
            }
        }
    }
}

pub(super) fn csrf(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf); }
}

/// Milliseconds as a UTC time, `YYYY-MM-DD HH:MM UTC`.
pub(super) fn when(ms: i64) -> String {
    let t = warden_types::UnixMillis(ms).utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

/// A refusal or failure as a page (403, 404, 409, 429…).
pub fn refused(status: StatusCode, text: &str) -> Response {
    html_response(
        status,
        layout(
            status.canonical_reason().unwrap_or("Refused"),
            None,
            html! {
                p role="alert" { (text) }
                p { a href="/console/" { "Back to the console" } }
            },
        ),
    )
}

/// 429 with `Retry-After`.
pub fn too_many(retry_after_secs: u64) -> Response {
    let mut r = refused(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many requests; please wait a minute.",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    r
}

pub fn login(status: StatusCode, next: Option<&str>, error: Option<&str>) -> Response {
    html_response(
        status,
        layout(
            "Log in",
            None,
            html! {
                @if let Some(e) = error { p role="alert" class="error" { (e) } }
                form method="post" action="/console/login" class="stack" {
                    @if let Some(n) = next { input type="hidden" name="next" value=(n); }
                    label for="username" { "Username" }
                    input id="username" name="username" autocomplete="username" required autofocus;
                    label for="password" { "Password" }
                    input id="password" name="password" type="password" autocomplete="current-password" required;
                    label for="code" { "Authenticator code or recovery code" }
                    input id="code" name="code" autocomplete="one-time-code" inputmode="text" required;
                    button type="submit" { "Log in" }
                }
            },
        ),
    )
}

/// What the dashboard shows; `None` sections are ones the viewer's role may not read.
#[derive(Debug)]
pub struct Dashboard {
    pub now: UnixMillis,
    /// The audit head's sequence number, or why the store is not ready.
    pub ready: Result<i64, &'static str>,
    pub per_hour: [u64; 24],
    /// The chart hit its read limit.
    pub capped: bool,
    /// The last recorded verification of the chain.
    pub verified: Option<Verification>,
    pub alerts: Vec<AuditRecord>,
    pub failures: Option<Vec<OutboxView>>,
    pub pairings: Option<Vec<PendingPairing>>,
    pub held: Option<Vec<HeldOffer>>,
}

pub fn dashboard(viewer: &Viewer, d: &Dashboard) -> Response {
    html_response(
        StatusCode::OK,
        layout(
            "Dashboard",
            Some(viewer),
            html! {
                section aria-labelledby="health" {
                    h2 id="health" { "Health" }
                    @match d.ready {
                        Ok(seq) => {
                            p class="ok" { "Ready. " }
                            p { "Audit chain head: event " (seq) "." }
                        }
                        Err(reason) => p class="error" role="alert" { "Not ready: " (reason) },
                    }
                    p { (super::audit::last_verified(d.verified.as_ref())) }
                    p { "As of " (when(d.now.as_i64())) "." }
                }
                section aria-labelledby="traffic" {
                    h2 id="traffic" { "Messages per hour (last 24 h)" }
                    (chart::svg(&d.per_hour))
                    @if d.capped { p { "The busiest day shown is capped at its first events." } }
                }
                @if let Some(p) = &d.pairings {
                    section aria-labelledby="pairings" {
                        h2 id="pairings" { "Pending pairings" }
                        p { (p.len()) " waiting. " a href="/console/senders" { "Review them on Senders" } }
                    }
                }
                @if let Some(f) = &d.failures {
                    section aria-labelledby="outbox" {
                        h2 id="outbox" { "Outbox failures" }
                        @if f.is_empty() { p { "None." } } @else {
                            p { a href="/console/outbox" { "Review and retry them on Outbox" } }
                            table {
                                thead { tr { th scope="col" { "Id" } th scope="col" { "Provider" } th scope="col" { "Recipient" } th scope="col" { "Attempts" } th scope="col" { "Error" } } }
                                tbody {
                                    @for r in f {
                                        tr {
                                            td { (r.id) } td { (r.provider) }
                                            td { (r.recipient_masked.as_deref().unwrap_or("—")) }
                                            td { (r.attempts) } td { (r.last_error.as_deref().unwrap_or("—")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(h) = &d.held {
                    section aria-labelledby="held" {
                        h2 id="held" { "Held offers" }
                        @if h.is_empty() { p { "None." } } @else {
                            table {
                                thead { tr { th scope="col" { "Offer" } th scope="col" { "Reasons" } th scope="col" { "Held at" } } }
                                tbody {
                                    @for o in h {
                                        tr { td { (o.offer.id) } td { (o.offer.reasons) } td { (when(o.offer.created_at.as_i64())) } }
                                    }
                                }
                            }
                            p { a href="/console/marketplace" { "Review them on Marketplace" } }
                        }
                    }
                }
                section aria-labelledby="alerts" {
                    h2 id="alerts" { "Recent security events" }
                    @if d.alerts.is_empty() { p { "None." } } @else {
                        table {
                            thead { tr { th scope="col" { "Event" } th scope="col" { "Kind" } th scope="col" { "When" } } }
                            tbody {
                                @for a in &d.alerts {
                                    tr { td { (a.seq) } td { (a.kind) } td { (when(a.at_ms)) } }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}

/// What the Senders page shows.
#[derive(Debug)]
pub struct Senders {
    pub now: UnixMillis,
    pub allowlist: Vec<AllowlistEntry>,
    pub pairings: Option<Vec<PendingPairing>>,
    pub notice: Option<Notice>,
    pub may_decide: bool,
    pub may_write: bool,
}

pub fn senders(viewer: &Viewer, s: &Senders) -> Response {
    html_response(
        StatusCode::OK,
        layout(
            "Senders",
            Some(viewer),
            html! {
                @if let Some(n) = s.notice { p role="status" class="ok" { (n.text()) } }
                @if let Some(p) = &s.pairings {
                    section aria-labelledby="pending" {
                        h2 id="pending" { "Pending pairing codes" }
                        @if p.is_empty() { p { "None." } } @else {
                            table {
                                thead { tr { th scope="col" { "Code" } th scope="col" { "Number" } th scope="col" { "Expires in" }
                                    @if s.may_decide { th scope="col" { "Decision" } } } }
                                tbody {
                                    @for r in p {
                                        @let code = r.code.display();
                                        tr {
                                            td { code { (code) } }
                                            td { (r.phone_masked.as_deref().unwrap_or("—")) }
                                            td { ((r.expires_at.as_i64() - s.now.as_i64()).max(0) / 60_000) " min" }
                                            @if s.may_decide {
                                                td class="actions" {
                                                    form method="post" action="/console/pairings/approve" {
                                                        (csrf(viewer))
                                                        input type="hidden" name="code" value=(code);
                                                        button type="submit" aria-label=(format!("Approve {code}")) { "Approve" }
                                                    }
                                                    form method="post" action="/console/pairings/reject" {
                                                        (csrf(viewer))
                                                        input type="hidden" name="code" value=(code);
                                                        button type="submit" class="secondary" aria-label=(format!("Reject {code}")) { "Reject" }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                section aria-labelledby="allowlist" {
                    h2 id="allowlist" { "Allowlist" }
                    p { "Paired senders by pseudonym: the allowlist never holds a number." }
                    @if s.allowlist.is_empty() { p { "Nobody is paired." } } @else {
                        table {
                            thead { tr { th scope="col" { "Sender" } th scope="col" { "Added" } } }
                            tbody {
                                @for e in &s.allowlist {
                                    tr { td { code { (e.sender) } } td { (when(e.added_ms)) } }
                                }
                            }
                        }
                    }
                }
                @if s.may_write {
                    section aria-labelledby="change" {
                        h2 id="change" { "Add or remove a number" }
                        form method="post" action="/console/senders/add" class="stack" {
                            (csrf(viewer))
                            label for="add-phone" { "Number to allow (E.164, e.g. +61412345678)" }
                            input id="add-phone" name="phone" type="tel" autocomplete="off" required;
                            button type="submit" { "Add" }
                        }
                        form method="post" action="/console/senders/remove" class="stack" {
                            (csrf(viewer))
                            label for="remove-phone" { "Number to remove" }
                            input id="remove-phone" name="phone" type="tel" autocomplete="off" required;
                            button type="submit" class="secondary" { "Remove" }
                        }
                    }
                }
            },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_as_utc_dates() {
        assert_eq!(when(0), "1970-01-01 00:00 UTC");
        assert_eq!(when(1_709_164_800_000 + 3_660_000), "2024-02-29 01:01 UTC");
    }

    #[test]
    fn a_login_error_and_next_are_escaped() {
        let r = layout("t", None, html! { p { ("<script>alert(1)</script>") } }).into_string();
        assert!(!r.contains("<script>"), "{r}");
        assert!(r.contains("&lt;script&gt;"), "{r}");
    }
}
