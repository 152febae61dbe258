//! Replies leave through the outbox: retried on transient faults, honouring `Retry-After`,
//! failed for good on a permanent error and requeueable, recovered after a crash, and sent once
//! however many instances deliver.
//!
//! Delivery times are on the gateway's clock, which these tests move by hand: "not before 2 s"
//! means "not before the clock was moved 2 s", which a slow machine cannot make flaky.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::{Backend, Gateway, Settings, ALICE, BOB, PUBLIC_URL, SETTLE};
use anyhow::Result;
use base64::Engine as _;
use secrecy::ExposeSecret;
use serde_json::json;
use tokio::task::JoinSet;
use warden::operator::OperatorError;
use warden_simulators::{
    poll_until, CannedReply, MetaSimulator, MockGraph, MockTwilioApi, TWILIO_ACCOUNT_SID,
    TWILIO_WHATSAPP_NUMBER,
};
use warden_types::Clock as _;

on_both_backends!(
    provider_500_then_200_delivers_exactly_once,
    retry_after_from_the_provider_holds_the_next_attempt_back,
    permanent_provider_error_fails_the_message_until_an_operator_requeues_it,
    provider_that_hangs_past_the_timeout_is_retried,
    reply_claimed_by_a_killed_instance_is_delivered_by_the_next_one,
    two_instances_on_one_database_send_each_reply_once,
    twilio_outbox_reply_uses_the_rest_api_and_only_signed_status_callbacks_move_it,
);

async fn meta_gateway(backend: Backend, graph: &MockGraph) -> Result<Gateway> {
    Gateway::start_with(
        backend,
        Settings::new().allow(&[ALICE, BOB]).meta(&graph.url()),
    )
    .await
}

/// Sends `body` from Alice over Meta and waits until its reply's first attempt was recorded
/// as a retry (or a failure); returns the outbox id.
async fn first_attempt_fails(gw: &Gateway, body: &str) -> Result<i64> {
    let answer = gw.meta.send(&ALICE.phone(), body).await?;
    anyhow::ensure!(answer.status == 200, "{}", answer.body);
    gw.wait_until("the first attempt to be recorded", SETTLE * 2, || async {
        let row = gw.only_outbox_row().await?;
        Ok(row.attempts == 1 && row.last_error.is_some())
    })
    .await?;
    Ok(gw.only_outbox_row().await?.id)
}

/// Audit rows of `kind`, their details.
async fn details(gw: &Gateway, kind: &str) -> Result<Vec<String>> {
    Ok(gw
        .audit()
        .await?
        .into_iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.detail)
        .collect())
}

async fn provider_500_then_200_delivers_exactly_once(backend: Backend) -> Result<()> {
    let graph = MockGraph::empty().await?;
    graph.answer(CannedReply::status(500), 1);
    graph.accept();
    let gw = meta_gateway(backend, &graph).await?;

    first_attempt_fails(&gw, "add Retry me").await?;
    let row = gw.only_outbox_row().await?;
    assert_eq!(row.status, "pending");
    assert_eq!(row.last_error.as_deref(), Some("http_500"));
    // The backoff (at most 500 ms for a first retry) has not passed on the gateway's clock.
    gw.deliver_now().await?;
    assert_eq!(graph.requests().len(), 1, "retried before its time");

    gw.clock.advance_ms(1_000);
    gw.outbox_settled().await?;
    let token = gw.secrets.meta_access_token.expose_secret().to_owned();
    let sends = graph.sends(&token)?;
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[0], sends[1], "the retry sends the same message");
    assert_eq!(sends[1].body, "Added task 1: Retry me");
    let row = gw.only_outbox_row().await?;
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
    assert_eq!(row.last_error, None);
    assert_eq!(gw.count_kind("outbox.enqueued").await?, 1);
    let retries = details(&gw, "outbox.retry_scheduled").await?;
    assert_eq!(retries.len(), 1);
    assert!(retries[0].contains("http_500"), "{}", retries[0]);
    assert_eq!(gw.count_kind("outbox.sent").await?, 1);
    assert_eq!(gw.count_kind("outbox.failed").await?, 0);
    // Nothing more goes out later.
    gw.clock.advance_ms(60_000);
    gw.deliver_now().await?;
    assert_eq!(graph.requests().len(), 2);
    gw.finish().await
}

