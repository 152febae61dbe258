//! The route table: every admin route with the action it requires, its documentation and its
//! handler. The router, the authorization layer and the OpenAPI document are all built from
//! this one table, so a route cannot exist without a declared action or go undocumented.

use std::sync::Arc;

use axum::extract::{Extension, Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::Json;
use secrecy::{ExposeSecret, SecretString};
use warden_access::{LoginRequest, SessionActor};
use warden_audit::{AuditFilter, EventKind, Seek};
use warden_marketplace::ConsentRecord;
use warden_operators::{Action, OperatorId, Role};
use warden_types::UnixMillis;

use super::dto::*;
use super::openapi::{any_object, list, one as schema, BodyDoc};
use super::problem::Problem;
use super::AdminState;

type S = Arc<AdminState>;
type Answer<T> = Result<T, Problem>;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// No credentials (logging in, renewing, the API's own description); limited per client
    /// address.
    Public,
    /// Any authenticated operator, acting on their own session only.
    OwnSession,
    /// An authenticated operator whose role allows the action.
    Requires(Action),
}

/// A JSON body's schema, for the OpenAPI document.
pub type SchemaFn = fn() -> BodyDoc;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    Path,
    Query,
}

/// What a parameter's handler accepts, so the document promises no more and no less: a value
/// the schema allows passes the parameter's own check, any other gets 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A row id ([`Id`]): 1 to 2^63-1.
    Id,
    /// A sequence number to page after: 0 to 2^63-1.
    Seq,
    /// A page size: 1 to [`MAX_LIMIT`].
    Limit,
    /// An audit event kind's name.
    AuditKind,
    /// A time in Unix milliseconds: 0 to 2^63-1.
    Millis,
    /// Exactly one of these strings.
    OneOf(&'static [&'static str]),
    /// A pairing code as an operator may type it: 8 symbols of its alphabet, any case, the
    /// dash after the fourth optional.
    PairingCode,
}

/// [`ParamType::PairingCode`] as a regular expression (the alphabet is Crockford's base32
/// without I, L, O and U, as `warden_gates::PairingCode::parse` takes it).
pub const PAIRING_CODE_PATTERN: &str =
    "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{4}-?[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{4}$";

/// The largest page a list route returns.
pub const MAX_LIMIT: u64 = 1000;

/// One route: what the router serves and what the document says.
pub struct Route {
    pub method: Method,
    /// axum's path syntax, which is OpenAPI's (`/api/v1/vendors/{id}/disable`).
    pub path: &'static str,
    pub guard: Guard,
    pub summary: &'static str,
    /// Parameters: name, where, type, required.
    pub params: &'static [(&'static str, In, ParamType, bool)],
    pub body: Option<SchemaFn>,
    /// The success status and its body.
    pub ok: (StatusCode, Option<SchemaFn>),
    pub handler: MethodRouter<S>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

const ID: &[(&str, In, ParamType, bool)] = &[("id", In::Path, ParamType::Id, true)];
const CODE: &[(&str, In, ParamType, bool)] = &[("code", In::Path, ParamType::PairingCode, true)];

