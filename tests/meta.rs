//! The Meta Cloud API channel end to end: the subscription handshake, signed webhooks in,
//! replies out through the outbox to a mock Graph API, status callbacks, and a disabled channel
//! that stays shut.

use std::collections::BTreeSet;

use anyhow::Result;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::support::{Backend, Gateway, ReplyText, Settings, ALICE, BOB, CAROL, MINUTE_MS};
use warden_simulators::{new_wamid, MockGraph};

on_both_backends!(
    meta_handshake_echoes_the_challenge_only_to_the_verify_token,
    meta_webhook_without_a_valid_signature_is_refused_audited_and_not_stored,
    meta_signature_covers_the_bytes_sent_not_the_json_they_decode_to,
    meta_conversation_pairs_runs_commands_ignores_replays_and_rate_limits,
    meta_payload_with_two_messages_has_both_processed,
    meta_non_text_messages_get_the_text_only_reply_and_reactions_none,
    meta_status_callbacks_move_the_outbox_record_forward_only,
    meta_malformed_json_with_a_valid_signature_is_a_400_and_stores_nothing,
    meta_handshake_reflects_only_a_bounded_number,
    meta_webhook_content_type_must_be_exactly_json,
    meta_body_with_invalid_utf8_in_an_ignored_field_is_a_400,
    disabled_channels_answer_404_with_a_reason_never_200_or_500,
);

/// Allowed senders talk without pairing; Meta on, replies to `graph`.
async fn meta_gateway(backend: Backend, graph: &MockGraph) -> Result<Gateway> {
    Gateway::start_with(
        backend,
        Settings::new().allow(&[ALICE, BOB]).meta(&graph.url()),
    )
    .await
}

async fn meta_handshake_echoes_the_challenge_only_to_the_verify_token(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = meta_gateway(backend, &graph).await?;
    let token = gw.secrets.meta_verify_token.expose_secret().to_owned();
    let challenge = "1158201444";

    let ok = gw
        .meta
        .handshake(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", &token),
            ("hub.challenge", challenge),
        ])
        .await?;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body, challenge, "the challenge is echoed as is");
    assert!(
        ok.content_type.starts_with("text/plain"),
        "{}",
        ok.content_type
    );

    let refused = [
        vec![
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "not-the-verify-token"),
            ("hub.challenge", challenge),
        ],
        vec![
            ("hub.mode", "unsubscribe"),
            ("hub.verify_token", &token),
            ("hub.challenge", challenge),
        ],
        vec![("hub.mode", "subscribe"), ("hub.challenge", challenge)],
        vec![("hub.verify_token", &token), ("hub.challenge", challenge)],
    ];
    for query in refused {
        let answer = gw.meta.handshake(&query).await?;
        assert_eq!(answer.status, 403, "{query:?}: {}", answer.body);
        assert!(
            !answer.body.contains(challenge),
            "{query:?}: challenge echoed"
        );
    }
    assert!(graph.requests().is_empty());
    gw.finish().await
}

async fn meta_webhook_without_a_valid_signature_is_refused_audited_and_not_stored(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = meta_gateway(backend, &graph).await?;
    let payload = gw.meta.envelope(
        vec![gw
            .meta
            .text(&ALICE.phone(), &new_wamid(), "add Forged task")],
        vec![],
    );
    let raw = serde_json::to_vec(&payload)?;
    let forger = warden_meta::SignatureVerifier::new(SecretString::from(
        "not-the-app-secret-0123456789".to_owned(),
    ));
    let mut tampered = raw.clone();
    let signature = gw.meta.sign(&raw);
    let at = tampered
        .windows(6)
        .position(|w| w == b"Forged")
        .unwrap_or_default();
    tampered[at] = b'f';

    let attempts: [(&str, Vec<u8>, Option<String>); 4] = [
        ("missing", raw.clone(), None),
        ("wrong key", raw.clone(), Some(forger.sign(&raw))),
        ("garbled", raw.clone(), Some("sha256=zz".to_owned())),
        ("tampered body", tampered, Some(signature)),
    ];
    for (what, body, sig) in attempts {
        let answer = gw.meta.post_raw(body, sig.as_deref()).await?;
        assert_eq!(answer.status, 403, "{what}: {}", answer.body);
    }

    let refused: Vec<_> = gw
        .audit()
        .await?
        .into_iter()
        .filter(|r| r.kind == "webhook.signature_invalid")
        .collect();
    assert_eq!(refused.len(), 4);
    for row in &refused {
        assert!(row.detail.contains("provider=meta"), "{}", row.detail);
        assert!(row.sender.is_none());
    }
    for table in ["inbound_messages", "outbox", "tasks", "sender_state"] {
        assert_eq!(gw.count(table).await?, 0, "{table}");
    }
    assert!(graph.requests().is_empty(), "a forgery was answered");
    // The control: the same payload, correctly signed, goes through.
    assert_eq!(gw.meta.post(&payload).await?.status, 200);
    assert_eq!(gw.count("tasks").await?, 1);
    gw.finish().await
}

