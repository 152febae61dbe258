//! The Marketplace page: vendors (add, disable, enable), held offers (reason codes only; the
//! text on an explicit reveal, audited `offer.revealed`; release or discard) and call consents.
//!
//! The handlers call the operator use cases the admin API calls, with the signed-in operator as
//! the actor every change and every reveal is audited with. A held offer's text leaves the
//! server only in the answer to its reveal form (a POST, so never in a URL or the history), and
//! only to a role the route table lets reveal.

use axum::extract::{Extension, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, MethodRouter};
use maud::{html, Markup};
use warden_assistant::marketplace::HeldOffer;
use warden_marketplace::{ConsentRecord, Vendor};
use warden_operators::Action;
use warden_types::{SenderId, UnixMillis};

use super::pages::{csrf, html_response, layout, refused, when};
use super::routes::{failed, may, readable, Page, S};
use super::{see_other, Form, Viewer};
use crate::admin::routes::Guard;
use crate::operator::OperatorError;

const PAGE: &str = "/console/marketplace";

/// The Marketplace page and its forms.
pub fn table() -> Vec<Page> {
    use Action::*;
    use Guard::*;
    let p = |method: Method, path: &'static str, guard: Guard, handler: MethodRouter<S>| Page {
        method,
        path,
        guard,
        handler,
    };
    vec![
        p(Method::GET, PAGE, Requires(VendorRead), get(marketplace)),
        p(
            Method::POST,
            "/console/marketplace/vendors/add",
            Requires(VendorWrite),
            post(add_vendor),
        ),
        p(
            Method::POST,
            "/console/marketplace/vendors/disable",
            Requires(VendorWrite),
            post(disable_vendor),
        ),
        p(
            Method::POST,
            "/console/marketplace/vendors/enable",
            Requires(VendorWrite),
            post(enable_vendor),
        ),
        p(
            Method::POST,
            "/console/marketplace/offers/reveal",
            Requires(OfferReveal),
            post(reveal),
        ),
        p(
            Method::POST,
            "/console/marketplace/offers/release",
            Requires(OfferDecide),
            post(release),
        ),
        p(
            Method::POST,
            "/console/marketplace/offers/discard",
            Requires(OfferDecide),
            post(discard),
        ),
    ]
}

/// What a finished form says on the page it returns to (a fixed word in the URL, never data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    VendorAdded,
    VendorDisabled,
    VendorEnabled,
    Released,
    Discarded,
}

impl Done {
    const ALL: [Done; 5] = [
        Done::VendorAdded,
        Done::VendorDisabled,
        Done::VendorEnabled,
        Done::Released,
        Done::Discarded,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Done::VendorAdded => "vendor-added",
            Done::VendorDisabled => "vendor-disabled",
            Done::VendorEnabled => "vendor-enabled",
            Done::Released => "released",
            Done::Discarded => "discarded",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == raw)
    }

    fn text(self) -> &'static str {
        match self {
            Done::VendorAdded => "Vendor registered: it is contacted for matching requests.",
            Done::VendorDisabled => "Vendor disabled: it is contacted no more.",
            Done::VendorEnabled => "Vendor enabled: it is contacted for matching requests again.",
            Done::Released => {
                "Offer released: it goes to the client masked like any offer, and its held text \
                 is deleted."
            }
            Done::Discarded => {
                "Offer discarded: the client never sees it, and its text is deleted."
            }
        }
    }

    fn redirect(self) -> Response {
        see_other(&format!("{PAGE}?done={}", self.as_str()))
    }
}

#[derive(Debug, serde::Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

/// What the page shows; `None` sections are ones the viewer's role may not read.
#[derive(Debug)]
struct Market {
    now: UnixMillis,
    vendors: Vec<Vendor>,
    held: Option<Vec<HeldOffer>>,
    consents: Option<Vec<(SenderId, ConsentRecord)>>,
    done: Option<Done>,
    may_write_vendors: bool,
    may_reveal: bool,
    may_decide: bool,
}

async fn marketplace(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let vendors = match s.operator.vendors().await {
        Ok(v) => v,
        Err(OperatorError::MarketplaceDisabled) => return disabled(&viewer),
        Err(e) => return failed(e),
    };
    let held = match readable(&viewer, Action::OfferRead, s.operator.held_offers()).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let consents = match readable(&viewer, Action::ConsentRead, s.operator.consents()).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    page(
        &viewer,
        &Market {
            now: s.clock.now(),
            vendors,
            held,
            consents,
            done: q.done.as_deref().and_then(Done::parse),
            may_write_vendors: may(&viewer, Action::VendorWrite),
            may_reveal: may(&viewer, Action::OfferReveal),
            may_decide: may(&viewer, Action::OfferDecide),
        },
    )
}

fn no_id() -> Response {
    refused(StatusCode::BAD_REQUEST, "The form names no valid id.")
}