/// Every admin route.
pub fn table() -> Vec<Route> {
    use Action::*;
    use Guard::*;
    let r = |method: Method,
             path: &'static str,
             guard: Guard,
             summary: &'static str,
             params: &'static [(&'static str, In, ParamType, bool)],
             body: Option<SchemaFn>,
             ok: (StatusCode, Option<SchemaFn>),
             handler: MethodRouter<S>| Route {
        method,
        path,
        guard,
        summary,
        params,
        body,
        ok,
        handler,
    };
    let ok = |s: SchemaFn| (StatusCode::OK, Some(s));
    let none = (StatusCode::NO_CONTENT, None);
    vec![
        r(
            Method::POST,
            "/api/v1/auth/login",
            Public,
            "Log in with a password and a TOTP or recovery code",
            &[],
            Some(schema::<LoginBody>),
            ok(schema::<TokenPair>),
            post(login),
        ),
        r(
            Method::POST,
            "/api/v1/auth/refresh",
            Public,
            "Trade a refresh token for a new pair (the old one is spent)",
            &[],
            Some(schema::<RefreshBody>),
            ok(schema::<TokenPair>),
            post(refresh),
        ),
        r(
            Method::POST,
            "/api/v1/auth/logout",
            OwnSession,
            "End this session (every token of it is revoked)",
            &[],
            None,
            none,
            post(logout),
        ),
        r(
            Method::GET,
            "/api/v1/openapi.json",
            Public,
            "This document",
            &[],
            None,
            ok(any_object),
            get(openapi),
        ),
        r(
            Method::GET,
            "/api/v1/audit",
            Requires(AuditRead),
            "Audit events, oldest first, page by page",
            &[
                ("after", In::Query, ParamType::Seq, false),
                ("limit", In::Query, ParamType::Limit, false),
                ("kind", In::Query, ParamType::AuditKind, false),
                ("since_ms", In::Query, ParamType::Millis, false),
                ("until_ms", In::Query, ParamType::Millis, false),
            ],
            None,
            ok(schema::<AuditPage>),
            get(audit),
        ),
        r(
            Method::POST,
            "/api/v1/audit/verify",
            Requires(AuditVerify),
            "Verify the whole hash chain",
            &[],
            None,
            ok(schema::<ChainReport>),
            post(audit_verify),
        ),
        r(
            Method::GET,
            "/api/v1/pairings",
            Requires(PairingRead),
            "Pending pairing requests (numbers masked)",
            &[],
            None,
            ok(list::<PairingRow>),
            get(pairings),
        ),
        r(
            Method::POST,
            "/api/v1/pairings/{code}/approve",
            Requires(PairingDecide),
            "Approve a pairing code: the sender joins the allowlist and is told",
            CODE,
            None,
            none,
            post(approve_pairing),
        ),
        r(
            Method::POST,
            "/api/v1/pairings/{code}/reject",
            Requires(PairingDecide),
            "Reject a pairing code (the stranger is sent nothing)",
            CODE,
            None,
            none,
            post(reject_pairing),
        ),
        r(
            Method::GET,
            "/api/v1/allowlist",
            Requires(AllowlistRead),
            "Paired senders (pseudonyms)",
            &[],
            None,
            ok(list::<AllowlistRow>),
            get(allowlist),
        ),
        r(
            Method::POST,
            "/api/v1/allowlist",
            Requires(AllowlistWrite),
            "Allow a number without pairing",
            &[],
            Some(schema::<PhoneBody>),
            ok(schema::<Changed>),
            post(allow),
        ),
        r(
            Method::DELETE,
            "/api/v1/allowlist",
            Requires(AllowlistWrite),
            "Remove a paired number",
            &[],
            Some(schema::<PhoneBody>),
            ok(schema::<Changed>),
            delete(disallow),
        ),
        r(
            Method::GET,
            "/api/v1/vendors",
            Requires(VendorRead),
            "Registered vendors (numbers masked)",
            &[],
            None,
            ok(list::<VendorRow>),
            get(vendors),
        ),
        r(
            Method::POST,
            "/api/v1/vendors",
            Requires(VendorWrite),
            "Register a vendor",
            &[],
            Some(schema::<VendorBody>),
            (StatusCode::CREATED, Some(schema::<Created>)),
            post(add_vendor),
        ),
        r(
            Method::POST,
            "/api/v1/vendors/{id}/disable",
            Requires(VendorWrite),
            "Disable a vendor",
            ID,
            None,
            none,
            post(disable_vendor),
        ),
        r(
            Method::POST,
            "/api/v1/vendors/{id}/enable",
            Requires(VendorWrite),
            "Enable a vendor",
            ID,
            None,
            none,
            post(enable_vendor),
        ),
        r(
            Method::GET,
            "/api/v1/offers/held",
            Requires(OfferRead),
            "Held vendor replies (reason codes, never text)",
            &[],
            None,
            ok(list::<HeldOfferRow>),
            get(held_offers),
        ),
        r(
            Method::POST,
            "/api/v1/offers/{id}/reveal",
            Requires(OfferReveal),
            "A held reply's text, for review (audited offer.revealed with the operator)",
            ID,
            None,
            ok(schema::<RevealedOffer>),
            post(reveal_offer),
        ),
        r(
            Method::POST,
            "/api/v1/offers/{id}/release",
            Requires(OfferDecide),
            "Relay a held reply to its client",
            ID,
            None,
            none,
            post(release_offer),
        ),
        r(
            Method::POST,
            "/api/v1/offers/{id}/discard",
            Requires(OfferDecide),
            "Drop a held reply (its text is deleted)",
            ID,
            None,
            none,
            post(discard_offer),
        ),
        r(
            Method::GET,
            "/api/v1/consents",
            Requires(ConsentRead),
            "Call consents (pseudonymous clients)",
            &[],
            None,
            ok(list::<ConsentRow>),
            get(consents),
        ),
        r(
            Method::GET,
            "/api/v1/outbox",
            Requires(OutboxRead),
            "Outbox messages, newest first (recipients masked, no text)",
            &[
                ("status", In::Query, ParamType::OneOf(&["failed"]), false),
                ("limit", In::Query, ParamType::Limit, false),
            ],
            None,
            ok(list::<OutboxRow>),
            get(outbox),
        ),
        r(
            Method::POST,
            "/api/v1/outbox/{id}/retry",
            Requires(OutboxRetry),
            "Put a failed message back in the queue",
            ID,
            None,
            none,
            post(retry_outbox),
        ),
        r(
            Method::POST,
            "/api/v1/subjects/export",
            Requires(SubjectExport),
            "Everything held about one phone number, as one document (text withheld from auditors)",
            &[],
            Some(schema::<PhoneBody>),
            ok(any_object),
            post(export_subject),
        ),
        r(
            Method::POST,
            "/api/v1/subjects/erase",
            Requires(SubjectErase),
            "Erase everything held about one phone number (the audit chain still verifies)",
            &[],
            Some(schema::<PhoneBody>),
            ok(schema::<ErasureBody>),
            post(erase_subject),
        ),
        r(
            Method::GET,
            "/api/v1/operators",
            Requires(OperatorRead),
            "Operator accounts",
            &[],
            None,
            ok(list::<OperatorRow>),
            get(operators),
        ),
        r(
            Method::POST,
            "/api/v1/operators",
            Requires(OperatorCreate),
            "Create an operator (the second factor is shown once)",
            &[],
            Some(schema::<NewOperatorBody>),
            (StatusCode::CREATED, Some(schema::<EnrolmentBody>)),
            post(add_operator),
        ),
        r(
            Method::POST,
            "/api/v1/operators/{id}/role",
            Requires(OperatorSetRole),
            "Change an operator's role",
            ID,
            Some(schema::<RoleBody>),
            none,
            post(set_role),
        ),
        r(
            Method::POST,
            "/api/v1/operators/{id}/disable",
            Requires(OperatorDisable),
            "Disable an operator (sessions revoked)",
            ID,
            None,
            none,
            post(disable_operator),
        ),
        r(
            Method::POST,
            "/api/v1/operators/{id}/enable",
            Requires(OperatorEnable),
            "Enable an operator",
            ID,
            None,
            none,
            post(enable_operator),
        ),
        r(
            Method::POST,
            "/api/v1/operators/{id}/reset-mfa",
            Requires(OperatorResetMfa),
            "New second factor for an operator (shown once; sessions revoked)",
            ID,
            None,
            ok(schema::<EnrolmentBody>),
            post(reset_mfa),
        ),
    ]
}

