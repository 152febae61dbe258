//! Edge cases of `parse_webhook`; the documented payloads are tested in `tests/it/webhook.rs`.

use super::*;
use proptest::prelude::*;
use serde_json::{json, Value};

const WAMID: &str = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";

fn text_message(id: &str, from: &str, body: &str) -> Value {
    json!({"from": from, "id": id, "timestamp": "1749416383", "type": "text", "text": {"body": body}})
}

fn delivery(messages: Vec<Value>, statuses: Vec<Value>) -> Vec<u8> {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{
            "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                "messages": messages,
                "statuses": statuses,
            },
            "field": "messages",
        }]}],
    });
    serde_json::to_vec(&body).unwrap()
}

fn parse(body: &[u8]) -> WebhookBatch {
    parse_webhook(body).unwrap()
}

#[test]
fn one_bad_sender_does_not_drop_the_rest_of_the_batch() {
    let batch = parse(&delivery(
        vec![
            text_message(WAMID, "not-a-number", "a"),
            text_message("wamid.second", "16505551234", "b"),
            text_message("id with spaces", "16505551234", "c"),
        ],
        vec![],
    ));
    assert_eq!(batch.messages.len(), 1);
    assert_eq!(batch.messages[0].inbound.id.as_str(), "wamid.second");
    assert_eq!(
        batch.rejected,
        vec![
            RejectedItem {
                item: ItemKind::Message,
                index: 0,
                reason: "invalid_from"
            },
            RejectedItem {
                item: ItemKind::Message,
                index: 2,
                reason: "invalid_id"
            },
        ]
    );
}

#[test]
fn sender_must_be_bare_e164_digits() {
    for from in [
        "+16505551234",
        "whatsapp:16505551234",
        // Six digits: shorter than any number (Niue's have seven).
        "165055",
        "0016505551234",
        "1650555123456789",
        "",
    ] {
        let batch = parse(&delivery(vec![text_message(WAMID, from, "hi")], vec![]));
        assert!(batch.messages.is_empty(), "{from:?}");
        assert_eq!(batch.rejected[0].reason, "invalid_from", "{from:?}");
    }
    let batch = parse(&delivery(
        vec![text_message(WAMID, "447700900089", "hi")],
        vec![],
    ));
    assert_eq!(batch.messages[0].inbound.from.as_e164(), "+447700900089");
}

#[test]
fn items_with_wrong_json_types_are_rejected_alone() {
    let batch = parse(&delivery(
        vec![
            json!("a string"),
            json!({"from": 16505551234_u64, "id": WAMID, "type": "text", "text": {"body": "x"}}),
            json!({"from": "16505551234", "id": WAMID, "type": "text", "text": "not an object"}),
            json!({"from": "16505551234", "id": WAMID}),
            json!({"from": "16505551234", "id": WAMID, "type": "text"}),
            json!({"from": "16505551234", "id": WAMID, "type": "interactive", "interactive": {"type": "button_reply"}}),
            json!({"from": "16505551234", "id": WAMID, "type": "button", "button": {}}),
        ],
        vec![json!(42), json!({"id": WAMID})],
    ));
    let reasons: Vec<_> = batch.rejected.iter().map(|r| r.reason).collect();
    assert_eq!(
        reasons,
        [
            "malformed_message",
            "malformed_message",
            "malformed_message",
            "missing_type",
            "missing_text",
            "missing_reply",
            "missing_button",
            "malformed_status",
            "unknown_status",
        ]
    );
    assert!(batch.messages.is_empty() && batch.statuses.is_empty());
}