async fn retry_after_from_the_provider_holds_the_next_attempt_back(backend: Backend) -> Result<()> {
    let graph = MockGraph::empty().await?;
    graph.answer(
        CannedReply::status(429)
            .header("Retry-After", "2")
            .json(&json!({ "error": { "message": "slow down", "code": 130_429 } })),
        1,
    );
    graph.accept();
    let gw = meta_gateway(backend, &graph).await?;
    let t0 = gw.clock.now().as_i64();

    first_attempt_fails(&gw, "add Throttled").await?;
    let row = gw.only_outbox_row().await?;
    assert_eq!(row.last_error.as_deref(), Some("http_429_code_130429"));
    assert!(
        row.next_attempt_ms >= t0 + 2_000,
        "Retry-After: 2 ignored: next attempt {} ms after the failure",
        row.next_attempt_ms - t0
    );

    // 1.9 s later on the gateway's clock: still waiting.
    gw.clock.advance_ms(1_900);
    gw.deliver_now().await?;
    assert_eq!(graph.requests().len(), 1, "Retry-After not honoured");
    // 2 s: the next attempt goes out and succeeds.
    gw.clock.advance_ms(100);
    gw.outbox_settled().await?;
    assert_eq!(graph.requests().len(), 2);
    let row = gw.only_outbox_row().await?;
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
    gw.finish().await
}

async fn permanent_provider_error_fails_the_message_until_an_operator_requeues_it(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::empty().await?;
    // Meta's answer quotes the recipient's number in its text; only the code may be kept.
    graph.answer(
        CannedReply::status(400).json(&json!({
            "error": {
                "message": "(#131030) Recipient phone number not in allowed list",
                "type": "OAuthException",
                "code": 131_030,
                "error_data": {
                    "messaging_product": "whatsapp",
                    "details": format!("Recipient phone number not in allowed list: {}", ALICE.e164)
                },
                "fbtrace_id": "AxkK4aXg1Y0hN3gSF4i7Dqr"
            }
        })),
        1,
    );
    graph.accept();
    let gw = meta_gateway(backend, &graph).await?;

    let id = first_attempt_fails(&gw, "add Not allowed yet").await?;
    gw.outbox_settled().await?;
    let row = gw.only_outbox_row().await?;
    assert_eq!(row.status, "failed");
    assert_eq!(row.attempts, 1, "a permanent error is not retried");
    assert_eq!(row.last_error.as_deref(), Some("http_400_code_131030"));
    let failed = gw.operator().outbox(true, 100).await?;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id, id);
    assert!(
        failed[0]
            .recipient_masked
            .as_deref()
            .is_some_and(|r| r != ALICE.e164),
        "the operator sees a masked recipient: {:?}",
        failed[0].recipient_masked
    );
    let failures = details(&gw, "outbox.failed").await?;
    assert_eq!(failures.len(), 1);
    assert!(failures[0].contains("131030"), "{}", failures[0]);
    // Nothing is retried on its own.
    gw.clock.advance_ms(10 * 60_000);
    gw.deliver_now().await?;
    assert_eq!(graph.requests().len(), 1);

    // `warden outbox retry <id>` once the cause is fixed.
    gw.operator().retry_outbox(id, "cli").await?;
    gw.wait_until("the requeued reply to be sent", SETTLE, || async {
        Ok(gw.only_outbox_row().await?.status == "sent")
    })
    .await?;
    assert_eq!(graph.requests().len(), 2);
    assert!(gw.operator().outbox(true, 100).await?.is_empty());
    assert_eq!(gw.count_kind("outbox.requeued").await?, 1);
    assert_eq!(gw.count_kind("outbox.sent").await?, 1);
    // A sent message cannot be requeued (sent twice), nor can one that does not exist.
    assert!(matches!(
        gw.operator().retry_outbox(id, "cli").await,
        Err(OperatorError::OutboxNotFailed(_))
    ));
    assert!(matches!(
        gw.operator().retry_outbox(id + 1000, "cli").await,
        Err(OperatorError::OutboxNotFound(_))
    ));
    gw.finish().await
}

async fn provider_that_hangs_past_the_timeout_is_retried(backend: Backend) -> Result<()> {
    // The Graph client's timeout is 10 s and not configurable: the mock hangs 11 s, once.
    let graph = MockGraph::empty().await?;
    graph.answer(
        CannedReply::status(200)
            .json(&json!({ "messages": [{ "id": "wamid.TOO_LATE" }] }))
            .delay(Duration::from_secs(11)),
        1,
    );
    graph.accept();
    let gw = meta_gateway(backend, &graph).await?;

    first_attempt_fails(&gw, "add Slow provider").await?;
    let row = gw.only_outbox_row().await?;
    assert_eq!(row.last_error.as_deref(), Some("timeout"));
    gw.clock.advance_ms(1_000);
    gw.outbox_settled().await?;
    assert_eq!(graph.requests().len(), 2);
    let row = gw.only_outbox_row().await?;
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
    assert_ne!(gw.provider_message_id(row.id).await?, "wamid.TOO_LATE");
    gw.finish().await
}