/// A JSON body that failed to parse: 400 with serde's reason, which names fields, not values.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, St: Send + Sync> axum::extract::FromRequest<St> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: axum::extract::Request, state: &St) -> Result<Self, Problem> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(rejection: axum::extract::rejection::JsonRejection) -> Problem {
    use axum::extract::rejection::JsonRejection as J;
    match rejection {
        J::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "https://warden.dev/problems/unsupported-media-type",
            "Unsupported media type",
        )
        .detail("send the body as application/json"),
        J::JsonSyntaxError(_) => Problem::bad_request("the body is not valid JSON"),
        J::JsonDataError(e) => Problem::bad_request(format!(
            "the body does not match the schema: {}",
            data_error_reason(&e.body_text())
        )),
        J::BytesRejection(_) => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "https://warden.dev/problems/too-large",
            "Payload too large",
        )
        .detail("the body is larger than 64 KiB"),
        _ => Problem::bad_request("the body could not be read"),
    }
}

/// serde's message names the field and the expected type; it quotes a value only for unknown
/// variants and fields, whose names come from the schema, so it is cut at the first quote
/// after the field path to be safe.
fn data_error_reason(text: &str) -> String {
    let reason = text
        .split_once(": ")
        .map_or(text, |(_, r)| r)
        .chars()
        .take(120)
        .collect::<String>();
    match reason.find('`') {
        Some(i) if !reason.starts_with("missing field") && !reason.starts_with("unknown field") => {
            reason[..i].trim_end().to_owned()
        }
        _ => reason,
    }
}

