//! Only Twilio, signing with our auth token for our public URL, can put a message in.

use anyhow::Result;
use warden_simulators::TwilioSimulator;

use crate::support::{
    assert_absent, encode, phone_needles, with_field, Backend, Gateway, Settings, ALICE, MINUTE_MS,
    PUBLIC_URL,
};

on_both_backends!(
    forged_signature_is_refused_and_audited_without_content,
    missing_signature_is_refused,
    signature_for_another_public_url_is_refused,
    body_altered_after_signing_is_refused,
    webhook_for_another_twilio_account_is_refused,
    repeated_forgeries_from_one_address_are_throttled,
);

/// Nothing of a refused webhook may be stored: no inbound row, no task, no sender state.
async fn assert_nothing_stored(gw: &Gateway) -> Result<()> {
    for table in ["inbound_messages", "tasks", "allowlist", "sender_state"] {
        assert_eq!(gw.count(table).await?, 0, "{table} after a refused webhook");
    }
    Ok(())
}

/// The refusal is audited as one `webhook.signature_invalid` row with the reason code only.
async fn assert_one_refusal_audited(gw: &Gateway, reason: &str) -> Result<()> {
    let rows = gw.audit().await?;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].kind, "webhook.signature_invalid");
    assert_eq!(rows[0].sender, None, "a forger has no sender identity");
    assert_eq!(
        rows[0].detail,
        format!("provider=twilio&reason={reason}"),
        "detail holds codes only"
    );
    Ok(())
}

async fn forged_signature_is_refused_and_audited_without_content(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let body = "add Transfer 900 EUR to account 4155550199";

    let answer = gw.twilio.send_forged(&ALICE.phone(), body).await?;

    assert_eq!(answer.status, 403);
    assert_eq!(answer.reply(), None);
    assert_absent(&answer.body, &[body.to_owned()], "the 403 answer");
    assert_nothing_stored(&gw).await?;
    assert_one_refusal_audited(&gw, "mismatch").await?;
    let mut needles = phone_needles();
    needles.extend([
        body.to_owned(),
        "Transfer".to_owned(),
        "4155550199".to_owned(),
    ]);
    assert_absent(&gw.everything_stored().await?, &needles, "the database");
    gw.finish().await
}

async fn missing_signature_is_refused(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let form = gw
        .twilio
        .form(&ALICE.phone(), "add unsigned", &TwilioSimulator::new_sid());

    let answer = gw.twilio.post(&encode(&form)?, None).await?;
    assert_eq!(answer.status, 403);

    let answer = gw.twilio.post(&encode(&form)?, Some("")).await?;
    assert_eq!(
        answer.status, 403,
        "an empty signature header is no signature"
    );

    assert_nothing_stored(&gw).await?;
    let kinds = gw.audit_kinds().await?;
    assert_eq!(kinds, ["webhook.signature_invalid"; 2]);
    gw.finish().await
}

async fn signature_for_another_public_url_is_refused(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    // The right auth token, signing for a URL this deployment is not published at: a webhook
    // captured from (or meant for) another deployment sharing the Twilio account.
    let token = gw.secrets.twilio_auth_token.clone();
    let elsewhere = gw.simulator("https://staging.warden.acceptance.invalid", token.clone());
    let plain_http = gw.simulator(&PUBLIC_URL.replacen("https://", "http://", 1), token);

    assert_eq!(
        elsewhere.send(&ALICE.phone(), "add moved").await?.status,
        403
    );
    assert_eq!(
        plain_http.send(&ALICE.phone(), "add moved").await?.status,
        403
    );

    assert_nothing_stored(&gw).await?;
    assert_eq!(gw.count_kind("webhook.signature_invalid").await?, 2);
    // The control: the same message signed for the right URL is accepted.
    assert_eq!(
        gw.say(ALICE, "list").await?.as_deref(),
        Some(crate::support::ReplyText::NO_TASKS)
    );
    gw.finish().await
}

async fn body_altered_after_signing_is_refused(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let form = gw
        .twilio
        .form(&ALICE.phone(), "add Buy milk", &TwilioSimulator::new_sid());
    let signature = gw.twilio.sign(&form);
    let altered = with_field(&form, "Body", "add Buy wine");

    let answer = gw.twilio.post(&encode(&altered)?, Some(&signature)).await?;

    assert_eq!(answer.status, 403);
    assert_nothing_stored(&gw).await?;
    assert_one_refusal_audited(&gw, "mismatch").await?;
    gw.finish().await
}

async fn webhook_for_another_twilio_account_is_refused(backend: Backend) -> Result<()> {
    let ours = format!("AC{}", "1".repeat(32));
    let theirs = format!("AC{}", "2".repeat(32));
    let gw =
        Gateway::start_with(backend, Settings::new().allow(&[ALICE]).account_sid(&ours)).await?;

    let other_account = gw.twilio.clone().with_account_sid(&theirs);
    let answer = other_account.send(&ALICE.phone(), "add hi").await?;
    assert_eq!(answer.status, 403);
    assert_nothing_stored(&gw).await?;
    assert_one_refusal_audited(&gw, "account_mismatch").await?;

    let our_account = gw.twilio.clone().with_account_sid(&ours);
    let answer = our_account.send(&ALICE.phone(), "list").await?;
    assert_eq!(answer.status, 200);
    gw.finish().await
}

async fn repeated_forgeries_from_one_address_are_throttled(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let alice = ALICE.phone();

    for i in 0..10 {
        let answer = gw.twilio.send_forged(&alice, "add forged").await?;
        assert_eq!(answer.status, 403, "forgery {i} is within the budget");
    }
    let audited = gw.count("audit_log").await?;
    assert_eq!(audited, 10);

    for i in 0..5 {
        let answer = gw.twilio.send_forged(&alice, "add forged").await?;
        assert_eq!(answer.status, 429, "forgery {} is over the budget", 11 + i);
    }
    assert_eq!(
        gw.twilio.post("Body=x", None).await?.status,
        429,
        "a missing signature counts as a failure too"
    );
    assert_eq!(
        gw.count("audit_log").await?,
        audited,
        "a throttled forger cannot grow the audit log"
    );

    // Twilio shares the forger's address (a proxy): authentic requests still pass.
    assert_eq!(
        gw.say(ALICE, "add real").await?.as_deref(),
        Some("Added task 1: real")
    );

    // A minute later the budget is back: forgeries are refused (and audited) again, not 429.
    gw.clock.advance_ms(MINUTE_MS);
    let answer = gw.twilio.send_forged(&alice, "add forged").await?;
    assert_eq!(answer.status, 403);
    assert_eq!(gw.count_kind("webhook.signature_invalid").await?, 11);
    assert_eq!(gw.count("tasks").await?, 1);
    gw.finish().await
}