async fn meta_signature_covers_the_bytes_sent_not_the_json_they_decode_to(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = meta_gateway(backend, &graph).await?;
    let payload = gw.meta.envelope(
        vec![gw.meta.text(&ALICE.phone(), &new_wamid(), "add Café")],
        vec![],
    );
    // serde_json writes `é` as raw UTF-8; Meta escapes it. Same JSON value, other bytes.
    let raw = serde_json::to_vec(&payload)?;
    let escaped = String::from_utf8(raw.clone())?
        .replace('é', "\\u00e9")
        .into_bytes();
    assert_ne!(raw, escaped);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&escaped)?,
        payload
    );

    let cross = [
        (
            "raw body, escaped signature",
            raw.clone(),
            gw.meta.sign(&escaped),
        ),
        (
            "escaped body, raw signature",
            escaped.clone(),
            gw.meta.sign(&raw),
        ),
    ];
    for (what, body, sig) in cross {
        let answer = gw.meta.post_raw(body, Some(&sig)).await?;
        assert_eq!(answer.status, 403, "{what}: {}", answer.body);
    }
    assert_eq!(gw.count("inbound_messages").await?, 0);
    assert_eq!(gw.count_kind("webhook.signature_invalid").await?, 2);

    // Signed over what is sent, Meta's escaped form verifies and decodes.
    let sig = gw.meta.sign(&escaped);
    let before = graph.requests().len();
    let answer = gw.meta.post_raw(escaped, Some(&sig)).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        gw.new_reply(&graph, before, ALICE).await?.as_deref(),
        Some("Added task 1: Café")
    );
    gw.finish().await
}