/// A query string that failed to parse: 400.
#[derive(Debug)]
pub struct Q<T>(pub T);

impl<T: serde::de::DeserializeOwned, St: Send + Sync> axum::extract::FromRequestParts<St> for Q<T> {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &St,
    ) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Q(v))
            .map_err(|_| Problem::bad_request("the query string does not match the schema"))
    }
}

/// A path id that is not a positive 64-bit integer: 400.
#[derive(Debug, Clone, Copy)]
pub struct Id(pub i64);

impl<St: Send + Sync> axum::extract::FromRequestParts<St> for Id {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &St,
    ) -> Result<Self, Problem> {
        match Path::<i64>::from_request_parts(parts, state).await {
            Ok(Path(id)) if id > 0 => Ok(Id(id)),
            _ => Err(Problem::bad_request("id must be a positive integer")),
        }
    }
}

fn limit(raw: Option<u64>) -> Answer<u64> {
    match raw {
        None => Ok(100),
        Some(n @ 1..=MAX_LIMIT) => Ok(n),
        Some(_) => Err(Problem::bad_request("limit must be between 1 and 1000")),
    }
}

// ---- auth ----

fn token_pair(session: warden_access::Session) -> Json<TokenPair> {
    Json(TokenPair {
        access_token: session.access_token.expose_secret().to_owned(),
        token_type: "Bearer",
        expires_in: session.expires_in_secs,
        refresh_token: session.refresh_token.expose().to_owned(),
    })
}

async fn login(State(s): State<S>, Body(body): Body<LoginBody>) -> Answer<Json<TokenPair>> {
    let session = s
        .access
        .login(LoginRequest {
            username: body.username,
            password: SecretString::from(body.password),
            second_factor: SecretString::from(body.totp),
        })
        .await
        .inspect_err(|e| {
            if let warden_access::AccessError::Locked { .. } = e {
                tracing::warn!("security: a login was refused for a locked operator account");
            }
        })?;
    Ok(token_pair(session))
}

async fn refresh(State(s): State<S>, Body(body): Body<RefreshBody>) -> Answer<Json<TokenPair>> {
    Ok(token_pair(s.access.refresh(&body.refresh_token).await?))
}

async fn logout(State(s): State<S>, Extension(who): Extension<SessionActor>) -> Answer<StatusCode> {
    s.access.logout(&who).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn openapi(State(s): State<S>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        s.openapi.clone(),
    )
        .into_response()
}

// ---- audit ----

async fn audit(State(s): State<S>, Q(q): Q<AuditQuery>) -> Answer<Json<AuditPage>> {
    let limit = limit(q.limit)?;
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(Problem::bad_request("after must not be negative"));
    }
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(
            EventKind::parse(k)
                .ok_or_else(|| Problem::bad_request("kind is not a known audit event kind"))?,
        ),
    };
    let millis = |v: Option<i64>, name: &str| match v {
        Some(ms) if ms < 0 => Err(Problem::bad_request(format!("{name} must not be negative"))),
        v => Ok(v.map(UnixMillis)),
    };
    let filter = AuditFilter::new(
        kind,
        millis(q.since_ms, "since_ms")?,
        millis(q.until_ms, "until_ms")?,
    )
    .map_err(|e| Problem::bad_request(format!("since_ms and until_ms: {e}")))?;
    let rows = s.operator.audit(Seek::After(after), limit, &filter).await?;
    let next_after = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    Ok(Json(AuditPage {
        events: rows
            .into_iter()
            .map(|r| AuditRow {
                seq: r.seq,
                at_ms: r.at_ms,
                kind: r.kind,
                sender: r.sender,
                detail: r.detail,
                prev_hash: r.prev_hash,
                hash: r.hash,
            })
            .collect(),
        next_after,
    }))
}

async fn audit_verify(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
) -> Answer<Json<ChainReport>> {
    match s.operator.verify_audit_as(&who.label()).await {
        Ok(chain) => Ok(Json(ChainReport {
            valid: true,
            events: chain.rows,
            head_seq: chain.head.seq,
            head_hash: chain.head.hash,
        })),
        Err(warden_store::VerifyError::Broken(e)) => {
            tracing::error!(error = %e, "audit chain verification failed");
            Ok(Json(ChainReport {
                valid: false,
                events: 0,
                head_seq: e.first_bad_seq(),
                head_hash: String::new(),
            }))
        }
        Err(e) => {
            tracing::error!(error = %crate::http::error_chain(&e), "reading the audit log failed");
            Err(Problem::internal())
        }
    }
}

