//! Owner-approved pairing (`WARDEN_PAIRING_MODE`): a stranger asks for a code over WhatsApp, an
//! operator approves or rejects it, and nobody else can make it count.

use anyhow::{Context, Result};
use secrecy::ExposeSecret;
use warden::operator::OperatorError;
use warden_assistant::pairing::PairingError;
use warden_gates::{PairingCode, RequestStatus};
use warden_simulators::MockGraph;

use crate::support::{Backend, Gateway, ReplyText, Settings, ALICE, BOB, CAROL, MINUTE_MS};

on_both_backends!(
    approved_stranger_is_told_paired_through_the_outbox_and_may_then_use_commands,
    rejected_stranger_is_sent_nothing_and_stays_a_stranger,
    expired_code_cannot_be_approved,
    stranger_cannot_approve_themselves_by_sending_the_code,
    token_mode_is_unchanged_and_issues_no_codes,
    both_mode_pairs_by_token_at_once_and_by_code_after_approval,
);

/// Meta on (replies leave through the outbox to `graph`), strangers pair in `mode`.
async fn gateway(backend: Backend, graph: &MockGraph, mode: &'static str) -> Result<Gateway> {
    Gateway::start_with(
        backend,
        Settings::new()
            .allow(&[ALICE])
            .meta(&graph.url())
            .pairing_mode(mode),
    )
    .await
}

/// The code in a "Your pairing code is …" reply.
pub(crate) fn code_in(reply: Option<&str>) -> Result<PairingCode> {
    let reply = reply.context("no reply")?;
    let code = reply
        .strip_prefix("Your pairing code is ")
        .and_then(|r| r.split('.').next())
        .with_context(|| format!("not a code reply: {reply:?}"))?;
    Ok(PairingCode::parse(code)?)
}

/// The pairing error an operator action was refused with; fails if it was not refused so.
fn refused<T: std::fmt::Debug>(r: Result<T, OperatorError>) -> Result<PairingError> {
    match r {
        Err(OperatorError::Pairing(e)) => Ok(e),
        other => anyhow::bail!("expected a pairing refusal, got {other:?}"),
    }
}

async fn approved_stranger_is_told_paired_through_the_outbox_and_may_then_use_commands(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = gateway(backend, &graph, "approval").await?;

    assert_eq!(
        gw.meta_say(&graph, CAROL, "help").await?,
        None,
        "a stranger"
    );
    let reply = gw.meta_say(&graph, CAROL, "/pair").await?;
    let code = code_in(reply.as_deref())?;
    assert_eq!(
        reply.as_deref(),
        Some(
            format!(
                "Your pairing code is {}. Ask the owner to approve it; it expires in 1 hour.",
                code.display()
            )
            .as_str()
        )
    );
    // Asking again while pending answers the same code and stores nothing new.
    let again = gw.meta_say(&graph, CAROL, "/pair").await?;
    assert_eq!(code_in(again.as_deref())?, code);
    assert_eq!(gw.count("pairing_requests").await?, 1);

    let pending = gw.operator().pairings().await?;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].code, code);
    let masked = pending[0].phone_masked.clone().context("masked number")?;
    assert!(!masked.contains(CAROL.national), "{masked}");
    assert_eq!(
        pending[0].expires_at.as_i64() - pending[0].requested_at.as_i64(),
        60 * MINUTE_MS
    );

    // Typed by an operator: lowercase, no dash.
    let typed = code.as_str().to_lowercase();
    // Counted first: approval wakes the delivery worker, which may send before we look.
    let before = graph.requests().len();
    gw.operator().approve_pairing(&typed, "cli").await?;
    gw.deliver_now().await?;
    assert_eq!(
        gw.new_reply(&graph, before, CAROL).await?.as_deref(),
        Some(ReplyText::PAIRED)
    );
    assert!(gw.operator().pairings().await?.is_empty());

    assert_eq!(
        gw.meta_say(&graph, CAROL, "add Renew passport")
            .await?
            .as_deref(),
        Some("Added task 1: Renew passport")
    );
    // Approving twice neither pairs twice nor messages twice.
    let twice = refused(gw.operator().approve_pairing(&typed, "cli").await)?;
    assert!(
        matches!(twice, PairingError::AlreadyDecided(RequestStatus::Approved)),
        "{twice}"
    );
    assert_eq!(gw.count("allowlist").await?, 1);
    assert_eq!(gw.count_kind("pairing.requested").await?, 2);
    assert_eq!(gw.count_kind("pairing.approved").await?, 1);
    assert_eq!(gw.count_kind("pairing.succeeded").await?, 0);
    let detail = gw
        .query_string("SELECT detail AS s FROM audit_log WHERE kind = 'pairing.approved'")
        .await?
        .unwrap_or_default();
    assert!(detail.contains("cli"), "the actor is recorded: {detail}");
    assert!(detail.contains(code.prefix()), "{detail}");
    assert!(
        !detail.contains(code.as_str()),
        "never the whole code: {detail}"
    );
    // Decided: the number is no longer kept with the request.
    assert_eq!(
        gw.query_i64("SELECT COUNT(*) AS n FROM pairing_requests WHERE phone IS NOT NULL")
            .await?,
        0
    );
    gw.finish().await
}