#[test]
fn unknown_statuses_are_rejected_not_guessed() {
    let status = |s: &str| json!({"id": WAMID, "status": s, "timestamp": "1"});
    let batch = parse(&delivery(
        vec![],
        vec![
            status("deleted"),
            status("warning"),
            status("pending"),
            status("SENT"),
            status("read"),
        ],
    ));
    assert_eq!(batch.statuses.len(), 1);
    assert_eq!(batch.statuses[0].status, DeliveryStatus::Read);
    assert!(batch.rejected.iter().all(|r| r.reason == "unknown_status"));
    assert_eq!(
        batch.rejected.iter().map(|r| r.index).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
}

#[test]
fn wrong_object_is_refused() {
    for body in [
        json!({"object": "page", "entry": []}),
        json!({"object": "instagram", "entry": [{"messaging": []}]}),
        json!({"entry": []}),
    ] {
        assert_eq!(
            parse_webhook(&serde_json::to_vec(&body).unwrap()),
            Err(WebhookPayloadError::WrongObject),
            "{body}"
        );
    }
}

#[test]
fn non_json_and_wrong_shapes_are_refused_without_echoing_input() {
    assert_eq!(
        parse_webhook(b"MessageSid=SM1&Body=secret"),
        Err(WebhookPayloadError::NotJson)
    );
    assert_eq!(parse_webhook(b""), Err(WebhookPayloadError::NotJson));
    assert_eq!(
        parse_webhook(b"{\"object\":"),
        Err(WebhookPayloadError::NotJson)
    );
    assert_eq!(
        parse_webhook(br#"{"object":"whatsapp_business_account","entry":{"secret":"x"}}"#),
        Err(WebhookPayloadError::Malformed("envelope"))
    );
    assert_eq!(
        parse_webhook(b"[1,2]"),
        Err(WebhookPayloadError::Malformed("envelope"))
    );
    let no_metadata = json!({"object": "whatsapp_business_account", "entry": [{"changes": [
        {"field": "messages", "value": {"messages": [text_message(WAMID, "16505551234", "secret")]}}
    ]}]});
    let err = parse_webhook(&serde_json::to_vec(&no_metadata).unwrap()).unwrap_err();
    assert_eq!(err, WebhookPayloadError::Malformed("value"));
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("secret") && !text.contains("1650555"),
        "{text}"
    );
}

#[test]
fn phone_number_id_must_be_a_graph_id() {
    for id in ["", "abc", "1065 4035", &"1".repeat(33)] {
        let mut body: Value = serde_json::from_slice(&delivery(vec![], vec![])).unwrap();
        body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = json!(id);
        assert_eq!(
            parse_webhook(&serde_json::to_vec(&body).unwrap()),
            Err(WebhookPayloadError::Malformed("phone_number_id")),
            "{id:?}"
        );
    }
}

#[test]
fn other_webhook_fields_are_skipped_silently() {
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "message_template_status_update", "value": {"event": "APPROVED", "message_template_id": 1}},
        {"field": "account_update", "value": "not even an object"},
        {"value": {}},
    ]}]});
    assert_eq!(
        parse(&serde_json::to_vec(&body).unwrap()),
        WebhookBatch::default()
    );
}

#[test]
fn system_level_errors_change_carries_no_items() {
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "errors": [{"code": 130429, "title": "Rate limit hit"}],
        },
    }]}]});
    assert_eq!(
        parse(&serde_json::to_vec(&body).unwrap()),
        WebhookBatch::default()
    );
}

#[test]
fn more_than_max_items_is_refused_before_any_is_read() {
    let many: Vec<Value> = (0..=MAX_ITEMS)
        .map(|i| text_message(&format!("wamid.{i}"), "16505551234", "x"))
        .collect();
    assert_eq!(
        parse_webhook(&delivery(many, vec![])),
        Err(WebhookPayloadError::TooManyItems { max: MAX_ITEMS })
    );
    // Messages and statuses count together, across changes.
    let messages = (0..50).map(|i| text_message(&format!("wamid.m{i}"), "16505551234", "x"));
    let statuses = (0..50).map(|i| json!({"id": format!("wamid.s{i}"), "status": "sent"}));
    let batch = parse(&delivery(messages.collect(), statuses.collect()));
    assert_eq!((batch.messages.len(), batch.statuses.len()), (50, 50));
    let mut body: Value = serde_json::from_slice(&delivery(
        vec![],
        vec![json!({"id": "wamid.extra", "status": "sent"})],
    ))
    .unwrap();
    let change = body["entry"][0]["changes"][0].clone();
    let full: Value = serde_json::from_slice(&delivery(
        (0..MAX_ITEMS)
            .map(|i| text_message(&format!("wamid.{i}"), "16505551234", "x"))
            .collect(),
        vec![],
    ))
    .unwrap();
    body["entry"][0]["changes"] = json!([full["entry"][0]["changes"][0], change]);
    assert_eq!(
        parse_webhook(&serde_json::to_vec(&body).unwrap()),
        Err(WebhookPayloadError::TooManyItems { max: MAX_ITEMS })
    );
}

#[test]
fn escaped_unicode_text_is_decoded() {
    let raw = br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"from":"16505551234","id":"wamid.x","type":"text","text":{"body":"caf\u00e9 \ud83d\udc4d"}}]}}]}]}"#;
    assert_eq!(parse(raw).messages[0].inbound.body.as_str(), "café 👍");
}

#[test]
fn template_button_falls_back_to_text_without_payload() {
    let msg = json!({"from": "16505551234", "id": WAMID, "type": "button", "button": {"payload": "", "text": "Yes"}});
    let batch = parse(&delivery(vec![msg], vec![]));
    assert_eq!(batch.messages[0].inbound.body.as_str(), "Yes");
    assert_eq!(batch.messages[0].kind, MessageKind::InteractiveReply);
}

#[test]
fn flow_replies_and_future_types_are_unsupported_without_content() {
    let flow = json!({"from": "16505551234", "id": WAMID, "type": "interactive",
        "interactive": {"type": "nfm_reply", "nfm_reply": {"response_json": "{\"secret\":1}", "body": "Sent"}}});
    let future = json!({"from": "16505551234", "id": "wamid.2", "type": "hologram", "hologram": {"text": "secret"}});
    let system = json!({"from": "16505551234", "id": "wamid.3", "type": "system",
        "system": {"body": "User changed number", "type": "user_changed_number"}});
    let batch = parse(&delivery(vec![flow, future, system], vec![]));
    assert_eq!(batch.messages.len(), 3);
    for m in &batch.messages {
        assert_eq!(m.kind, MessageKind::Unsupported);
        assert_eq!(m.inbound.body.as_str(), "");
        assert_eq!(m.inbound.media_count, 1);
        assert!(m.kind.wants_text_only_reply());
    }
}