async fn meta_conversation_pairs_runs_commands_ignores_replays_and_rate_limits(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw =
        Gateway::start_with(backend, Settings::new().rate_limit(10).meta(&graph.url())).await?;

    // A stranger gets nothing, then pairs.
    assert_eq!(gw.meta_say(&graph, CAROL, "help").await?, None);
    assert_eq!(gw.meta_say(&graph, CAROL, "add Sneak in").await?, None);
    gw.meta_pair(&graph, CAROL).await?;
    assert_eq!(
        gw.meta_say(&graph, CAROL, "add Buy milk").await?.as_deref(),
        Some("Added task 1: Buy milk")
    );
    assert_eq!(
        gw.meta_say(&graph, CAROL, "list").await?.as_deref(),
        Some("Open tasks:\n1. Buy milk")
    );
    assert_eq!(
        gw.meta_say(&graph, CAROL, "done 1").await?.as_deref(),
        Some("Done: Buy milk")
    );
    assert_eq!(
        gw.meta_say(&graph, CAROL, "list").await?.as_deref(),
        Some(ReplyText::NO_TASKS)
    );

    // Meta redelivers a message (or someone replays a captured one): one effect, one reply.
    let wamid = new_wamid();
    let sends = graph.requests().len();
    let first = gw
        .meta
        .send_with_wamid(&CAROL.phone(), "add Pay rent", &wamid)
        .await?;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        gw.new_reply(&graph, sends, CAROL).await?.as_deref(),
        Some("Added task 1: Pay rent")
    );
    for body in ["add Pay rent", "done 2"] {
        let replay = gw
            .meta
            .send_with_wamid(&CAROL.phone(), body, &wamid)
            .await?;
        assert_eq!(replay.status, 200, "Meta must not redeliver forever");
    }
    gw.outbox_settled().await?;
    assert_eq!(graph.requests().len(), sends + 1, "a replay was answered");
    assert_eq!(gw.count("tasks").await?, 2);
    assert_eq!(
        gw.query_i64("SELECT COUNT(*) AS n FROM tasks WHERE done_ms IS NULL")
            .await?,
        1
    );

    // A flood in a fresh window: ten through, one slow-down reply, then silence.
    gw.clock.advance_ms(MINUTE_MS);
    let mut replies = Vec::new();
    for i in 1..=13 {
        replies.push(
            gw.meta_say(&graph, CAROL, &format!("add flood {i}"))
                .await?,
        );
    }
    for (i, reply) in replies.iter().enumerate().take(10) {
        let want = format!("Added task {}: flood {}", i + 2, i + 1);
        assert_eq!(reply.as_deref(), Some(want.as_str()));
    }
    assert_eq!(replies[10].as_deref(), Some(ReplyText::SLOW_DOWN));
    assert_eq!(replies[11], None);
    assert_eq!(replies[12], None);

    // Every reply went to the paired number, authorised, as a text message (checked by
    // `meta_say`), and each left the outbox exactly once.
    let sent = graph.sends(gw.secrets.meta_access_token.expose_secret())?;
    assert!(sent.iter().all(|s| s.to == CAROL.e164));
    assert_eq!(
        sent.len(),
        5 + 1 + 11,
        "pair, add, list, done, list; the replayed add; the flood"
    );
    let n = i64::try_from(sent.len())?;
    assert_eq!(gw.count("outbox").await?, n);
    assert_eq!(gw.count_kind("outbox.enqueued").await?, n);
    assert_eq!(gw.count_kind("outbox.sent").await?, n);
    assert_eq!(gw.count_kind("outbox.retry_scheduled").await?, 0);
    assert_eq!(gw.count_kind("pairing.succeeded").await?, 1);
    assert!(gw
        .operator()
        .outbox(false, 100)
        .await?
        .iter()
        .all(|r| r.status == "sent" && r.attempts == 1 && r.recipient_masked.is_none()));
    gw.finish().await
}

async fn meta_payload_with_two_messages_has_both_processed(backend: Backend) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = meta_gateway(backend, &graph).await?;
    let payload = gw.meta.envelope(
        vec![
            gw.meta.text(&ALICE.phone(), &new_wamid(), "add From Alice"),
            gw.meta.text(&BOB.phone(), &new_wamid(), "add From Bob"),
        ],
        vec![],
    );
    let answer = gw.meta.post(&payload).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    gw.outbox_settled().await?;

    let sent: BTreeSet<(String, String)> = graph
        .sends(gw.secrets.meta_access_token.expose_secret())?
        .into_iter()
        .map(|s| (s.to, s.body))
        .collect();
    let want: BTreeSet<(String, String)> = [
        (ALICE.e164.to_owned(), "Added task 1: From Alice".to_owned()),
        (BOB.e164.to_owned(), "Added task 1: From Bob".to_owned()),
    ]
    .into();
    assert_eq!(sent, want);
    assert_eq!(graph.requests().len(), 2);
    assert_eq!(gw.count("inbound_messages").await?, 2);
    assert_eq!(gw.count("tasks").await?, 2);

    // Redelivered as a whole (Meta retries a delivery it thinks failed): no second effect.
    assert_eq!(gw.meta.post(&payload).await?.status, 200);
    gw.outbox_settled().await?;
    assert_eq!(graph.requests().len(), 2);
    assert_eq!(gw.count("tasks").await?, 2);
    gw.finish().await
}