async fn rejected_stranger_is_sent_nothing_and_stays_a_stranger(backend: Backend) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = gateway(backend, &graph, "approval").await?;
    let code = code_in(gw.meta_say(&graph, CAROL, "/pair").await?.as_deref())?;

    let before = graph.requests().len();
    gw.operator().reject_pairing(&code.display(), "cli").await?;
    gw.deliver_now().await?;
    assert_eq!(
        gw.new_reply(&graph, before, CAROL).await?,
        None,
        "nothing sent"
    );
    assert_eq!(
        gw.meta_say(&graph, CAROL, "help").await?,
        None,
        "still a stranger"
    );
    assert_eq!(gw.count("allowlist").await?, 0);
    let late = refused(gw.operator().approve_pairing(&code.display(), "cli").await)?;
    assert!(
        matches!(late, PairingError::AlreadyDecided(RequestStatus::Rejected)),
        "{late}"
    );
    // A rejected code is not pending: asking again gets a new one.
    let next = code_in(gw.meta_say(&graph, CAROL, "/pair").await?.as_deref())?;
    assert_ne!(next, code);
    assert_eq!(gw.count_kind("pairing.rejected").await?, 1);
    assert_eq!(gw.count("allowlist").await?, 0);
    gw.finish().await
}

async fn expired_code_cannot_be_approved(backend: Backend) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = gateway(backend, &graph, "approval").await?;
    let code = code_in(gw.meta_say(&graph, CAROL, "/pair").await?.as_deref())?;

    gw.clock.advance_ms(60 * MINUTE_MS);
    assert!(
        gw.operator().pairings().await?.is_empty(),
        "expired is absent"
    );
    let err = refused(gw.operator().approve_pairing(&code.display(), "cli").await)?;
    assert!(matches!(err, PairingError::Expired), "{err}");
    let unknown = refused(gw.operator().approve_pairing("ZZZZ-ZZZZ", "cli").await)?;
    assert!(matches!(unknown, PairingError::Unknown), "{unknown}");
    assert_eq!(gw.count("allowlist").await?, 0);
    assert_eq!(gw.meta_say(&graph, CAROL, "help").await?, None);
    assert_eq!(gw.count_kind("pairing.approved").await?, 0);
    gw.finish().await
}

async fn stranger_cannot_approve_themselves_by_sending_the_code(backend: Backend) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = gateway(backend, &graph, "approval").await?;
    let code = code_in(gw.meta_say(&graph, CAROL, "/pair").await?.as_deref())?;

    for body in [
        code.display(),
        code.as_str().to_owned(),
        format!("approve {}", code.display()),
        format!("warden pairing approve {}", code.display()),
    ] {
        assert_eq!(gw.meta_say(&graph, CAROL, &body).await?, None, "{body}");
    }
    // `/pair CODE` only repeats the pending code.
    let again = gw
        .meta_say(&graph, CAROL, &format!("/pair {}", code.display()))
        .await?;
    assert_eq!(code_in(again.as_deref())?, code);
    // Another stranger holding the code gets their own.
    let bob = code_in(
        gw.meta_say(&graph, BOB, &format!("/pair {}", code.display()))
            .await?
            .as_deref(),
    )?;
    assert_ne!(bob, code);
    assert_eq!(gw.count("allowlist").await?, 0);
    assert_eq!(gw.meta_say(&graph, CAROL, "help").await?, None);
    assert_eq!(gw.count_kind("pairing.approved").await?, 0);
    gw.finish().await
}

async fn token_mode_is_unchanged_and_issues_no_codes(backend: Backend) -> Result<()> {
    let gw = Gateway::start(backend).await?;
    assert_eq!(gw.say(CAROL, "/pair").await?, None);
    gw.pair(CAROL).await?;
    assert_eq!(gw.count("pairing_requests").await?, 0);
    assert_eq!(gw.count_kind("pairing.requested").await?, 0);
    assert_eq!(gw.count_kind("sender.unknown").await?, 1);
    assert_eq!(gw.count_kind("pairing.succeeded").await?, 1);
    gw.finish().await
}

async fn both_mode_pairs_by_token_at_once_and_by_code_after_approval(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = gateway(backend, &graph, "both").await?;
    let right = format!("/pair {}", gw.secrets.pair_token.expose_secret());
    assert_eq!(
        gw.meta_say(&graph, BOB, &right).await?.as_deref(),
        Some(ReplyText::PAIRED)
    );
    let code = code_in(gw.meta_say(&graph, CAROL, "/pair").await?.as_deref())?;
    gw.operator()
        .approve_pairing(&code.display(), "cli")
        .await?;
    gw.deliver_now().await?;
    let reply = gw
        .meta_say(&graph, CAROL, "help")
        .await?
        .unwrap_or_default();
    assert!(reply.starts_with("Commands:"), "{reply}");
    assert_eq!(gw.count("allowlist").await?, 2);
    gw.finish().await
}