// ---- pairing ----

async fn pairings(State(s): State<S>) -> Answer<Json<Vec<PairingRow>>> {
    Ok(Json(
        s.operator
            .pairings()
            .await?
            .into_iter()
            .map(|p| PairingRow {
                code: p.code.display(),
                phone: p.phone_masked,
                requested_at_ms: p.requested_at.as_i64(),
                expires_at_ms: p.expires_at.as_i64(),
            })
            .collect(),
    ))
}

async fn approve_pairing(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Path(code): Path<String>,
) -> Answer<StatusCode> {
    s.operator.approve_pairing(&code, &who.label()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reject_pairing(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Path(code): Path<String>,
) -> Answer<StatusCode> {
    s.operator.reject_pairing(&code, &who.label()).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- allowlist ----

async fn allowlist(State(s): State<S>) -> Answer<Json<Vec<AllowlistRow>>> {
    Ok(Json(
        s.operator
            .allowlist()
            .await?
            .into_iter()
            .map(|e| AllowlistRow {
                sender: e.sender,
                added_at_ms: e.added_ms,
            })
            .collect(),
    ))
}

async fn allow(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Body(body): Body<PhoneBody>,
) -> Answer<Json<Changed>> {
    let changed = s.operator.allow(&body.phone, &who.label()).await?;
    Ok(Json(Changed { changed }))
}

async fn disallow(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Body(body): Body<PhoneBody>,
) -> Answer<Json<Changed>> {
    let changed = s.operator.disallow(&body.phone, &who.label()).await?;
    Ok(Json(Changed { changed }))
}

// ---- marketplace ----

async fn vendors(State(s): State<S>) -> Answer<Json<Vec<VendorRow>>> {
    Ok(Json(
        s.operator
            .vendors()
            .await?
            .into_iter()
            .map(|v| VendorRow {
                id: v.id.0,
                name: v.business_name.as_str().to_owned(),
                phone: v.phone.masked(),
                tags: v.tags.iter().map(|t| t.as_str().to_owned()).collect(),
                active: v.active,
            })
            .collect(),
    ))
}

async fn add_vendor(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Body(body): Body<VendorBody>,
) -> Answer<(StatusCode, Json<Created>)> {
    let id = s
        .operator
        .register_vendor(&body.name, &body.phone, &body.tags, &who.label())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.0 })))
}