async fn meta_non_text_messages_get_the_text_only_reply_and_reactions_none(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = meta_gateway(backend, &graph).await?;
    let image = gw.meta.message(
        &ALICE.phone(),
        &new_wamid(),
        "image",
        json!({
            "caption": "add Secret caption",
            "mime_type": "image/jpeg",
            "sha256": "Sgdrc3MD1PoUgNLhXf7H3MskLm0fxtZf6oTWimeYvdA=",
            "id": "1479537139650973"
        }),
    );
    let location = gw.meta.message(
        &ALICE.phone(),
        &new_wamid(),
        "location",
        json!({
            "address": "1 Hacker Way, Menlo Park, CA 94025",
            "latitude": 37.483_307,
            "longitude": 122.148_981,
            "name": "Main Campus"
        }),
    );
    let mut unknown = gw
        .meta
        .message(&ALICE.phone(), &new_wamid(), "unknown", json!(null));
    unknown["errors"] = json!([{
        "code": 131_051,
        "title": "Message type unknown",
        "message": "Message type unknown",
        "error_data": { "details": "Message type is currently not supported." }
    }]);
    for (what, message) in [
        ("image", image),
        ("location", location),
        ("unknown", unknown),
    ] {
        let before = graph.requests().len();
        let answer = gw
            .meta
            .post(&gw.meta.envelope(vec![message], vec![]))
            .await?;
        assert_eq!(answer.status, 200, "{what}: {}", answer.body);
        assert_eq!(
            gw.new_reply(&graph, before, ALICE).await?.as_deref(),
            Some(ReplyText::TEXT_ONLY),
            "{what}"
        );
    }

    let before = graph.requests().len();
    let reaction = gw.meta.message(
        &ALICE.phone(),
        &new_wamid(),
        "reaction",
        json!({ "message_id": new_wamid(), "emoji": "\u{1F44D}" }),
    );
    let answer = gw
        .meta
        .post(&gw.meta.envelope(vec![reaction], vec![]))
        .await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(gw.new_reply(&graph, before, ALICE).await?, None);
    assert_eq!(
        gw.count("inbound_messages").await?,
        4,
        "the reaction is recorded"
    );
    assert_eq!(gw.count("tasks").await?, 0, "a caption is not a command");
    gw.finish().await
}

async fn meta_status_callbacks_move_the_outbox_record_forward_only(backend: Backend) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = meta_gateway(backend, &graph).await?;
    let status = |wamid: &str, status: &str, code: Option<i64>| {
        gw.meta.envelope(
            vec![],
            vec![gw.meta.status(wamid, status, &ALICE.phone(), code)],
        )
    };
    let state = |id: i64| {
        let gw = &gw;
        async move {
            let row = gw
                .operator()
                .outbox(false, 100)
                .await?
                .into_iter()
                .find(|r| r.id == id)
                .ok_or_else(|| anyhow::anyhow!("no outbox row {id}"))?;
            anyhow::Ok((row.status, row.last_error))
        }
    };

    gw.meta_say(&graph, ALICE, "add Status one").await?;
    let first = gw.only_outbox_row().await?;
    assert_eq!(first.status, "sent");
    let wamid = gw.provider_message_id(first.id).await?;
    for (reported, want) in [
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("read", "read"),
        // Late or out of order: never backwards.
        ("delivered", "read"),
        ("failed", "read"),
    ] {
        let answer = gw.meta.post(&status(&wamid, reported, None)).await?;
        assert_eq!(answer.status, 200, "{reported}: {}", answer.body);
        assert_eq!(
            state(first.id).await?,
            (want.to_owned(), None),
            "{reported}"
        );
    }
    assert_eq!(gw.count_kind("outbox.status").await?, 2);

    gw.meta_say(&graph, ALICE, "add Status two").await?;
    let second = gw.operator().outbox(false, 1).await?.remove(0);
    let wamid2 = gw.provider_message_id(second.id).await?;
    let answer = gw
        .meta
        .post(&status(&wamid2, "failed", Some(131_047)))
        .await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        state(second.id).await?,
        ("failed".to_owned(), Some("provider_code_131047".to_owned()))
    );
    let failed = gw.operator().outbox(true, 100).await?;
    assert_eq!(failed.iter().map(|r| r.id).collect::<Vec<_>>(), [second.id]);
    let moved: Vec<_> = gw
        .audit()
        .await?
        .into_iter()
        .filter(|r| r.kind == "outbox.status")
        .collect();
    assert_eq!(moved.len(), 3);
    assert!(moved[2].detail.contains("131047"), "{}", moved[2].detail);

    // A status for a message Warden never sent: acknowledged, harmless.
    let audit_rows = gw.count("audit_log").await?;
    let answer = gw
        .meta
        .post(&status(&new_wamid(), "delivered", None))
        .await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(gw.count("audit_log").await?, audit_rows);
    assert_eq!(state(first.id).await?.0, "read");
    assert_eq!(state(second.id).await?.0, "failed");
    assert_eq!(gw.count("outbox").await?, 2);
    assert_eq!(graph.requests().len(), 2, "a status is never answered");
    gw.finish().await
}

