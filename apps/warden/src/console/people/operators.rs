//! Operator accounts: the list, adding an account, changing a role, disabling and enabling,
//! resetting the second factor; and the enrolment screen, which is the answer to the POST that
//! drew the second factor: shown once, stored nowhere for redisplay, never in a URL.

use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use secrecy::{ExposeSecret, SecretString};
use warden_access::{AccessError, Account, Enrolment};
use warden_operators::{Action, OperatorId, Role, Username};
use warden_types::UnixMillis;

use super::super::pages::{csrf, html_response, layout, when};
use super::super::routes::{may, S};
use super::super::{see_other, Form, Viewer};
use super::{as_api, qr, refusal};

const BACK: (&str, &str) = ("/console/operators", "Back to Operators");

/// What a finished form says on the list it returns to (a fixed word in the URL, never data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Role,
    Disabled,
    Enabled,
}

impl Done {
    const ALL: [Done; 3] = [Done::Role, Done::Disabled, Done::Enabled];

    fn as_str(self) -> &'static str {
        match self {
            Done::Role => "role",
            Done::Disabled => "disabled",
            Done::Enabled => "enabled",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Done::Role => "Role saved; it applies from the operator's next request.",
            Done::Disabled => "Account disabled; its sessions were ended.",
            Done::Enabled => "Account enabled.",
        }
    }

    fn redirect(self) -> Response {
        see_other(&format!("/console/operators?done={}", self.as_str()))
    }
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct DoneQuery {
    done: Option<String>,
}

pub(super) async fn list(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let accounts = match s.access.accounts().await {
        Ok(a) => a,
        Err(e) => return refused(&viewer, e),
    };
    let done = q
        .done
        .as_deref()
        .and_then(|d| Done::ALL.into_iter().find(|n| n.as_str() == d));
    page(&viewer, &accounts, s.clock.now(), done)
}