async fn add_vendor(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let field = |name| form.get(name).unwrap_or_default();
    match s
        .operator
        .register_vendor(
            field("name"),
            field("phone").trim(),
            field("tags"),
            &viewer.who.label(),
        )
        .await
    {
        Ok(_) => Done::VendorAdded.redirect(),
        // The CLI's flag names, as the form labels them.
        Err(OperatorError::Invalid { field, why }) => {
            let label = match field {
                "--name" => "Business name",
                "--phone" => "Number",
                "--tags" => "Tags",
                other => other,
            };
            refused(
                StatusCode::BAD_REQUEST,
                &format!("The vendor was not added. {label}: {why}."),
            )
        }
        Err(e) => failed(e),
    }
}

async fn set_active(s: S, viewer: Viewer, form: Form, active: bool) -> Response {
    let Some(id) = form.id() else {
        return no_id();
    };
    match s
        .operator
        .set_vendor_active(id, active, &viewer.who.label())
        .await
    {
        Ok(()) if active => Done::VendorEnabled.redirect(),
        Ok(()) => Done::VendorDisabled.redirect(),
        Err(e) => failed(e),
    }
}

async fn disable_vendor(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    set_active(s, viewer, form, false).await
}

async fn enable_vendor(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    set_active(s, viewer, form, true).await
}

async fn reveal(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let Some(id) = form.id() else {
        return no_id();
    };
    match s.operator.reveal_offer(id, &viewer.who.label()).await {
        Ok(held) => revealed(&viewer, &held, may(&viewer, Action::OfferDecide)),
        Err(e) => failed(e),
    }
}

async fn release(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let Some(id) = form.id() else {
        return no_id();
    };
    match s.operator.release_offer(id, &viewer.who.label()).await {
        Ok(()) => Done::Released.redirect(),
        Err(e) => failed(e),
    }
}

async fn discard(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let Some(id) = form.id() else {
        return no_id();
    };
    match s.operator.discard_offer(id, &viewer.who.label()).await {
        Ok(()) => Done::Discarded.redirect(),
        Err(e) => failed(e),
    }
}

// ---- templates ----

fn disabled(viewer: &Viewer) -> Response {
    html_response(
        StatusCode::OK,
        layout(
            "Marketplace",
            Some(viewer),
            html! {
                p role="status" {
                    "The concierge marketplace is not enabled on this gateway: there are no \
                     vendors, held offers or call consents. It is turned on with "
                    code { "WARDEN_MARKET_ENABLED=true" } "."
                }
            },
        ),
    )
}

/// A held offer's reason codes, each as code.
fn reasons(offer: &HeldOffer) -> Markup {
    html! {
        @for (i, r) in offer.offer.reasons.split(',').filter(|r| !r.is_empty()).enumerate() {
            @if i > 0 { " " }
            code { (r) }
        }
    }
}

/// A one-button form posting `id` to `action`.
fn button(
    viewer: &Viewer,
    action: &str,
    id: i64,
    text: &str,
    label: &str,
    secondary: bool,
) -> Markup {
    html! {
        form method="post" action=(action) {
            (csrf(viewer))
            input type="hidden" name="id" value=(id);
            button type="submit" class=[secondary.then_some("secondary")] aria-label=(label) { (text) }
        }
    }
}

fn decide_buttons(viewer: &Viewer, id: i64) -> Markup {
    html! {
        (button(viewer, "/console/marketplace/offers/release", id, "Release",
            &format!("Release offer {id} to its client"), false))
        (button(viewer, "/console/marketplace/offers/discard", id, "Discard",
            &format!("Discard offer {id}"), true))
    }
}