async fn meta_malformed_json_with_a_valid_signature_is_a_400_and_stores_nothing(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = meta_gateway(backend, &graph).await?;
    let bodies: [&[u8]; 4] = [
        b"{\"object\":\"whatsapp_business_account\",\"entry\":[",
        b"not json at all: add Secret payload",
        br#"{"object":"page","entry":[]}"#,
        br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"not-digits"},"messages":[]}}]}]}"#,
    ];
    let audit_rows = gw.count("audit_log").await?;
    for raw in bodies {
        let sig = gw.meta.sign(raw);
        let answer = gw.meta.post_raw(raw.to_vec(), Some(&sig)).await?;
        let shown = String::from_utf8_lossy(raw);
        assert_eq!(answer.status, 400, "{shown}: {}", answer.body);
        assert!(
            answer.body.starts_with("not a WhatsApp Cloud API webhook"),
            "{shown}: {}",
            answer.body
        );
        assert!(!answer.body.contains("Secret"), "the body is echoed");
    }
    for table in ["inbound_messages", "outbox", "tasks"] {
        assert_eq!(gw.count(table).await?, 0, "{table}");
    }
    assert_eq!(gw.count("audit_log").await?, audit_rows);
    assert!(graph.requests().is_empty());
    gw.finish().await
}

/// The challenge is reflected into a response: Meta only ever sends a number, so nothing else
/// is echoed, even to the holder of the verify token.
async fn meta_handshake_reflects_only_a_bounded_number(backend: Backend) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = meta_gateway(backend, &graph).await?;
    let token = gw.secrets.meta_verify_token.expose_secret().to_owned();
    let handshake = |challenge: String| {
        let token = token.clone();
        let meta = gw.meta.clone();
        async move {
            meta.handshake(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", &token),
                ("hub.challenge", &challenge),
            ])
            .await
        }
    };
    for bad in [
        "<script>alert(1)</script>".to_owned(),
        "".to_owned(),
        "12ab".to_owned(),
        "-42".to_owned(),
        "4 2".to_owned(),
        "1".repeat(warden_meta::MAX_CHALLENGE_LEN + 1),
        "١٢٣".to_owned(),
    ] {
        let answer = handshake(bad.clone()).await?;
        assert_eq!(answer.status, 400, "{bad:?}: {}", answer.body);
        assert!(
            bad.is_empty() || !answer.body.contains(&bad),
            "{bad:?} reflected"
        );
        assert!(!answer.body.contains("script"), "{}", answer.body);
    }
    // A missing challenge is malformed too.
    let missing = gw
        .meta
        .handshake(&[("hub.mode", "subscribe"), ("hub.verify_token", &token)])
        .await?;
    assert_eq!(missing.status, 400, "{}", missing.body);
    // Without the token the answer is 403 whatever the challenge: shape is not a side channel.
    let forged = gw
        .meta
        .handshake(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "not-the-token"),
            ("hub.challenge", "<b>x</b>"),
        ])
        .await?;
    assert_eq!(forged.status, 403, "{}", forged.body);
    // The controls: the longest number Meta could send, and the shortest, are echoed as text.
    for good in ["7", &"9".repeat(warden_meta::MAX_CHALLENGE_LEN)] {
        let ok = handshake(good.to_owned()).await?;
        assert_eq!((ok.status, ok.body.as_str()), (200, good));
        assert!(
            ok.content_type.starts_with("text/plain"),
            "{}",
            ok.content_type
        );
    }
    gw.finish().await
}