fn page(viewer: &Viewer, accounts: &[Account], now: UnixMillis, done: Option<Done>) -> Response {
    let may_role = may(viewer, Action::OperatorSetRole);
    let may_disable = may(viewer, Action::OperatorDisable);
    let may_enable = may(viewer, Action::OperatorEnable);
    let may_reset = may(viewer, Action::OperatorResetMfa);
    html_response(
        StatusCode::OK,
        layout(
            "Operators",
            Some(viewer),
            html! {
                @if let Some(d) = done { p role="status" class="ok" { (d.text()) } }
                section aria-labelledby="accounts" {
                    h2 id="accounts" { "Accounts" }
                    table {
                        thead { tr {
                            th scope="col" { "Id" } th scope="col" { "Username" } th scope="col" { "Role" }
                            th scope="col" { "Status" } th scope="col" { "Authenticator" }
                            th scope="col" { "Last login with a code" } th scope="col" { "Actions" }
                        } }
                        tbody {
                            @for a in accounts {
                                @let id = a.id.0.to_string();
                                @let name = a.username.as_str();
                                @let locked = a.failures.locked_until.filter(|t| *t > now);
                                tr {
                                    td { (id) }
                                    th scope="row" { (name) }
                                    td { (a.role.as_str()) }
                                    td {
                                        @if !a.enabled { "disabled" }
                                        @else if let Some(t) = locked { "locked until " (when(t.as_i64())) }
                                        @else { "enabled" }
                                    }
                                    td { @if a.authenticator_used() { "in use" } @else { "not used yet" } }
                                    td { (a.last_code_login().map_or_else(|| "—".to_owned(), |t| when(t.as_i64()))) }
                                    td class="actions" {
                                        @if may_role {
                                            form method="post" action="/console/operators/role" {
                                                (csrf(viewer))
                                                input type="hidden" name="id" value=(id);
                                                select name="role" aria-label=(format!("Role of {name}")) {
                                                    @for r in Role::ALL {
                                                        option value=(r.as_str()) selected[r == a.role] { (r.as_str()) }
                                                    }
                                                }
                                                button type="submit" class="secondary" aria-label=(format!("Change role of {name}")) { "Change role" }
                                            }
                                        }
                                        @if a.enabled && may_disable {
                                            form method="post" action="/console/operators/disable" {
                                                (csrf(viewer))
                                                input type="hidden" name="id" value=(id);
                                                button type="submit" class="secondary" aria-label=(format!("Disable {name}")) { "Disable" }
                                            }
                                        }
                                        @if !a.enabled && may_enable {
                                            form method="post" action="/console/operators/enable" {
                                                (csrf(viewer))
                                                input type="hidden" name="id" value=(id);
                                                button type="submit" class="secondary" aria-label=(format!("Enable {name}")) { "Enable" }
                                            }
                                        }
                                        @if may_reset {
                                            form method="post" action="/console/operators/reset-mfa" {
                                                (csrf(viewer))
                                                input type="hidden" name="id" value=(id);
                                                button type="submit" class="secondary" aria-label=(format!("Reset MFA of {name}")) { "Reset MFA" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    p { "Resetting MFA draws a new authenticator key and recovery codes and ends the account's sessions; the old ones stop working." }
                }
                @if may(viewer, Action::OperatorCreate) {
                    section aria-labelledby="add" {
                        h2 id="add" { "Add an operator" }
                        form method="post" action="/console/operators/add" class="stack" {
                            (csrf(viewer))
                            label for="new-username" { "Username (3–64 of a–z, 0–9, . _ -)" }
                            input id="new-username" name="username" autocomplete="off" required;
                            label for="new-role" { "Role" }
                            select id="new-role" name="role" {
                                @for r in Role::ALL {
                                    option value=(r.as_str()) selected[r == Role::Operator] { (r.as_str()) }
                                }
                            }
                            label for="new-password" { "Initial password" }
                            input id="new-password" name="password" type="password" autocomplete="new-password" required aria-describedby="password-rule";
                            p id="password-rule" { "12 to 128 characters, not a common password, not the username." }
                            label for="new-phone" { "Their WhatsApp number for security alerts (optional, E.164)" }
                            input id="new-phone" name="phone" type="tel" autocomplete="off";
                            button type="submit" { "Add operator" }
                        }
                        p { "The next page shows the new account's authenticator key and recovery codes once." }
                    }
                }
            },
        ),
    )
}

pub(super) async fn add(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let Some(role) = Role::parse(form.get("role").unwrap_or_default()) else {
        return refusal(
            &viewer,
            StatusCode::BAD_REQUEST,
            "role must be owner, operator or auditor",
            BACK,
        );
    };
    let phone = match form.get("phone").map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match crate::config::phone::parse_valid(p) {
            Ok(p) => Some(p),
            Err(why) => {
                return refusal(
                    &viewer,
                    StatusCode::BAD_REQUEST,
                    &format!("phone {why}"),
                    BACK,
                )
            }
        },
    };
    let username = form.get("username").unwrap_or_default().trim();
    let password = SecretString::from(form.get("password").unwrap_or_default());
    match s
        .access
        .create_account(viewer.who.acting(), username, role, password, phone)
        .await
    {
        Ok(e) => {
            // The use case accepted the name, so it parses; shown as stored (lower case).
            let name = Username::parse(username).map_or_else(
                |_| format!("operator {}", e.id.0),
                |u| u.as_str().to_owned(),
            );
            let said = format!("Operator {name} was created with the role {role}.");
            enrolment(&viewer, StatusCode::CREATED, &name, &said, &e)
        }
        Err(e) => refused(&viewer, e),
    }
}

/// An account use case's refusal as a page. A value that failed its rule is named by the
/// rule's own sentence ("the password must have at least 12 characters"), never echoed.
fn refused(viewer: &Viewer, e: AccessError) -> Response {
    match e {
        AccessError::Invalid { why, .. } => {
            let mut chars = why.chars();
            let sentence = match chars.next() {
                Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
                None => "The form was not valid.".to_owned(),
            };
            refusal(viewer, StatusCode::BAD_REQUEST, &sentence, BACK)
        }
        e => as_api(viewer, e, BACK),
    }
}

/// The operator id a row's form carries.
fn id(form: &Form) -> Option<OperatorId> {
    form.id().map(OperatorId)
}

fn bad_id(viewer: &Viewer) -> Response {
    refusal(
        viewer,
        StatusCode::BAD_REQUEST,
        "id must be an operator's number",
        BACK,
    )
}

pub(super) async fn set_role(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let Some(id) = id(&form) else {
        return bad_id(&viewer);
    };
    let Some(role) = Role::parse(form.get("role").unwrap_or_default()) else {
        return refusal(
            &viewer,
            StatusCode::BAD_REQUEST,
            "role must be owner, operator or auditor",
            BACK,
        );
    };
    match s.access.set_role(viewer.who.acting(), id, role).await {
        Ok(()) => Done::Role.redirect(),
        Err(e) => refused(&viewer, e),
    }
}

async fn set_enabled(s: &S, viewer: &Viewer, form: &Form, enabled: bool) -> Response {
    let Some(id) = id(form) else {
        return bad_id(viewer);
    };
    match s.access.set_enabled(viewer.who.acting(), id, enabled).await {
        Ok(()) if enabled => Done::Enabled.redirect(),
        Ok(()) => Done::Disabled.redirect(),
        Err(e) => refused(viewer, e),
    }
}

pub(super) async fn disable(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    set_enabled(&s, &viewer, &form, false).await
}

pub(super) async fn enable(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    set_enabled(&s, &viewer, &form, true).await
}

pub(super) async fn reset_mfa(
    State(s): State<S>,
    Extension(viewer): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    let Some(id) = id(&form) else {
        return bad_id(&viewer);
    };
    let e = match s.access.reset_mfa(viewer.who.acting(), id).await {
        Ok(e) => e,
        Err(e) => return refused(&viewer, e),
    };
    // The name is only shown; if the list cannot be read now, the id will do.
    let name = s
        .access
        .accounts()
        .await
        .ok()
        .and_then(|all| all.into_iter().find(|a| a.id == id))
        .map_or_else(
            || format!("operator {}", id.0),
            |a| a.username.as_str().to_owned(),
        );
    let said = format!(
        "The authenticator of {name} was reset: the old key and recovery codes no longer work, \
         and every session of the account was ended."
    );
    enrolment(&viewer, StatusCode::OK, &name, &said, &e)
}

/// The key as apps show it: groups of four, which any app accepts typed with or without spaces.
fn grouped(key: &str) -> String {
    key.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The enrolment screen: the POST's own answer (no redirect, `Cache-Control: no-store` on
/// every console answer), so it exists once, in the browser that asked for it.
fn enrolment(
    viewer: &Viewer,
    status: StatusCode,
    name: &str,
    said: &str,
    e: &Enrolment,
) -> Response {
    let label = format!("QR code of the authenticator key for {name}");
    let picture = qr::svg(e.provisioning_uri.expose_secret(), &label);
    html_response(
        status,
        layout(
            &format!("Authenticator for {name}"),
            Some(viewer),
            html! {
                p role="status" class="ok" { (said) }
                p class="warning" {
                    strong { "Shown once." }
                    " This page is not kept anywhere: set up the authenticator and store the \
                      recovery codes now. Leaving or reloading it will not show them again."
                }
                section aria-labelledby="scan" {
                    h2 id="scan" { "Scan with an authenticator app" }
                    @if let Some(svg) = picture { (svg) }
                    @else { p { "The key does not fit in a QR code here; type it instead." } }
                }
                section aria-labelledby="type" {
                    h2 id="type" { "Or type the key" }
                    p { "Key: " code id="totp-key" { (grouped(e.secret.expose_secret())) } }
                    p { "Account " (name) ", issuer Warden; time-based, 6 digits, every 30 seconds (SHA-1)." }
                }
                section aria-labelledby="recovery" {
                    h2 id="recovery" { "Recovery codes" }
                    p { "Each code works once instead of an authenticator code. Keep them apart from the password." }
                    ol class="recovery" {
                        @for c in &e.recovery_codes { li { code { (c.expose_secret()) } } }
                    }
                }
                p { a href="/console/operators" { "Done: back to Operators" } }
            },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_shown_in_groups_of_four() {
        assert_eq!(grouped("JBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP");
        assert_eq!(grouped("ABCDEF"), "ABCD EF");
        assert_eq!(grouped(""), "");
    }
}