async fn reply_claimed_by_a_killed_instance_is_delivered_by_the_next_one(
    backend: Backend,
) -> Result<()> {
    // Instance A's Graph API takes the request and never answers within A's lifetime.
    let hung = MockGraph::empty().await?;
    hung.answer(CannedReply::status(200).delay(Duration::from_secs(120)), 1);
    let healthy = MockGraph::healthy().await?;
    let settings = Settings::new()
        .allow(&[ALICE])
        .meta(&healthy.url())
        .outbox_lease_secs(15);
    let mut gw = Gateway::start_with(backend, settings.clone()).await?;
    // Only A runs while the message comes in.
    gw.stop_server().await?;
    let a = gw.doomed_instance(&settings.meta(&hung.url()))?;

    let answer = a.meta.send(&ALICE.phone(), "add Survive the crash").await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // The reply was committed with the message, claimed, and is in flight to the provider.
    anyhow::ensure!(
        poll_until(SETTLE, Duration::from_millis(20), || !hung
            .requests()
            .is_empty())
        .await,
        "the reply never reached the hung Graph API"
    );
    a.kill()?;

    // B starts on the same database. The lease (15 s on the gateway's clock) still holds.
    gw.restart().await?;
    let row = gw.only_outbox_row().await?;
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
    gw.deliver_now().await?;
    assert!(healthy.requests().is_empty(), "a live lease was taken");
    gw.clock.advance_ms(15_000);
    gw.outbox_settled().await?;

    let sends = healthy.sends(gw.secrets.meta_access_token.expose_secret())?;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].body, "Added task 1: Survive the crash");
    assert_eq!(sends[0].to, ALICE.e164);
    let row = gw.only_outbox_row().await?;
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
    assert_eq!(gw.count("inbound_messages").await?, 1);
    assert_eq!(gw.count("tasks").await?, 1);
    assert_eq!(gw.count_kind("outbox.sent").await?, 1);
    assert_eq!(hung.requests().len(), 1);
    gw.finish().await
}