#[test]
fn only_non_text_kinds_other_than_reactions_want_the_text_only_reply() {
    use MessageKind::*;
    for kind in [Media, Location, Contacts, Unsupported] {
        assert!(kind.wants_text_only_reply(), "{kind:?}");
    }
    for kind in [Text, InteractiveReply, Reaction] {
        assert!(!kind.wants_text_only_reply(), "{kind:?}");
    }
}

#[test]
fn debug_of_a_batch_shows_no_text_or_number() {
    let statuses = vec![
        json!({"id": "wamid.s", "status": "failed", "recipient_id": "16505559876",
        "errors": [{"code": 131026, "title": "Receiver 16505559876 incapable"}]}),
    ];
    let batch = parse(&delivery(
        vec![text_message(WAMID, "16505551234", "my diagnosis")],
        statuses,
    ));
    let shown = format!("{batch:?}");
    for secret in ["diagnosis", "6505551234", "6505559876", "incapable"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert_eq!(batch.statuses[0].error_code, Some(131026));
}

/// Arbitrary JSON values, nested a few levels.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("text"),
            Just("interactive"),
            Just("button"),
            Just("16505551234"),
            Just("wamid.x"),
            Just("read"),
            Just("failed"),
            Just("button_reply"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("from".to_owned()),
                    Just("type".to_owned()),
                    Just("text".to_owned()),
                    Just("body".to_owned()),
                    Just("interactive".to_owned()),
                    Just("button_reply".to_owned()),
                    Just("button".to_owned()),
                    Just("payload".to_owned()),
                    Just("status".to_owned()),
                    Just("errors".to_owned()),
                    Just("code".to_owned()),
                    Just("timestamp".to_owned()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn parse_is_total_on_arbitrary_bytes(raw in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_webhook(&raw);
    }

    #[test]
    fn parse_is_total_on_json_ish_text(raw in r#"[\[\]{}":,0-9a-z_. \\-]{0,300}"#) {
        let _ = parse_webhook(raw.as_bytes());
    }

    #[test]
    fn parse_is_total_on_arbitrary_items(
        messages in prop::collection::vec(arb_json(), 0..8),
        statuses in prop::collection::vec(arb_json(), 0..8),
    ) {
        let total = messages.len() + statuses.len();
        let batch = parse(&delivery(messages, statuses));
        // Every item is accounted for: accepted or rejected, never silently lost.
        prop_assert_eq!(batch.messages.len() + batch.statuses.len() + batch.rejected.len(), total);
    }
}

#[test]
fn invalid_utf8_anywhere_in_the_body_is_refused() {
    // A field Warden never reads: serde_json would skip it without checking its bytes.
    let valid = delivery(vec![text_message(WAMID, "16505551234", "hi")], vec![]);
    let mut body = br#"{"ignored":"caf"#.to_vec();
    body.extend_from_slice(&[0xE9, b'"', b',']);
    body.extend_from_slice(&valid[1..]);
    assert_eq!(parse_webhook(&body), Err(WebhookPayloadError::NotUtf8));
    // Overlong encoding, lone surrogate, truncated sequence: all refused.
    for bad in [&[0xC0, 0xAF][..], &[0xED, 0xA0, 0x80], &[0xE2, 0x82]] {
        let mut body = valid.clone();
        let at = body.len() - 1;
        body.splice(
            at..at,
            br#","x":""#.iter().copied().chain(bad.iter().copied()).chain(*b"\""),
        );
        assert_eq!(
            parse_webhook(&body),
            Err(WebhookPayloadError::NotUtf8),
            "{bad:?}"
        );
    }
    // The control: the same structure in valid UTF-8 (escaped or raw) parses.
    let mut ok = br#"{"ignored":"caf\u00e9 caf"#.to_vec();
    ok.extend_from_slice("é\",".as_bytes());
    ok.extend_from_slice(&valid[1..]);
    assert_eq!(parse(&ok).messages.len(), 1);
}

#[test]
fn only_application_json_is_json() {
    for ok in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        " application/json ",
    ] {
        assert!(is_json_content_type(Some(ok)), "{ok}");
    }
    for bad in [
        None,
        Some(""),
        Some("application/jsonx"),
        Some("application/json-patch+json"),
        Some("application/x-json"),
        Some("text/json"),
        Some("application/jsonp; charset=utf-8"),
        Some("application"),
        Some("text/plain; application/json"),
    ] {
        assert!(!is_json_content_type(bad), "{bad:?}");
    }
}
