//! The Audit page: the chain newest first, page by page, filtered by kind and UTC days, each
//! row with its hash link; and "Verify chain", the same verification as `warden audit verify`
//! and `POST /api/v1/audit/verify`, recorded as `audit.verified` for the dashboard.
//!
//! Every role that may read the audit log sees the same rows, as the API shows them: rows hold
//! pseudonyms and fixed-key details, never a number or message text.

use axum::extract::{Extension, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use maud::{html, Markup};
use warden_audit::{
    AuditFilter, AuditRecord, ChainError, EventKind, FilterError, Seek, Verdict, Verification,
};
use warden_operators::Action;
use warden_store::VerifyError;
use warden_types::{DateError, UtcDate};

use super::pages::{csrf, html_response, layout, refused, when};
use super::routes::{failed, may, Page, S};
use super::Viewer;
use crate::admin::routes::Guard;

/// Rows per page.
const PAGE: u64 = 50;
/// Hex digits of a hash shown in the table (the whole hash is in the `title`).
const SHORT_HASH: usize = 10;

/// The Audit page and its one form.
pub fn table() -> Vec<Page> {
    vec![
        Page {
            method: Method::GET,
            path: "/console/audit",
            guard: Guard::Requires(Action::AuditRead),
            handler: get(audit),
        },
        Page {
            method: Method::POST,
            path: "/console/audit/verify",
            guard: Guard::Requires(Action::AuditVerify),
            handler: post(verify),
        },
    ]
}

/// Why the page's query string was refused (400). Never echoes what was sent.
#[derive(Debug, thiserror::Error)]
enum BadQuery {
    #[error("The address's query string could not be read.")]
    Unreadable,
    #[error("The address has a parameter this page does not take, or one given twice.")]
    Unexpected,
    #[error("`{0}` must be an event number (0 or more).")]
    Seq(&'static str),
    #[error("Page either before or after an event, not both.")]
    BothWays,
    #[error("The kind is not one of the audit event kinds listed in the form.")]
    Kind,
    #[error("The `{0}` date {1}.")]
    Date(&'static str, DateError),
    #[error("The date range ends before it starts: `to` must be on or after `from`.")]
    Range(FilterError),
}

/// What the page was asked for.
#[derive(Debug, Default)]
struct Search {
    kind: Option<EventKind>,
    from: Option<UtcDate>,
    to: Option<UtcDate>,
    before: Option<i64>,
    after: Option<i64>,
}

impl Search {
    /// `kind`, `from`, `to` (`YYYY-MM-DD`, UTC) and at most one of `before`/`after`; an empty
    /// value (an untouched form field) is absent.
    fn parse(raw: Option<&str>) -> Result<Self, BadQuery> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
            .map_err(|_| BadQuery::Unreadable)?;
        let mut s = Search::default();
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in pairs {
            if seen.contains(&key) {
                return Err(BadQuery::Unexpected);
            }
            seen.push(key.clone());
            if value.is_empty() {
                continue;
            }
            let seq = |name: &'static str| match value.parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Some(n)),
                _ => Err(BadQuery::Seq(name)),
            };
            let date = |name: &'static str| {
                UtcDate::parse(&value)
                    .map(Some)
                    .map_err(|e| BadQuery::Date(name, e))
            };
            match key.as_str() {
                "kind" => s.kind = Some(EventKind::parse(&value).ok_or(BadQuery::Kind)?),
                "from" => s.from = date("from")?,
                "to" => s.to = date("to")?,
                "before" => s.before = seq("before")?,
                "after" => s.after = seq("after")?,
                _ => return Err(BadQuery::Unexpected),
            }
        }
        if s.before.is_some() && s.after.is_some() {
            return Err(BadQuery::BothWays);
        }
        Ok(s)
    }

    fn filter(&self) -> Result<AuditFilter, BadQuery> {
        AuditFilter::days(self.kind, self.from, self.to).map_err(BadQuery::Range)
    }

    fn seek(&self) -> Seek {
        match (self.before, self.after) {
            (Some(b), _) => Seek::Before(b),
            (None, Some(a)) => Seek::After(a),
            (None, None) => Seek::Newest,
        }
    }

    /// This search's filters with `page` (`("before", 17)`), as a link to the page.
    fn link(&self, page: Option<(&str, i64)>) -> String {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(k) = self.kind {
            q.push(("kind", k.as_str().to_owned()));
        }
        if let Some(d) = self.from {
            q.push(("from", d.to_string()));
        }
        if let Some(d) = self.to {
            q.push(("to", d.to_string()));
        }
        if let Some((name, seq)) = page {
            q.push((name, seq.to_string()));
        }
        match serde_urlencoded::to_string(&q) {
            Ok(qs) if !qs.is_empty() => format!("/console/audit?{qs}"),
            _ => "/console/audit".to_owned(),
        }
    }
}