async fn two_instances_on_one_database_send_each_reply_once(backend: Backend) -> Result<()> {
    const PER_INSTANCE: usize = 20;
    let graph = MockGraph::healthy().await?;
    let gw = Gateway::start_with(
        backend,
        Settings::new()
            .allow(&[ALICE, BOB])
            .rate_limit(1_000)
            .meta(&graph.url()),
    )
    .await?;
    let (second, _) = gw.another_instance().await?;
    let second_meta = MetaSimulator::new(
        &format!("http://{}", second.addr),
        gw.secrets.meta_app_secret.clone(),
        gw.clock.clone(),
    );

    let mut posts = JoinSet::new();
    for (meta, who, tag) in [(gw.meta.clone(), ALICE, "a"), (second_meta, BOB, "b")] {
        posts.spawn(async move {
            for i in 0..PER_INSTANCE {
                let answer = meta
                    .send(&who.phone(), &format!("add item-{tag}{i}"))
                    .await?;
                anyhow::ensure!(answer.status == 200, "{}", answer.body);
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = posts.join_next().await {
        done??;
    }
    gw.outbox_settled().await?;

    let token = gw.secrets.meta_access_token.expose_secret().to_owned();
    let mut seen = BTreeMap::<(String, String), usize>::new();
    for send in graph.sends(&token)? {
        *seen.entry((send.to, send.body)).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert_eq!(seen.len(), 2 * PER_INSTANCE);
    for i in 0..PER_INSTANCE {
        for (who, tag) in [(ALICE, "a"), (BOB, "b")] {
            let sent = seen
                .keys()
                .any(|(to, body)| to == who.e164 && body.ends_with(&format!(": item-{tag}{i}")));
            assert!(sent, "no reply for item-{tag}{i}");
        }
    }
    let n = i64::try_from(2 * PER_INSTANCE)?;
    assert_eq!(gw.count_kind("outbox.sent").await?, n);
    assert_eq!(
        gw.query_i64("SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent' AND attempts = 1")
            .await?,
        n
    );
    second.shutdown().await?;
    gw.finish().await
}

async fn twilio_outbox_reply_uses_the_rest_api_and_only_signed_status_callbacks_move_it(
    backend: Backend,
) -> Result<()> {
    let api = MockTwilioApi::start(TWILIO_ACCOUNT_SID, None).await?;
    let gw = Gateway::start_with(
        backend,
        Settings::new().allow(&[ALICE]).twilio_outbox(&api.url()),
    )
    .await?;

    let answer = gw.send(ALICE, "add Via REST").await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.ends_with("<Response/>") && !answer.body.contains("<Message>"),
        "the webhook answers empty TwiML: {}",
        answer.body
    );
    gw.outbox_settled().await?;
    let requests = api.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(
        r.path,
        format!("/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json")
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{TWILIO_ACCOUNT_SID}:{}",
        gw.secrets.twilio_auth_token.expose_secret()
    ));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    let form: BTreeMap<String, String> = serde_urlencoded::from_bytes(&r.body)?;
    let status_url = format!("{PUBLIC_URL}/webhooks/twilio/status");
    assert_eq!(
        form.get("To").map(String::as_str),
        Some(format!("whatsapp:{}", ALICE.e164).as_str())
    );
    assert_eq!(
        form.get("From").map(String::as_str),
        Some(format!("whatsapp:{TWILIO_WHATSAPP_NUMBER}").as_str())
    );
    assert_eq!(
        form.get("Body").map(String::as_str),
        Some("Added task 1: Via REST")
    );
    assert_eq!(form.get("StatusCallback"), Some(&status_url));

    let row = gw.only_outbox_row().await?;
    assert_eq!(
        (row.status.as_str(), row.provider.as_str()),
        ("sent", "twilio")
    );
    let sid = gw.provider_message_id(row.id).await?;
    let callback = |status: &str| -> Vec<(String, String)> {
        [
            ("MessageSid", sid.as_str()),
            ("SmsSid", sid.as_str()),
            ("MessageStatus", status),
            ("SmsStatus", status),
            ("AccountSid", TWILIO_ACCOUNT_SID),
            ("From", "whatsapp:+14155238886"),
            ("To", "whatsapp:+14155550101"),
            ("ChannelPrefix", "whatsapp"),
            ("ApiVersion", "2010-04-01"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    };
    let post = |form: Vec<(String, String)>, signature: String| {
        let gw = &gw;
        async move {
            let body = serde_urlencoded::to_string(&form)?;
            gw.http_post(
                "/webhooks/twilio/status",
                "application/x-www-form-urlencoded",
                body,
                &[("x-twilio-signature", &signature)],
            )
            .await
        }
    };
    let twilio = warden_twilio::SignatureVerifier::new(gw.secrets.twilio_auth_token.clone());
    let forger = warden_twilio::SignatureVerifier::new(warden::random_token());

    let delivered = callback("delivered");
    let answer = post(delivered.clone(), twilio.sign(&status_url, &delivered)).await?;
    assert!(
        (200..300).contains(&answer.status),
        "{}: {}",
        answer.status,
        answer.body
    );
    assert_eq!(gw.only_outbox_row().await?.status, "delivered");

    // Forged (wrong key), or signed for another URL (the message webhook): refused, no move.
    let read = callback("read");
    let message_url = format!("{PUBLIC_URL}/webhooks/twilio");
    for (what, signature) in [
        ("wrong key", forger.sign(&status_url, &read)),
        ("other url", twilio.sign(&message_url, &read)),
    ] {
        let answer = post(read.clone(), signature).await?;
        assert_eq!(answer.status, 403, "{what}: {}", answer.body);
    }
    assert_eq!(gw.only_outbox_row().await?.status, "delivered");
    let refused = details(&gw, "webhook.signature_invalid").await?;
    assert_eq!(refused.len(), 2);
    assert!(
        refused.iter().all(|d| d.contains("provider=twilio")),
        "{refused:?}"
    );

    let answer = post(read.clone(), twilio.sign(&status_url, &read)).await?;
    assert!(
        (200..300).contains(&answer.status),
        "{}: {}",
        answer.status,
        answer.body
    );
    assert_eq!(gw.only_outbox_row().await?.status, "read");
    assert_eq!(gw.count_kind("outbox.status").await?, 2);
    assert_eq!(gw.count_kind("outbox.sent").await?, 1);
    assert_eq!(api.requests().len(), 1);
    gw.finish().await
}