fn page(viewer: &Viewer, m: &Market) -> Response {
    html_response(
        StatusCode::OK,
        layout(
            "Marketplace",
            Some(viewer),
            html! {
                @if let Some(d) = m.done { p role="status" class="ok" { (d.text()) } }
                section aria-labelledby="vendors" {
                    h2 id="vendors" { "Vendors" }
                    @if m.vendors.is_empty() { p { "No vendor is registered." } } @else {
                        table {
                            thead { tr {
                                th scope="col" { "Id" } th scope="col" { "Name" } th scope="col" { "Tags" }
                                th scope="col" { "Number" } th scope="col" { "State" }
                                @if m.may_write_vendors { th scope="col" { "Change" } }
                            } }
                            tbody {
                                @for v in &m.vendors {
                                    @let id = v.id.0;
                                    @let name = v.business_name.as_str();
                                    tr {
                                        td { (id) } td { (name) } td { (v.tags.comma_separated()) }
                                        td { (v.phone.masked()) }
                                        td { @if v.active { "active" } @else { "disabled" } }
                                        @if m.may_write_vendors {
                                            td {
                                                @if v.active {
                                                    (button(viewer, "/console/marketplace/vendors/disable", id, "Disable",
                                                        &format!("Disable vendor {id}, {name}"), true))
                                                } @else {
                                                    (button(viewer, "/console/marketplace/vendors/enable", id, "Enable",
                                                        &format!("Enable vendor {id}, {name}"), false))
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if m.may_write_vendors {
                        h3 { "Add a vendor" }
                        form method="post" action="/console/marketplace/vendors/add" class="stack" {
                            (csrf(viewer))
                            label for="vendor-name" { "Business name (no phone number or e-mail in it)" }
                            input id="vendor-name" name="name" autocomplete="off" maxlength="80" required;
                            label for="vendor-phone" { "WhatsApp number (E.164, e.g. +351912345678)" }
                            input id="vendor-phone" name="phone" type="tel" autocomplete="off" required;
                            label for="vendor-tags" { "Tags, comma-separated, with a service (e.g. van,wheelchair,city:lisbon)" }
                            input id="vendor-tags" name="tags" autocomplete="off" required;
                            button type="submit" { "Add vendor" }
                        }
                    }
                }
                @if let Some(held) = &m.held {
                    section aria-labelledby="held" {
                        h2 id="held" { "Held offers" }
                        p {
                            "Vendor replies the output guard held for review, by reason code. "
                            @if m.may_reveal { "A reply's text is shown only when you reveal it, and every reveal is recorded in the audit log." }
                            @else { "Your role does not read their text." }
                        }
                        @if held.is_empty() { p { "None." } } @else {
                            table {
                                thead { tr {
                                    th scope="col" { "Offer" } th scope="col" { "Request" } th scope="col" { "Vendor" }
                                    th scope="col" { "Reasons" } th scope="col" { "Held at" }
                                    @if m.may_reveal || m.may_decide { th scope="col" { "Review" } }
                                } }
                                tbody {
                                    @for o in held {
                                        @let id = o.offer.id;
                                        tr {
                                            td { (id) }
                                            td { (o.reference.as_ref().map_or("—", |r| r.as_str())) }
                                            td { (o.offer.vendor.0) }
                                            td { (reasons(o)) }
                                            td { (when(o.offer.created_at.as_i64())) }
                                            @if m.may_reveal || m.may_decide {
                                                td class="actions" {
                                                    @if m.may_reveal {
                                                        (button(viewer, "/console/marketplace/offers/reveal", id, "Reveal text",
                                                            &format!("Reveal text of offer {id}"), true))
                                                    }
                                                    @if m.may_decide { (decide_buttons(viewer, id)) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(consents) = &m.consents {
                    section aria-labelledby="consents" {
                        h2 id="consents" { "Call consents" }
                        p { "Clients by pseudonym: the consent table never holds a number." }
                        @if consents.is_empty() { p { "None." } } @else {
                            table {
                                thead { tr {
                                    th scope="col" { "Client" } th scope="col" { "Status" }
                                    th scope="col" { "Granted" } th scope="col" { "Expires" } th scope="col" { "Revoked" }
                                } }
                                tbody {
                                    @for (client, record) in consents {
                                        tr {
                                            td { code { (client.as_str()) } }
                                            td { (record.status_at(m.now)) }
                                            @for t in consent_times(record) { td { (time(t)) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}

/// When a consent was granted, expires and was revoked.
fn consent_times(record: &ConsentRecord) -> [Option<UnixMillis>; 3] {
    match *record {
        ConsentRecord::Granted {
            granted_at,
            expires_at,
        } => [Some(granted_at), Some(expires_at), None],
        ConsentRecord::Revoked { revoked_at } => [None, None, Some(revoked_at)],
        ConsentRecord::None => [None, None, None],
    }
}

fn time(t: Option<UnixMillis>) -> String {
    t.map_or_else(|| "—".to_owned(), |t| when(t.as_i64()))
}

/// The answer to a reveal: the one offer, its text (escaped like every value), and the
/// decision forms.
fn revealed(viewer: &Viewer, held: &HeldOffer, may_decide: bool) -> Response {
    let id = held.offer.id;
    let text = held.offer.text.as_ref().map_or("", |t| t.0.as_str());
    html_response(
        StatusCode::OK,
        layout(
            &format!("Held offer {id}"),
            Some(viewer),
            html! {
                p role="status" class="ok" {
                    "Revealed. This reveal is recorded in the audit log (offer.revealed) under your operator id."
                }
                dl {
                    dt { "Request" } dd { (held.reference.as_ref().map_or("none named", |r| r.as_str())) }
                    dt { "Vendor" } dd { (held.offer.vendor.0) }
                    dt { "Reasons" } dd { (reasons(held)) }
                    dt { "Held at" } dd { (when(held.offer.created_at.as_i64())) }
                }
                section aria-labelledby="text" {
                    h2 id="text" { "The vendor's text" }
                    p { "As the vendor wrote it, unredacted. It was held because it may redirect a payment or carry instructions: follow nothing in it." }
                    blockquote class="held-text" { (text) }
                }
                @if may_decide {
                    section aria-labelledby="decide" {
                        h2 id="decide" { "Decision" }
                        p { "Releasing sends it to the client masked like any offer; discarding drops it. Either deletes the held text." }
                        div class="actions" { (decide_buttons(viewer, id)) }
                    }
                }
                p { a href=(PAGE) { "Back to the marketplace" } }
            },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_done_word_round_trips_and_nothing_else_parses() {
        for d in Done::ALL {
            assert_eq!(Done::parse(d.as_str()), Some(d));
        }
        assert_eq!(Done::parse("<script>"), None);
        assert_eq!(Done::parse(""), None);
    }
}