/// The address of event `seq` on the Audit page: the page that starts with it.
pub(super) fn row_link(seq: i64) -> String {
    format!("/console/audit?before={}#seq-{seq}", seq.saturating_add(1))
}

async fn audit(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    RawQuery(raw): RawQuery,
) -> Response {
    let search = match Search::parse(raw.as_deref()) {
        Ok(search) => search,
        Err(e) => return refused(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let filter = match search.filter() {
        Ok(f) => f,
        Err(e) => return refused(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let seek = search.seek();
    // One row more than a page says whether there is another page that way.
    let mut rows = match s.operator.audit(seek, PAGE + 1, &filter).await {
        Ok(rows) => rows,
        Err(e) => return failed(e),
    };
    let more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    let (older, newer) = match seek {
        Seek::Newest => (more, false),
        Seek::Before(_) => (more, true),
        Seek::After(_) => {
            // Read forward, shown newest first like every other page.
            rows.reverse();
            (true, more)
        }
    };
    let last = match s.operator.last_verification().await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let older = older
        .then(|| rows.last().map(|r| search.link(Some(("before", r.seq)))))
        .flatten();
    let newer = newer
        .then(|| rows.first().map(|r| search.link(Some(("after", r.seq)))))
        .flatten();
    html_response(
        StatusCode::OK,
        layout(
            "Audit",
            Some(&viewer),
            html! {
                section aria-labelledby="chain" {
                    h2 id="chain" { "Hash chain" }
                    p { (last_verified(last.as_ref())) }
                    @if may(&viewer, Action::AuditVerify) {
                        form method="post" action="/console/audit/verify" {
                            (csrf(&viewer))
                            button type="submit" { "Verify chain" }
                        }
                    }
                }
                section aria-labelledby="events" {
                    h2 id="events" { "Events" }
                    (filters(&search))
                    (pager(&search, seek, older.as_deref(), newer.as_deref()))
                    @if rows.is_empty() { p { "No events match." } } @else {
                        table {
                            caption { "Events, newest first" }
                            thead { tr {
                                th scope="col" { "Event" } th scope="col" { "Time (UTC)" }
                                th scope="col" { "Kind" } th scope="col" { "Sender" }
                                th scope="col" { "Detail" } th scope="col" { "Hash link" }
                            } }
                            tbody { @for r in &rows { (row(r)) } }
                        }
                        (pager(&search, seek, older.as_deref(), newer.as_deref()))
                    }
                }
            },
        ),
    )
}

fn filters(search: &Search) -> Markup {
    let from = search.from.map(|d| d.to_string()).unwrap_or_default();
    let to = search.to.map(|d| d.to_string()).unwrap_or_default();
    html! {
        form method="get" action="/console/audit" class="filters" {
            div {
                label for="kind" { "Kind" }
                select id="kind" name="kind" {
                    option value="" selected[search.kind.is_none()] { "Any kind" }
                    @for k in EventKind::ALL {
                        option value=(k.as_str()) selected[search.kind == Some(k)] { (k.as_str()) }
                    }
                }
            }
            div {
                label for="from" { "From (UTC day)" }
                input id="from" name="from" type="date" value=(from);
            }
            div {
                label for="to" { "To (UTC day, included)" }
                input id="to" name="to" type="date" value=(to);
            }
            button type="submit" { "Filter" }
        }
    }
}

fn pager(search: &Search, seek: Seek, older: Option<&str>, newer: Option<&str>) -> Markup {
    html! {
        @if older.is_some() || newer.is_some() || seek != Seek::Newest {
            nav class="pager" aria-label="Audit pages" {
                @if seek != Seek::Newest { a href=(search.link(None)) { "Newest" } }
                @if let Some(href) = newer { a href=(href) rel="prev" { "Newer events" } }
                @if let Some(href) = older { a href=(href) rel="next" { "Older events" } }
            }
        }
    }
}

fn row(r: &AuditRecord) -> Markup {
    let shorten = |h: &str| h.chars().take(SHORT_HASH).collect::<String>();
    html! {
        tr id=(format!("seq-{}", r.seq)) {
            td { (r.seq) }
            td { (when(r.at_ms)) }
            td { (r.kind) }
            td {
                @match &r.sender {
                    Some(sender) => abbr title=(sender) { code { (shorten(sender)) } },
                    None => "—",
                }
            }
            td { @if r.detail.is_empty() { "—" } @else { code class="detail" { (r.detail) } } }
            td class="hash" {
                abbr title=(format!("prev_hash {}", r.prev_hash)) { code { (shorten(&r.prev_hash)) } }
                " → "
                abbr title=(format!("hash {}", r.hash)) { code { (shorten(&r.hash)) } }
            }
        }
    }
}

/// The last recorded verification in one sentence (the dashboard shows it too).
pub(super) fn last_verified(v: Option<&Verification>) -> Markup {
    html! {
        @match v {
            None => "The chain has not been verified yet.",
            Some(v) => {
                "Last verified " (when(v.at.as_i64())) " by " (v.actor) ": "
                @match &v.verdict {
                    Verdict::Intact { rows, head_seq } => span class="ok" {
                        "intact (" (rows) " events, head event " (head_seq) ")."
                    },
                    Verdict::Broken { first_bad_seq, problem } => span class="error" {
                        "BROKEN at event " a href=(row_link(*first_bad_seq)) { (first_bad_seq) }
                        " (" (problem) ")."
                    },
                }
            }
        }
    }
}

async fn verify(State(s): State<S>, Extension(viewer): Extension<Viewer>) -> Response {
    let result = match s.operator.verify_audit_as(&viewer.who.label()).await {
        Ok(chain) => Ok(chain),
        Err(VerifyError::Broken(e)) => {
            tracing::error!(error = %e, "audit chain verification failed");
            Err(e)
        }
        Err(e @ VerifyError::Read(_)) => {
            tracing::error!(error = %crate::http::error_chain(&e), "reading the audit log failed");
            return refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "The audit log could not be read; please try again.",
            );
        }
    };
    html_response(
        StatusCode::OK,
        layout(
            "Chain verification",
            Some(&viewer),
            html! {
                @match &result {
                    Ok(chain) => {
                        p role="status" class="ok" {
                            "The audit chain is intact: " (chain.rows) " events, head event "
                            (chain.head.seq) "."
                        }
                        p { "Head hash: " code class="detail" { (chain.head.hash) } }
                    }
                    Err(e) => {
                        p role="alert" class="error" {
                            "The audit chain is BROKEN. The first bad row is event "
                            (e.first_bad_seq()) ": " (what_is_wrong(e)) "."
                        }
                        p { a href=(row_link(e.first_bad_seq())) { "Show event " (e.first_bad_seq()) " on the audit page" } }
                    }
                }
                p { "The result is recorded in the chain (audit.verified) and shown on the dashboard." }
                p { a href="/console/audit" { "Back to the audit log" } }
            },
        ),
    )
}

/// The verifier's message without its `row N:` prefix (the page says the row).
fn what_is_wrong(e: &ChainError) -> String {
    let text = e.to_string();
    match text.split_once(": ") {
        Some((_, rest)) => rest.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_read_strictly_and_refused_by_name() {
        let ok = Search::parse(Some(
            "kind=outbox.failed&from=2026-12-01&to=2026-12-07&before=9",
        ))
        .unwrap();
        assert_eq!(ok.kind, Some(EventKind::OutboxFailed));
        assert_eq!(ok.seek(), Seek::Before(9));
        assert!(ok.filter().is_ok());
        assert_eq!(
            ok.link(Some(("after", 3))),
            "/console/audit?kind=outbox.failed&from=2026-12-01&to=2026-12-07&after=3"
        );
        let empty = Search::parse(Some("kind=&from=&to=")).unwrap();
        assert_eq!((empty.kind, empty.seek()), (None, Seek::Newest));
        assert_eq!(empty.link(None), "/console/audit");

        for bad in [
            "before=abc",
            "before=-1",
            "after=1.5",
            "before=1&after=2",
            "kind=no.such_kind",
            "from=yesterday",
            "to=2026-02-30",
            "kind=outbox.failed&kind=outbox.sent",
            "phone=%2B61491570156",
        ] {
            assert!(Search::parse(Some(bad)).is_err(), "{bad}");
        }
        let reversed = Search::parse(Some("from=2026-12-08&to=2026-12-07")).unwrap();
        assert!(matches!(reversed.filter(), Err(BadQuery::Range(_))));
        // A refusal names the parameter and never repeats a value.
        let e = Search::parse(Some("%2B61491570156=1"))
            .unwrap_err()
            .to_string();
        assert!(!e.contains("491570156"), "{e}");
    }

    #[test]
    fn a_row_link_lands_on_the_page_that_starts_with_the_row() {
        assert_eq!(row_link(4), "/console/audit?before=5#seq-4");
    }
}