async fn meta_webhook_content_type_must_be_exactly_json(backend: Backend) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = meta_gateway(backend, &graph).await?;
    let payload = gw.meta.envelope(
        vec![gw.meta.text(&ALICE.phone(), &new_wamid(), "add Typed")],
        vec![],
    );
    let raw = serde_json::to_vec(&payload)?;
    let sig = gw.meta.sign(&raw);
    for content_type in [
        "application/jsonx",
        "application/json-seq",
        "application/x-www-form-urlencoded",
        "text/json",
        "text/plain; application/json",
    ] {
        let answer = gw
            .meta
            .post_typed(raw.clone(), content_type, Some(&sig))
            .await?;
        assert_eq!(answer.status, 415, "{content_type}: {}", answer.body);
    }
    assert_eq!(gw.count("inbound_messages").await?, 0);
    // The control: parameters are allowed, and the same signed bytes then go through.
    let answer = gw
        .meta
        .post_typed(raw, "Application/JSON; charset=utf-8", Some(&sig))
        .await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(gw.count("inbound_messages").await?, 1);
    gw.finish().await
}

/// RFC 8259 JSON is UTF-8: a payload with other bytes, even in a field Warden never reads, is
/// not from Meta and is refused whole.
async fn meta_body_with_invalid_utf8_in_an_ignored_field_is_a_400(backend: Backend) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = meta_gateway(backend, &graph).await?;
    let payload = gw.meta.envelope(
        vec![gw.meta.text(&ALICE.phone(), &new_wamid(), "add Latin1")],
        vec![],
    );
    let valid = serde_json::to_vec(&payload)?;
    // `{"ignored":"caf\xE9", ...the rest of the valid payload`.
    let mut raw = br#"{"ignored":"caf"#.to_vec();
    raw.extend_from_slice(&[0xE9, b'"', b',']);
    raw.extend_from_slice(&valid[1..]);
    let sig = gw.meta.sign(&raw);
    let answer = gw.meta.post_raw(raw, Some(&sig)).await?;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("not_utf8"), "{}", answer.body);
    assert_eq!(gw.count("inbound_messages").await?, 0);
    assert!(graph.requests().is_empty());
    // The control: the same field in UTF-8 is ignored as before.
    let mut raw = r#"{"ignored":"café","#.as_bytes().to_vec();
    raw.extend_from_slice(&valid[1..]);
    let sig = gw.meta.sign(&raw);
    let answer = gw.meta.post_raw(raw, Some(&sig)).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(gw.count("inbound_messages").await?, 1);
    gw.finish().await
}

async fn disabled_channels_answer_404_with_a_reason_never_200_or_500(
    backend: Backend,
) -> Result<()> {
    // Twilio only: no META_* variable at all.
    let twilio_only = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let handshake = twilio_only
        .meta
        .handshake(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "anything"),
            ("hub.challenge", "42"),
        ])
        .await?;
    assert_eq!(handshake.status, 404, "{}", handshake.body);
    assert!(
        handshake.body.contains("Meta channel is not configured"),
        "{}",
        handshake.body
    );
    let post = twilio_only
        .meta
        .send(&ALICE.phone(), "add Via Meta")
        .await?;
    assert_eq!(post.status, 404, "{}", post.body);
    assert!(
        post.body.contains("Meta channel is not configured"),
        "{}",
        post.body
    );
    assert_eq!(twilio_only.count("inbound_messages").await?, 0);
    assert_eq!(
        twilio_only.count_kind("webhook.signature_invalid").await?,
        0
    );
    twilio_only.finish().await?;

    // Meta only: no TWILIO_* variable at all.
    let graph = MockGraph::healthy().await?;
    let meta_only = Gateway::start_with(
        backend,
        Settings::new()
            .allow(&[ALICE])
            .meta(&graph.url())
            .without_twilio(),
    )
    .await?;
    let message = meta_only.send(ALICE, "add Via Twilio").await?;
    assert_eq!(message.status, 404, "{}", message.body);
    assert!(
        message.body.contains("Twilio channel is not configured"),
        "{}",
        message.body
    );
    let status = meta_only
        .http_post_form(
            "/webhooks/twilio/status",
            "MessageSid=SM1&MessageStatus=delivered",
        )
        .await?;
    assert_eq!(status.status, 404, "{}", status.body);
    assert!(
        status.body.contains("Twilio channel is not configured"),
        "{}",
        status.body
    );
    assert_eq!(meta_only.count("inbound_messages").await?, 0);
    // The control: Meta works on it.
    assert_eq!(
        meta_only
            .meta_say(&graph, ALICE, "add Via Meta")
            .await?
            .as_deref(),
        Some("Added task 1: Via Meta")
    );
    meta_only.finish().await
}