async fn disable_vendor(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.operator
        .set_vendor_active(id, false, &who.label())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable_vendor(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.operator.set_vendor_active(id, true, &who.label()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn held_offers(State(s): State<S>) -> Answer<Json<Vec<HeldOfferRow>>> {
    Ok(Json(
        s.operator
            .held_offers()
            .await?
            .into_iter()
            .map(|h| HeldOfferRow {
                id: h.offer.id,
                vendor: h.offer.vendor.0,
                reference: h.reference.map(|r| r.as_str().to_owned()),
                reasons: h
                    .offer
                    .reasons
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect(),
                created_at_ms: h.offer.created_at.as_i64(),
            })
            .collect(),
    ))
}

async fn reveal_offer(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Id(id): Id,
) -> Answer<Json<RevealedOffer>> {
    let held = s.operator.reveal_offer(id, &who.label()).await?;
    Ok(Json(RevealedOffer {
        id,
        text: held.offer.text.map(|t| t.0).unwrap_or_default(),
    }))
}

async fn release_offer(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.operator.release_offer(id, &who.label()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn discard_offer(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.operator.discard_offer(id, &who.label()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn consents(State(s): State<S>) -> Answer<Json<Vec<ConsentRow>>> {
    Ok(Json(
        s.operator
            .consents()
            .await?
            .into_iter()
            .map(|(client, record)| {
                let (granted, expires, revoked) = match record {
                    ConsentRecord::None => (None, None, None),
                    ConsentRecord::Granted {
                        granted_at,
                        expires_at,
                    } => (Some(granted_at.as_i64()), Some(expires_at.as_i64()), None),
                    ConsentRecord::Revoked { revoked_at } => {
                        (None, None, Some(revoked_at.as_i64()))
                    }
                };
                ConsentRow {
                    client: client.as_str().to_owned(),
                    status: record.as_str().to_owned(),
                    granted_at_ms: granted,
                    expires_at_ms: expires,
                    revoked_at_ms: revoked,
                }
            })
            .collect(),
    ))
}

// ---- outbox ----

async fn outbox(State(s): State<S>, Q(q): Q<OutboxQuery>) -> Answer<Json<Vec<OutboxRow>>> {
    let failed_only = match q.status.as_deref() {
        None => false,
        Some("failed") => true,
        Some(_) => return Err(Problem::bad_request("status must be `failed` or absent")),
    };
    let rows = s.operator.outbox(failed_only, limit(q.limit)?).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| OutboxRow {
                id: r.id,
                provider: r.provider,
                sender: r.sender,
                recipient: r.recipient_masked,
                status: r.status,
                attempts: r.attempts,
                last_error: r.last_error,
                next_attempt_ms: r.next_attempt_ms,
                created_ms: r.created_ms,
                updated_ms: r.updated_ms,
            })
            .collect(),
    ))
}

async fn retry_outbox(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.operator.retry_outbox(id, &who.label()).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- data subjects ----

async fn export_subject(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Body(body): Body<PhoneBody>,
) -> Answer<Response> {
    let export = s
        .operator
        .export_subject(&body.phone, who.actor.role.may_read_text())
        .await?;
    Ok(Json(export).into_response())
}

async fn erase_subject(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Body(body): Body<PhoneBody>,
) -> Answer<Json<ErasureBody>> {
    let report = s.operator.erase_subject(&body.phone, &who.label()).await?;
    Ok(Json(ErasureBody {
        counts: serde_json::to_value(&report.counts).map_err(|_| Problem::internal())?,
        nothing_held: report.nothing_held,
    }))
}

// ---- operators ----

fn role(raw: &str) -> Answer<Role> {
    Role::parse(raw).ok_or_else(|| Problem::bad_request("role must be owner, operator or auditor"))
}

fn enrolment(e: warden_access::Enrolment) -> Json<EnrolmentBody> {
    Json(EnrolmentBody {
        id: e.id.0,
        totp_uri: e.provisioning_uri.expose_secret().to_owned(),
        recovery_codes: e
            .recovery_codes
            .iter()
            .map(|c| c.expose_secret().to_owned())
            .collect(),
    })
}

async fn operators(State(s): State<S>) -> Answer<Json<Vec<OperatorRow>>> {
    let now = s.clock.now();
    Ok(Json(
        s.access
            .accounts()
            .await?
            .into_iter()
            .map(|a| OperatorRow {
                id: a.id.0,
                username: a.username.as_str().to_owned(),
                role: a.role.as_str().to_owned(),
                enabled: a.enabled,
                locked_until_ms: a
                    .failures
                    .locked_until
                    .filter(|t| *t > now)
                    .map(|t| t.as_i64()),
                created_at_ms: a.created_at.as_i64(),
            })
            .collect(),
    ))
}

async fn add_operator(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Body(body): Body<NewOperatorBody>,
) -> Answer<(StatusCode, Json<EnrolmentBody>)> {
    let role = role(&body.role)?;
    let phone = match body.phone.as_deref() {
        None => None,
        Some(p) => Some(
            crate::config::phone::parse_valid(p)
                .map_err(|why| Problem::bad_request(format!("phone {why}")))?,
        ),
    };
    let e = s
        .access
        .create_account(
            who.acting(),
            &body.username,
            role,
            SecretString::from(body.password),
            phone,
        )
        .await?;
    Ok((StatusCode::CREATED, enrolment(e)))
}

async fn set_role(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Id(id): Id,
    Body(body): Body<RoleBody>,
) -> Answer<StatusCode> {
    s.access
        .set_role(who.acting(), OperatorId(id), role(&body.role)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn disable_operator(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.access
        .set_enabled(who.acting(), OperatorId(id), false)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable_operator(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.access
        .set_enabled(who.acting(), OperatorId(id), true)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset_mfa(
    State(s): State<S>,
    Extension(who): Extension<SessionActor>,
    Id(id): Id,
) -> Answer<Json<EnrolmentBody>> {
    Ok(enrolment(
        s.access.reset_mfa(who.acting(), OperatorId(id)).await?,
    ))
}
